/**
 * Issue 3's proof against real nginx: for every scenario the manifest marks fixable, nginx with the user's broken
 * settings answers 502, and with the upstream-ssl.conf + trusted-ca.pem that `tlsdoctor probe` generated for it
 * (run in-process against the scenario's live server) answers 200. For scenarios only the upstream can fix, the
 * generated baseline still fails: nothing in it weakens verification.
 *
 * Manual steps the plan itself lists are applied the way a user would: the client certificate for the mTLS
 * placeholders, a host name under a wildcard. They are counted apart from the fully automatic fixes.
 * Set TLSDOCTOR_FIX_TABLE=<file> to write the per-scenario table as Markdown.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { CLIENT_CERT_PLACEHOLDER, CLIENT_KEY_PLACEHOLDER } from '../../src/remediation/plan.js';
import type { FixPlan } from '../../src/remediation/types.js';
import { fixturePath, manifest, readFixture, scenarios, type Scenario } from '../helpers/fixtures.js';
import { MATRIX_SKIP_NOTE, matrixBuilds, nginxBuilds, nginxUnavailableReason, type NginxBuild } from '../helpers/nginx.js';
import { observeWithNginx } from '../helpers/nginx-scenario.js';
import { startScenarioServer } from '../helpers/tls-server.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
// Under CI a missing nginx is a failure, never a silent skip (.ci/run installs it).
checkExternal(unavailable);
if (unavailable) console.warn(`skipping real-nginx fix test on Debian's nginx: ${unavailable}`);
const builds = nginxBuilds();
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

/** The fixture CAs as the --intermediates pool (a folder of internal CAs the user has, not trusted yet). */
const POOL = Object.entries(manifest().files)
  .filter(([, f]) => f.kind === 'root' || f.kind === 'intermediate')
  .map(([name]) => fixturePath(name));

/** Manual steps the plan names, as the user would do them. */
const MANUAL: Record<string, (conf: string, files: Record<string, string>) => string> = {
  'wildcard-miss': (conf) => `${conf}\n# manual step: a real host name under *.example.test\nproxy_ssl_name a.example.test;\n`,
};
function placeClientCert(conf: string, files: Record<string, string>): string {
  files['client/client.crt'] = readFixture('client.pem');
  files['client/client.key'] = readFixture('client.key.pem');
  return conf.replace(CLIENT_CERT_PLACEHOLDER, 'client/client.crt').replace(CLIENT_KEY_PLACEHOLDER, 'client/client.key');
}

function fakeIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readStdin: async () => '',
    stdoutIsTTY: false,
    stderrIsTTY: false,
    now: () => new Date(),
    cwd: process.cwd(),
    env: {},
  };
}

/** `tlsdoctor probe` with the scenario's (broken) nginx settings, against its live server; returns the plan. */
async function planFor(s: Scenario, version: string): Promise<FixPlan> {
  const server = await startScenarioServer(s);
  try {
    const argv = ['probe', `127.0.0.1:${server.port}`, '--json', '--no-fetch', '--install-path', 'trusted-ca.pem'];
    argv.push('--nginx-version', version, '--proxy-ssl-name', s.proxySslName, '--proxy-ssl-verify-depth', String(s.depth));
    argv.push('--proxy-ssl-protocols', s.proxySslProtocols.join(' '), '--proxy-ssl-server-name', s.sni ? 'on' : 'off');
    for (const t of s.trusted) argv.push('--ca', fixturePath(t));
    for (const p of POOL) argv.push('--intermediates', p);
    if (s.clientCert) argv.push('--proxy-ssl-certificate', fixturePath(s.clientCert.cert), '--proxy-ssl-certificate-key', fixturePath(s.clientCert.key));
    const io = fakeIO();
    const code = await main(argv, io);
    expect(code, io.err.join('')).not.toBe(2);
    const doc = JSON.parse(io.out.join('')) as { fix: FixPlan };
    return doc.fix;
  } finally {
    await server.close();
  }
}

interface Row {
  build: NginxBuild;
  id: string;
  before: number;
  after: number | null;
  manual: boolean;
  verified: boolean | null;
}
const rows: Row[] = [];

const broken = scenarios().filter((s) => !s.expected.nginxOk && s.server === 'tls');
const fixable = scenarios().filter((s) => s.expected.fixable && !s.expected.nginxOk);

describe.skipIf(builds.length === 0).each(builds)('generated fix against real nginx $label', (build) => {
  afterAll(() => {
    const mine = rows.filter((r) => r.build === build);
    const fixed = mine.filter((r) => r.before === 502 && r.after === 200 && fixable.some((s) => s.id === r.id));
    const auto = fixed.filter((r) => !r.manual);
    const summary =
      `nginx ${build.label}: ${fixed.length} of ${fixable.length} fixable scenarios turned 502→200 ` +
      `(${auto.length} with the generated files alone, ${fixed.length - auto.length} after the manual step the plan names)`;
    console.log(summary);
    const out = process.env.TLSDOCTOR_FIX_TABLE;
    if (out) {
      const lines = mine.map((r) => `| ${r.id} | ${r.before} | ${r.after ?? '—'} | ${r.manual ? 'yes' : ''} | ${r.verified ?? 'null'} |`);
      const section = `## nginx ${build.label}, ${build.builtWithOpenssl}\n\n${summary}\n\n| scenario | broken | with fix | manual step | fix.verified |\n|---|---|---|---|---|\n${lines.join('\n')}\n\n`;
      writeFileSync(out, section, { flag: build === builds[0] ? 'w' : 'a' });
    }
  });

  it('the manifest has fixable scenarios to prove', () => {
    expect(fixable.length).toBeGreaterThanOrEqual(15);
  });

  for (const s of broken) {
    it(`${s.id}: ${s.expected.fixable ? '502 → 200 with the generated files' : 'upstream-only: the generated baseline still fails'}`, async () => {
      const before = await observeWithNginx(s, { build });
      expect(before.status).toBe(502);
      const plan = await planFor(s, build.version);
      const conf = plan.files.find((f) => f.name === 'upstream-ssl.conf')?.content;
      const bundle = plan.files.find((f) => f.name === 'trusted-ca.pem')?.content;
      expect(conf, JSON.stringify(plan)).toBeDefined();
      expect(bundle).toBeDefined();
      expect(conf).not.toMatch(/proxy_ssl_verify\s+off|SECLEVEL/i);
      const files: Record<string, string> = { 'trusted-ca.pem': bundle! };
      let text = conf!;
      let manual = false;
      if (plan.directives.some((d) => d.line.includes(CLIENT_CERT_PLACEHOLDER))) {
        text = placeClientCert(text, files);
        manual = true;
      }
      if (MANUAL[s.id]) {
        text = MANUAL[s.id](text, files);
        manual = true;
      }
      files['upstream-ssl.conf'] = text;
      const after = await observeWithNginx(s, { directives: ['include upstream-ssl.conf'], files, build });
      rows.push({ build, id: s.id, before: before.status, after: after.status, manual, verified: plan.verified });
      if (s.expected.fixable) {
        expect(plan.nginxFixable).toBe(true);
        expect({ status: after.status, lines: after.lines }, text).toEqual({ status: 200, lines: [] });
        if (!manual) expect(plan.verified).toBe(true);
      } else {
        expect(plan.nginxFixable).toBe(false);
        expect(plan.upstreamChanges.length).toBeGreaterThan(0);
        expect(after.status).toBe(502);
      }
    });
  }

  it('plain-http: fixable in the manifest only by dropping TLS; the plan names the upstream fix instead', async () => {
    const s = scenarios().find((x) => x.id === 'plain-http')!;
    const before = await observeWithNginx(s, { build });
    rows.push({ build, id: s.id, before: before.status, after: null, manual: false, verified: null });
    expect(before.status).toBe(502);
    const plan = await planFor(s, build.version);
    expect(plan.nginxFixable).toBe(false);
    expect(plan.upstreamChanges.join('\n')).toMatch(/Enable TLS on 127\.0\.0\.1:\d+/);
  });
});
