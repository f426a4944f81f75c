/**
 * `promtool check metrics` (Debian package `prometheus`, installed by .ci/run): parses the exposition text and
 * lints it against the Prometheus naming conventions. Exit 0 = valid and clean.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { checkExternal } from '../helpers/externals.js';

export const PROMTOOL = '/usr/bin/promtool';
export const hasPromtool = existsSync(PROMTOOL);
// .ci/run installs it: there a missing promtool fails the suites that need it instead of skipping them.
if (checkExternal(hasPromtool ? null : `${PROMTOOL} not found`)) {
  console.log(`skipped: promtool checks (${PROMTOOL} not found; apt-get install prometheus to enable)`);
}

export function promtoolCheck(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
