/**
 * X.501 Names: decoding, the one-line text form, and OpenSSL's canonical encoding.
 *
 * OpenSSL compares names (X509_NAME_cmp, used for issuer matching, self-issued detection and directoryName
 * name constraints) on a canonical re-encoding built by x509_name_canon() in crypto/x509/x_name.c:
 * string values of the types in ASN1_MASK_CANON are converted to UTF-8, stripped of leading and trailing
 * ASCII whitespace, runs of internal whitespace collapsed to one space, ASCII upper case folded to lower
 * case; every value is then re-encoded as a UTF8String, each RDN as a DER SET OF (so its members are sorted),
 * and the RDN SETs are concatenated without the outer SEQUENCE header. Equal names have byte-equal canonical
 * encodings; nc_dn() (v3_ncons.c) tests a directoryName constraint as a byte prefix of it.
 */
import { DerError, DerReader, TAG, decodeOid, type Tlv } from './der.js';
import { ATTRIBUTE_NAMES } from './oids.js';

export interface NameAttribute {
  oid: string;
  /** The value's universal tag (PrintableString 0x13, UTF8String 0x0c, ...). */
  tag: number;
  /** The value's content octets as encoded. */
  value: Uint8Array;
}

export interface DecodedName {
  /** RDNs in encoded order (most general first); each RDN holds one or more attributes. */
  rdns: NameAttribute[][];
  /** The whole Name TLV. */
  der: Uint8Array;
  /** OpenSSL's canonical encoding (see above). */
  canon: Uint8Array;
  /** False when OpenSSL could not canonicalise it (invalid UTF-8 or BMP/Universal lengths). */
  canonOk: boolean;
}

/** Universal string types canonicalised by OpenSSL (ASN1_MASK_CANON, include/crypto/asn1.h). */
const CANON_TYPES = new Set<number>([
  TAG.UTF8_STRING,
  TAG.BMP_STRING,
  TAG.UNIVERSAL_STRING,
  TAG.PRINTABLE_STRING,
  TAG.T61_STRING,
  TAG.IA5_STRING,
  TAG.VISIBLE_STRING,
]);

/**
 * x509_name_ex_d2i() (crypto/x509/x_name.c): SEQUENCE OF SET OF AttributeTypeAndValue, with BER as d2i reads
 * it. The RDN SETs are flattened into one entry list, each entry remembering its SET's index: an empty SET
 * (`SET {}`) contributes no entry, so it leaves no trace in the entry list, the canonical encoding
 * (x509_name_canon starts a new SET whenever the index changes) or the printed name. OpenSSL 3.0 parses such
 * a Name (`openssl x509 -inform DER -subject` prints it without the empty RDN) and nginx proxies through such
 * certificates; RFC 5280's RDN SIZE (1..MAX) is not enforced by the template decoder. An empty RDN is
 * therefore dropped here rather than refused.
 */
export function decodeName(r: DerReader, t: Tlv): DecodedName {
  r.expect(t, TAG.SEQUENCE, 'Name');
  const rdns: NameAttribute[][] = [];
  const oids: Uint8Array[][] = [];
  for (const set of r.children(t, 10_000)) {
    r.expect(set, TAG.SET, 'RelativeDistinguishedName');
    const rdn: NameAttribute[] = [];
    const rdnOids: Uint8Array[] = [];
    for (const ava of r.children(set, 10_000)) {
      r.expect(ava, TAG.SEQUENCE, 'AttributeTypeAndValue');
      const parts = r.children(ava, 3);
      if (parts.length !== 2) throw new DerError('AttributeTypeAndValue must have two elements');
      const oid = decodeOid(r.content(r.expect(parts[0], TAG.OID, 'attribute type')));
      rdn.push(attributeValue(r, oid, parts[1]));
      rdnOids.push(r.whole(parts[0]));
    }
    if (rdn.length === 0) continue;
    rdns.push(rdn);
    oids.push(rdnOids);
  }
  const { canon, ok } = canonicalEncoding(rdns, oids);
  return { rdns, der: r.whole(t), canon, canonOk: ok };
}

/**
 * The value as ASN1_PRINTABLE (an MSTRING) holds it: a universal string type in constructed (BER) form is
 * collected into one string of the primitive type (asn1_d2i_ex_primitive → asn1_collect); SEQUENCE, SET and
 * other classes keep their encoding.
 */
function attributeValue(r: DerReader, oid: string, v: Tlv): NameAttribute {
  if (v.constructed && v.cls === 0 && v.tagNumber !== 16 && v.tagNumber !== 17 && v.tagNumber < 31) {
    return { oid, tag: v.tag & ~0x20, value: r.string(v) };
  }
  return { oid, tag: v.tag, value: r.content(v) };
}

/** Decodes a string value to text the way ASN1_STRING_to_UTF8 would; undefined when OpenSSL would fail. */
export function stringValue(tag: number, v: Uint8Array): string | undefined {
  switch (tag) {
    case TAG.UTF8_STRING:
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(v);
      } catch {
        return undefined;
      }
    case TAG.BMP_STRING: {
      if (v.length % 2 !== 0) return undefined;
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i] << 8) | v[i + 1]);
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (v.length % 4 !== 0) return undefined;
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0;
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default: {
      // PrintableString, IA5String, T61String, VisibleString, NumericString...: one byte per character
      // (OpenSSL treats T61String as Latin-1).
      let s = '';
      for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
      return s;
    }
  }
}

const utf8 = new TextEncoder();

function latin1Text(v: Uint8Array): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
  return s;
}

function isSpace(b: number): boolean {
  // ossl_isspace: space, \t, \n, \v, \f, \r
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

function isAscii(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] >= 0x80) return false;
  return true;
}

/** Scratch space for canonValue: its result is copied out before the next call. */
let scratch = new Uint8Array(256);

/**
 * asn1_string_canon() on one value: UTF-8 bytes, trimmed, whitespace collapsed, ASCII lower-cased. The result
 * is a view of a shared buffer, valid until the next call.
 */
function canonValue(tag: number, v: Uint8Array): Uint8Array | undefined {
  let bytes: Uint8Array;
  if (tag === TAG.PRINTABLE_STRING || tag === TAG.IA5_STRING || tag === TAG.VISIBLE_STRING || tag === TAG.T61_STRING) {
    // One byte per character: ASCII stays as is, 0x80-0xff become two UTF-8 bytes (Latin-1).
    bytes = isAscii(v) ? v : utf8.encode(latin1Text(v));
  } else {
    const text = stringValue(tag, v);
    if (text === undefined) return undefined;
    bytes = tag === TAG.UTF8_STRING ? v : utf8.encode(text);
  }
  let from = 0;
  let len = bytes.length;
  while (len > 0 && isSpace(bytes[from])) {
    from++;
    len--;
  }
  while (len > 0 && isSpace(bytes[from + len - 1])) len--;
  if (scratch.length < len) scratch = new Uint8Array(Math.max(len, scratch.length * 2));
  const out = scratch;
  let o = 0;
  let i = 0;
  while (i < len) {
    const b = bytes[from + i];
    if (b >= 0x80) {
      out[o++] = b;
      i++;
    } else if (isSpace(b)) {
      out[o++] = 0x20;
      do i++;
      while (i < len && isSpace(bytes[from + i]));
    } else {
      out[o++] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
      i++;
    }
  }
  return out.subarray(0, o);
}

/** Octets of a DER length field for `n` (X.690 §8.1.3). */
function lengthSize(n: number): number {
  if (n < 0x80) return 1;
  let k = 1;
  while (n > 0) {
    k++;
    n = Math.floor(n / 256);
  }
  return k;
}

/** Writes tag + length of a TLV with `n` content octets at `o`; returns the offset of the content. */
function writeHeader(out: Uint8Array, o: number, tag: number, n: number): number {
  out[o++] = tag;
  if (n < 0x80) {
    out[o++] = n;
    return o;
  }
  const k = lengthSize(n) - 1;
  out[o++] = 0x80 | k;
  for (let j = k - 1; j >= 0; j--) out[o++] = Math.floor(n / 256 ** j) & 0xff;
  return o;
}

/** SEQUENCE { type OID (its whole TLV), value as `tag` + `content` }: one AttributeTypeAndValue. */
function encodeMember(oid: Uint8Array, tag: number, content: Uint8Array): Uint8Array {
  const valueLen = 1 + lengthSize(content.length) + content.length;
  const seqLen = oid.length + valueLen;
  const out = new Uint8Array(1 + lengthSize(seqLen) + seqLen);
  let o = writeHeader(out, 0, TAG.SEQUENCE, seqLen);
  out.set(oid, o);
  o = writeHeader(out, o + oid.length, tag, content.length);
  out.set(content, o);
  return out;
}

/** der_cmp from crypto/asn1/tasn_enc.c: SET OF members are sorted by their encodings. */
function derCmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function canonicalEncoding(rdns: NameAttribute[][], oids: Uint8Array[][]): { canon: Uint8Array; ok: boolean } {
  const sets: Uint8Array[][] = [];
  let ok = true;
  let total = 0;
  for (let r = 0; r < rdns.length; r++) {
    const rdn = rdns[r];
    const members: Uint8Array[] = [];
    let setLen = 0;
    for (let k = 0; k < rdn.length; k++) {
      const a = rdn[k];
      let member: Uint8Array;
      const c = CANON_TYPES.has(a.tag) ? canonValue(a.tag, a.value) : undefined;
      if (c !== undefined) {
        member = encodeMember(oids[r][k], TAG.UTF8_STRING, c);
      } else {
        if (CANON_TYPES.has(a.tag)) ok = false;
        member = encodeMember(oids[r][k], a.tag, a.value);
      }
      members.push(member);
      setLen += member.length;
    }
    if (members.length > 1) members.sort(derCmp);
    sets.push(members);
    total += 1 + lengthSize(setLen) + setLen;
  }
  // The RDN SETs concatenated, without the outer SEQUENCE header.
  const canon = new Uint8Array(total);
  let o = 0;
  for (const members of sets) {
    let setLen = 0;
    for (const m of members) setLen += m.length;
    o = writeHeader(canon, o, TAG.SET, setLen);
    for (const m of members) {
      canon.set(m, o);
      o += m.length;
    }
  }
  return { canon, ok };
}

/** Set by headerAt(): the content of the element whose header was read. */
let contentAt = 0;
let endAt = 0;

/** Reads a header whose lengths plain-der.ts has checked. */
function headerAt(der: Uint8Array, p: number): void {
  let len = der[p + 1];
  p += 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p++];
  }
  contentAt = p;
  endAt = p + len;
}

let canonOut = new Uint8Array(512);

/**
 * decodeName(...).canon straight from the DER, for the usual Name only: every RDN one attribute, every value a
 * primitive string of a type x509_name_canon() converts. Undefined for anything else (decodeName handles it) and
 * when a value cannot be converted (canonOk false). Indexing a trust bundle by subject needs this and nothing
 * else of a certificate (src/certs/lazy-cert.ts). The Name at `start` must have passed plainCertificateLayout()
 * (plain-der.ts): lengths are not checked again.
 */
export function simpleNameCanon(der: Uint8Array, start: number): Uint8Array | undefined {
  headerAt(der, start);
  const end = endAt;
  let o = 0;
  for (let p = contentAt; p < end; ) {
    headerAt(der, p); // the RDN SET
    const setEnd = endAt;
    headerAt(der, contentAt); // its first AttributeTypeAndValue
    if (endAt !== setEnd) return undefined; // a multi-valued RDN: its members are sorted, decodeName's job
    const avaEnd = endAt;
    const oidStart = contentAt;
    headerAt(der, oidStart);
    const oidEnd = endAt;
    const tag = der[oidEnd];
    if (!CANON_TYPES.has(tag)) return undefined;
    headerAt(der, oidEnd);
    if (endAt !== avaEnd) return undefined;
    const c = canonValue(tag, der.subarray(contentAt, endAt));
    if (c === undefined) return undefined;
    // SET { SEQUENCE { type, UTF8String value } }, as encodeMember() and canonicalEncoding() write it.
    const member = oidEnd - oidStart + 1 + lengthSize(c.length) + c.length;
    const seqLen = 1 + lengthSize(member) + member;
    const need = o + 1 + lengthSize(seqLen) + seqLen;
    if (need > canonOut.length) {
      const bigger = new Uint8Array(Math.max(need, canonOut.length * 2));
      bigger.set(canonOut.subarray(0, o));
      canonOut = bigger;
    }
    o = writeHeader(canonOut, o, TAG.SET, seqLen);
    o = writeHeader(canonOut, o, TAG.SEQUENCE, member);
    canonOut.set(der.subarray(oidStart, oidEnd), o);
    o = writeHeader(canonOut, o + oidEnd - oidStart, TAG.UTF8_STRING, c.length);
    canonOut.set(c, o);
    o += c.length;
    p = setEnd;
  }
  return canonOut.slice(0, o);
}

/** Escapes a value for the one-line form (RFC 4514 §2.4). */
function escapeValue(s: string): string {
  let out = s.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  // eslint-disable-next-line no-control-regex
  return out.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * One-line text, most specific RDN first (`CN=leaf,O=Example`), like `-nameopt RFC2253`: OpenSSL reverses
 * the whole entry list (XN_FLAG_DN_REV), so members of a multi-valued RDN come out reversed too.
 */
export function nameToString(name: DecodedName): string {
  return name.rdns
    .slice()
    .reverse()
    .map((rdn) =>
      rdn
        .slice()
        .reverse()
        .map((a) => {
          const key = ATTRIBUTE_NAMES[a.oid] ?? a.oid;
          const text = stringValue(a.tag, a.value);
          const value =
            text === undefined || a.tag === TAG.OID || a.tag === 0x30
              ? `#${Buffer.from(a.value).toString('hex')}`
              : escapeValue(text);
          return `${key}=${value}`;
        })
        .join('+'),
    )
    .join(',');
}

/** Equal as OpenSSL's X509_NAME_cmp() would say. */
export function namesEqual(a: DecodedName, b: DecodedName): boolean {
  if (!a.canonOk || !b.canonOk) return false;
  return bytesEqual(a.canon, b.canon);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
