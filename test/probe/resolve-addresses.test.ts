/**
 * Every address of a name, as nginx resolves it: the system resolver (exercised only with an injected lookup or
 * `localhost`), or one DNS server given with --resolver (a test server on loopback: no query leaves the machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResolverAddress, resolveAddresses, MAX_ADDRESSES } from '../../src/probe/resolve-addresses.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startDnsServer({
    'app.test': ['127.0.0.2', '127.0.0.3', '::1'],
    'v6only.test': ['::1'],
    'many.test': Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`),
  });
});
afterAll(() => dns.close());

describe('resolveAddresses with --resolver', () => {
  it('returns every A then AAAA answer, as nginx\'s resolver orders them', async () => {
    const r = await resolveAddresses('app.test', { resolver: dns.address, timeoutMs: 2000 });
    expect(r).toEqual({
      ok: true,
      via: 'resolver',
      addresses: [
        { address: '127.0.0.2', family: 4 },
        { address: '127.0.0.3', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
  });

  it('accepts a name with only AAAA records', async () => {
    const r = await resolveAddresses('v6only.test', { resolver: dns.address, timeoutMs: 2000 });
    expect(r.ok && r.addresses).toEqual([{ address: '::1', family: 6 }]);
  });

  it('a name outside the zone fails with ENOTFOUND', async () => {
    const r = await resolveAddresses('missing.test', { resolver: dns.address, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, via: 'resolver', error: { code: 'ENOTFOUND' } });
  });

  it(`keeps at most ${MAX_ADDRESSES} addresses`, async () => {
    const r = await resolveAddresses('many.test', { resolver: dns.address, timeoutMs: 2000 });
    expect(r.ok && r.addresses.length).toBe(MAX_ADDRESSES);
  });

  it('an IP literal asks nothing', async () => {
    const before = dns.questions.length;
    const r = await resolveAddresses('::1', { resolver: dns.address, timeoutMs: 2000 });
    expect(r).toEqual({ ok: true, via: 'literal', addresses: [{ address: '::1', family: 6 }] });
    expect(dns.questions.length).toBe(before);
  });
});

describe('resolveAddresses with the system resolver', () => {
  it('keeps getaddrinfo\'s order and drops duplicates', async () => {
    const lookup = async () => [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    const r = await resolveAddresses('anything.test', { lookup, timeoutMs: 1000 });
    expect(r.ok && r.addresses.map((a) => a.address)).toEqual(['::1', '127.0.0.1']);
  });

  it('a lookup error is a failure with its code', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND x.test'), { code: 'ENOTFOUND' });
    };
    expect(await resolveAddresses('x.test', { lookup, timeoutMs: 1000 })).toMatchObject({ ok: false, error: { code: 'ENOTFOUND' } });
  });

  it('localhost resolves to loopback addresses only', async () => {
    const r = await resolveAddresses('localhost', { timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    if (r.ok) for (const a of r.addresses) expect(['127.0.0.1', '::1']).toContain(a.address);
  });
});

describe('parseResolverAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1:53'],
    ['127.0.0.1:5353', '127.0.0.1:5353'],
    ['[::1]:5353', '[::1]:5353'],
    ['::1', '[::1]:53'],
  ])('%s → %s', (text, want) => expect(parseResolverAddress(text)).toBe(want));
  it.each(['dns.example', '127.0.0.1:0', '127.0.0.1:99999', '[::1', ''])('refuses %j', (text) => expect(parseResolverAddress(text)).toBeNull());
});
