/**
 * Would OpenSSL 3.0's d2i_X509() (what node:crypto's X509Certificate runs on DER) accept these bytes?
 *
 * parseCertificate() can defer the real OpenSSL parse (~0.13 ms a certificate, most of it the eager public-key
 * decode in x509_pubkey_ex_d2i_ex) for certificates that may never be used, such as the 150 roots of a CA
 * bundle of which one anchors the chain. This check stands in for it at load time, so that a certificate
 * OpenSSL (and so nginx, which refuses to start on such a proxy_ssl_trusted_certificate) cannot read is still
 * refused when the file is read. It works on what readX509Facts() (x509-facts.ts) read, which has already
 * checked the TBSCertificate shape, the serial number and every OBJECT IDENTIFIER, and adds what OpenSSL's
 * template decoder (crypto/asn1/tasn_dec.c) checks beyond that:
 *
 * - primitive contents (asn1_ex_c2i): the version INTEGER non-empty and minimally padded (c2i_ibuf), BIT
 *   STRINGs with 0-7 unused bits (c2i_ASN1_BIT_STRING), and in AlgorithmIdentifier parameters (ANY) whatever
 *   universal type they hold: BOOLEAN one octet, NULL empty, OBJECT IDENTIFIER well formed (c2i_ASN1_OBJECT),
 *   BMPString/UniversalString lengths, SEQUENCE/SET constructed, BER constructed strings collected;
 * - Name values (X509_NAME_ENTRY.value is the MSTRING ASN1_PRINTABLE): universal class, a tag in
 *   B_ASN1_PRINTABLE (VisibleString is not), and the canonical form x509_name_canon() computes must exist:
 *   valid UTF-8, BMP/Universal code points that are valid Unicode (ASN1_STRING_to_UTF8, type_str);
 * - the optional TBSCertificate tail in template order: issuerUniqueID [1], subjectUniqueID [2], extensions
 *   [3], each at most once, nothing after.
 *
 * The public key itself is not checked: d2i tolerates an undecodable key (X509_get_pubkey() fails later).
 * test/certs/openssl-d2i.test.ts compares this check with node:crypto on mutated certificates.
 */
import { DerError, DerReader, MAX_STRING_NEST, TAG } from './der.js';
import type { DecodedName } from './name.js';
import type { X509Facts } from './x509-facts.js';

/** ASN1_tag2bit() & B_ASN1_PRINTABLE (include/openssl/asn1.h, crypto/asn1/tasn_dec.c) for universal tags 0-30. */
const PRINTABLE_TAGS = new Set([3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30]);

/** X509_NAME_MAX (crypto/x509/x_name.c): d2i reads at most 1 MiB for one Name. */
const X509_NAME_MAX = 1024 * 1024;

class D2iProblem extends Error {}

function fail(why: string): never {
  throw new D2iProblem(why);
}

/** c2i_ibuf (crypto/asn1/a_int.c): zero length and redundant leading 0x00/0xFF octets are refused. */
function checkInteger(c: Uint8Array, what: string): void {
  if (c.length === 0) fail(`${what}: empty INTEGER`);
  if (c.length > 1 && ((c[0] === 0x00 && (c[1] & 0x80) === 0) || (c[0] === 0xff && (c[1] & 0x80) !== 0))) {
    fail(`${what}: INTEGER with illegal padding`);
  }
}

/** c2i_ASN1_OBJECT (crypto/asn1/a_object.c). */
function checkOid(c: Uint8Array, what: string): void {
  if (c.length === 0 || (c[c.length - 1] & 0x80) !== 0) fail(`${what}: invalid OBJECT IDENTIFIER encoding`);
  for (let i = 0; i < c.length; i++) {
    if (c[i] === 0x80 && (i === 0 || (c[i - 1] & 0x80) === 0)) fail(`${what}: invalid OBJECT IDENTIFIER encoding`);
  }
}

/** c2i_ASN1_BIT_STRING (crypto/asn1/a_bitstr.c). */
function checkBitString(c: Uint8Array, what: string): void {
  if (c.length === 0) fail(`${what}: empty BIT STRING`);
  if (c[0] > 7) fail(`${what}: BIT STRING with more than 7 unused bits`);
}

/**
 * The content octets of the TLVs that exactly fill `bytes` (a constructed string's content), concatenated, as
 * asn1_collect() gathers a BER constructed string: parts' tags are not checked (it is called with tag -1),
 * constructed parts nest at most ASN1_MAX_STRING_NEST deep.
 */
function collectParts(bytes: Uint8Array, what: string, depth: number): Uint8Array {
  const r = new DerReader(bytes);
  const parts: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; ) {
    const k = r.read(p, bytes.length, 0);
    if (k.tag === 0 && k.end === k.contentStart) fail(`${what}: unexpected end-of-contents in a constructed string`);
    if (k.constructed && depth >= MAX_STRING_NEST) fail(`${what}: constructed string nested too deep`);
    parts.push(k.constructed ? collectParts(r.content(k), what, depth + 1) : r.content(k));
    p = k.next;
  }
  return Buffer.concat(parts);
}

/**
 * asn1_d2i_ex_primitive() + asn1_ex_c2i() for a universal type (the tag number of an ANY or MSTRING) given its
 * identifier octet's parts and content: SEQUENCE/SET must be constructed; INTEGER, ENUMERATED, BOOLEAN, NULL
 * and OBJECT must be primitive; string types may be constructed (BER) and are checked on their collected
 * content, which is returned (undefined for SEQUENCE/SET).
 */
function checkUniversal(utype: number, constructed: boolean, content: Uint8Array, what: string): Uint8Array | undefined {
  if (utype === 16 || utype === 17) {
    if (!constructed) fail(`${what}: SEQUENCE/SET not constructed`);
    return undefined;
  }
  if (constructed && (utype === 1 || utype === 2 || utype === 5 || utype === 6 || utype === 10)) {
    fail(`${what}: type not primitive`);
  }
  const c = constructed ? collectParts(content, what, 0) : content;
  switch (utype) {
    case 1:
      if (c.length !== 1) fail(`${what}: BOOLEAN is not one octet`);
      break;
    case 2:
    case 10:
      checkInteger(c, what);
      break;
    case 3:
      checkBitString(c, what);
      break;
    case 5:
      if (c.length !== 0) fail(`${what}: NULL with content`);
      break;
    case 6:
      checkOid(c, what);
      break;
    case 28:
      if (c.length % 4 !== 0) fail(`${what}: UniversalString length not a multiple of 4`);
      break;
    case 30:
      if (c.length % 2 !== 0) fail(`${what}: BMPString length odd`);
      break;
  }
  return c;
}

/** ASN1_ANY (whole TLV bytes): any tag; non-universal classes are kept as they are (V_ASN1_OTHER). */
function checkAny(tlv: Uint8Array | undefined, what: string): void {
  if (tlv === undefined) return;
  const r = new DerReader(tlv);
  const t = r.root();
  if (t.cls !== 0) return;
  checkUniversal(t.tagNumber, t.constructed, r.content(t), what);
}

function isUnicodeScalar(cp: number): boolean {
  return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * asn1_string_canon() → ASN1_STRING_to_UTF8() for the types in ASN1_MASK_CANON: fails on invalid UTF-8
 * (UTF8_getc: truncated, overlong, surrogates, beyond U+10FFFF) and on BMP/Universal code points that are
 * not Unicode scalar values (type_str with B_ASN1_UTF8STRING). One-byte types always convert.
 */
function checkCanonical(utype: number, c: Uint8Array, what: string): void {
  if (utype === TAG.UTF8_STRING) {
    try {
      utf8Fatal.decode(c);
    } catch {
      fail(`${what}: invalid UTF8String`);
    }
  } else if (utype === TAG.BMP_STRING) {
    for (let i = 0; i + 1 < c.length; i += 2) {
      if (!isUnicodeScalar((c[i] << 8) | c[i + 1])) fail(`${what}: BMPString holds a surrogate`);
    }
  } else if (utype === TAG.UNIVERSAL_STRING) {
    for (let i = 0; i + 3 < c.length; i += 4) {
      const cp = ((c[i] << 24) | (c[i + 1] << 16) | (c[i + 2] << 8) | c[i + 3]) >>> 0;
      if (!isUnicodeScalar(cp)) fail(`${what}: UniversalString holds an invalid code point`);
    }
  }
}

/**
 * x509_name_ex_d2i(): SEQUENCE OF SET OF { type OBJECT IDENTIFIER, value ASN1_PRINTABLE }, then
 * x509_name_canon(). The structure and the attribute types were read (decodeOid is at least as strict as
 * c2i_ASN1_OBJECT) by decodeName(); what is left is each value's type and content.
 */
function checkName(name: DecodedName, what: string): void {
  if (name.der.length > X509_NAME_MAX) fail(`${what}: Name longer than 1 MiB`);
  for (const rdn of name.rdns) {
    for (const { tag, value } of rdn) {
      // decodeName keeps the identifier's first octet; a high tag number (low bits 0x1f) needs the DER again.
      if ((tag & 0x1f) === 0x1f) return checkNameFromDer(name.der, what);
      checkNameValue(tag >> 6, (tag & 0x20) !== 0, tag & 0x1f, value, what);
    }
  }
}

function checkNameFromDer(der: Uint8Array, what: string): void {
  const r = new DerReader(der);
  for (const set of r.children(r.root())) {
    for (const ava of r.children(set)) {
      const v = r.children(ava)[1];
      checkNameValue(v.cls, v.constructed, v.tagNumber, r.content(v), what);
    }
  }
}

/** X509_NAME_ENTRY.value: the MSTRING ASN1_PRINTABLE (asn1_d2i_ex_primitive), then its canonical form. */
function checkNameValue(cls: number, constructed: boolean, utype: number, value: Uint8Array, what: string): void {
  if (cls !== 0) fail(`${what}: attribute value is not a universal type`);
  if (!PRINTABLE_TAGS.has(utype)) fail(`${what}: attribute value type ${utype} not allowed`);
  const c = checkUniversal(utype, constructed, value, `${what} attribute value`);
  if (c) checkCanonical(utype, c, `${what} attribute value`);
}

/**
 * Why OpenSSL's d2i_X509 would refuse a certificate readX509Facts() accepted (`facts` are its result), or
 * undefined. readX509Facts has checked the shape up to subjectPublicKeyInfo, each Extension, the Time types,
 * the serial number INTEGER and every OBJECT IDENTIFIER it decoded.
 */
export function opensslParseProblem(der: Uint8Array, facts: X509Facts): string | undefined {
  try {
    const r = new DerReader(der);
    const top = r.children(r.root());
    const f = r.children(top[0]);
    let i = 0;
    if (f[0].tag === 0xa0) checkInteger(r.content(r.children(f[i++])[0]), 'version');
    i++; // serialNumber: decodeInteger() made c2i_ibuf's checks
    const tbsAlg = r.children(f[i++]);
    if (tbsAlg.length > 1) checkAny(r.whole(tbsAlg[1]), 'signature parameters');
    checkName(facts.issuer, 'issuer');
    checkName(facts.subject, 'subject');
    i += 4; // issuer, validity (Time contents are not decoded by d2i), subject, subjectPublicKeyInfo
    checkAny(facts.spkiParams, 'subjectPublicKeyInfo parameters');
    checkBitString(facts.spkiKey, 'subjectPublicKey');
    // X509_CINF template: [1] IMPLICIT BIT STRING OPTIONAL, [2] IMPLICIT BIT STRING OPTIONAL, [3] EXPLICIT
    // SEQUENCE OF Extension OPTIONAL, in that order; anything left over is a SEQUENCE length mismatch.
    let next = 1;
    for (; i < f.length; i++) {
      const t = f[i];
      const n = t.cls === 2 ? t.tagNumber : 0;
      if (n < next || n > 3) fail('unexpected element in TBSCertificate');
      next = n + 1;
      if (n === 1 || n === 2) {
        checkBitString(t.constructed ? collectParts(r.content(t), 'uniqueIdentifier', 0) : r.content(t), 'uniqueIdentifier');
      }
    }
    checkAny(facts.signatureParams, 'signatureAlgorithm parameters');
    checkBitString(r.string(top[2]), 'signatureValue');
    return undefined;
  } catch (e) {
    if (e instanceof D2iProblem || e instanceof DerError) return e.message;
    throw e;
  }
}
