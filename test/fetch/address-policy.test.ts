/**
 * The address policy as a pure function: parsing of CIDR|HOST lists, every spelling of an address, the
 * built-in refusals of AIA fetching, and the order in which rules decide. No DNS, no sockets.
 */
import { describe, expect, it } from 'vitest';
import {
  AddressListError,
  allowListPolicy,
  decideAddress,
  decideName,
  decideResolved,
  fetchPolicy,
  parseIp,
  parseRule,
  parseRules,
} from '../../src/fetch/address-policy.js';

const allow = (...v: string[]) => parseRules(v, 'allow', '--fetch-allow');
const deny = (...v: string[]) => parseRules(v, 'deny', '--fetch-deny');

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', 4, [127, 0, 0, 1]],
    ['::1', 6, [...new Array(15).fill(0), 1]],
    ['[::1]', 6, [...new Array(15).fill(0), 1]],
    ['::ffff:169.254.169.254', 4, [169, 254, 169, 254]],
    ['::ffff:a9fe:a9fe', 4, [169, 254, 169, 254]],
    ['[::FFFF:7f00:1]', 4, [127, 0, 0, 1]],
    ['fe80::1%eth0', 6, [0xfe, 0x80, ...new Array(13).fill(0), 1]],
    ['fd00:ec2::254', 6, [0xfd, 0, 0x0e, 0xc2, ...new Array(10).fill(0), 0x02, 0x54]],
    ['1:2:3:4:5:6:7:8', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ])('%s', (text, family, bytes) => {
    expect(parseIp(text)).toEqual({ family, bytes });
  });

  it.each(['256.0.0.1', '1.2.3', '010.0.0.1', '0x7f.0.0.1', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8:9', ':::', 'fe80::g', 'localhost', ''])(
    'not an address: %j',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});

describe('parseRule', () => {
  it('reads CIDR blocks, bare addresses and names, normalised', () => {
    expect(parseRule('10.0.0.0/8', 'allow', '--x')).toMatchObject({ kind: 'cidr', family: 4, prefix: 8, text: '10.0.0.0/8' });
    expect(parseRule('10.1.2.3', 'allow', '--x')).toMatchObject({ kind: 'cidr', prefix: 32, text: '10.1.2.3/32' });
    expect(parseRule('FE80::/10', 'allow', '--x')).toMatchObject({ kind: 'cidr', family: 6, prefix: 10, text: 'fe80::/10' });
    expect(parseRule('[::1]', 'allow', '--x')).toMatchObject({ kind: 'cidr', family: 6, prefix: 128, text: '::1/128' });
    // An IPv4-mapped block is the IPv4 block.
    expect(parseRule('::ffff:10.0.0.0/104', 'allow', '--x')).toMatchObject({ kind: 'cidr', family: 4, prefix: 8, text: '10.0.0.0/8' });
    expect(parseRule('PKI.Example.COM.', 'allow', '--x')).toMatchObject({ kind: 'name', name: 'pki.example.com' });
    expect(parseRule('0.0.0.0/0', 'allow', '--x')).toMatchObject({ prefix: 0 });
  });

  it.each([
    ['10.1.2.3/8', '--allow-targets 10.1.2.3/8: host bits set after /8 (did you mean 10.0.0.0/8?)'],
    ['10.0.0.0/33', '--allow-targets 10.0.0.0/33: prefix length out of range (0-32)'],
    ['fe80::/129', 'prefix length out of range (0-128)'],
    ['10.0.0.0/x', '"x" is not a prefix length'],
    ['pki.example/24', 'not an IP address, a CIDR block'],
    ['host:443', 'not an IP address, a CIDR block'],
    ['010.0.0.1', 'not an IP address, a CIDR block'],
    ['-bad.example', 'not an IP address, a CIDR block'],
    ['[pki.example]', 'not an IP address, a CIDR block'],
    ['a b', 'not an IP address, a CIDR block'],
  ])('refuses %j with a one-line message naming the option', (entry, message) => {
    let err: unknown;
    try {
      parseRule(entry, 'allow', '--allow-targets');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AddressListError);
    expect((err as AddressListError).code).toBe('BAD_ADDRESS_LIST');
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).toContain('--allow-targets');
    expect((err as Error).message).not.toContain('\n');
  });

  it('splits repeated and comma-separated values; an empty entry is an error', () => {
    expect(parseRules(['10.0.0.0/8,pki.example', '::1'], 'deny', '--fetch-deny').map((r) => r.text)).toEqual(['10.0.0.0/8', 'pki.example', '::1/128']);
    expect(() => parseRules(['10.0.0.0/8,'], 'deny', '--fetch-deny')).toThrow('--fetch-deny: empty entry');
  });
});

describe('the default AIA fetch policy', () => {
  const p = fetchPolicy();

  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '169.254.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    'fe80::a9fe:a9fe',
    'fe80::1%eth0',
    'febf:ffff::1',
    'fd00:ec2::254',
    '100.100.100.200',
    '168.63.129.16',
    '192.0.0.192',
    '0.0.0.0',
    '::',
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
  ])('refuses %s', (address) => {
    const v = decideAddress(p, address);
    expect(v.allowed).toBe(false);
    expect(v.because).toMatch(/is refused by .*\(allow it with --fetch-allow /);
  });

  it('names what the address is', () => {
    expect(decideAddress(p, '169.254.169.254').because).toBe(
      '169.254.169.254 is refused by 169.254.169.254/32: cloud instance metadata (AWS, GCP, Azure, OpenStack, Oracle Cloud) (allow it with --fetch-allow 169.254.169.254)',
    );
    expect(decideAddress(p, '169.254.1.1').because).toContain('169.254.0.0/16: link-local (RFC 3927)');
  });

  it.each(['127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', 'fd12::1', '100.100.100.201', '8.8.8.8', '2001:db8::1', '64:ff9b::808:808'])(
    'allows %s (loopback and private ranges stay allowed for internal PKIs)',
    (address) => expect(decideAddress(p, address).allowed).toBe(true),
  );

  it('refuses the GCP metadata name before resolving it', () => {
    expect(decideName(p, 'METADATA.google.internal.')).toMatchObject({ allowed: false });
    expect(decideName(p, 'pki.example')).toBeUndefined();
  });

  it('a name is refused when any of its addresses is', () => {
    expect(decideResolved(p, 'pki.example', ['10.0.0.5', '169.254.169.254'])).toEqual({
      allowed: false,
      because: expect.stringMatching(/^pki\.example resolves to 169\.254\.169\.254; 169\.254\.169\.254 is refused by /),
    });
    expect(decideResolved(p, 'pki.example', ['10.0.0.5', '::1']).allowed).toBe(true);
    expect(decideResolved(p, 'pki.example', []).allowed).toBe(false);
  });
});

describe('caller rules', () => {
  it('--fetch-allow lifts a built-in refusal, by address or by name', () => {
    const p = fetchPolicy(allow('169.254.169.254', 'metadata.google.internal'));
    expect(decideAddress(p, '169.254.169.254').allowed).toBe(true);
    expect(decideAddress(p, '169.254.1.1').allowed).toBe(false); // the rest of link-local stays refused
    expect(decideName(p, 'metadata.google.internal')?.allowed).toBe(true);
  });

  it('--fetch-deny refuses what is allowed by default', () => {
    const p = fetchPolicy([], deny('127.0.0.0/8', 'pki.example'));
    expect(decideAddress(p, '127.0.0.2')).toEqual({
      allowed: false,
      because: '127.0.0.2 is refused by 127.0.0.0/8: --fetch-deny (allow it with --fetch-allow 127.0.0.2)',
    });
    expect(decideAddress(p, '::ffff:127.0.0.1').allowed).toBe(false);
    expect(decideAddress(p, '::1').allowed).toBe(true);
    expect(decideName(p, 'PKI.example')?.allowed).toBe(false);
  });

  it('the most specific rule wins; deny wins at equal specificity; a name beats addresses', () => {
    const p = fetchPolicy(allow('10.0.0.0/24', '10.9.9.9', 'pki.example'), deny('10.0.0.0/8', '10.9.9.9', 'bad.example'));
    expect(decideAddress(p, '10.0.0.7').allowed).toBe(true); // /24 allow inside /8 deny
    expect(decideAddress(p, '10.1.0.7').allowed).toBe(false);
    expect(decideAddress(p, '10.9.9.9').allowed).toBe(false); // same /32 both ways
    expect(decideResolved(p, 'pki.example', ['10.1.0.7']).allowed).toBe(true); // listed by name
    expect(decideResolved(p, 'other.example', ['10.1.0.7']).allowed).toBe(false);
    // An allow-everything list with exceptions, and the reverse.
    const only = fetchPolicy(allow('10.0.0.0/8'), deny('0.0.0.0/0', '::/0'));
    expect(decideAddress(only, '10.2.3.4').allowed).toBe(true);
    expect(decideAddress(only, '8.8.8.8').allowed).toBe(false);
    expect(decideAddress(only, '2001:db8::1').allowed).toBe(false);
  });
});

describe('allow-lists (serve --allow-targets)', () => {
  const p = allowListPolicy(parseRules(['127.0.0.2/32,10.0.0.0/8', 'upstream.example', 'fd00::/8'], 'allow', '--allow-targets'), '--allow-targets');

  it('allows only what is listed', () => {
    expect(decideAddress(p, '127.0.0.2').allowed).toBe(true);
    expect(decideAddress(p, '::ffff:10.3.2.1').allowed).toBe(true);
    expect(decideAddress(p, 'fd00::5').allowed).toBe(true);
    expect(decideAddress(p, '127.0.0.1')).toEqual({ allowed: false, because: '127.0.0.1 is not in --allow-targets (add 127.0.0.1 to allow it)' });
    expect(decideAddress(p, '169.254.169.254').allowed).toBe(false);
    expect(decideAddress(p, 'not-an-address').allowed).toBe(false);
  });

  it('a name: listed by name, or every address inside the list', () => {
    expect(decideResolved(p, 'upstream.example', ['192.0.2.1']).allowed).toBe(true);
    expect(decideResolved(p, 'db.example', ['10.0.0.1', '10.0.0.2']).allowed).toBe(true);
    expect(decideResolved(p, 'db.example', ['10.0.0.1', '192.0.2.1'])).toMatchObject({ allowed: false, because: expect.stringContaining('db.example resolves to 192.0.2.1') });
  });

  it('an empty allow-list allows nothing', () => {
    const none = allowListPolicy([], '--allow-targets');
    expect(decideAddress(none, '127.0.0.1').allowed).toBe(false);
    expect(decideResolved(none, 'localhost', ['127.0.0.1']).allowed).toBe(false);
  });
});
