/**
 * probe beyond the scenario table: no --ca (system store), --out files, text layout, IPv6 and host-name targets.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CLOCK, fixturePath, readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { runCli } from '../helpers/cli.js';

const at = ['--at', FIXTURE_CLOCK.toISOString(), '--no-fetch'];
let leafOnly: ScenarioServer;
let healthy: ScenarioServer;
beforeAll(async () => {
  leafOnly = await startScenarioServer('leaf-only-sent');
  healthy = await startScenarioServer('healthy');
});
afterAll(async () => {
  await leafOnly.close();
  await healthy.close();
});

describe('probe without --ca', () => {
  it('judges against the system store and says nginx has no such default', async () => {
    const run = await runCli(['probe', `127.0.0.1:${healthy.port}`, '--proxy-ssl-name', 'upstream.test', '--json', ...at]);
    const doc = JSON.parse(run.stdout);
    expect(doc.settings.trustSource).toBe('system');
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('NO_TRUST_BUNDLE');
    // The fixture root is in no system store: nothing anchors the chain.
    expect(doc.nginx.ok).toBe(false);
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('UNKNOWN_CA');
    const text = await runCli(['probe', `127.0.0.1:${healthy.port}`, '--proxy-ssl-name', 'upstream.test', ...at]);
    expect(text.stdout).toMatch(/nginx has no (such )?default/);
  });
});

describe('probe --out', () => {
  const args = (dir: string) => [
    'probe', `127.0.0.1:${leafOnly.port}`, '--ca', fixturePath('root.pem'), '--intermediates', fixturePath('int1.pem'),
    '--proxy-ssl-name', 'upstream.test', '--out', dir, ...at,
  ];

  it('writes the three files, verified, without private keys or weakened verification', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tlsdoctor-out-')), 'new-subdir');
    const run = await runCli(args(dir));
    expect(run.code).toBe(1);
    for (const f of ['presented-chain.pem', 'trusted-ca.pem', 'upstream-ssl.conf']) expect(existsSync(join(dir, f))).toBe(true);
    const conf = readFileSync(join(dir, 'upstream-ssl.conf'), 'utf8');
    expect(conf).toMatch(/^proxy_ssl_verify on;$/m);
    expect(conf).toContain(`proxy_ssl_trusted_certificate ${join(dir, 'trusted-ca.pem')};`);
    expect(conf).not.toMatch(/proxy_ssl_verify\s+off|SECLEVEL=[01]/);
    const bundle = readFileSync(join(dir, 'trusted-ca.pem'), 'utf8');
    expect(bundle).toContain(readFixture('root.pem').trim());
    expect(bundle).toContain(readFixture('int1.pem').trim());
    expect(readFileSync(join(dir, 'presented-chain.pem'), 'utf8')).toContain(readFixture('leaf.pem').trim());
    for (const f of ['presented-chain.pem', 'trusted-ca.pem', 'upstream-ssl.conf']) {
      expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/PRIVATE KEY/);
    }
    expect(run.stdout).toMatch(/fix verified: yes/);
  });

  it('never overwrites without --force, and leaves the old files intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-out-'));
    writeFileSync(join(dir, 'trusted-ca.pem'), 'keep me\n');
    const run = await runCli(args(dir));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already exist.*--force/);
    expect(readFileSync(join(dir, 'trusted-ca.pem'), 'utf8')).toBe('keep me\n');
    const forced = await runCli([...args(dir), '--force']);
    expect(forced.code).toBe(1);
    expect(readFileSync(join(dir, 'trusted-ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('names --install-path in the snippet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-out-'));
    await runCli([...args(dir), '--install-path', '/etc/nginx/tls/upstream-ca.pem']);
    expect(readFileSync(join(dir, 'upstream-ssl.conf'), 'utf8')).toContain('proxy_ssl_trusted_certificate /etc/nginx/tls/upstream-ca.pem;');
  });
});

describe('probe text report', () => {
  it('puts the verdict and the exact log line first, then the chain, findings and fix', async () => {
    const run = await runCli(['probe', `127.0.0.1:${leafOnly.port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', ...at]);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^FAIL +nginx would answer 502/);
    expect(lines[1]).toBe('  [error] upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
    const order = ['Chain as sent', 'Trust path', 'Findings:', 'MISSING_INTERMEDIATE', 'Fix:'].map((h) => run.stdout.indexOf(h));
    expect(order.every((v) => v > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('targets', () => {
  it('probes [::1]:port and checks the name "[::1]" with brackets, as $proxy_host', async () => {
    const server = tls.createServer({ cert: readFixture('leaf.pem') + readFixture('int1.pem'), key: readFixture('leaf.key.pem') });
    server.on('tlsClientError', () => {});
    const port = await new Promise<number>((r) => server.listen(0, '::1', () => r((server.address() as { port: number }).port)));
    try {
      const run = await runCli(['probe', `[::1]:${port}`, '--ca', fixturePath('root.pem'), '--json', ...at]);
      const doc = JSON.parse(run.stdout);
      expect(doc.connection.outcome).toBe('handshake');
      expect(doc.settings.proxySslName).toBe('[::1]');
      expect(doc.nginx.error).toBe('upstream SSL certificate does not match "[::1]" while SSL handshaking to upstream');
    } finally {
      server.close();
    }
  });

  it('a host-name target is its own proxy_ssl_name (localhost is in the fixture leaf)', async () => {
    const run = await runCli(['probe', `localhost:${healthy.port}`, '--ca', fixturePath('root.pem'), '--json', '--timeout', '2000ms', ...at]);
    const doc = JSON.parse(run.stdout);
    expect(doc.settings.proxySslName).toBe('localhost');
    expect(doc.nginx.ok).toBe(true);
    expect(run.code).toBe(0);
  });
});
