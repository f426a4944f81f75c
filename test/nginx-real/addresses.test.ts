/**
 * Real nginx over several addresses: an upstream block whose servers are 127.0.0.2, 127.0.0.3 and ::1 (the
 * addresses a name with three A/AAAA records becomes), one of them a node that forgot its intermediate. tlsdoctor
 * probes each address (runProbeAddresses, through a DNS server on loopback) and predicts requests 1..N with
 * src/nginx/balancing.ts; nginx answers the same N requests. Compared: each status, and each request's log lines
 * (level, message, peer), in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbeAddresses } from '../../src/cli/run-probe-addresses.js';
import { settingsFromOptions } from '../../src/cli/nginx-options.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { pemToDers, fixturePath, readFixture, FIXTURE_CLOCK } from '../helpers/fixtures.js';
import { predictRequests, type BalancedPeer } from '../../src/nginx/balancing.js';
import type { NextUpstreamPolicy } from '../../src/nginx/location-outcome.js';
import { nginxBuildInfo, nginxUnavailableReason, parseErrorLog, startNginx } from '../helpers/nginx.js';
import { checkExternal } from '../helpers/externals.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { ipv6Loopback, startMultiAddressUpstream, type MultiAddressUpstream } from '../helpers/multi-address.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping real-nginx address tests: ${unavailable}`);
const third = ipv6Loopback() ? '::1' : '127.0.0.4';
const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a);

let up: MultiAddressUpstream;
let allBad: MultiAddressUpstream;
let dns: TestDnsServer;

beforeAll(async () => {
  if (unavailable) return;
  up = await startMultiAddressUpstream({ '127.0.0.2': 'healthy', '127.0.0.3': 'leaf-only-sent', [third]: 'healthy' });
  allBad = await startMultiAddressUpstream({ '127.0.0.2': 'leaf-only-sent', '127.0.0.3': 'self-signed-leaf' });
  dns = await startDnsServer({ 'upstream.test': ['127.0.0.2', '127.0.0.3', third], 'bad.test': ['127.0.0.2', '127.0.0.3'] });
});
afterAll(async () => {
  await up?.close();
  await allBad?.close();
  await dns?.close();
});

/** tlsdoctor's verdict per address, as `probe NAME:PORT --resolver` computes it. */
async function verdicts(name: string, port: number) {
  const version = nginxBuildInfo().version;
  const settings = settingsFromOptions({ proxySslName: 'upstream.test', nginxVersion: version } as never, name);
  const trusted = pemToDers(readFixture('root.pem')).map((d) => parseCertificate(d));
  const r = await runProbeAddresses({
    input: `${name}:${port}`, host: name, port, settings, trusted, trust: { source: 'bundle', files: [fixturePath('root.pem')], count: 1 },
    pool: [], timeoutMs: 5000, fetch: false, at: FIXTURE_CLOCK, installPath: '/tmp/x.pem', notes: [], resolver: dns.address,
  });
  return r;
}

interface Observed {
  status: number;
  lines: string[];
}

/** What one nginx did with `count` requests, each request's [warn]+ lines with the peer they name. */
async function nginxRequests(servers: string[], port: number, policy: string, count: number): Promise<Observed[]> {
  const lines = servers.map((a) => `        server ${bracket(a)}:${port} fail_timeout=60s;`).join('\n');
  const nginx = await startNginx({
    config: `    upstream backend {\n${lines}\n    }
    server {
        listen 127.0.0.1:__PORT__;
        location / {
            proxy_pass https://backend;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${fixturePath('root.pem')};
            proxy_ssl_name upstream.test;
            proxy_connect_timeout 5s;
            ${policy}
        }
    }`,
  });
  try {
    const out: Observed[] = [];
    for (let i = 0; i < count; i++) {
      const { status } = await nginx.request('/');
      const logged = parseErrorLog(nginx.takeErrorLog().join('\n'));
      out.push({ status, lines: logged.map((l) => `[${l.level}] ${l.message} @${/upstream: "https:\/\/([^/]+)\//.exec(l.raw)?.[1] ?? ''}`) });
    }
    return out;
  } finally {
    await nginx.stop();
  }
}

function predicted(peers: BalancedPeer[], policy: NextUpstreamPolicy, count: number): Observed[] {
  const p = predictRequests(peers, policy, count)!;
  return p.requests.map((r) => ({
    status: r.status,
    lines: r.lines.map((l) => `[${l.level}] ${l.error} @${l.server || 'backend'}`),
  }));
}

async function peersOf(name: string, port: number): Promise<BalancedPeer[]> {
  const r = await verdicts(name, port);
  return r.addresses.addresses.map((a) => ({
    address: `${bracket(a.address)}:${port}`,
    server: `${bracket(a.address)}:${port}`,
    weight: 1,
    maxFails: 1,
    failTimeoutS: 60,
    backup: false,
    down: false,
    outcome: { ok: a.verdict === 'ok', status: a.status, level: a.level, error: a.error, verifyCode: a.verifyCode, stage: a.verdict === 'ok' ? 'ok' : 'verify' },
  }));
}

describe.skipIf(!!unavailable)('every address, with real nginx', () => {
  it('one bad node of three, proxy_next_upstream off: the failing requests and their lines match', async () => {
    const peers = await peersOf('upstream.test', up.port);
    expect(peers.map((p) => p.outcome!.ok)).toEqual([true, false, true]);
    const want = predicted(peers, { error: false, timeout: false, tries: 0, source: null }, 9);
    const got = await nginxRequests(['127.0.0.2', '127.0.0.3', third], up.port, 'proxy_next_upstream off;', 9);
    expect(got).toEqual(want);
    expect(got.filter((r) => r.status === 502)).toHaveLength(1);
  });

  it('one bad node of three, nginx\'s default next_upstream: no request fails, one logs the node', async () => {
    const peers = await peersOf('upstream.test', up.port);
    const want = predicted(peers, { error: true, timeout: true, tries: 0, source: null }, 9);
    const got = await nginxRequests(['127.0.0.2', '127.0.0.3', third], up.port, '', 9);
    expect(got).toEqual(want);
    expect(got.every((r) => r.status === 200)).toBe(true);
  });

  it('every node bad: request 1 fails on both, then "no live upstreams"', async () => {
    const peers = await peersOf('bad.test', allBad.port);
    const want = predicted(peers, { error: true, timeout: true, tries: 0, source: null }, 4);
    const got = await nginxRequests(['127.0.0.2', '127.0.0.3'], allBad.port, '', 4);
    expect(got).toEqual(want);
    expect(got[1].lines).toEqual(['[error] no live upstreams while connecting to upstream @backend']);
  });
});
