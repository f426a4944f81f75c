/**
 * GeneralName (RFC 5280 §4.2.1.6) decoding, following OpenSSL's GENERAL_NAME template (crypto/x509/v3_genn.c):
 * what OpenSSL cannot decode makes the enclosing extension undecodable.
 */
import { DerError, DerReader, TAG, decodeOid, type Tlv } from './der.js';
import { decodeName, type DecodedName } from './name.js';

export type GeneralNameType = 'other' | 'email' | 'dns' | 'x400' | 'dirName' | 'edi' | 'uri' | 'ip' | 'rid';

export interface GeneralName {
  type: GeneralNameType;
  /** email/dns/uri: raw IA5 bytes; ip: address (and mask) octets; other: the value's DER. */
  bytes: Uint8Array;
  /** dirName only. */
  name?: DecodedName;
  /** otherName type-id or registeredID. */
  oid?: string;
}

const TYPES: GeneralNameType[] = ['other', 'email', 'dns', 'x400', 'dirName', 'edi', 'uri', 'ip', 'rid'];

export function decodeGeneralName(r: DerReader, t: Tlv): GeneralName {
  if (t.cls !== 2) throw new DerError('GeneralName must be context-specific');
  const type = TYPES[t.tagNumber];
  if (type === undefined) throw new DerError(`unknown GeneralName tag [${t.tagNumber}]`);
  switch (type) {
    case 'email':
    case 'dns':
    case 'uri':
    case 'ip':
      // IMPLICIT IA5String / OCTET STRING: a constructed (BER) encoding is collected (asn1_d2i_ex_primitive).
      return { type, bytes: r.string(t) };
    case 'rid':
      if (t.constructed) throw new DerError('registeredID must be primitive');
      return { type, bytes: r.content(t), oid: decodeOid(r.content(t)) };
    case 'other': {
      if (!t.constructed) throw new DerError('otherName must be constructed');
      const parts = r.children(t, 3);
      if (parts.length !== 2) throw new DerError('otherName must have two elements');
      const oid = decodeOid(r.content(r.expect(parts[0], TAG.OID, 'otherName type-id')));
      if (parts[1].tag !== 0xa0) throw new DerError('otherName value must be [0] EXPLICIT');
      const inner = r.children(parts[1], 2);
      if (inner.length !== 1) throw new DerError('otherName value must hold one element');
      return { type, bytes: r.whole(inner[0]), oid };
    }
    case 'dirName': {
      if (!t.constructed) throw new DerError('directoryName must be constructed');
      const inner = r.children(t, 2);
      if (inner.length !== 1) throw new DerError('directoryName must hold one Name');
      return { type, bytes: r.whole(inner[0]), name: decodeName(r, inner[0]) };
    }
    case 'x400':
    case 'edi':
      if (!t.constructed) throw new DerError(`GeneralName [${t.tagNumber}] must be constructed`);
      r.children(t);
      return { type, bytes: r.content(t) };
  }
}

/** GeneralNames ::= SEQUENCE OF GeneralName, given the SEQUENCE (or an IMPLICIT-tagged equivalent). */
export function decodeGeneralNames(r: DerReader, t: Tlv): GeneralName[] {
  if (!t.constructed) throw new DerError('GeneralNames must be constructed');
  return r.children(t, 100_000).map((c) => decodeGeneralName(r, c));
}

export function ipToString(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    // RFC 5952 §4.2: compress the longest run (>= 2) of zero groups.
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen && j - i >= 2) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (best < 0) return groups.join(':');
    return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  }
  return Buffer.from(b).toString('hex');
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}
