/**
 * src/certs/openssl30-stand-in.ts: what node:crypto is asked of a certificate whose malformed times OpenSSL 3.0
 * reads and OpenSSL 3.5 refuses. The stand-in's times, and the signature checked over the original bytes. Through
 * parseCertificate on a Node with OpenSSL 3.5: test/chain/openssl-parity-regressions.test.ts ("f.") and the
 * differential suite's parity/f-time cases.
 */
import { X509Certificate, constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyOriginalSignature, withWellFormedTimes } from '../../src/certs/openssl30-stand-in.js';
import { CN, int, name, oid, rawCert, seq, tlv, utcTime, utf8, type Der } from './helpers/raw-cert.js';

const PKI = new URL('../../certs-fixtures/pki/', import.meta.url);
const der = (file: string) => new X509Certificate(readFileSync(new URL(file, PKI))).raw;
const SUBJECT = name([CN, utf8('stand-in.test')]);

/** A certificate signed with `alg` (an AlgorithmIdentifier) by `signTbs`. */
function signedWith(alg: Der, publicKey: KeyObject, signTbs: (tbs: Der) => Buffer): Uint8Array {
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = seq(tlv(0xa0, int(2)), int(0x05), alg, SUBJECT, seq(utcTime(''), utcTime('361231235959Z')), SUBJECT, spki);
  return seq(tbs, alg, tlv(0x03, Uint8Array.of(0), signTbs(tbs)));
}

describe('withWellFormedTimes', () => {
  it('replaces every UTCTime and GeneralizedTime, wherever it is, and keeps everything else', () => {
    const bad = rawCert({ subject: SUBJECT, notBefore: utcTime(''), notAfter: tlv(0x18, Buffer.from('Z')) });
    const fixed = withWellFormedTimes(bad)!;
    const x = new X509Certificate(fixed);
    expect(x.subject).toBe('CN=stand-in.test');
    expect(new Date(x.validFrom).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(Buffer.from(x.publicKey.export({ type: 'spki', format: 'der' }))).toEqual(
      Buffer.from(new X509Certificate(withWellFormedTimes(rawCert({ subject: SUBJECT }))!).publicKey.export({ type: 'spki', format: 'der' })),
    );
    // A Time inside an AlgorithmIdentifier's parameters (a mutant OpenSSL 3.5 refuses) is replaced too.
    const inParams = seq(seq(oid('1.2.840.10045.4.3.2'), utcTime('\x0b')));
    expect(Buffer.from(withWellFormedTimes(inParams)!).includes(Buffer.from('250101000000Z'))).toBe(true);
    // A well-formed certificate keeps its length when its times already have the placeholder's sizes.
    const good = der('leaf.pem');
    expect(withWellFormedTimes(good)!.length).toBe(good.length);
  });

  it('is undefined for bytes that are not a TLV tree', () => {
    expect(withWellFormedTimes(Uint8Array.of(0x30, 0x05, 0x01))).toBeUndefined();
    expect(withWellFormedTimes(Uint8Array.of(0x30, 0x00, 0x00))).toBeUndefined();
  });
});

describe('verifyOriginalSignature', () => {
  it('RSA PKCS#1 and ECDSA over the original TBSCertificate; a changed byte or another key fails', () => {
    const intKey = new X509Certificate(readFileSync(new URL('int1.pem', PKI))).publicKey;
    const leaf = der('leaf.pem');
    expect(verifyOriginalSignature(leaf, intKey)).toBe(true);
    const tampered = Buffer.from(leaf);
    tampered[tampered.length - 5] ^= 1;
    expect(verifyOriginalSignature(tampered, intKey)).toBe(false);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bad = rawCert({ subject: SUBJECT, key: ec, notBefore: utcTime('Z') });
    expect(verifyOriginalSignature(bad, ec.publicKey)).toBe(true);
    expect(verifyOriginalSignature(bad, intKey)).toBe(false);
    // The stand-in's own TBS is not what was signed.
    expect(new X509Certificate(withWellFormedTimes(bad)!).verify(ec.publicKey)).toBe(false);
  });

  it('Ed25519 and RSA-PSS (MGF1 with the message digest; another MGF1 digest is not expressible)', () => {
    const ed = generateKeyPairSync('ed25519');
    expect(verifyOriginalSignature(signedWith(seq(oid('1.3.101.112')), ed.publicKey, (t) => sign(null, t, ed.privateKey)), ed.publicKey)).toBe(true);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sha256 = seq(oid('2.16.840.1.101.3.4.2.1'));
    const mgf = (digest: Der) => seq(oid('1.2.840.113549.1.1.8'), digest);
    const pss = (mgfDigest: Der) => seq(oid('1.2.840.113549.1.1.10'), seq(tlv(0xa0, sha256), tlv(0xa1, mgf(mgfDigest)), tlv(0xa2, int(32))));
    const pssSign = (t: Der) => sign('sha256', t, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifyOriginalSignature(signedWith(pss(sha256), rsa.publicKey, pssSign), rsa.publicKey)).toBe(true);
    expect(verifyOriginalSignature(signedWith(pss(seq(oid('1.3.14.3.2.26'))), rsa.publicKey, pssSign), rsa.publicKey)).toBe(false);
  });
});
