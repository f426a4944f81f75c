/**
 * Optional externals of the suite: Debian's nginx, promtool, the nginx version matrix. A user's `npm test` skips
 * what needs a missing one, with one line saying how to enable it; `.ci/run` installs them and sets
 * TLSDOCTOR_REQUIRE_EXTERNALS=1, so that there a missing external fails the run instead of skipping quietly.
 * (Not keyed on CI: every CI system sets CI, and the README's test command must pass from a bare clone.)
 */
export const externalsRequired = process.env.TLSDOCTOR_REQUIRE_EXTERNALS === '1';

/** Throws when `unavailable` (a reason) is set and externals are required; returns it otherwise. */
export function checkExternal(unavailable: string | null | undefined): string | null | undefined {
  if (unavailable && externalsRequired) throw new Error(`required by TLSDOCTOR_REQUIRE_EXTERNALS=1: ${unavailable}`);
  return unavailable;
}
