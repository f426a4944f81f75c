/**
 * `check` and `serve` over every address of a name: three loopback addresses behind `upstream.test`, one of them a
 * node without its intermediate, resolved by a DNS server on loopback (--resolver).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAddresses } from '../../src/check/check-addresses.js';
import { startExporter, type RunningExporter } from '../../src/check/exporter.js';
import { cachedCheckDeps, resolveTarget } from '../../src/cli/check-targets.js';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { FIXTURE_CLOCK, fixturePath } from '../helpers/fixtures.js';
import { ipv6Loopback, startMultiAddressUpstream, type MultiAddressUpstream } from '../helpers/multi-address.js';
import { recordingIO } from './fake-io.js';

const third = ipv6Loopback() ? '::1' : '127.0.0.4';
let up: MultiAddressUpstream;
let dns: TestDnsServer;
let exporter: RunningExporter;
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-check-addr-'));

beforeAll(async () => {
  up = await startMultiAddressUpstream({ '127.0.0.2': 'healthy', '127.0.0.3': 'leaf-only-sent', [third]: 'healthy' });
  dns = await startDnsServer({ 'upstream.test': ['127.0.0.2', '127.0.0.3', third], 'good.test': ['127.0.0.2', third] });
  const io = recordingIO({ cwd: dir });
  const defaults = { ca: [fixturePath('root.pem')], timeoutMs: 3000, proxySslName: 'upstream.test' };
  exporter = await startExporter({
    host: '127.0.0.1', port: 0, listed: [], targetsOnly: false, allowedCa: new Set([fixturePath('root.pem')]),
    resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
    deps: cachedCheckDeps(io), check: checkAddresses({ resolver: dns.address }),
    thresholds: { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 }, defaultTimeoutMs: 3000, maxTimeoutMs: 5000, cwd: dir, now: () => FIXTURE_CLOCK,
  });
});
afterAll(async () => {
  await exporter?.close();
  await up?.close();
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ARGS = () => ['--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString(), '--resolver', dns.address];

describe('check over every address', () => {
  it('the target is its most urgent address; every address is in the JSON', async () => {
    const run = await runCli(['check', `upstream.test:${up.port}`, `good.test:${up.port}`, ...ARGS(), '--json']);
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    const [bad, good] = doc.targets;
    expect(bad.status).toBe('CRITICAL');
    expect(bad.reason).toContain('MISSING_INTERMEDIATE');
    expect(bad.addresses.map((a: { address: string; status: string }) => `${a.address} ${a.status}`)).toEqual(['127.0.0.2 OK', '127.0.0.3 CRITICAL', `${third} OK`]);
    expect(good.status).toBe('OK');
    expect(good.addresses).toHaveLength(2);
  });

  it('text: one line per address of a failing target', async () => {
    const run = await runCli(['check', `upstream.test:${up.port}`, ...ARGS()]);
    expect(run.stdout).toContain('  address 127.0.0.3: CRITICAL upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
  });

  it('an IP literal is one check, with one address', async () => {
    const before = dns.questions.length;
    const run = await runCli(['check', `127.0.0.2:${up.port}`, ...ARGS(), '--json']);
    expect(JSON.parse(run.stdout).targets[0].addresses).toEqual([{ address: '127.0.0.2', family: 4, verdict: 'ok', status: 'OK', error: null }]);
    expect(dns.questions.length).toBe(before);
  });
});

describe('serve over every address', () => {
  it('/probe answers one tlsdoctor_nginx_address_would_succeed series per address', async () => {
    const res = await fetch(`${exporter.url}/probe?${new URLSearchParams({ target: `upstream.test:${up.port}` })}`);
    const body = await res.text();
    const t = `upstream.test:${up.port}`;
    expect(body).toContain(`tlsdoctor_nginx_address_would_succeed{target="${t}",address="127.0.0.2"} 1`);
    expect(body).toContain(`tlsdoctor_nginx_address_would_succeed{target="${t}",address="127.0.0.3"} 0`);
    expect(body).toContain(`tlsdoctor_check_status{target="${t}",status="CRITICAL"} 1`);
  });
});
