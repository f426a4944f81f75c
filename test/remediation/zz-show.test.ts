import { it } from 'vitest';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { buildFixPlan } from '../../src/remediation/plan.js';
import { fixText } from '../../src/report/fix-text.js';
import { scenarios } from '../../test/helpers/fixtures.js';
import { scenarioInput } from '../../test/remediation/scenario-sim.js';
it('show', () => {
  for (const id of (process.env.IDS ?? '').split(',')) {
    const s = scenarios().find((x) => x.id === id)!;
    const input = scenarioInput(s, { pool: process.env.NOPOOL ? false : true });
    const plan = buildFixPlan(input, diagnose(input), { installPath: '/etc/nginx/tls/trusted-ca.pem', serverProtocols: s.tls });
    console.log(`===== ${id}\n` + fixText(plan).join('\n'));
    if (process.env.FILES) for (const f of plan.files) console.log(`--- ${f.name}\n${f.content}`);
  }
});
