/**
 * The pre-deploy check's option checks and location selection (no network: a chain is judged offline; the
 * bundle check refuses before any probe when no location uses the file). Real nginx: test/nginx-real/predeploy.test.ts.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, readFixture } from '../helpers/fixtures.js';

let dir: string;
const NOW = new Date(FIXTURE_CLOCK);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-predeploy-'));
  mkdirSync(join(dir, 'trusted'));
  writeFileSync(join(dir, 'trusted', 'root.pem'), readFixture('root.pem'));
  writeFileSync(join(dir, 'new-chain.pem'), ['leaf-int2.pem', 'int2.pem', 'int1.pem'].map(readFixture).join(''));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `events {}
http {
  proxy_ssl_verify on;
  proxy_ssl_trusted_certificate trusted/root.pem;
  upstream backend { server 192.0.2.10:8443; }
  server {
    listen 8080;
    location /a/ { proxy_ssl_name upstream.test; proxy_pass https://192.0.2.10:8443; }
    location /b/ { proxy_ssl_name upstream.test; proxy_ssl_verify_depth 2; proxy_pass https://backend; }
    location /c/ { proxy_ssl_name other.test; proxy_pass https://192.0.2.99:443; }
  }
}
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(['verify', '--nginx-config', join(dir, 'nginx.conf'), '--nginx-version', '1.22.1', ...args], { now: NOW });

describe('verify --nginx-config', () => {
  it('judges a new chain offline against each location proxying to --upstream, with its settings', async () => {
    const run = await cli('--chain', join(dir, 'new-chain.pem'), '--upstream', '192.0.2.10:8443', '--json');
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as { ok: boolean; locations: { location: string; ok: boolean; logLine: string | null }[] };
    expect(doc.locations.map((l) => [l.location, l.ok])).toEqual([
      ['/a/', false],
      ['/b/', true],
    ]);
    expect(doc.locations[0].logLine).toMatch(/^\[error\] upstream SSL certificate verify error: \(\d+:/);
    expect(run.code).toBe(1);
  });

  it('without --upstream: the locations whose proxy_ssl_name the leaf is issued for', async () => {
    const run = await cli('--chain', join(dir, 'new-chain.pem'));
    expect(run.stdout).toContain('location /a/');
    expect(run.stdout).toContain('location /b/');
    expect(run.stdout).not.toContain('location /c/');
    expect(run.code).toBe(1);
  });

  it('--upstream naming an upstream block', async () => {
    const run = await cli('--chain', join(dir, 'new-chain.pem'), '--upstream', 'backend');
    expect(run.stdout).toContain('Result: every location (1) still verifies once the upstream serves this chain.');
    expect(run.code).toBe(0);
  });

  it.each([
    [[], '--nginx-config: give the new chain (--chain NEW.pem) or the new bundle (--ca NEW-BUNDLE.pem), or both'],
    [['--chain', 'NEW', '--upstream', '192.0.2.77:443'], '--upstream 192.0.2.77:443: no TLS location of'],
    // A bundle no location uses: refused before any probe (this test must not reach the TEST-NET addresses above).
    [['--ca', 'NEW'], 'no location of'],
    [['--replaces', 'x.pem', '--chain', 'NEW'], '--replaces names the file a new bundle replaces: give the bundle with --ca'],
  ])('usage errors exit 2 with one line: %j', async (args, message) => {
    const argv = args.map((a) => (a === 'NEW' ? join(dir, 'new-chain.pem') : a));
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
  });

  it('--upstream without --nginx-config is a usage error', async () => {
    const run = await runCli(['verify', '--chain', join(dir, 'new-chain.pem'), '--upstream', 'backend']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--upstream: only with --nginx-config CONF');
  });
});
