/**
 * V8 flags the CLI changes at run time (v8.setFlagsFromString), in its own process only: the fleet heap sizing
 * (fleet-heap.ts) and Liftoff-only WebAssembly for undici's HTTP parser (quickWasmForShortRuns).
 *
 * A changed flag also changes V8's flag hash, which a code cache records: a cache written after the change is
 * rejected by every later run, which starts with the default flags (seen with TLSDOCTOR_CODE_CACHE=debug: "rejected"
 * after a first run of `check`). bin/tlsdoctor therefore writes a run's cache before its first change
 * (beforeV8FlagsChange), or not at all when the run is not one its cache is for (check and serve).
 */
let changed = false;
let beforeFirstChange: (() => void) | undefined;

/** Runs `hook` just before this process first changes a V8 flag (bin/tlsdoctor writes its code cache there). */
export function beforeV8FlagsChange(hook: () => void): void {
  beforeFirstChange = hook;
}

export function setV8Flag(flag: string): void {
  if (!changed) {
    changed = true;
    beforeFirstChange?.();
  }
  // node:v8 is loaded here, not at start-up: a probe never needs it (it loads heap_utils, serdes and more: ~1 ms).
  (process.getBuiltinModule('node:v8') as typeof import('node:v8')).setFlagsFromString(flag);
}

/** Whether this process changed a V8 flag since it started. */
export function v8FlagsChanged(): boolean {
  return changed;
}

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. On Node 20 (V8 11), V8 then optimises its functions
 * with TurboFan on background threads, and the process cannot exit before that work ends: ~80 ms after a probe
 * that fetched one intermediate from an AIA URL had printed its report (a 411-byte fetch: `done` to `exit`
 * 75 ms, none with --liftoff-only). A CLI run parses a few hundred bytes of HTTP: Liftoff, V8's baseline
 * compiler, is enough. Node 22 and 24 (V8 12, 13) showed no such wait, and Liftoff-only was slightly slower there.
 */
export function quickWasmForShortRuns(): void {
  if (Number(process.versions.v8.split('.')[0]) <= 11) setV8Flag('--liftoff-only');
}
