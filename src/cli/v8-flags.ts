/**
 * V8 flags the CLI changes at run time (v8.setFlagsFromString), in its own process only: the fleet heap sizing
 * (fleet-heap.ts) and Liftoff-only WebAssembly for undici's HTTP parser (quickWasmForShortRuns).
 *
 * A changed flag also changes V8's flag hash, which a code cache records: a cache that bin/tlsdoctor wrote after a
 * change would be rejected by every later run (they start with the default flags). bin/tlsdoctor asks
 * v8FlagsChanged() and then leaves the cache for a run that changes nothing to write (seen with TLSDOCTOR_CODE_CACHE=debug:
 * "rejected" after a first run of `check`, before this).
 */
let changed = false;

export function setV8Flag(flag: string): void {
  changed = true;
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
