/** Thresholds (src/check/thresholds.ts) and the expiry status they give (status.ts): absolute, relative, per target. */
import { describe, expect, it } from 'vitest';
import { expiryStatus, reasonCodes } from '../../src/check/status.js';
import { parseThreshold, targetThresholds, thresholdsOf, ThresholdError } from '../../src/check/thresholds.js';
import type { CheckedCert, CheckThresholds } from '../../src/check/types.js';

const H = 3600;
const D = 86_400;
/** A certificate with `lifetime` seconds of life of which `left` are left. */
const cert = (left: number, lifetime: number): CheckedCert => ({
  depth: 0,
  source: 'sent',
  subject: 'CN=x',
  sha256: 'ab',
  notAfter: '2030-01-01T00:00:00Z',
  secondsLeft: left,
  lifetimeSeconds: lifetime,
});
const days = (warn: number, crit: number): CheckThresholds => ({ warnMs: warn * D * 1000, critMs: crit * D * 1000 });

describe('thresholds', () => {
  it('a 72-hour certificate is CRITICAL its whole life with --crit 7d; with --warn 33% --crit 10% it is OK, then WARNING, then CRITICAL', () => {
    const fresh = cert(70 * H, 72 * H);
    expect(expiryStatus([fresh], days(30, 7))).toBe('CRITICAL');
    const relative = thresholdsOf(parseThreshold('33%', '--warn'), parseThreshold('10%', '--crit'), { warn: '--warn', crit: '--crit' });
    expect(expiryStatus([fresh], relative)).toBe('OK');
    expect(expiryStatus([cert(20 * H, 72 * H)], relative)).toBe('WARNING');
    expect(reasonCodes([], [cert(20 * H, 72 * H)], relative)).toEqual(['EXPIRES_SOON']);
    expect(expiryStatus([cert(7 * H, 72 * H)], relative)).toBe('CRITICAL');
    // the same thresholds on a 398-day certificate: 60 days left is 15%, a WARNING; 30 days is CRITICAL
    expect(expiryStatus([cert(60 * D, 398 * D)], relative)).toBe('WARNING');
    expect(expiryStatus([cert(30 * D, 398 * D)], relative)).toBe('CRITICAL');
    expect(expiryStatus([cert(-1, 72 * H)], relative)).toBe('CRITICAL');
  });

  it('mixes kinds: --warn 30d with --crit 10%', () => {
    const t = thresholdsOf(parseThreshold('30d', '--warn'), parseThreshold('10%', '--crit'), { warn: '--warn', crit: '--crit' });
    expect(expiryStatus([cert(20 * D, 398 * D)], t)).toBe('CRITICAL');
    expect(expiryStatus([cert(60 * D, 398 * D)], t)).toBe('OK');
    expect(expiryStatus([cert(25 * D, 90 * D)], t)).toBe('WARNING');
  });

  it('per target: warn=/crit= replace one level each; mistakes name the line', () => {
    const run = days(30, 7);
    expect(targetThresholds({ origin: 't:1' }, run)).toBeUndefined();
    expect(targetThresholds({ origin: 't:1', crit: '20%' }, run)).toEqual({ warnMs: 30 * D * 1000, critMs: 0, critRatio: 0.2 });
    expect(targetThresholds({ origin: 't:1', warn: '2d', crit: '1d' }, run)).toEqual(days(2, 1));
    expect(() => targetThresholds({ origin: 't:3', crit: '40d' }, run)).toThrow(new ThresholdError('t:3: crit= is longer than t:3: warn='));
    expect(() => targetThresholds({ origin: 't:4', warn: 'soon' }, run)).toThrow(/^t:4: warn=: "soon" is not a duration/);
  });
});
