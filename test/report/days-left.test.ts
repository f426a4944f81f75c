/** One rounding rule for days left (issue 14: "2 days left" and "3.0" for the same 2.97 days). */
import { describe, expect, it } from 'vitest';
import { DAY_MS, daysLeft, daysLeftText } from '../../src/report/days-left.js';

describe('daysLeft', () => {
  it('rounds down at the precision shown, so whole and decimal forms agree', () => {
    const ms = 2.97 * DAY_MS;
    expect(daysLeft(ms)).toBe(2);
    expect(daysLeftText(ms, 1)).toBe('2.9');
    expect(daysLeft(ms, 2)).toBe(2.97);
    expect(daysLeft(3 * DAY_MS)).toBe(3);
    expect(daysLeftText(3 * DAY_MS, 1)).toBe('3.0');
  });
});
