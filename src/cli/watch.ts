/**
 * `probe --watch [INTERVAL]`: the same probe again and again, one brief line each time, and a line when the
 * verdict changes ("turned OK at 03:41:12 UTC") — for watching a fix roll out or an upstream recover.
 * Bounded: SIGINT (Ctrl-C) or SIGTERM ends it after the current probe (each probe is bounded by --timeout), and
 * `--watch-count N` after N probes. The exit code is the last verdict's.
 */
import type { CliIO } from './io.js';

export interface WatchParams<R> {
  intervalMs: number;
  /** Stop after this many runs (undefined: until a signal). */
  count?: number;
  run: () => Promise<R>;
  verdict: (r: R) => 'OK' | 'FAIL';
  line: (r: R) => string;
  io: Pick<CliIO, 'stdout' | 'now'>;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted to stop (the CLI wires SIGINT/SIGTERM to it). */
  signal: AbortSignal;
}

function clock(d: Date): string {
  return `${d.toISOString().slice(11, 19)} UTC`;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** Runs until `count` runs or the signal; returns the last verdict (null when stopped before the first). */
export async function watchLoop<R>(p: WatchParams<R>): Promise<'OK' | 'FAIL' | null> {
  const sleep = p.sleep ?? defaultSleep;
  let last: { verdict: 'OK' | 'FAIL'; since: Date } | null = null;
  for (let i = 0; p.count === undefined || i < p.count; i++) {
    if (i > 0) await sleep(p.intervalMs, p.signal);
    if (p.signal.aborted) break;
    const r = await p.run();
    const at = p.io.now();
    const v = p.verdict(r);
    if (last && last.verdict !== v) {
      p.io.stdout(`turned ${v} at ${clock(at)} (${last.verdict} since ${clock(last.since)})\n`);
    }
    if (!last || last.verdict !== v) last = { verdict: v, since: at };
    p.io.stdout(`${clock(at)} ${p.line(r)}\n`);
  }
  return last?.verdict ?? null;
}

/** An AbortSignal fired by the first SIGINT or SIGTERM; `release` removes the handlers. */
export function stopOnSignals(): { signal: AbortSignal; release: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
