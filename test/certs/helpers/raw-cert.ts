/**
 * Hand-built certificates for the parser tests: arbitrary Name string types, duplicate or undecodable
 * extensions, odd times. Signed with node:crypto (ECDSA P-256 / SHA-256), so OpenSSL accepts them.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type Der = Uint8Array;

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...parts: Der[]): Der {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const head = [tag, ...len(total)];
  const out = new Uint8Array(head.length + total);
  out.set(head);
  let o = head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const seq = (...p: Der[]) => tlv(0x30, ...p);
export const set = (...p: Der[]) => tlv(0x31, ...p);
export const octet = (b: Der) => tlv(0x04, b);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string) => tlv(0x13, Buffer.from(s, 'latin1'));
export const ia5 = (s: string) => tlv(0x16, Buffer.from(s, 'latin1'));
export const bool = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
export const int = (...bytes: number[]) => tlv(0x02, Uint8Array.from(bytes));

export const t61 = (s: string) => tlv(0x14, Buffer.from(s, 'latin1'));
export function bmp(s: string): Der {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), 2 * i);
  return tlv(0x1e, b);
}

export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...tmp);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** Name from [oid, valueTLV] RDNs (one attribute each unless an array of pairs is given). */
export function name(...rdns: ([string, Der] | [string, Der][])[]): Der {
  return seq(
    ...rdns.map((r) => {
      const attrs = (Array.isArray(r[0]) ? r : [r]) as [string, Der][];
      return set(...attrs.map(([o, v]) => seq(oid(o), v)));
    }),
  );
}

export const CN = '2.5.4.3';
export const O = '2.5.4.10';

export function ext(oidStr: string, value: Der, critical = false): Der {
  return critical ? seq(oid(oidStr), bool(true), octet(value)) : seq(oid(oidStr), octet(value));
}

const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));

let defaultKey: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
export function testKey() {
  defaultKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return defaultKey;
}

export interface RawCertSpec {
  subject: Der;
  issuer?: Der;
  extensions?: Der[];
  notBefore?: Der;
  notAfter?: Der;
  serial?: Der;
  version?: number;
  key?: { privateKey: KeyObject; publicKey: KeyObject };
  signer?: KeyObject;
}

export const utcTime = (s: string) => tlv(0x17, Buffer.from(s, 'latin1'));
export const genTime = (s: string) => tlv(0x18, Buffer.from(s, 'latin1'));

export function rawCert(spec: RawCertSpec): Der {
  const key = spec.key ?? testKey();
  const spki = new Uint8Array(key.publicKey.export({ type: 'spki', format: 'der' }));
  const version = spec.version ?? 3;
  const parts: Der[] = [];
  if (version !== 1) parts.push(tlv(0xa0, int(version - 1)));
  parts.push(spec.serial ?? int(0x01, 0x23));
  parts.push(ecdsaSha256, spec.issuer ?? spec.subject);
  parts.push(seq(spec.notBefore ?? utcTime('260101000000Z'), spec.notAfter ?? utcTime('361231235959Z')));
  parts.push(spec.subject, spki);
  if (spec.extensions && spec.extensions.length > 0) parts.push(tlv(0xa3, seq(...spec.extensions)));
  const tbs = seq(...parts);
  const sig = sign('sha256', tbs, spec.signer ?? key.privateKey);
  return seq(tbs, ecdsaSha256, tlv(0x03, Uint8Array.of(0), sig));
}

