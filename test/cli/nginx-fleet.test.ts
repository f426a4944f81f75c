/**
 * `tlsdoctor nginx` over every address and every request: an upstream block whose server name has three addresses
 * (one node without its intermediate), resolved by a DNS server on loopback; and two locations reaching one server
 * with different bundles, whose verdicts depend on request order through the shared session cache.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { fixturePath } from '../helpers/fixtures.js';
import { ipv6Loopback, startMultiAddressUpstream, type MultiAddressUpstream } from '../helpers/multi-address.js';

const third = ipv6Loopback() ? '::1' : '127.0.0.4';
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-fleet-'));
let up: MultiAddressUpstream;
let dns: TestDnsServer;

beforeAll(async () => {
  up = await startMultiAddressUpstream({ '127.0.0.2': 'healthy', '127.0.0.3': 'leaf-only-sent', [third]: 'healthy' });
  dns = await startDnsServer({ 'upstream.test': ['127.0.0.2', '127.0.0.3', third] });
});
afterAll(async () => {
  await up?.close();
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(): string {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `events {}
http {
  proxy_ssl_verify on;
  proxy_ssl_name upstream.test;
  upstream backend { server upstream.test:${up.port}; }
  server {
    listen 8080;
    location /api/ { proxy_pass https://backend; proxy_ssl_trusted_certificate ${fixturePath('root.pem')}; proxy_next_upstream off; }
    location /partial/ { proxy_pass https://127.0.0.2:${up.port}/; proxy_ssl_trusted_certificate ${fixturePath('int1.pem')}; }
    location /vault/ { proxy_pass https://127.0.0.2:${up.port}/; proxy_ssl_trusted_certificate ${fixturePath('root.pem')}; }
  }
}
`);
  return conf;
}

const ARGS = () => ['--resolver', dns.address, '--nginx-version', '1.22.1', '--no-fetch'];

describe('nginx: every address, every request, request order', () => {
  it('JSON: per-address verdicts, requests 1..N, and the session order with its fix', async () => {
    const run = await runCli(['nginx', config(), '--json', ...ARGS()]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    const api = doc.upstreams.find((u: { location: string }) => u.location === '/api/');
    expect(api.addresses.map((a: { address: string; verdict: string }) => `${a.address} ${a.verdict}`)).toEqual(['127.0.0.2 ok', '127.0.0.3 fail', `${third} ok`]);
    const loc = doc.locations.find((l: { location: string }) => l.location === '/api/');
    // proxy_next_upstream off: the bad node's turn fails, then it is skipped for fail_timeout.
    expect(loc.requests.failed).toBe(1);
    expect(loc.requests.requests[1].lines[0].error).toContain('(21:unable to verify the first certificate)');
    expect(doc.sessionOrder).toHaveLength(1);
    expect(doc.sessionOrder[0].reuseOff).toEqual(['/partial/']);
    expect(doc.sessionOrder[0].remaining).toEqual([]);
    expect(doc.sessionOrder[0].effects.map((e: { first: string; then: string; kind: string }) => `${e.first}→${e.then} ${e.kind}`)).toEqual([
      '/partial/→/vault/ harmful',
      '/vault/→/partial/ hides',
    ]);
  });

  it('text: the address table, the failing request, and "after a request through /partial/, /vault/ gets 502 (2: ...)"', async () => {
    const run = await runCli(['nginx', config(), ...ARGS()]);
    expect(run.stdout).toContain('server upstream.test:' + up.port + ' resolves to 3 addresses (asked the resolver); nginx uses every one: 1 of 3 fail.');
    expect(run.stdout).toMatch(/Requests 1\.\.6 on a fresh nginx through proxy_pass https:\/\/backend \(proxy_next_upstream off\): 1 of 6 fail/);
    expect(run.stdout).toContain(
      'after a request through /partial/, /vault/ gets 502 (upstream SSL certificate verify error: (2:unable to get issuer certificate) while SSL handshaking to upstream) until the session expires',
    );
    expect(run.stdout).toContain('fix: proxy_ssl_session_reuse off; in /partial/ (or the same trust in every location): then no order changes any verdict (modelled).');
  });
});
