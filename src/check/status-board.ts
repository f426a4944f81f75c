/**
 * What the status page of `serve` shows: the latest result of each listed target (--targets), kept fresh by
 * scheduled check rounds, never by page views. Why rounds and not a check per view: GET / must answer at once
 * with what is known, and whoever reaches the port must not be able to turn page loads into handshakes (a load
 * amplifier). So:
 * - a round checks every listed target, `concurrency` at a time, each within its own budget (guardedCheck);
 * - the next round starts `refreshMs` after the previous one ENDED (never overlapping: at most one round runs,
 *   and a slow fleet stretches the period instead of stacking rounds);
 * - each result replaces the previous one as soon as it is in, so the page fills progressively;
 * - a /probe scrape of a listed target with its own settings is as good as a round's result and is kept too,
 *   which is all the page has with `--refresh 0` (no rounds: Prometheus' scrapes are the only checks).
 * The page needs no findings or notes: they are dropped from the kept results (memory: one result per target).
 */
import type { CheckDeps } from './check-target.js';
import { guardedCheck } from './run-check.js';
import type { CheckResult, CheckTarget, CheckThresholds } from './types.js';
import type { StatusEntry } from '../report/status-order.js';

export interface StatusBoardOptions {
  listed: CheckTarget[];
  /** Time from the end of a round to the start of the next; 0 = no rounds (the page shows scrapes only). */
  refreshMs: number;
  concurrency: number;
  thresholds: CheckThresholds;
  deps: CheckDeps;
  check?: typeof import('./check-target.js').checkTarget;
  now(): Date;
}

export interface StatusBoard {
  /** Every listed target in input order, with its latest result when it has one. */
  entries(): StatusEntry[];
  /** Keep a scrape's result if it is a listed target checked with that target's own settings. */
  recordScrape(target: CheckTarget, result: CheckResult, at: Date): void;
  /** Start the rounds (the first one now); no-op when refreshMs is 0. */
  start(): void;
  /** No new round and no new check; resolves when the running checks have answered (each bounded by its budget). */
  stop(): Promise<void>;
  /** Rounds completed, and whether one is running (for tests and the page). */
  rounds(): { completed: number; running: boolean };
  /** New listed targets (serve --nginx-config re-read): kept results of targets still listed stay; the next round uses them. */
  setListed(targets: CheckTarget[]): void;
}

function slim(r: CheckResult): CheckResult {
  return { ...r, findings: [], notes: [] };
}

export function createStatusBoard(o: StatusBoardOptions): StatusBoard {
  let targets = o.listed;
  let listed = new Map(targets.map((t) => [t.id, t]));
  const latest = new Map<string, { result: CheckResult; checkedAt: Date }>();
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let completed = 0;

  function keep(id: string, result: CheckResult, at: Date): void {
    const had = latest.get(id);
    if (!had || had.checkedAt.getTime() <= at.getTime()) latest.set(id, { result: slim(result), checkedAt: at });
  }

  async function round(): Promise<void> {
    let next = 0;
    const worker = async () => {
      const these = targets;
      while (!stopped && next < these.length) {
        const t = these[next++];
        const at = o.now();
        keep(t.id, await guardedCheck(t, { at, thresholds: o.thresholds, deps: o.deps, ...(o.check ? { check: o.check } : {}) }), at);
      }
    };
    const workers = Math.max(1, Math.min(o.concurrency, targets.length));
    await Promise.all(Array.from({ length: workers }, worker));
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = round().finally(() => {
        running = undefined;
        completed++;
        schedule(o.refreshMs);
      });
    }, delayMs);
    // The rounds never keep the process alive on their own: serve lives until its signal.
    timer.unref();
  }

  return {
    entries: () => targets.map((t) => ({ id: t.id, ...latest.get(t.id) })),
    recordScrape(target, result, at) {
      const own = listed.get(target.id);
      // A scrape may override name=, ca=, sni=...: that is another question than the one the page answers.
      if (own && JSON.stringify(own.spec) === JSON.stringify(target.spec)) keep(target.id, result, at);
    },
    start() {
      if (o.refreshMs > 0 && targets.length > 0 && !timer && !running && !stopped) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    rounds: () => ({ completed, running: running !== undefined }),
    setListed(next) {
      targets = next;
      listed = new Map(targets.map((t) => [t.id, t]));
      for (const id of [...latest.keys()]) if (!listed.has(id)) latest.delete(id);
      this.start();
    },
  };
}
