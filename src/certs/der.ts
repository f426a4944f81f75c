/**
 * A small, bounded DER TLV reader (ITU-T X.690 §8.1, §10.1).
 *
 * Hand-written on purpose: loading @peculiar/x509 costs ~110 ms and the CLI start-up is benchmarked.
 * Every length is checked against the enclosing element, nesting depth is limited, and the only exception
 * ever thrown is `DerError`. It accepts the BER that OpenSSL's template decoder (crypto/asn1/tasn_dec.c)
 * accepts in a certificate, because d2i_X509 — and so nginx — reads such certificates: non-minimal long-form
 * lengths, indefinite lengths on constructed encodings anywhere (ASN1_get_object refuses them only on primitive
 * ones), and constructed encodings of string types, which `collectString` concatenates like asn1_collect().
 */

export class DerError extends Error {
  readonly code = 'DER_PARSE';
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Universal tags used by certificates. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
} as const;

/** Nesting bound: certificates never go deeper than ~12; anything beyond 64 is hostile. */
export const MAX_DEPTH = 64;

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number when < 31). */
  tag: number;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number (high-tag-number form decoded). */
  tagNumber: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
  /**
   * Offset just past the element: `end`, or `end + 2` for an indefinite length, whose content is followed by
   * the end-of-contents octets 00 00 (X.690 §8.1.3.6).
   */
  next: number;
  /** Nesting depth (0 = top level). */
  depth: number;
}

/** The buffer a set of TLVs were read from, kept alongside to slice content. */
export class DerReader {
  constructor(readonly buf: Uint8Array) {}

  /** Reads one TLV at `offset`, which must end at or before `limit`. */
  read(offset: number, limit: number = this.buf.length, depth = 0): Tlv {
    const buf = this.buf;
    if (depth > MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH}`);
    if (limit > buf.length) throw new DerError('limit beyond buffer');
    let p = offset;
    if (p >= limit) throw new DerError(`truncated: no identifier at offset ${offset}`);
    const tag = buf[p++];
    const cls = tag >> 6;
    const constructed = (tag & 0x20) !== 0;
    let tagNumber = tag & 0x1f;
    if (tagNumber === 0x1f) {
      // High-tag-number form (X.690 §8.1.2.4): base-128, bounded to 4 octets.
      tagNumber = 0;
      for (let i = 0; ; i++) {
        if (p >= limit) throw new DerError('truncated tag');
        if (i >= 4) throw new DerError('tag number too large');
        const b = buf[p++];
        tagNumber = tagNumber * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    if (p >= limit) throw new DerError(`truncated: no length at offset ${offset}`);
    const first = buf[p++];
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      return this.readIndefinite(tag, cls, constructed, tagNumber, offset, p, limit, depth);
    } else {
      const n = first & 0x7f;
      if (n > 4) throw new DerError('length field too long');
      if (p + n > limit) throw new DerError('truncated length');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + buf[p++];
    }
    const end = p + length;
    if (end > limit) throw new DerError(`length ${length} at offset ${offset} overruns its container`);
    return { tag, cls, constructed, tagNumber, start: offset, contentStart: p, end, next: end, depth };
  }

  /**
   * The rest of a TLV with an indefinite length (BER, X.690 §8.1.3.6): its children up to the end-of-contents
   * octets. ASN1_get_object() refuses an indefinite length on a primitive encoding; asn1_check_eoc() ends the
   * content at the first 00 00 where an element is expected.
   */
  private readIndefinite(
    tag: number,
    cls: number,
    constructed: boolean,
    tagNumber: number,
    start: number,
    contentStart: number,
    limit: number,
    depth: number,
  ): Tlv {
    if (!constructed) throw new DerError(`indefinite length on a primitive element at offset ${start}`);
    let q = contentStart;
    for (;;) {
      if (q + 2 <= limit && this.buf[q] === 0 && this.buf[q + 1] === 0) break;
      if (q >= limit) throw new DerError(`missing end-of-contents for the element at offset ${start}`);
      q = this.read(q, limit, depth + 1).next;
    }
    return { tag, cls, constructed, tagNumber, start, contentStart, end: q, next: q + 2, depth };
  }

  /** The children of a constructed TLV, in order; content must be exactly covered. */
  children(parent: Tlv, max = 1_000_000): Tlv[] {
    if (!parent.constructed) throw new DerError(`tag 0x${parent.tag.toString(16)} is not constructed`);
    const out: Tlv[] = [];
    let p = parent.contentStart;
    while (p < parent.end) {
      if (out.length >= max) throw new DerError(`more than ${max} elements`);
      const child = this.read(p, parent.end, parent.depth + 1);
      out.push(child);
      p = child.next;
    }
    return out;
  }

  /** Reads the single top-level TLV covering the whole buffer. */
  root(): Tlv {
    const t = this.read(0, this.buf.length, 0);
    if (t.next !== this.buf.length) throw new DerError('trailing data after the top-level element');
    return t;
  }

  /** Reads a TLV that must be the only element inside [start, end). */
  only(start: number, end: number, depth: number): Tlv {
    const t = this.read(start, end, depth);
    if (t.next !== end) throw new DerError('trailing data inside element');
    return t;
  }

  content(t: Tlv): Uint8Array {
    return this.buf.subarray(t.contentStart, t.end);
  }

  whole(t: Tlv): Uint8Array {
    return this.buf.subarray(t.start, t.next);
  }

  /**
   * The value of a string type (OCTET STRING, BIT STRING, the character strings, Time, or an IMPLICIT tag over
   * one): the content of a primitive encoding, or the parts of a constructed (BER) one concatenated.
   */
  string(t: Tlv): Uint8Array {
    return t.constructed ? collectString(this, t, 0) : this.content(t);
  }

  /** The value of an element of universal string type `tag` (a primitive tag number), in either form. */
  expectString(t: Tlv, tag: number, what: string): Uint8Array {
    if ((t.tag & ~0x20) !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
    return this.string(t);
  }

  expect(t: Tlv, tag: number, what: string): Tlv {
    if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
    return t;
  }
}

/** A DER length field for `n` content octets (X.690 §8.1.3: short form below 128, else long form). */
export function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** ASN1_MAX_STRING_NEST (crypto/asn1/tasn_dec.c): constructed strings nest at most this deep. */
export const MAX_STRING_NEST = 5;

/**
 * asn1_collect() as asn1_d2i_ex_primitive() calls it for a constructed string: the parts' tags are not checked
 * (tag -1), constructed parts nest at most ASN1_MAX_STRING_NEST deep, and an end-of-contents octet pair is
 * illegal outside an indefinite length (ASN1_R_UNEXPECTED_EOC; our reader already stopped at the real one).
 */
export function collectString(r: DerReader, t: Tlv, depth: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const k of r.children(t)) {
    if (k.tag === 0 && k.end === k.contentStart) throw new DerError('unexpected end-of-contents in a constructed string');
    if (k.constructed && depth >= MAX_STRING_NEST) throw new DerError('constructed string nested too deep');
    parts.push(k.constructed ? collectString(r, k, depth + 1) : r.content(k));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Dotted OID text from the content octets of an OBJECT IDENTIFIER (X.690 §8.19). */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  if (content.length > 128) throw new DerError('OID too long');
  let out = '';
  // Arcs are accumulated as numbers while exact (below 2^53) and as BigInt beyond: real OIDs never get there,
  // and BigInt arithmetic was the costliest part of reading a certificate.
  let value = 0;
  let big: bigint | undefined;
  let started = false;
  let first = true;
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    if (!started && b === 0x80) throw new DerError('OID arc with leading 0x80');
    started = true;
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
    else if (value >= 2 ** 46) big = (BigInt(value) << 7n) | BigInt(b & 0x7f);
    else value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (first) {
        // The first subidentifier holds two arcs: X*40 + Y (X is 0, 1 or 2; Y is unbounded under 2).
        if (big !== undefined) {
          const x = big < 40n ? 0n : big < 80n ? 1n : 2n;
          out = `${x}.${big - x * 40n}`;
        } else {
          const x = value < 40 ? 0 : value < 80 ? 1 : 2;
          out = `${x}.${value - x * 40}`;
        }
        first = false;
      } else {
        out += `.${big !== undefined ? big : value}`;
      }
      value = 0;
      big = undefined;
      started = false;
    }
  }
  if (started) throw new DerError('truncated OID');
  return out;
}

/** Signed value of a small INTEGER's content octets (versions, pathLen); undefined when it does not fit in 48 bits. */
export function decodeSmallInteger(content: Uint8Array): number | undefined {
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content.length > 6) return undefined;
  let u = 0;
  for (const b of content) u = u * 256 + b;
  return content[0] & 0x80 ? u - 256 ** content.length : u;
}
