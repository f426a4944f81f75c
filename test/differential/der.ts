/**
 * A minimal DER writer for the differential generator.
 *
 * The generator needs certificates no well-behaved library will emit (version 1 CAs, an AKI with both a key id and
 * issuer+serial, a tbs signature algorithm that differs from the outer one, issuer names whose string type differs
 * from the issuer's subject, GeneralizedTime before 2050, negative serials), so it writes the TBSCertificate itself
 * (X.690 DER, RFC 5280 section 4.1). Nothing here is clever: tag, length, value.
 */

export type Der = Buffer;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Der {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const seq = (...parts: Uint8Array[]): Der => tlv(0x30, Buffer.concat(parts));
export const set = (...parts: Uint8Array[]): Der => tlv(0x31, Buffer.concat(parts));
export const nul = (): Der => Buffer.from([0x05, 0x00]);
export const bool = (value: boolean): Der => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
export const octet = (content: Uint8Array): Der => tlv(0x04, content);
export const utf8 = (s: string): Der => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Der => tlv(0x13, Buffer.from(s, 'latin1'));
export const ia5 = (s: string): Der => tlv(0x16, Buffer.from(s, 'latin1'));
export const t61 = (s: string): Der => tlv(0x14, Buffer.from(s, 'latin1'));
export const bmp = (s: string): Der => tlv(0x1e, Buffer.from(s, 'utf16le').swap16());

/** BIT STRING with `unused` trailing bits in the last byte. */
export const bitString = (content: Uint8Array, unused = 0): Der => tlv(0x03, Buffer.concat([Buffer.from([unused]), content]));

/** Explicit context tag [n] (constructed). */
export const explicit = (n: number, content: Uint8Array): Der => tlv(0xa0 | n, content);
/** Implicit context tag [n] over primitive content. */
export const implicitPrim = (n: number, content: Uint8Array): Der => tlv(0x80 | n, content);
/** Implicit context tag [n] over constructed content (the inner SEQUENCE's contents). */
export const implicitCons = (n: number, content: Uint8Array): Der => tlv(0xa0 | n, content);

/** INTEGER from a bigint (two's complement, minimal length). */
export function integer(value: bigint | number): Der {
  const v = BigInt(value);
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1)) || v >= 1n << BigInt(8 * n - 1)) n++;
  let u = v < 0n ? v + (1n << BigInt(8 * n)) : v;
  const bytes = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return tlv(0x02, Buffer.from(bytes));
}

/** INTEGER from raw content bytes (caller is responsible for the sign bit). */
export const integerRaw = (content: Uint8Array): Der => tlv(0x02, content);

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map((p) => BigInt(p));
  const out: number[] = [Number(parts[0]! * 40n + parts[1]!)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** UTCTime for 1950..2049 (RFC 5280 section 4.1.2.5.1), GeneralizedTime otherwise or when forced. */
export function time(date: Date, forceGeneralized = false): Der {
  const y = date.getUTCFullYear();
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  if (!forceGeneralized && y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(pad2(y % 100) + rest, 'latin1'));
  return tlv(0x18, Buffer.from(String(y).padStart(4, '0') + rest, 'latin1'));
}

/** Reads one TLV at `offset`: returns the tag, the content slice and the offset after it. */
export function readTlv(buf: Uint8Array, offset = 0): { tag: number; content: Buffer; end: number; headerLength: number } {
  const tag = buf[offset]!;
  let length = buf[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    header += n;
  }
  const start = offset + header;
  return { tag, content: Buffer.from(buf.subarray(start, start + length)), end: start + length, headerLength: header };
}
