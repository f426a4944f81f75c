/**
 * Regressions from the certificate-engine parity issue (OpenSSL 3.0 on real and malformed certificates), one
 * `describe` per defect (a-f; g is test/certs/host-match.test.ts). Each certificate is hand-built, signed, and
 * judged by verifyChain; the expected verdicts were measured with `openssl verify -purpose sslserver -CAfile
 * root.pem -no-CApath -no-CAstore [-untrusted int.pem] -verify_hostname www.a.test` (OpenSSL 3.0.22) and
 * node:crypto's X509Certificate (d2i_X509).
 */
import { X509Certificate, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../src/certs/parse.js';
import { summarizeCertificate } from '../../src/certs/summary.js';
import { readCertificateBlobs } from '../../src/certs/load.js';
import { verifyChain } from '../../src/chain/verify.js';
import { CN, bool, ext, name, octet, oid, rawCert, seq, set, tlv, utf8, type Der } from '../certs/helpers/raw-cert.js';

const keys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rootKey = keys();
const intKey = keys();
const leafKey = keys();
const ROOT = name([CN, utf8('Root')]);
const INT = name([CN, utf8('Int')]);
const caExts = (more: Der[] = []): Der[] => [ext('2.5.29.19', seq(bool(true)), true), ext('2.5.29.15', tlv(0x03, Uint8Array.of(1, 0x06)), true), ...more];
const SAN = ext('2.5.29.17', seq(tlv(0x82, Buffer.from('www.a.test'))));
const root = (more: Der[] = [], subject: Der = ROOT): Der => rawCert({ subject, issuer: subject, key: rootKey, extensions: caExts(more) });
const inter = (more: Der[] = []): Der => rawCert({ subject: INT, issuer: ROOT, key: intKey, signer: rootKey.privateKey, extensions: caExts(more) });
function leaf(exts: Der[], o: { viaInt?: boolean; notBefore?: Der; notAfter?: Der; issuer?: Der } = {}): Der {
  return rawCert({
    subject: name([CN, utf8('www.a.test')]),
    issuer: o.issuer ?? (o.viaInt ? INT : ROOT),
    key: leafKey,
    signer: (o.viaInt ? intKey : rootKey).privateKey,
    extensions: [ext('2.5.29.19', seq(), true), ...exts],
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(o.notAfter ? { notAfter: o.notAfter } : {}),
  });
}

/** `code@depth` of every error, or OK; the name is checked as nginx does. */
function judge(sent: Der[], trusted: Der[]): string {
  const r = verifyChain({
    sent: sent.map((d) => parseCertificate(d)),
    trusted: trusted.map((d) => parseCertificate(d)),
    at: new Date('2027-01-01T00:00:00Z'),
    depth: 9,
    seclevel: 1,
    hostname: 'www.a.test',
  });
  return r.errors.map((e) => `${e.code}@${e.depth}`).join(',') || 'OK';
}

/** Re-encodes a certificate's TBSCertificate with `edit` (BER forms) and signs it again with `signer`. */
function resigned(der: Der, edit: (tbsContent: Uint8Array[]) => Uint8Array, signer: KeyObject, indefiniteOuter = false): Der {
  const kids = tlvs(contentOf(der));
  const tbs = edit(tlvs(contentOf(kids[0])));
  const sig = sign('sha256', tbs, signer);
  const body = Buffer.concat([tbs, kids[1], tlv(0x03, Uint8Array.from([0, ...sig]))]);
  return indefiniteOuter ? Uint8Array.from([0x30, 0x80, ...body, 0, 0]) : seq(body);
}
const indefinite = (tag: number, ...parts: Uint8Array[]): Uint8Array => Uint8Array.from([tag, 0x80, ...Buffer.concat(parts), 0, 0]);
/** A constructed string: the value split into one-octet OCTET STRING parts (X.690 §8.21.5, BER). */
const constructed = (tag: number, value: Uint8Array): Uint8Array => tlv(tag | 0x20, ...[...value].map((b) => tlv(0x04, Uint8Array.of(b))));

function tlvs(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < content.length; ) {
    let len = content[p + 1];
    let head = 2;
    if (len & 0x80) {
      head += len & 0x7f;
      len = 0;
      for (let i = 2; i < head; i++) len = len * 256 + content[p + i];
    }
    out.push(content.subarray(p, p + head + len));
    p += head + len;
  }
  return out;
}
function contentOf(t: Uint8Array): Uint8Array {
  const head = t[1] & 0x80 ? 2 + (t[1] & 0x7f) : 2;
  return t.subarray(head);
}
/** The runtime's libcrypto is OpenSSL 3.0 or 3.1, nginx's here: its d2i is the reference for what "reads" means. */
const RUNTIME_OPENSSL_30 = /^3\.[01]\./.test(process.versions.openssl);
const opensslReads = (der: Uint8Array): boolean => {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
};

describe('a. a Name holding an empty RDN (SET {}) is parsed, as OpenSSL 3.0 parses it', () => {
  const emptyRdnRoot = root([], seq(set(), set(seq(oid(CN), utf8('Root')))));
  it('is read and compares equal to the same Name without it (x509_name_canon skips it)', () => {
    expect(opensslReads(emptyRdnRoot)).toBe(true);
    const c = parseCertificate(emptyRdnRoot);
    expect(c.subject).toBe('CN=Root');
    expect(c.selfIssued).toBe(true);
    expect(judge([leaf([SAN])], [emptyRdnRoot])).toBe('OK');
  });

  it('does not make a --ca bundle holding such a certificate unreadable', () => {
    const pem = (d: Der) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const loaded = readCertificateBlobs(new TextEncoder().encode(pem(root()) + pem(emptyRdnRoot)), 'bundle.pem');
    expect(loaded.ders.map((d) => parseCertificate(d).subject)).toEqual(['CN=Root', 'CN=Root']);
  });
});

describe('b/e. BER: indefinite lengths and constructed strings that d2i_X509 reads', () => {
  const plain = leaf([SAN]);
  const variants: [string, Der][] = [
    ['indefinite Certificate and TBSCertificate', resigned(plain, (f) => indefinite(0x30, ...f), rootKey.privateKey, true)],
    ['indefinite issuer Name', resigned(plain, (f) => seq(...f.slice(0, 3), indefinite(0x30, contentOf(f[3])), ...f.slice(4)), rootKey.privateKey)],
    ['constructed issuer CN value', resigned(plain, (f) => seq(...f.slice(0, 3), name([CN, constructed(0x0c, Buffer.from('Root'))]), ...f.slice(4)), rootKey.privateKey)],
    ['constructed UTCTime', resigned(plain, (f) => seq(...f.slice(0, 4), seq(constructed(0x17, Buffer.from('260101000000Z')), tlvs(contentOf(f[4]))[1]), ...f.slice(5)), rootKey.privateKey)],
    ['SAN dNSName in constructed form', leaf([ext('2.5.29.17', seq(constructed(0x82, Buffer.from('www.a.test'))))])],
    ['SAN SEQUENCE with an indefinite length', leaf([ext('2.5.29.17', indefinite(0x30, tlv(0x82, Buffer.from('www.a.test'))))])],
    ['extnValue OCTET STRING in constructed form', leaf([ext('2.5.29.17', seq()).subarray(0, 0), seq(oid('2.5.29.17'), constructed(0x04, seq(tlv(0x82, Buffer.from('www.a.test')))))])],
  ];
  it.each(variants)('%s: read, and verified as OpenSSL verifies it (OK)', (_what, der) => {
    expect(opensslReads(der)).toBe(true);
    expect(judge([der], [root()])).toBe('OK');
  });

  it('an AKID keyIdentifier in constructed form is matched against the issuer SKID', () => {
    const ski = Uint8Array.of(1, 2, 3, 4, 5);
    const r = root([ext('2.5.29.14', octet(ski))]);
    const akid = (id: Uint8Array) => ext('2.5.29.35', seq(constructed(0x80, id)));
    expect(judge([leaf([SAN, akid(ski)])], [r])).toBe('OK');
    expect(judge([leaf([SAN, akid(Uint8Array.of(1, 2, 3, 4, 6))])], [r])).toMatch(/^20@0/);
  });

  it('still refuses what d2i refuses: a constructed INTEGER serial', () => {
    const serial = resigned(plain, (f) => seq(f[0], constructed(0x02, Uint8Array.of(1)), ...f.slice(2)), rootKey.privateKey);
    expect(opensslReads(serial)).toBe(false);
    expect(() => parseCertificate(serial, { deferOpenSsl: true })).toThrow(/serialNumber/);
  });
});

describe('c. a CRL distribution point with neither distributionPoint nor cRLIssuer makes the certificate invalid (setup_dp)', () => {
  const uri = tlv(0x86, Buffer.from('http://c.test/c'));
  const crldp = (...points: Der[]) => ext('2.5.29.31', seq(...points));
  it.each([
    ['an empty DistributionPoint', crldp(seq()), '20@0,21@0'],
    ['reasons only', crldp(seq(tlv(0x81, Uint8Array.of(1, 0x02)))), '20@0,21@0'],
    ['an empty cRLIssuer', crldp(seq(tlv(0xa2))), '20@0,21@0'],
    ['a good point then an empty one', crldp(seq(tlv(0xa0, tlv(0xa0, uri))), seq()), '20@0,21@0'],
    ['a fullName', crldp(seq(tlv(0xa0, tlv(0xa0, uri)))), 'OK'],
    ['a cRLIssuer only', crldp(seq(tlv(0xa2, uri))), 'OK'],
    ['an empty nameRelativeToCRLIssuer', crldp(seq(tlv(0xa0, tlv(0xa1)))), 'OK'],
  ])('leaf with %s: %s', (_what, ext, expected) => {
    const l = leaf([SAN, ext]);
    expect(judge([l], [root()])).toBe(expected);
    if (expected !== 'OK') expect(parseCertificate(l).malformed).toEqual(['cRLDistributionPoints entry with neither distributionPoint nor cRLIssuer']);
  });

  it('on the intermediate or the root: 20 at the depth of the certificate below it', () => {
    const bad = crldp(seq());
    expect(judge([leaf([SAN], { viaInt: true }), inter([bad])], [root()])).toMatch(/^20@0/);
    expect(judge([leaf([SAN], { viaInt: true }), inter()], [root([bad])])).toBe('20@1');
  });
});

describe('d. bytes after an extension value are ignored, as X509V3_EXT_d2i ignores them', () => {
  const trail = (der: Der, ...extra: number[]) => Uint8Array.from([...der, ...extra]);
  it.each([
    ['basicConstraints', (t: number[]) => [ext('2.5.29.19', trail(seq(), ...t), true)]],
    ['keyUsage', (t: number[]) => [ext('2.5.29.19', seq(), true), ext('2.5.29.15', trail(tlv(0x03, Uint8Array.of(7, 0x80)), ...t), true)]],
    ['extKeyUsage', (t: number[]) => [ext('2.5.29.37', trail(seq(oid('1.3.6.1.5.5.7.3.1')), ...t))]],
    ['subjectAltName', (t: number[]) => [ext('2.5.29.17', trail(seq(tlv(0x82, Buffer.from('www.a.test'))), ...t))]],
    ['authorityKeyIdentifier', (t: number[]) => [ext('2.5.29.35', trail(seq(tlv(0x80, Uint8Array.of(1))), ...t))]],
    ['subjectKeyIdentifier', (t: number[]) => [ext('2.5.29.14', trail(octet(Uint8Array.of(1)), ...t))]],
    ['cRLDistributionPoints', (t: number[]) => [ext('2.5.29.31', trail(seq(seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from('http://c.test/c')))))), ...t))]],
    ['nsCertType', (t: number[]) => [ext('2.16.840.1.113730.1.1', trail(tlv(0x03, Uint8Array.of(6, 0x40)), ...t))]],
  ])('%s followed by 05 00 or ff: OK', (what, exts) => {
    for (const t of [[0x05, 0x00], [0xff]]) {
      const e = exts(t);
      const l = rawCert({ subject: name([CN, utf8('www.a.test')]), issuer: ROOT, key: leafKey, signer: rootKey.privateKey, extensions: what === 'subjectAltName' ? e : [SAN, ...e] });
      expect(judge([l], [root()])).toBe('OK');
    }
  });

  it('a nameConstraints value with trailing bytes is still applied (47)', () => {
    const nc = (host: string) => ext('2.5.29.30', Uint8Array.from([...seq(tlv(0xa0, seq(tlv(0x82, Buffer.from(host))))), 0x05, 0x00]), true);
    expect(judge([leaf([SAN], { viaInt: true }), inter([nc('a.test')])], [root()])).toBe('OK');
    expect(judge([leaf([SAN], { viaInt: true }), inter([nc('b.test')])], [root()])).toBe('47@0');
  });
});

describe('f. a malformed UTCTime/GeneralizedTime is read; verification reports 13/14 at its depth', () => {
  const t = (tag: number, s: string) => tlv(tag, Buffer.from(s, 'latin1'));
  it.each([
    ['an empty UTCTime', t(0x17, '')],
    ['a lone Z', t(0x17, 'Z')],
    ['a 10-digit UTCTime', t(0x17, '260101000Z')],
    ['letters', t(0x18, '2026010100000xZ')],
    ['an empty GeneralizedTime', t(0x18, '')],
  ])('%s: 13 in notBefore, 14 in notAfter', (_what, bad) => {
    const nb = leaf([SAN], { notBefore: bad });
    // OpenSSL 3.0's d2i reads it (on this runtime when it is 3.0; OpenSSL 3.5 refuses it, and the parse reads it
    // as 3.0 does through a stand-in: src/certs/openssl30-stand-in.ts).
    if (RUNTIME_OPENSSL_30) expect(opensslReads(nb)).toBe(true);
    expect(parseCertificate(nb).native.subject).toContain('CN=');
    expect(judge([nb], [root()])).toBe('13@0');
    expect(judge([leaf([SAN], { notAfter: bad })], [root()])).toBe('14@0');
  });

  it('reports show an unreadable time as invalid instead of throwing', () => {
    const c = parseCertificate(leaf([SAN], { notBefore: t(0x17, 'Z') }));
    expect(Number.isNaN(c.notBefore.getTime())).toBe(true);
    expect(summarizeCertificate(c)).toMatchObject({ notBefore: 'invalid', notAfter: '2036-12-31T23:59:59.000Z' });
  });

  it('at the intermediate: reported at depth 1', () => {
    const i = rawCert({ subject: INT, issuer: ROOT, key: intKey, signer: rootKey.privateKey, extensions: caExts(), notAfter: t(0x17, 'Z') });
    expect(judge([leaf([SAN], { viaInt: true }), i], [root()])).toBe('14@1');
  });

  it('refuses only what d2i refuses: a Time of another type', () => {
    const l = leaf([SAN], { notBefore: t(0x13, '260101000000Z') });
    expect(opensslReads(l)).toBe(false);
    expect(() => parseCertificate(l, { deferOpenSsl: true })).toThrow(/malformed certificate structure/);
  });
});
