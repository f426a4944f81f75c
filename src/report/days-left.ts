/**
 * Days left as shown anywhere (check's table, perfdata and JSON, inspect, EXPIRES_SOON): one rule, rounded down at
 * the precision shown, so the same certificate never reads "2 days left" in one place and "3.0" in another
 * (2.97 days: 2, 2.9, 2.97). Rounded down because a certificate with 2.97 days left does not have 3.
 */
export const DAY_MS = 86_400_000;

export function daysLeft(ms: number, decimals = 0): number {
  const f = 10 ** decimals;
  // The epsilon keeps a whole number computed in floating point (3 * 86400 s) from flooring to 2.99.
  return Math.floor((ms / DAY_MS) * f + 1e-9) / f;
}

/** `daysLeft` with exactly `decimals` digits (perfdata, tables). */
export function daysLeftText(ms: number, decimals = 1): string {
  return daysLeft(ms, decimals).toFixed(decimals);
}
