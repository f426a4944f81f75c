/**
 * `tlsdoctor demo`, the README's first command: starts the built-in broken upstreams, diagnoses each as nginx
 * would, stops them.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_IDS } from '../../src/cli/commands/demo.js';
import { loadScenario } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

describe('demo', () => {
  it('diagnoses every demo upstream with the verdict and log line real nginx gives (fixture manifest)', async () => {
    const run = await runCli(['demo', '--json'], { now: new Date('2026-01-01T00:00:00Z') });
    expect(run.code).toBe(0);
    const docs = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(docs.map((d) => d.scenario)).toEqual(DEMO_IDS);
    for (const d of docs) {
      const s = loadScenario(d.scenario);
      expect(d.schemaVersion).toBe(1);
      expect(d.nginx.ok, d.scenario).toBe(s.expected.nginxOk);
      if (s.expected.nginxError) expect(d.nginx.error, d.scenario).toBe(s.expected.nginxError);
      for (const code of s.expected.findings) expect(d.findings.map((f: { code: string }) => f.code), d.scenario).toContain(code);
    }
  });

  it('prints one readable summary per upstream', async () => {
    const run = await runCli(['demo', '--only', 'healthy,leaf-only-sent']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/── healthy:[\s\S]*OK +nginx would verify and proxy/);
    expect(run.stdout).toMatch(/── leaf-only-sent:[\s\S]*FAIL +nginx 502: \[error\] upstream SSL certificate verify error: \(21:unable to verify the first certificate\)/);
    expect(run.stdout).toMatch(/MISSING_INTERMEDIATE/);
  });

  it('rejects an unknown scenario with a one-line usage error', async () => {
    const run = await runCli(['demo', '--only', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown scenario "nope"/);
  });
});
