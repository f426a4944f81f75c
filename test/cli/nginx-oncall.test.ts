/**
 * The on-call screen of `tlsdoctor nginx` (issue 14): the summary table first, --only-failing, a bundle of the
 * same configuration that holds the missing root, --intermediates, and what clients get when nginx does not start.
 * Fixture servers on 127.0.0.1 only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PKI_DIR, readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-nginx-oncall-'));
const write = (rel: string, content: string): string => {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};

let healthy: ScenarioServer;
let otherCa: ScenarioServer;
let leafOnly: ScenarioServer;
let conf: string;

beforeAll(async () => {
  healthy = await startScenarioServer('healthy');
  otherCa = await startScenarioServer('wrong-ca-bundle');
  leafOnly = await startScenarioServer('leaf-only-sent');
  write('trusted/root.pem', readFixture('root.pem'));
  write('trusted/other-root.pem', readFixture('other-root.pem'));
  conf = write(
    'nginx.conf',
    `events {}
http {
  proxy_ssl_verify on;
  proxy_ssl_name upstream.test;
  server {
    listen 8080;
    location /ok/ { proxy_ssl_trusted_certificate trusted/root.pem; proxy_pass https://127.0.0.1:${healthy.port}; }
    location /wrong-bundle/ { proxy_ssl_trusted_certificate trusted/other-root.pem; proxy_pass https://127.0.0.1:${otherCa.port}; }
    location /leaf-only/ { proxy_ssl_trusted_certificate trusted/root.pem; proxy_pass https://127.0.0.1:${leafOnly.port}; }
  }
}
`,
  );
});

afterAll(async () => {
  for (const s of [healthy, otherCa, leafOnly]) await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const V = ['--nginx-version', '1.22.1', '--no-fetch'];

/** Ports and this run's temp directory vary: the snapshot holds neither (nor the table padding they change). */
function normalise(text: string): string {
  const out = text
    .split(dir).join('<dir>')
    .split(PKI_DIR).join('<pki>')
    .replaceAll(`:${healthy.port}`, ':<healthy>')
    .replaceAll(`:${otherCa.port}`, ':<other-ca>')
    .replaceAll(`:${leafOnly.port}`, ':<leaf-only>')
    .replace(/\b([0-9A-F]{2}:){31}[0-9A-F]{2}\b/g, '<sha256>')
    .replace(/\b[0-9a-f]{40}\b/g, '<keyid>');
  return out.replace(/(\S) {2,}/g, '$1  ');
}

describe('tlsdoctor nginx: the on-call screen', () => {
  it('starts with one row per location: where, upstream, verdict, cause', async () => {
    const run = await runCli(['nginx', conf, ...V]);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    const head = lines.findIndex((l) => /^\s+WHERE\s+BLOCK\s+UPSTREAM\s+VERDICT\s+CAUSE$/.test(l));
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toMatch(/nginx\.conf:7\s+location \/ok\/\s+https:\/\/127\.0\.0\.1:\d+\s+OK\s+-$/);
    expect(lines[head + 2]).toMatch(/location \/wrong-bundle\/.*FAIL 502\s+UNKNOWN_CA/);
    expect(lines[head + 3]).toMatch(/location \/leaf-only\/.*FAIL 502\s+MISSING_INTERMEDIATE/);
    // The table comes before the first location's details.
    expect(head).toBeLessThan(lines.findIndex((l) => /^\S+nginx\.conf:7\s+location \/ok\//.test(l)));
    expect(normalise(run.stdout)).toMatchSnapshot();
  });

  it('names another bundle of the same configuration that holds the root the chain needs', async () => {
    const run = await runCli(['nginx', conf, ...V]);
    expect(run.stdout).toContain(
      `note: ${join(dir, 'trusted/root.pem')}, the proxy_ssl_trusted_certificate of https://127.0.0.1:${healthy.port} (${conf}:7), holds "O=tlsdoctor fixtures,CN=tlsdoctor Test Root CA", which this chain needs: use that file here, or add that certificate to ${join(dir, 'trusted/other-root.pem')}`,
    );
  });

  it("the fix anchors on a root another bundle of the configuration holds, named as yours, and is proven", async () => {
    // /wrong-bundle/ trusts other-root.pem; its chain's root is in trusted/root.pem, which /ok/ uses: a root the
    // user already trusts elsewhere, preferred by the path search over asking for one (issue 12).
    const doc = JSON.parse((await runCli(['nginx', conf, '--json', ...V])).stdout);
    const row = doc.upstreams.find((u: { settings: { trustedCertificate: { value: string } } }) => u.settings.trustedCertificate.value === 'trusted/other-root.pem');
    expect(row.findings.map((f: { code: string }) => f.code)).toContain('UNKNOWN_CA');
    expect(row.fix.trust).toEqual([
      expect.objectContaining({ role: 'root', origin: `your proxy_ssl_trusted_certificate ${join(dir, 'trusted/root.pem')}`, subject: 'O=tlsdoctor fixtures,CN=tlsdoctor Test Root CA' }),
    ]);
    expect(row.fix.verified).toBe(true);
  });

  it('--only-failing leaves the OK locations out and says how many', async () => {
    const run = await runCli(['nginx', conf, ...V, '--only-failing']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('location /ok/');
    expect(run.stdout).toContain('(1 location OK, not shown: --only-failing)');
    expect(run.stdout).toContain('location /leaf-only/');
  });

  it('--intermediates: the fix anchors on a pool certificate', async () => {
    const without = await runCli(['nginx', conf, ...V, '--only-failing']);
    const run = await runCli(['nginx', conf, ...V, '--only-failing', '--intermediates', join(PKI_DIR, 'int1.pem')]);
    expect(run.code).toBe(1);
    expect(without.stdout).not.toContain('origin: --intermediates');
    expect(run.stdout).toMatch(/intermediate: O=tlsdoctor fixtures,CN=tlsdoctor Test Intermediate CA/);
  });

  it('when nginx does not start, clients get connection refused, not 502', async () => {
    const broken = write(
      'broken/nginx.conf',
      `events {}
http {
  server {
    listen 8080;
    location /a/ { proxy_ssl_verify on; proxy_ssl_name upstream.test; proxy_pass https://127.0.0.1:${leafOnly.port}; }
  }
}
`,
    );
    const run = await runCli(['nginx', broken, ...V]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  nginx does not start: clients get connection refused (nothing is logged per request)');
    expect(run.stdout).not.toContain('FAIL  clients get 502');
    expect(run.stdout).toContain('once it starts, clients get 502; nginx logs:');
    expect(run.stdout).toMatch(/location \/a\/\s+https:\/\/127\.0\.0\.1:\d+\s+NO START/);
  });
});

describe('tlsdoctor nginx: paths', () => {
  it('a configured path with `..` is shown folded, with the form nginx opens after it', async () => {
    mkdirSync(join(dir, 'paths/front'), { recursive: true });
    write('paths/corp-roots.pem', readFixture('root.pem'));
    const conf2 = write(
      'paths/nginx.conf',
      `events {}
http {
  server {
    listen 8080;
    location / { proxy_ssl_verify on; proxy_ssl_name upstream.test; proxy_ssl_trusted_certificate front/../corp-roots.pem; proxy_pass https://127.0.0.1:${healthy.port}; }
  }
}
`,
    );
    const run = await runCli(['nginx', conf2, ...V]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`trusted ${join(dir, 'paths/corp-roots.pem')} (as written: ${join(dir, 'paths')}/front/../corp-roots.pem) (1 certs)`);
  });
});
