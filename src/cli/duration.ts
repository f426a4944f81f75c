import { UsageError } from './usage-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `5s`, `500ms`, `2m`, `30d`; a bare number is `defaultUnit` (seconds for timeouts, days for thresholds). */
export function parseDuration(text: string, option: string, defaultUnit: 's' | 'd' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) throw new UsageError('BAD_DURATION', `${option}: "${text}" is not a duration (examples: 5s, 500ms, 2m, 30d)`);
  const value = Number(m[1]) * UNITS[m[2] ?? defaultUnit];
  if (!Number.isFinite(value)) throw new UsageError('BAD_DURATION', `${option}: "${text}" is out of range`);
  return value;
}
