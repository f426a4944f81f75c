/**
 * A certificate OpenSSL 3.0 reads and a newer OpenSSL refuses, read as 3.0 reads it.
 *
 * nginx's OpenSSL here is 3.0, and so is the model (README "Agreement with OpenSSL"): d2i_X509 accepts a malformed
 * UTCTime or GeneralizedTime (empty, a lone `Z`, ten digits) and X509_verify_cert reports it as error 13 or 14.
 * OpenSSL 3.5, bundled by the Node 22 and 24 releases measured (22.23.5, 24.22.3), refuses such a certificate in
 * d2i already, so node:crypto's X509Certificate throws where nginx's OpenSSL goes on. What node:crypto is asked of a
 * certificate (its key, serial, X509_check_issued, X509_check_host) does not depend on its times: a stand-in with
 * well-formed times answers those, and its signature is checked over the original TBSCertificate bytes
 * (verifyOriginalSignature), as X509_verify does with the encoding it kept. Our own reader (x509-facts.ts) reads the
 * real times, so verification still reports 13/14. On Node 20 (OpenSSL 3.0) the stand-in is never needed.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { decodeOid, DerError, DerReader, lengthOctets, TAG, type Tlv } from './der.js';
import { pssParams } from './key-info.js';
import { SIGNATURE_ALGORITHMS } from './oids.js';

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const PLACEHOLDER: Record<number, Uint8Array> = {
  [UTC_TIME]: Buffer.from('250101000000Z', 'latin1'),
  [GENERALIZED_TIME]: Buffer.from('20250101000000Z', 'latin1'),
};

/** The identifier octets of `t` (one, or more in the high-tag-number form). */
function identifier(r: DerReader, t: Tlv): Uint8Array {
  let p = t.start + 1;
  if ((r.buf[t.start] & 0x1f) === 0x1f) while (r.buf[p++] & 0x80);
  return r.buf.subarray(t.start, p);
}

function rewrite(r: DerReader, t: Tlv, parts: Uint8Array[]): number {
  if (!t.constructed && (t.tag === UTC_TIME || t.tag === GENERALIZED_TIME)) {
    const value = PLACEHOLDER[t.tag];
    parts.push(Uint8Array.of(t.tag, value.length), value);
    return 2 + value.length;
  }
  if (!t.constructed) {
    const whole = r.buf.subarray(t.start, t.next);
    parts.push(whole);
    return whole.length;
  }
  const inner: Uint8Array[] = [];
  let length = 0;
  for (const child of r.children(t)) length += rewrite(r, child, inner);
  const head = Uint8Array.from([...identifier(r, t), ...lengthOctets(length)]);
  parts.push(head, ...inner);
  return head.length + length;
}

/**
 * The certificate with every UTCTime and GeneralizedTime replaced by a well-formed one (lengths re-encoded), or
 * undefined when the bytes are not a readable TLV tree. Primitive contents (extension values included) are kept.
 */
export function withWellFormedTimes(der: Uint8Array): Uint8Array | undefined {
  try {
    const r = new DerReader(der);
    const parts: Uint8Array[] = [];
    rewrite(r, r.root(), parts);
    return Buffer.concat(parts);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** node:crypto's digest name for a digest as oids.ts names it (`SHA-256` → `sha256`, `SHA-512/224` → `sha512-224`). */
function nodeDigest(name: string): string {
  return name.toLowerCase().replace('/', '-').replace(/^sha-/, 'sha');
}

/**
 * The certificate's signature checked with `key` over its original TBSCertificate bytes, for a stand-in whose own
 * TBS differs. Covers the algorithms node:crypto can express: RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the message
 * digest), ECDSA, DSA, Ed25519, Ed448; anything else is not valid.
 */
export function verifyOriginalSignature(der: Uint8Array, key: KeyObject): boolean {
  try {
    const r = new DerReader(der);
    const [tbs, algorithm, signature] = r.children(r.root(), 4);
    const algKids = r.children(algorithm, 3);
    const oid = decodeOid(r.content(r.expect(algKids[0], TAG.OID, 'signatureAlgorithm')));
    const bits = r.expectString(signature, TAG.BIT_STRING, 'signatureValue');
    if (bits.length === 0 || bits[0] !== 0) return false;
    const sig = bits.subarray(1);
    const data = r.whole(tbs);
    const alg = SIGNATURE_ALGORITHMS[oid];
    if (alg === undefined) return false;
    if (alg.keyType === 'ed25519' || alg.keyType === 'ed448') return verify(null, data, key, sig);
    if (alg.keyType === 'rsa-pss') {
      const pss = pssParams(algKids[1] ? r.whole(algKids[1]) : undefined);
      if (pss === undefined || pss.mgfHash !== pss.hash || pss.saltLength < 0) return false; // node:crypto's MGF1 uses the message digest
      return verify(nodeDigest(pss.hash), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, sig);
    }
    if (alg.hash === undefined || alg.keyType === 'sm2') return false;
    return verify(nodeDigest(alg.hash), data, key, sig);
  } catch {
    return false;
  }
}
