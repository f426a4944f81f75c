/**
 * One deadline for a whole `probe` run (`--timeout`): the first handshake, the SNI what-if, the AIA chase, the
 * protocol what-ifs and the closed-loop handshake all draw on the same budget. Each phase gets the least of
 * its own cap and what is left (`allow`), so a slow upstream or AIA server costs at most `--timeout` in all,
 * not `--timeout` per phase (one run with `--timeout 5s` took 25.45 s before).
 *
 * The first phase that the deadline cuts short or skips is recorded (`cut`), with the later phases that
 * could not run: the report then says what it lacks, and keeps everything gathered until then.
 */
import { monotonicMs } from '../probe/monotonic-ms.js';
import type { ProbePhase, RunCut } from '../report/model.js';

export class RunDeadline {
  private readonly start: number;
  private readonly end: number;
  private first: RunCut | undefined;

  constructor(
    budgetMs: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.start = now();
    this.end = this.start + budgetMs;
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.end - this.now());
  }

  /**
   * Time a phase may take: the least of its own cap and what is left, in whole milliseconds (undici rejects
   * fractional timeouts with UND_ERR_INVALID_ARG).
   */
  allow(capMs: number = Infinity): number {
    return Math.ceil(Math.min(capMs, this.remaining()));
  }

  expired(): boolean {
    return this.remaining() <= 0;
  }

  /**
   * Records that `phase` was cut short (or skipped) by the deadline. Only the first cut is kept as `phase`;
   * later ones are listed in `skipped`.
   */
  cut(phase: ProbePhase): void {
    if (this.first === undefined) this.first = { phase, atMs: Math.round(this.now() - this.start), skipped: [] };
    else if (this.first.phase !== phase && !this.first.skipped.includes(phase)) this.first.skipped.push(phase);
  }

  /** The cut to report, or undefined when every phase ran to its end. */
  report(): RunCut | undefined {
    return this.first && { ...this.first, skipped: [...this.first.skipped] };
  }
}
