/** `--warn` / `--crit` of `check` and `serve`: a duration (`30d`, bare number = days) or a share of the lifetime (`20%`). */
import { parseThreshold, thresholdsOf, ThresholdError } from '../check/thresholds.js';
import type { CheckThresholds } from '../check/types.js';
import { UsageError } from './usage-error.js';

export function parseThresholdOptions(warn: string, crit: string): CheckThresholds {
  try {
    return thresholdsOf(parseThreshold(warn, '--warn'), parseThreshold(crit, '--crit'), { warn: `--warn (${warn})`, crit: `--crit (${crit})` });
  } catch (e) {
    if (!(e instanceof ThresholdError)) throw e;
    // The codes the options had before relative thresholds existed: BAD_DURATION, BAD_THRESHOLDS.
    throw new UsageError(/ is (longer|a larger share) than /.test(e.message) ? 'BAD_THRESHOLDS' : 'BAD_DURATION', e.message, { cause: e });
  }
}
