/**
 * Expiry thresholds of `check` and `serve`: absolute (`--crit 7d`) or relative to the certificate's lifetime
 * (`--crit 20%`: CRITICAL once less than 20% of notAfter - notBefore is left), command-wide or per target
 * (`warn=` / `crit=` in a targets file, `warn=` / `crit=` on a `/probe` scrape, hence from Prometheus labels).
 *
 * Why relative: a 72-hour certificate (Vault PKI, cert-manager, SPIFFE) is always within `--crit 7d`, so an
 * absolute threshold makes it CRITICAL its whole life; a share of the lifetime means the same thing for a 72-hour
 * and a 398-day certificate (cert-manager renews at 2/3 of the lifetime by default: its `renewBefore` docs).
 * Pure: no clock, no I/O.
 */
import type { CheckedCert, CheckThresholds } from './types.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A threshold that cannot be read; the caller says where it was written (option, targets file line, query). */
export class ThresholdError extends Error {
  readonly code = 'BAD_THRESHOLD';
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdError';
  }
}

export type Threshold = { ms: number } | { ratio: number };

/** `30d`, `12h`, `90m` (a bare number is days), or `20%` (of the certificate's lifetime, 0-100). */
export function parseThreshold(text: string, where: string): Threshold {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (pct) {
    const ratio = Number(pct[1]) / 100;
    if (ratio > 1) throw new ThresholdError(`${where}: "${text}" is more than 100% of the lifetime`);
    return { ratio };
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) throw new ThresholdError(`${where}: "${text}" is not a duration or a share of the lifetime (examples: 30d, 12h, 20%)`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 'd'];
  if (!Number.isFinite(ms)) throw new ThresholdError(`${where}: "${text}" is out of range`);
  return { ms };
}

/** warn and crit together; crit must not be the looser of the two when both are of the same kind. */
export function thresholdsOf(warn: Threshold, crit: Threshold, where: { warn: string; crit: string }): CheckThresholds {
  if ('ms' in warn && 'ms' in crit && crit.ms > warn.ms) throw new ThresholdError(`${where.crit} is longer than ${where.warn}`);
  if ('ratio' in warn && 'ratio' in crit && crit.ratio > warn.ratio) throw new ThresholdError(`${where.crit} is a larger share than ${where.warn}`);
  return {
    warnMs: 'ms' in warn ? warn.ms : 0,
    critMs: 'ms' in crit ? crit.ms : 0,
    ...('ratio' in warn ? { warnRatio: warn.ratio } : {}),
    ...('ratio' in crit ? { critRatio: crit.ratio } : {}),
  };
}

/**
 * A target's own `warn=` / `crit=` over the run's: an unset one keeps the run's value of that level.
 * `origin` names the line (`targets.txt:3`) in messages.
 */
export function targetThresholds(spec: { warn?: string; crit?: string; origin: string }, run: CheckThresholds): CheckThresholds | undefined {
  if (spec.warn === undefined && spec.crit === undefined) return undefined;
  const level = (text: string | undefined, ms: number, ratio: number | undefined, key: string): Threshold =>
    text !== undefined ? parseThreshold(text, `${spec.origin}: ${key}=`) : ratio !== undefined ? { ratio } : { ms };
  const warn = level(spec.warn, run.warnMs, run.warnRatio, 'warn');
  const crit = level(spec.crit, run.critMs, run.critRatio, 'crit');
  return thresholdsOf(warn, crit, { warn: `${spec.origin}: warn=`, crit: `${spec.origin}: crit=` });
}

/** The time left (ms) below which a certificate crosses a level: the share of its lifetime when relative. */
function limitMs(c: CheckedCert, ms: number, ratio: number | undefined): number {
  if (ratio === undefined) return ms;
  // A relative threshold needs the lifetime; without notBefore (never for a parsed certificate) only expiry counts.
  return c.lifetimeSeconds !== undefined ? ratio * c.lifetimeSeconds * 1000 : 0;
}

export function isCritical(c: CheckedCert, t: CheckThresholds): boolean {
  return c.secondsLeft * 1000 < limitMs(c, t.critMs, t.critRatio);
}

export function isWarning(c: CheckedCert, t: CheckThresholds): boolean {
  return c.secondsLeft * 1000 < limitMs(c, t.warnMs, t.warnRatio);
}

/** Either level crossed (reason EXPIRES_SOON). */
export function isSoon(c: CheckedCert, t: CheckThresholds): boolean {
  return isWarning(c, t) || isCritical(c, t);
}

/** `30d`, `20%`: a threshold as the reports print it. */
export function thresholdText(ms: number, ratio: number | undefined): string {
  if (ratio !== undefined) return `${Math.round(ratio * 1000) / 10}%`;
  return `${Math.round((ms / 86_400_000) * 100) / 100}d`;
}
