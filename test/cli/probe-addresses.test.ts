/**
 * `probe` judges every address of a name, as nginx round-robins over them: a node without its intermediate
 * behind a name with three addresses (127.0.0.2, 127.0.0.3, ::1), resolved by a DNS server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { FIXTURE_CLOCK, fixturePath } from '../helpers/fixtures.js';
import { ipv6Loopback, startMultiAddressUpstream, type MultiAddressUpstream } from '../helpers/multi-address.js';

const V6 = ipv6Loopback();
const third = V6 ? '::1' : '127.0.0.4';
let up: MultiAddressUpstream;
let dns: TestDnsServer;

beforeAll(async () => {
  up = await startMultiAddressUpstream({ '127.0.0.2': 'healthy', '127.0.0.3': 'leaf-only-sent', [third]: 'healthy', '127.0.0.5': 'healthy' });
  dns = await startDnsServer({ 'upstream.test': ['127.0.0.2', '127.0.0.3', third], 'one.test': ['127.0.0.5'] });
});
afterAll(async () => {
  await up?.close();
  await dns?.close();
});

const common = () => ['--ca', fixturePath('root.pem'), '--at', FIXTURE_CLOCK.toISOString(), '--no-fetch', '--resolver', dns.address];

describe('probe NAME with several addresses', () => {
  it('judges each address and predicts requests 1..N (JSON)', async () => {
    const run = await runCli(['probe', `upstream.test:${up.port}`, ...common(), '--json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.resolvedVia).toBe('resolver');
    expect(doc.addresses.map((a: { address: string; verdict: string }) => `${a.address} ${a.verdict}`)).toEqual(['127.0.0.2 ok', '127.0.0.3 fail', `${third} ok`]);
    expect(doc.addresses[1].error).toBe('upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
    // The detailed report is the failing node's.
    expect(doc.connection.address).toBe('127.0.0.3');
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('MISSING_INTERMEDIATE');
    // nginx's default proxy_next_upstream retries the next peer: no request fails, one logs the failure.
    expect(doc.balancing.failed).toBe(0);
    const loud = doc.balancing.requests.filter((r: { lines: unknown[] }) => r.lines.length > 0);
    expect(loud).toHaveLength(1);
    expect(loud[0].lines.map((l: { level: string }) => l.level)).toEqual(['error', 'warn']);
  });

  it('prints the per-address table after the report (text)', async () => {
    const run = await runCli(['probe', `upstream.test:${up.port}`, ...common()]);
    expect(run.stdout).toContain('upstream.test resolves to 3 addresses (asked --resolver); nginx uses every one: 1 of 3 fail.');
    expect(run.stdout).toMatch(/127\.0\.0\.3 +FAIL 502 \[error\] upstream SSL certificate verify error: \(21:/);
    expect(run.stdout).toContain(`Requests 1..6 on a fresh nginx through proxy_pass https://upstream.test:${up.port}`);
  });

  it('a name with one address: one probe, no table, addresses has one entry', async () => {
    const before = up.connections['127.0.0.5'];
    const run = await runCli(['probe', `one.test:${up.port}`, ...common(), '--proxy-ssl-name', 'upstream.test', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.addresses).toEqual([expect.objectContaining({ address: '127.0.0.5', verdict: 'ok', error: null })]);
    expect(doc.balancing).toBeNull();
    // As before this feature: one handshake for a healthy upstream, nothing more.
    expect(up.connections['127.0.0.5'] - before).toBe(1);
    const text = await runCli(['probe', `one.test:${up.port}`, ...common()]);
    expect(text.stdout).not.toContain('resolves to');
  });

  it('an IP literal asks the resolver nothing', async () => {
    const before = dns.questions.length;
    const run = await runCli(['probe', `127.0.0.2:${up.port}`, ...common(), '--proxy-ssl-name', 'upstream.test', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).resolvedVia).toBe('literal');
    expect(dns.questions.length).toBe(before);
  });

  it('a name the resolver does not know is DNS_FAILURE, and no other resolver is asked', async () => {
    const run = await runCli(['probe', `missing.test:${up.port}`, ...common(), '--json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('DNS_FAILURE');
    expect(doc.resolveError.code).toBe('ENOTFOUND');
    expect(doc.addresses).toEqual([]);
  });

  it('--resolver that is not an address is a usage error', async () => {
    const run = await runCli(['probe', `upstream.test:${up.port}`, '--resolver', 'dns.example']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--resolver: "dns.example" is not an IP address');
  });
});
