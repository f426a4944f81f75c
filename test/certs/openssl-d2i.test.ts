/**
 * parseCertificate(der, { deferOpenSsl: true }) leaves OpenSSL's own parse for later and refuses at once what
 * d2i_X509 would refuse (src/certs/openssl-d2i.ts). Held to node:crypto's X509Certificate (OpenSSL 3.0):
 * hand-built certificates for each rule, then seeded mutants of the fixture certificates. The property is
 * that the deferred parse accepts exactly what the immediate parse (OpenSSL first) accepts.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertParseError, parseCertificate } from '../../src/certs/parse.js';
import { summarizeCertificate } from '../../src/certs/summary.js';
import { verifyChain } from '../../src/chain/verify.js';
import { PKI_DIR } from '../helpers/fixtures.js';
import { mutants } from './helpers/der-mutations.js';
import { CN, O, bmp, int, name, oid, printable, rawCert, seq, t61, tlv, utf8, type Der } from './helpers/raw-cert.js';

function opensslAccepts(der: Uint8Array): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

/** `lazy`: the trust-bundle mode (plain-der.ts at load, the rest on first read): every field is read too. */
function accepts(der: Uint8Array, deferOpenSsl: boolean | 'lazy'): boolean {
  try {
    const cert = parseCertificate(der, deferOpenSsl === 'lazy' ? { lazy: true } : { deferOpenSsl });
    if (deferOpenSsl === 'lazy') void cert.version; // completes a lazy parse (lazy-cert.ts), which must not throw either
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(CertParseError);
    expect((e as Error).message).not.toContain('\n');
    return false;
  }
}

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const fixtureDers = readdirSync(PKI_DIR)
  .filter((f) => f.endsWith('.pem') && !f.includes('key'))
  .flatMap((f) => [...readFileSync(join(PKI_DIR, f), 'utf8').matchAll(PEM)].map((m) => new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'))));

const value = (tag: number, ...octets: number[]): Der => tlv(tag, Uint8Array.from(octets));
const cnCert = (v: Der): Der => rawCert({ subject: name([CN, v]) });

/** The TLVs that exactly fill `content`, as byte views. */
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

const contentOf = (t: Uint8Array): Uint8Array => tlvs(t)[0].subarray(t[1] & 0x80 ? 2 + (t[1] & 0x7f) : 2);

/** A certificate whose TBSCertificate elements are `edit`ed (the signature no longer matches: d2i does not care). */
function editTbs(edit: (fields: Uint8Array[]) => Uint8Array[]): Der {
  const [tbs, alg, sig] = tlvs(contentOf(rawCert({ subject: name([CN, utf8('edit.test')]) })));
  return seq(seq(...edit(tlvs(contentOf(tbs)))), alg, sig);
}

/** fields: [version, serial, signature, issuer, validity, subject, spki] (rawCert adds no extensions here). */
const withTbsAlgorithm = (alg: Der): Der => editTbs((f) => [f[0], f[1], alg, ...f.slice(3)]);
const withTail = (tail: Der[]): Der => editTbs((f) => [...f, ...tail]);
const ecdsaWith = (params: Der): Der => seq(oid('1.2.840.10045.4.3.2'), params);

describe('deferred parse refuses exactly what d2i_X509 refuses', () => {
  const cases: [string, Der, boolean][] = [
    ['PrintableString CN', cnCert(printable('ok')), true],
    ['NumericString CN with letters (not checked by d2i)', cnCert(value(0x12, 0x41)), true],
    ['VisibleString CN (not in B_ASN1_PRINTABLE)', cnCert(value(0x1a, 0x41)), false],
    ['GeneralString CN', cnCert(value(0x1b, 0x41)), false],
    ['OCTET STRING CN', cnCert(value(0x04, 0x41)), false],
    ['INTEGER CN', cnCert(int(1)), false],
    ['ObjectDescriptor CN (B_ASN1_UNKNOWN)', cnCert(value(0x07, 0x41)), true],
    ['context-specific CN', cnCert(value(0x80, 0x41)), false],
    ['BIT STRING CN', cnCert(value(0x03, 0x00, 0x41)), true],
    ['BIT STRING CN with 8 unused bits', cnCert(value(0x03, 0x08)), false],
    ['SEQUENCE CN', cnCert(seq(int(1))), true],
    ['primitive SEQUENCE CN', cnCert(value(0x10, 0x01)), false],
    ['BMPString CN', cnCert(bmp('ok')), true],
    ['BMPString CN, odd length', cnCert(value(0x1e, 0x00, 0x41, 0x00)), false],
    ['BMPString CN with a surrogate', cnCert(value(0x1e, 0xd8, 0x00)), false],
    ['BMPString CN with U+FFFF', cnCert(value(0x1e, 0xff, 0xff)), true],
    ['UniversalString CN beyond U+10FFFF', cnCert(value(0x1c, 0x00, 0x11, 0x00, 0x00)), false],
    ['UniversalString CN, length 3', cnCert(value(0x1c, 0x00, 0x00, 0x41)), false],
    ['UTF8String CN, truncated sequence', cnCert(value(0x0c, 0xc3)), false],
    ['UTF8String CN, overlong', cnCert(value(0x0c, 0xc0, 0x80)), false],
    ['UTF8String CN, encoded surrogate', cnCert(value(0x0c, 0xed, 0xa0, 0x80)), false],
    ['UTF8String CN with a BOM', cnCert(value(0x0c, 0xef, 0xbb, 0xbf, 0x41)), true],
    ['T61String CN, Latin-1', cnCert(t61('caf\u00e9')), true],
    ['constructed (BER) UTF8String CN', cnCert(tlv(0x2c, value(0x04, 0x41), value(0x04, 0x42))), true],
    ['constructed UTF8String CN, context-tagged part (asn1_collect ignores tags)', cnCert(tlv(0x2c, value(0x80, 0x41))), true],
    ['constructed UTF8String CN, invalid UTF-8 across parts', cnCert(tlv(0x2c, value(0x04, 0xc3), value(0x04, 0x41))), false],
    ['high tag number (31) CN', cnCert(Uint8Array.of(0x1f, 0x1f, 0x01, 0x41)), false],
    ['multi-valued RDN, one bad member', rawCert({ subject: name([[O, utf8('x')], [CN, value(0x1a, 0x41)]]) }), false],
    ['version INTEGER with illegal padding', editTbs((f) => [tlv(0xa0, value(0x02, 0x00, 0x02)), ...f.slice(1)]), false],
    ['version INTEGER empty', editTbs((f) => [tlv(0xa0, value(0x02)), ...f.slice(1)]), false],
    ['signature parameters NULL', withTbsAlgorithm(ecdsaWith(value(0x05))), true],
    ['signature parameters NULL with content', withTbsAlgorithm(ecdsaWith(value(0x05, 0x00))), false],
    ['signature parameters BOOLEAN of two octets', withTbsAlgorithm(ecdsaWith(value(0x01, 0x00, 0x00))), false],
    ['signature parameters padded INTEGER', withTbsAlgorithm(ecdsaWith(value(0x02, 0x00, 0x01))), false],
    ['signature parameters context-specific', withTbsAlgorithm(ecdsaWith(value(0x80, 0x00, 0x01))), true],
    ['issuerUniqueID and subjectUniqueID', withTail([value(0x81, 0x00, 0x01), value(0x82, 0x00, 0x02)]), true],
    ['subjectUniqueID before issuerUniqueID', withTail([value(0x82, 0x00, 0x02), value(0x81, 0x00, 0x01)]), false],
    ['two issuerUniqueIDs', withTail([value(0x81, 0x00, 0x01), value(0x81, 0x00, 0x01)]), false],
    ['issuerUniqueID with 8 unused bits', withTail([value(0x81, 0x08)]), false],
    ['empty issuerUniqueID', withTail([value(0x81)]), false],
    ['extensions before issuerUniqueID', withTail([tlv(0xa3, seq()), value(0x81, 0x00, 0x01)]), false],
    ['two extensions blocks', withTail([tlv(0xa3, seq()), tlv(0xa3, seq())]), false],
  ];

  it.each(cases)('%s', (_what, der, opensslOk) => {
    // Pins OpenSSL 3.0's own answer, so the table cannot drift from what it claims.
    expect(opensslAccepts(der)).toBe(opensslOk);
    expect(accepts(der, true)).toBe(accepts(der, false));
    expect(accepts(der, 'lazy')).toBe(accepts(der, false));
  });

  it('agrees with the immediate parse on 4,000 mutants of the fixture certificates', () => {
    let accepted = 0;
    const disagreements: string[] = [];
    for (const der of mutants(fixtureDers, 4000, 20261122)) {
      const deferred = accepts(der, true);
      if (deferred !== accepts(der, false)) disagreements.push(`${deferred ? 'accepted' : 'refused'} ${Buffer.from(der).toString('base64')}`);
      if (accepts(der, 'lazy') !== deferred) disagreements.push(`lazy: ${Buffer.from(der).toString('base64')}`);
      if (deferred) accepted++;
    }
    expect(disagreements).toEqual([]);
    // The mutants must exercise both outcomes, or the comparison says nothing.
    expect(accepted).toBeGreaterThan(400);
    expect(accepted).toBeLessThan(3600);
  });
});

describe('a deferred certificate reads the same as an immediate one', () => {
  it('has the same fields, summary and verdicts', () => {
    for (const der of fixtureDers) {
      const now = parseCertificate(der);
      const later = parseCertificate(der, { deferOpenSsl: true });
      expect(summarizeCertificate(later)).toEqual(summarizeCertificate(now));
      expect({ ...later, native: undefined }).toEqual({ ...now, native: undefined });
      expect(later.native.fingerprint256).toBe(now.native.fingerprint256);
    }
    const read = (f: string, deferOpenSsl: boolean) =>
      [...readFileSync(join(PKI_DIR, f), 'utf8').matchAll(PEM)].map((m) => parseCertificate(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')), { deferOpenSsl }));
    for (const defer of [false, true]) {
      const r = verifyChain({
        sent: [...read('leaf.pem', false), ...read('int1.pem', false)],
        trusted: read('bundle-150-roots.pem', defer),
        at: new Date('2026-06-01T00:00:00Z'),
        depth: 1,
        seclevel: 2,
        hostname: 'upstream.test',
      });
      expect(r.ok).toBe(true);
      expect(r.path.map((e) => e.source)).toEqual(['sent', 'sent', 'bundle']);
    }
  });
});
