/**
 * `tlsdoctor check` over many targets: a fixed pool of workers (--concurrency) pulling targets in input order.
 *
 * Guarantees, whatever the targets do:
 * - every target gets exactly one result, in its input slot (a thrown error becomes UNKNOWN with the reason);
 * - a target occupies a worker for at most its timeout plus DEADLINE_GRACE_MS: checkTarget() spends its own
 *   budget (the handshake's deadline covers DNS, TCP, TLS and the first read), and a guard abandons it as
 *   UNKNOWN (CHECK_TIMEOUT) if it overruns anyway, so a dead or silent upstream never delays the others;
 * - hence wall time <= ceil(n / concurrency) * (max timeout + grace), plus the CPU time of the diagnoses.
 */
import { checkTarget, unknownResult, type CheckDeps } from './check-target.js';
import { RunMemo } from './run-memo.js';
import { summarize } from './status.js';
import type { CheckResult, CheckRun, CheckTarget, CheckThresholds } from './types.js';

/** Slack for the diagnosis after a handshake that used its whole budget (CPU, event-loop delay under load). */
export const DEADLINE_GRACE_MS = 500;

export const DEFAULT_CONCURRENCY = 32;

export interface RunCheckOptions {
  at: Date;
  thresholds: CheckThresholds;
  concurrency: number;
  deps: CheckDeps;
  /** Called after each target, in completion order. */
  onResult?: (result: CheckResult, done: number, total: number) => void;
  /** The per-target function (tests replace it to simulate hangs and crashes). */
  check?: typeof checkTarget;
}

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'INTERNAL_ERROR', message: e.message };
  }
  return { code: 'INTERNAL_ERROR', message: String(e) };
}

/**
 * An input error about a bundle the target's own `ca=` names: the bundle readers label it `--ca FILE` (they serve
 * the command-line option too); say where it was written instead (`targets.txt:3: ca=FILE`), so the user edits the
 * right file.
 */
export function withTargetOrigin(t: CheckTarget, error: { code: string; message: string }): { code: string; message: string } {
  for (const f of t.spec.ca ?? []) {
    if (error.message.startsWith(`--ca ${f}:`)) return { ...error, message: `${t.spec.origin}: ca=${error.message.slice('--ca '.length)}` };
  }
  return error;
}

/** One target, never throwing, never outliving its budget. */
export async function guardedCheck(t: CheckTarget, o: Pick<RunCheckOptions, 'at' | 'thresholds' | 'deps' | 'check'>): Promise<CheckResult> {
  const started = performance.now();
  const run = o.check ?? checkTarget;
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      resolve(
        unknownResult(t, { code: 'CHECK_TIMEOUT', message: `the check did not finish within ${t.timeoutMs + DEADLINE_GRACE_MS} ms` }, performance.now() - started),
      );
    }, t.timeoutMs + DEADLINE_GRACE_MS);
  });
  try {
    return await Promise.race([
      // Through then(): a function that throws before returning its promise is caught too.
      Promise.resolve()
        .then(() => run(t, o.at, t.thresholds ?? o.thresholds, o.deps))
        .catch((e: unknown) => unknownResult(t, withTargetOrigin(t, errorOf(e)), performance.now() - started)),
      overrun,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runCheck(targets: CheckTarget[], options: RunCheckOptions): Promise<CheckRun> {
  const started = performance.now();
  // One memo per run: its targets are judged at one instant, so they share diagnoses and expiry rows.
  const o = options.deps.memo ? options : { ...options, deps: { ...options.deps, memo: new RunMemo(options.at.getTime()) } };
  const results: (CheckResult | undefined)[] = new Array(targets.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const r = await guardedCheck(targets[i], o);
      results[i] = r;
      done++;
      o.onResult?.(r, done, targets.length);
    }
  };
  const workers = Math.max(1, Math.min(o.concurrency, targets.length));
  await Promise.all(Array.from({ length: workers }, worker));
  // By construction every slot is filled; the fallback keeps "exactly once" true even if that ever changes.
  const complete = results.map((r, i) => r ?? unknownResult(targets[i], { code: 'INTERNAL_ERROR', message: 'not checked' }, 0));
  return {
    at: o.at,
    thresholds: o.thresholds,
    results: complete,
    summary: summarize(complete),
    durationMs: Math.round(performance.now() - started),
  };
}
