/**
 * host-match.ts against node:crypto's checkHost() (OpenSSL 3.0's X509_check_host with flags 0, what nginx calls):
 * every pattern × host pair of a table, then whole certificates, then the 10,000-SAN regression (issue: name
 * matching was quadratic in the number of SANs).
 */
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { hostIdentifiers, hostMatches, identifiersMatchingThemselves, patternMatchesHost } from '../../src/certs/host-match.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { chooseProxySslName } from '../../src/remediation/proxy-ssl-name.js';
import { CN, ext, ia5, name, rawCert, seq, tlv, utf8, type Der } from './helpers/raw-cert.js';

const SAN = '2.5.29.17';
const dns = (n: string): Der => tlv(0x82, Buffer.from(n, 'latin1'));
const withSans = (names: string[], cn = 'subject.test'): Cert =>
  parseCertificate(rawCert({ subject: name([CN, utf8(cn)]), extensions: names.length > 0 ? [ext(SAN, seq(...names.map(dns)))] : [] }));
const withCns = (...values: Der[]): Cert => parseCertificate(rawCert({ subject: name(...values.map((v): [string, Der] => [CN, v])) }));

const PATTERNS = [
  'www.a.test', 'WWW.A.TEST', '*.a.test', '*.test', '*', 'f*.a.test', '*o.a.test', 'f*o.a.test', 'www.*.test', '*.*.test',
  'xn--*.a.test', '*.xn--bcher-kva.test', 'x*.xn--a.test', '-www.a.test', 'www-.a.test', 'www..a.test', '.a.test', 'a.test.',
  '*.a.test.', 'www.a_b.test', '*.a_b.test', 'w*w.a.test', '**.a.test', '*.a-.test', 'localhost', '*.localhost', 'www.a.test\0',
];
const HOSTS = [
  'www.a.test', 'WWW.a.TeSt', 'foo.a.test', 'fo.a.test', 'o.a.test', 'f.a.test', 'a.test', 'x.y.a.test', '*.a.test', 'w.a.test',
  'xn--bcher-kva.a.test', 'xn--a.a.test', 'abc.xn--bcher-kva.test', 'www.a.test.', 'www.a_b.test', 'x.a_b.test', 'localhost',
  'x.localhost', 'ww-w.a.test', 'www.b.test', 'www.a.test.b', '-x.a.test', 'x_y.a.test',
];

describe('patternMatchesHost is equal_wildcard (X509_check_host, flags 0)', () => {
  const certs = new Map(PATTERNS.map((p) => [p, withSans([p])]));
  it.each(PATTERNS)('pattern %j agrees with checkHost on every host', (pattern) => {
    const cert = certs.get(pattern)!;
    const disagreements = HOSTS.filter((h) => patternMatchesHost(pattern, h) !== (cert.native.checkHost(h) !== undefined));
    expect(disagreements).toEqual([]);
  });
});

describe('identifiersMatchingThemselves answers checkHost(cert, identifier) for every identifier', () => {
  const cases: [string, Cert][] = [
    ['DNS SANs of every shape', withSans(PATTERNS.filter((p) => !p.includes('\0')))],
    ['CNs only', withCns(utf8('a.test'), ia5('B.test'), utf8('*.c.test'))],
    // tag2nbyte[] has no entry for BIT STRING: ASN1_STRING_to_UTF8 fails, do_check_string returns -1, the search stops.
    ['an unconvertible CN stops the search', withCns(utf8('a.test'), utf8('*.c.test'), tlv(0x03, Uint8Array.of(0, 0x41)), utf8('b.test'), utf8('x.c.test'), utf8('A.TEST'))],
  ];
  it.each(cases)('%s', (_what, cert) => {
    const ids = hostIdentifiers(cert);
    const ours = identifiersMatchingThemselves(ids);
    const plain = (n: string | undefined) => n !== undefined && n.length > 0 && !/[*\0]/.test(n) && !n.startsWith('.');
    ids.names.forEach((n, i) => {
      if (!plain(n)) return;
      expect([n, ours[i]]).toEqual([n, hostMatches(cert, n!)]);
    });
    expect(ids.names.some(plain)).toBe(true);
  });

  it('hostMatches() reports no match where checkHost() throws (X509_check_host returned -1)', () => {
    const cert = cases[2][1];
    expect(() => cert.native.checkHost('b.test')).toThrow();
    expect(hostMatches(cert, 'b.test')).toBe(false);
    expect(hostMatches(cert, 'a.test')).toBe(true);
  });
});

describe('regression: a certificate with 10,000 SANs and a name that does not match', () => {
  it('chooses a proxy_ssl_name without one checkHost() per SAN', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `h${i}.san.test`);
    const cert = withSans(names);
    let calls = 0;
    const native = cert.native;
    const counting = new Proxy(native, {
      get: (target, prop) => (prop === 'checkHost' ? (...a: [string]) => (calls++, target.checkHost(...a)) : Reflect.get(target, prop)),
    });
    const spied = Object.defineProperty({ ...cert }, 'native', { get: () => counting });
    const started = process.hrtime.bigint();
    const choice = chooseProxySslName(spied as Cert, 'nomatch.other.test');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(choice).toEqual({ kind: 'name', name: 'h0.san.test', from: 'dns-san' });
    expect(calls).toBe(0);
    // Generous bound (loaded CI machines); the quadratic version took ~19 s.
    expect(ms).toBeLessThan(5_000);
  });
});
