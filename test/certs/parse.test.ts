import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertParseError, parseCertificate } from '../../src/certs/parse.js';
import { summarizeCertificate } from '../../src/certs/summary.js';
import { EKU_SERVER, issue, standardChain } from '../chain/helpers/make-pki.js';
import { CN, O, bmp, bool, ext, genTime, int, name, octet, oid, printable, rawCert, seq, t61, tlv, utcTime, utf8 } from './helpers/raw-cert.js';

/** The subject as the real CLI prints it with -nameopt RFC2253. */
function opensslName(pem: string, which: 'subject' | 'issuer' = 'subject'): string {
  const out = execFileSync('openssl', ['x509', '-noout', `-${which}`, '-nameopt', 'RFC2253'], { input: pem, encoding: 'utf8' });
  return out.replace(/^(subject|issuer)=/, '').trim();
}

describe('parseCertificate: fields', () => {
  it('fills the model from a generated chain', async () => {
    const { root, inter, leaf } = await standardChain();
    const c = leaf.cert;
    expect(c.version).toBe(3);
    expect(c.sha256).toBe(createHash('sha256').update(c.der).digest('hex'));
    expect(c.sha256).toBe(c.native.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(c.subject).toBe('CN=host.test');
    // RFC 2253 order (most specific last in DER, first here), as `openssl x509 -nameopt RFC2253` prints it.
    expect(c.issuer).toBe(opensslName(inter.pem));
    expect(c.issuer).toBe('O=tlsdoctor,CN=Test Intermediate');
    expect(c.commonNames).toEqual(['host.test']);
    expect(c.serial).toBe(c.native.serialNumber.toUpperCase());
    expect(c.subjectAltNames).toEqual({ dns: ['host.test'], ip: [], email: [], uri: [], other: 0 });
    expect(c.extKeyUsage).toEqual([EKU_SERVER]);
    expect(c.keyUsage).toEqual(['digitalSignature']);
    expect(c.basicConstraints).toEqual({ ca: false, critical: true });
    expect(c.subjectKeyId).toMatch(/^[0-9a-f]{40}$/);
    expect(c.authorityKeyId?.keyId).toBe(inter.cert.subjectKeyId);
    expect(c.publicKey).toEqual({ type: 'ec', bits: 256, securityBits: 128, curve: 'prime256v1' });
    expect(c.signature).toEqual({ oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256', hash: 'SHA-256', securityBits: 128 });
    expect(c.notAfter.getTime()).toBe(new Date(c.native.validTo).getTime());
    expect(c.notBefore.getTime()).toBe(new Date(c.native.validFrom).getTime());
    expect(c.selfIssued).toBe(false);
    expect(c.selfSigned).toBe(false);
    expect(c.malformed).toEqual([]);
    expect(c.native).toBeInstanceOf(X509Certificate);
    expect(inter.cert.basicConstraints).toEqual({ ca: true, critical: true });
    expect(inter.cert.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(root.cert.selfIssued).toBe(true);
    expect(root.cert.selfSigned).toBe(true);
    expect(c.extensions.map((e) => e.oid)).toContain('2.5.29.17');
  });

  it('reports key and digest strength as OpenSSL 3.0 rates them', async () => {
    const rsa = await issue({ subject: 'CN=rsa', key: 'rsa2048' });
    expect(rsa.cert.publicKey).toEqual({ type: 'rsa', bits: 2048, securityBits: 112 });
    const weak = await issue({ subject: 'CN=weak', key: 'rsa1024' });
    expect(weak.cert.publicKey).toMatchObject({ type: 'rsa', bits: 1024, securityBits: 80 });
    const sha1 = await issue({ subject: 'CN=sha1', hash: 'SHA-1' });
    expect(sha1.cert.signature).toMatchObject({ name: 'ecdsa-with-SHA1', hash: 'SHA-1', securityBits: 63 });
    const p384 = await issue({ subject: 'CN=p384', key: 'p384', hash: 'SHA-384' });
    expect(p384.cert.publicKey).toMatchObject({ securityBits: 192, curve: 'secp384r1' });
  });

  it('prints names like `openssl x509 -nameopt RFC2253`, escapes included', async () => {
    const odd = await issue({ subject: 'CN=a\\,b+O=x,OU=Dept #1,C=DE', key: 'p256' });
    expect(odd.cert.subject).toBe(opensslName(odd.pem));
  });

  it('summarizes with a 64-column PEM that round-trips', async () => {
    const { leaf } = await standardChain();
    const s = summarizeCertificate(leaf.cert);
    expect(s).toMatchObject({ subject: 'CN=host.test', dnsNames: ['host.test'], isCa: false, keyType: 'EC P-256', signatureAlgorithm: 'ecdsa-with-SHA256' });
    const body = s.pem.split('\n').slice(1, -2);
    expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true);
    expect(new X509Certificate(s.pem).fingerprint256).toBe(leaf.cert.native.fingerprint256);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.notBefore).toBe(leaf.cert.notBefore.toISOString());
  });
});

describe('parseCertificate: errors', () => {
  it.each([
    ['empty input', new Uint8Array(0)],
    ['garbage', Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00])],
    ['PEM text instead of DER', new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')],
    ['random bytes', Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff)],
  ])('throws CertParseError on %s', (_what, der) => {
    try {
      parseCertificate(der);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CertParseError);
      expect((e as CertParseError).code).toBe('CERT_PARSE');
      expect((e as Error).message).not.toContain('\n');
    }
  });
});

describe('parseCertificate: OpenSSL name comparison (X509_NAME_cmp) for selfIssued', () => {
  it('ignores case, surrounding and repeated whitespace across string types', () => {
    const der = rawCert({
      subject: name([O, printable('  Example   Org ')], [CN, utf8('My\tCA')]),
      issuer: name([O, utf8('example org')], [CN, bmp('MY CA')]),
    });
    const c = parseCertificate(der);
    expect(c.selfIssued).toBe(true);
    // OpenSSL agrees: X509_check_issued(x, x) only passes when the names compare equal.
    expect(c.native.checkIssued(c.native)).toBe(true);
    expect(c.selfSigned).toBe(true);
  });

  it('treats T61String as Latin-1 and compares multi-valued RDNs as sets', () => {
    const der = rawCert({
      subject: name([[CN, t61('caf\u00e9')], [O, utf8('x')]]),
      issuer: name([[O, utf8('X')], [CN, utf8('CAF\u00e9')]]),
    });
    const c = parseCertificate(der);
    expect(c.selfIssued).toBe(c.native.checkIssued(c.native));
    expect(c.selfIssued).toBe(true);
  });

  it('does not fold non-ASCII case and keeps RDN boundaries', () => {
    const a = parseCertificate(rawCert({ subject: name([CN, utf8('\u00c9')]), issuer: name([CN, utf8('\u00e9')]) }));
    expect(a.selfIssued).toBe(false);
    expect(a.native.checkIssued(a.native)).toBe(false);
    const b = parseCertificate(rawCert({ subject: name([[CN, utf8('a')], [O, utf8('b')]]), issuer: name([CN, utf8('a')], [O, utf8('b')]) }));
    expect(b.selfIssued).toBe(false);
    expect(b.native.checkIssued(b.native)).toBe(false);
  });
});

describe('parseCertificate: EXFLAG_INVALID (malformed)', () => {
  const subject = name([CN, utf8('m.test')]);
  const san = (host: string) => seq(tlv(0x82, Buffer.from(host)));

  it.each([
    ['duplicate subjectAltName', [ext('2.5.29.17', san('a.test')), ext('2.5.29.17', san('b.test'))], /duplicate subjectAltName/],
    ['negative pathLen', [ext('2.5.29.19', seq(bool(true), int(0xff)), true)], /negative pathLenConstraint/],
    ['empty keyUsage', [ext('2.5.29.15', tlv(0x03, Uint8Array.of(0, 0)), true)], /empty keyUsage/],
    ['undecodable basicConstraints', [ext('2.5.29.19', octet(Uint8Array.of(1)), true)], /undecodable basicConstraints/],
    ['SAN with an unknown GeneralName tag', [ext('2.5.29.17', seq(tlv(0x89, Uint8Array.of(1))))], /undecodable subjectAltName/],
    ['non-minimal INTEGER in AKID serial', [ext('2.5.29.35', seq(tlv(0x82, Uint8Array.of(0, 1))))], /undecodable authorityKeyIdentifier/],
  ])('%s', (_what, extensions, reason) => {
    const c = parseCertificate(rawCert({ subject, extensions }));
    expect(c.malformed.join('; ')).toMatch(reason);
    // X509_self_signed() returns -1 for EXFLAG_INVALID: never self-signed.
    expect(c.selfSigned).toBe(false);
  });

  it('keeps well-formed certificates clean, with unknown non-critical extensions', () => {
    const c = parseCertificate(rawCert({ subject, extensions: [ext('1.2.3.4.5', octet(Uint8Array.of(1, 2, 3)))] }));
    expect(c.malformed).toEqual([]);
    expect(c.extensions).toEqual([{ oid: '1.2.3.4.5', critical: false, length: 5 }]);
  });

  it('parses a 1 MB extension in bounded time without choking', () => {
    const big = new Uint8Array(1 << 20).fill(0x61);
    const c = parseCertificate(rawCert({ subject, extensions: [ext('1.2.3.4.6', octet(big))] }));
    expect(c.extensions[0].length).toBeGreaterThan(1 << 20);
    expect(c.malformed).toEqual([]);
  });

  it('reads GeneralizedTime and UTCTime on both sides of 2050', () => {
    const c = parseCertificate(rawCert({ subject, notBefore: utcTime('491231235959Z'), notAfter: genTime('20510101000000Z') }));
    expect(c.notBefore.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(c.notAfter.toISOString()).toBe('2051-01-01T00:00:00.000Z');
  });

  it('decodes name constraints, AIA and CRL distribution points', async () => {
    const nc = seq(
      tlv(0xa0, seq(tlv(0x82, Buffer.from('.example.com'))), seq(tlv(0x87, Uint8Array.of(10, 0, 0, 0, 255, 0, 0, 0)))),
      tlv(0xa1, seq(tlv(0xa4, name([CN, utf8('bad')])))),
    );
    const aia = seq(seq(oid('1.3.6.1.5.5.7.48.2'), tlv(0x86, Buffer.from('http://ca.test/i.der'))), seq(oid('1.3.6.1.5.5.7.48.1'), tlv(0x86, Buffer.from('http://ocsp.test'))));
    const cdp = seq(seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from('http://crl.test/c.crl'))))));
    const c = parseCertificate(rawCert({ subject, extensions: [ext('2.5.29.30', nc, true), ext('1.3.6.1.5.5.7.1.1', aia), ext('2.5.29.31', cdp)] }));
    expect(c.nameConstraints).toEqual({
      permitted: [
        { type: 'dns', value: '.example.com' },
        { type: 'ip', value: '10.0.0.0/8' },
      ],
      excluded: [{ type: 'dirName', value: 'CN=bad' }],
    });
    expect(c.aia).toEqual({ caIssuers: ['http://ca.test/i.der'], ocsp: ['http://ocsp.test'] });
    expect(c.crlDistributionPoints).toEqual(['http://crl.test/c.crl']);
    expect(c.malformed).toEqual([]);
  });
});
