/**
 * Milliseconds on a monotonic clock. `process.hrtime` rather than the `performance` global: touching
 * `performance` loads perf_hooks (~1-2 ms of start-up, measured), and a probe is timed against a bare script.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
