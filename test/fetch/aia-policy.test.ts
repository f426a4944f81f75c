/**
 * The address policy enforced on AIA fetches, end to end against a server on 127.0.0.1 only. Refusals of
 * link-local and metadata addresses are proven with a stub resolver and a connector that records every attempt:
 * no test here sends a packet anywhere but loopback, even when the code under test is wrong (a wrong refusal
 * would at worst connect to 127.0.0.x, and names are `localhost`, which the system resolves from /etc/hosts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRules, fetchPolicy } from '../../src/fetch/address-policy.js';
import { fetchCaIssuers, type FetchCaIssuersOptions } from '../../src/fetch/aia.js';
import { pinnedLookup, type ResolvedAddress } from '../../src/fetch/destination.js';
import { TestPki } from '../certs/test-pki.js';

let server: Server;
let port: number;
let base: string;
let pki: TestPki;
const requests: string[] = [];
let connections = 0;

const opts: FetchCaIssuersOptions = { timeoutMs: 3_000, maxBytes: 64 * 1024, maxRedirects: 3 };

beforeAll(async () => {
  pki = new TestPki();
  const root = pki.root('Policy Root');
  const inter = pki.issue('Policy Intermediate', root, { ca: true });
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/inter.der') {
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      res.end(Buffer.from(inter.der));
    } else if (req.url === '/silent') {
      // never answers: the fetch's deadline must end it
    } else if (req.url?.startsWith('/to/')) {
      res.writeHead(302, { location: decodeURIComponent(req.url.slice(4)) });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  pki.cleanup();
});

/** A connector that records what it is asked to connect to and what the pinned lookup answered. */
function recordingConnector(log: { hosts: string[]; answers: unknown[] }, allowConnect = true) {
  return (lookup: LookupFunction) => {
    const recording: LookupFunction = (host, options, callback) =>
      lookup(host, options, (err, address, family) => {
        log.answers.push(err ? (err as NodeJS.ErrnoException).code : address);
        callback(err, address, family);
      });
    const real = buildConnector({ timeout: 2_000, lookup: recording });
    const connector: buildConnector.connector = (o, callback) => {
      log.hosts.push(o.hostname);
      if (!allowConnect) throw new Error(`test: connect to ${o.hostname} attempted`);
      return real(o, callback);
    };
    return connector;
  };
}

/** A resolver stub answering from a table, counting calls; never asks DNS. */
function stubResolver(table: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolveHost = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const n = calls.filter((h) => h === host).length;
    return answers[Math.min(n, answers.length) - 1].map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { calls, resolveHost };
}

describe('AIA fetches and the address policy', () => {
  it('fetches from loopback by default (internal PKIs)', async () => {
    const r = await fetchCaIssuers(`${base}/inter.der`, opts);
    expect(r.ok).toBe(true);
  });

  it('--fetch-deny 127.0.0.0/8: refused, reported, and the server sees no connection', async () => {
    const before = { requests: requests.length, connections };
    const refused: string[] = [];
    const r = await fetchCaIssuers(`${base}/inter.der`, {
      ...opts,
      addressPolicy: fetchPolicy([], parseRules(['127.0.0.0/8'], 'deny', '--fetch-deny')),
      onRefused: (url, because) => refused.push(`${url} ${because}`),
    });
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(r.ok || r.detail).toBe(`127.0.0.1 is refused by 127.0.0.0/8: --fetch-deny (allow it with --fetch-allow 127.0.0.1): ${base}/inter.der`);
    expect(refused).toEqual([`${base}/inter.der 127.0.0.1 is refused by 127.0.0.0/8: --fetch-deny (allow it with --fetch-allow 127.0.0.1)`]);
    expect({ requests: requests.length, connections }).toEqual(before);
  });

  it('a redirect from an allowed loopback address to a denied one is refused before connecting to it', async () => {
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const target = `http://127.0.0.2:${port}/inter.der`;
    const before = requests.length;
    const r = await fetchCaIssuers(`${base}/to/${encodeURIComponent(target)}`, {
      ...opts,
      addressPolicy: fetchPolicy([], parseRules(['127.0.0.2'], 'deny', '--fetch-deny')),
      connect: recordingConnector(log),
    });
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(r.ok || r.detail).toBe(
      `redirect from ${base}/to/${encodeURIComponent(target)}: 127.0.0.2 is refused by 127.0.0.2/32: --fetch-deny (allow it with --fetch-allow 127.0.0.2): ${target}`,
    );
    expect(requests.slice(before)).toEqual([`/to/${encodeURIComponent(target)}`]);
    expect(log.hosts).toEqual(['127.0.0.1']);
  });

  it('refuses a name resolving to the metadata address without connecting (stub resolver)', async () => {
    const { calls, resolveHost } = stubResolver({ localhost: [['169.254.169.254']] });
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const r = await fetchCaIssuers(`http://localhost:${port}/inter.der`, { ...opts, resolveHost, connect: recordingConnector(log, false) });
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(r.ok || r.detail).toContain('localhost resolves to 169.254.169.254; 169.254.169.254 is refused by 169.254.169.254/32: cloud instance metadata');
    expect(calls).toEqual(['localhost']);
    expect(log.hosts).toEqual([]);
  });

  it('refuses metadata and link-local literals and the GCP metadata name without resolving or connecting', async () => {
    const { calls, resolveHost } = stubResolver({});
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::a9fe:a9fe]/', 'http://[::ffff:a9fe:a9fe]/', 'http://100.100.100.200/', 'http://metadata.google.internal/computeMetadata/v1/']) {
      const r = await fetchCaIssuers(url, { ...opts, resolveHost, connect: recordingConnector(log, false) });
      expect(r, url).toMatchObject({ ok: false, reason: 'blocked' });
    }
    expect(calls).toEqual([]);
    expect(log.hosts).toEqual([]);
  });

  it('a redirect to a name resolving to link-local is refused (the redirect is checked after resolution too)', async () => {
    const { resolveHost } = stubResolver({ localhost: [['169.254.0.7']] });
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const target = `http://localhost:${port}/inter.der`;
    const r = await fetchCaIssuers(`${base}/to/${encodeURIComponent(target)}`, { ...opts, resolveHost, connect: recordingConnector(log) });
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(r.ok || r.detail).toContain('169.254.0.0/16: link-local (RFC 3927)');
    expect(log.hosts).toEqual(['127.0.0.1']);
  });

  it('connects to the address it checked: one resolution per URL, the lookup replays it (no rebinding)', async () => {
    // First answer allowed; any later resolution would answer an address the policy refuses.
    const { calls, resolveHost } = stubResolver({ localhost: [['127.0.0.1'], ['127.0.0.3']] });
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const r = await fetchCaIssuers(`http://localhost:${port}/inter.der`, {
      ...opts,
      resolveHost,
      addressPolicy: fetchPolicy([], parseRules(['127.0.0.3'], 'deny', '--fetch-deny')),
      connect: recordingConnector(log),
    });
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['localhost']);
    expect(log.hosts).toEqual(['localhost']);
    // net.connect asks with `all: true` (autoSelectFamily): the whole checked answer, and nothing else.
    expect(log.answers).toEqual([[{ address: '127.0.0.1', family: 4 }]]);
  });

  it('--fetch-allow lifts the metadata refusal (policy only: the stub connector refuses to connect)', async () => {
    const { resolveHost } = stubResolver({ localhost: [['169.254.169.254']] });
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const r = await fetchCaIssuers(`http://localhost:${port}/inter.der`, {
      ...opts,
      resolveHost,
      addressPolicy: fetchPolicy(parseRules(['169.254.169.254'], 'allow', '--fetch-allow')),
      connect: recordingConnector(log, false),
    });
    // Allowed by the policy, so a connection is attempted (and stopped by the test's connector).
    expect(r).toMatchObject({ ok: false, reason: 'network' });
    expect(log.hosts).toEqual(['localhost']);
  });

  it('the time spent resolving for the check counts in the fetch deadline', async () => {
    const resolveHost = async (): Promise<ResolvedAddress[]> => {
      await new Promise((r) => setTimeout(r, 700));
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const t0 = performance.now();
    const r = await fetchCaIssuers(`http://localhost:${port}/silent`, { ...opts, timeoutMs: 1_000, resolveHost });
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    // 700 ms resolving + a fresh 1000 ms for the request would be 1700 ms.
    expect(elapsed).toBeLessThan(1_450);
  });

  it('a resolver slower than the whole deadline is a timeout', async () => {
    const resolveHost = () => new Promise<ResolvedAddress[]>(() => undefined);
    const r = await fetchCaIssuers(`http://localhost:${port}/inter.der`, { ...opts, timeoutMs: 200, resolveHost });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('a name that does not resolve fails like a network error, not a refusal', async () => {
    const { resolveHost } = stubResolver({});
    const log = { hosts: [] as string[], answers: [] as unknown[] };
    const r = await fetchCaIssuers(`http://localhost:${port}/inter.der`, { ...opts, resolveHost, connect: recordingConnector(log, false) });
    expect(r).toMatchObject({ ok: false, reason: 'network' });
    expect(r.ok || r.detail).toContain('ENOTFOUND');
    expect(log.hosts).toEqual([]);
  });
});

describe('pinnedLookup', () => {
  const ask = (lookup: LookupFunction, host: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<{ err: string | null; address: unknown; family?: number }>((resolve) =>
      lookup(host, options, (err, address, family) => resolve({ err: err ? (err.code ?? err.message) : null, address, family })),
    );
  const answers: Record<string, ResolvedAddress[]> = { 'pki.example': [{ address: '10.0.0.5', family: 4 }, { address: 'fd00::5', family: 6 }] };
  const lookup = pinnedLookup((h) => answers[h]);

  it('answers from the pins, in net.connect and getaddrinfo shapes, case-insensitively', async () => {
    expect(await ask(lookup, 'PKI.example.')).toEqual({ err: null, address: '10.0.0.5', family: 4 });
    expect(await ask(lookup, 'pki.example', { family: 6 })).toEqual({ err: null, address: 'fd00::5', family: 6 });
    expect((await ask(lookup, 'pki.example', { all: true })).address).toEqual([
      { address: '10.0.0.5', family: 4 },
      { address: 'fd00::5', family: 6 },
    ]);
  });

  it('fails closed for a host that was never checked', async () => {
    expect((await ask(lookup, 'other.example')).err).toBe('ERR_UNCHECKED_DESTINATION');
  });
});
