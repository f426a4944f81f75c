/**
 * V8's heap sizing for the long runs: `check` over a fleet and `serve`. What they keep is small (10,000 check
 * results are ~5 MB: src/check/run-memo.ts, src/check/check-addresses.ts), but V8 sizes its heap for throughput,
 * not for that: after a full GC it lets the old generation grow to up to 4 times what survived (the factor of
 * MemoryController::GrowingFactor, deps/v8/src/heap/heap-controller.cc, when the heap limit is large and GC is
 * cheap), and it doubles the young generation up to two 16 MiB semi-spaces (SemiSpaceNewSpace::Grow,
 * heap/new-spaces.cc). That headroom was most of the peak RSS: 32 MiB of young generation and ~50 MiB of old
 * generation for ~16 MiB of live objects (bench/check-bench.mjs, 10,000 targets, --trace-gc).
 *
 * Both are set here at run time (v8.setFlagsFromString), not as node options: the CLI runs as `node bin/tlsdoctor`,
 * under `npx`, and in-process through main() (benches, tests), and a flag on the command line would need a second
 * process. Node documents flags changed after start-up as possibly doing nothing, so only flags that V8 reads
 * each time it sizes a space are used, and their effect was measured, not assumed:
 * - `heap_growing_percent` replaces the growing factor (GrowingFactor reads it at every limit computation): 50 =
 *   the old generation grows to 1.5 times what survived (at least 8 MiB more: BoundAllocationLimit). More full
 *   GCs (30 instead of 6 over 10,000 targets), each a few ms of mostly incremental marking.
 * - `semi_space_growth_factor` multiplies the young generation when it grows (SemiSpaceNewSpace::Grow reads it
 *   then); 1 stops the growth. It is set to the one step that reaches YOUNG_SEMI_SPACE_MIB, then to 1: 4 MiB
 *   semi-spaces scavenge as fast as 16 MiB here (short-lived handshake garbage), where 1 MiB cost ~5% more CPU
 *   (measured with the `--max-semi-space-size` node option: the same CPU time at 4 and 16 over 3,000 targets,
 *   25 MiB less RSS). A burst of surviving allocations before the first GC notification can still take it one
 *   step further (a synthetic tight loop does; check over 10,000 targets and serve over 5,000 scrapes ended at 4 MiB;
 *   test/cli/fleet-heap.test.ts checks the stop with an event loop that turns, as theirs does).
 * Their effect on this process outlives the command (flags are process-wide): meant for the CLI's own process.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { setV8Flag } from './v8-flags.js';

/** The old generation's growth after a full GC, in percent of what survived. */
export const OLD_GROWING_PERCENT = 50;
/** The semi-space size (MiB) at which the young generation stops growing. */
export const YOUNG_SEMI_SPACE_MIB = 4;

let applied = false;

/** The young generation's size in bytes: both semi-spaces (v8.getHeapSpaceStatistics' `new_space`: 32 MiB at the default 16). */
function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Sizes the heap for a fleet run; once per process (later calls do nothing). */
export function sizeHeapForFleet(): void {
  if (applied) return;
  applied = true;
  setV8Flag(`--heap-growing-percent=${OLD_GROWING_PERCENT}`);
  // One growth step from the current size to the target (SemiSpaceNewSpace::Grow multiplies by the factor), then
  // none: GC notifications reach JavaScript only after the event loop turns, too late to stop a doubling that
  // goes on step by step (1, 2, 4, 8, 16 MiB) while a large targets file is parsed.
  const target = 2 * YOUNG_SEMI_SPACE_MIB * 1024 * 1024;
  // V8 13 (Node 24) also grows the young generation by what survives a scavenge, whatever the factor: with a growth
  // step it reached 12-20 MiB in test/cli/fleet-heap.test.ts, with none 11-14 (128 MiB unsized); serve after 3,000
  // scrapes: 4 MiB.
  if (Number(process.versions.v8.split('.')[0]) >= 13) return setV8Flag('--semi-space-growth-factor=1');
  // The semi-space is half the young generation, except before its first growth, when V8 (11 to 13) has committed
  // only one 1 MiB semi-space and reports 1 MiB: read as 2 MiB, else the step overshoots to 8 MiB semi-spaces.
  const step = Math.max(1, Math.floor(target / Math.max(2 * 1024 * 1024, newSpaceBytes())));
  setV8Flag(`--semi-space-growth-factor=${step}`);
  if (step === 1) return;
  const observer = new PerformanceObserver(() => {
    if (newSpaceBytes() < target) return;
    setV8Flag('--semi-space-growth-factor=1');
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
