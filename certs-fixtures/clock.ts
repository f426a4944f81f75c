/**
 * The fixed clock every fixture is dated against (STYLE.md convention 10: no time bombs).
 *
 * Tests that judge validity pass FIXTURE_CLOCK as their `at`/`now`. The "valid" window is deliberately
 * wide (one year before the clock to twenty years after it) so the same committed files also pass on the
 * real clock that real nginx and `openssl s_client` use, for decades. The "expired" window ended before the
 * clock, and the "not yet valid" window starts in 2090: both hold on the fixed clock and on any plausible
 * real clock.
 */
export const FIXTURE_CLOCK = new Date('2026-01-01T00:00:00Z');

const DAY_MS = 24 * 60 * 60 * 1000;

/** notBefore of every valid certificate: FIXTURE_CLOCK - 1 year. */
export const VALID_FROM = new Date('2025-01-01T00:00:00Z');
/** notAfter of every valid certificate: FIXTURE_CLOCK + 20 years. */
export const VALID_UNTIL = new Date('2046-01-01T00:00:00Z');

/** notBefore of the expired certificates: FIXTURE_CLOCK - 1 year, like the valid ones. */
export const EXPIRED_FROM = VALID_FROM;
/** notAfter of the expired certificates: FIXTURE_CLOCK - 30 days. */
export const EXPIRED_UNTIL = new Date(FIXTURE_CLOCK.getTime() - 30 * DAY_MS);

/** notBefore of the not-yet-valid certificates. */
export const FUTURE_FROM = new Date('2090-01-01T00:00:00Z');
/** notAfter of the not-yet-valid certificates. */
export const FUTURE_UNTIL = new Date('2110-01-01T00:00:00Z');

export type ValidityClass = 'valid' | 'expired' | 'not-yet-valid';

/** The validity window a fixture of the given class must carry, exactly. */
export function validityWindow(validity: ValidityClass): { notBefore: Date; notAfter: Date } {
  switch (validity) {
    case 'valid':
      return { notBefore: VALID_FROM, notAfter: VALID_UNTIL };
    case 'expired':
      return { notBefore: EXPIRED_FROM, notAfter: EXPIRED_UNTIL };
    case 'not-yet-valid':
      return { notBefore: FUTURE_FROM, notAfter: FUTURE_UNTIL };
  }
}
