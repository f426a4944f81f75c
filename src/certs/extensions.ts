/**
 * Decoders for the X.509v3 extensions tlsdoctor and OpenSSL's x509v3_cache_extensions() look at
 * (RFC 5280 §4.2). Each throws `DerError` where OpenSSL's ASN.1 template decoder would fail, because that
 * failure is what sets EXFLAG_INVALID (crypto/x509/v3_purp.c). Like the template decoder they read BER:
 * indefinite lengths and constructed strings (a SAN dNSName or an AKID keyIdentifier in constructed form).
 */
import { DerError, DerReader, TAG, decodeOid, decodeSmallInteger, lengthOctets, toHex, type Tlv } from './der.js';
import { decodeGeneralName, decodeGeneralNames, type GeneralName } from './general-name.js';
import { decodeName } from './name.js';

/**
 * The first element of an extension value. X509V3_EXT_d2i() (crypto/x509/v3_lib.c) hands the OCTET STRING to
 * ASN1_item_d2i() or the method's d2i with its length and never checks that the whole value was consumed, so
 * bytes after the first element are ignored: measured with `openssl verify` on leaves whose basicConstraints,
 * keyUsage, extKeyUsage, subjectAltName, AKID, SKID, nameConstraints, cRLDistributionPoints or nsCertType
 * value is followed by `05 00` or `ff` (all accepted and applied; certificatePolicies, policyConstraints and
 * AIA are not decoded by x509v3_cache_extensions at all).
 */
function top(value: Uint8Array): { r: DerReader; t: Tlv } {
  const r = new DerReader(value);
  return { r, t: r.read(0, value.length, 0) };
}

/** BOOLEAN content: OpenSSL requires exactly one octet (ASN1_R_BOOLEAN_IS_WRONG_LENGTH), any non-zero is TRUE. */
function decodeBoolean(content: Uint8Array): boolean {
  if (content.length !== 1) throw new DerError('BOOLEAN must be one octet');
  return content[0] !== 0;
}

/**
 * INTEGER content as OpenSSL's c2i_ASN1_INTEGER (3.0) accepts it: non-empty, minimally padded.
 * Returns the i2a-style text (uppercase hex of the magnitude, `-` for negatives) and the sign.
 */
export function decodeInteger(content: Uint8Array): { hex: string; negative: boolean } {
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content.length > 1) {
    if (content[0] === 0x00 && (content[1] & 0x80) === 0) throw new DerError('INTEGER with illegal padding');
    if (content[0] === 0xff && (content[1] & 0x80) !== 0) throw new DerError('INTEGER with illegal padding');
  }
  const negative = (content[0] & 0x80) !== 0;
  let mag: Uint8Array = content;
  if (negative) {
    // Two's complement magnitude.
    const out = new Uint8Array(content.length);
    let carry = 1;
    for (let i = content.length - 1; i >= 0; i--) {
      const v = (~content[i] & 0xff) + carry;
      out[i] = v & 0xff;
      carry = v >> 8;
    }
    mag = out;
  }
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  mag = mag.subarray(i);
  return { hex: (negative ? '-' : '') + toHex(mag).toUpperCase(), negative };
}

/** BIT STRING content: unused-bit count must be 0..7 (c2i_ASN1_BIT_STRING); unused bits are cleared. */
export function decodeBitString(content: Uint8Array): Uint8Array {
  if (content.length < 1) throw new DerError('empty BIT STRING');
  const unused = content[0];
  if (unused > 7) throw new DerError('BIT STRING with more than 7 unused bits');
  const data = Uint8Array.from(content.subarray(1));
  if (data.length > 0) data[data.length - 1] &= (0xff << unused) & 0xff;
  return data;
}

export interface BasicConstraintsValue {
  ca: boolean;
  /** undefined when absent; negative values are kept (OpenSSL flags them invalid). */
  pathLen?: number;
  pathLenNegative: boolean;
}

export function decodeBasicConstraints(value: Uint8Array): BasicConstraintsValue {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'BasicConstraints');
  const kids = r.children(t, 3);
  let i = 0;
  let ca = false;
  if (kids[i]?.tag === TAG.BOOLEAN) ca = decodeBoolean(r.content(kids[i++]));
  let pathLen: number | undefined;
  let pathLenNegative = false;
  if (kids[i]?.tag === TAG.INTEGER) {
    const content = r.content(kids[i++]);
    const { negative } = decodeInteger(content);
    pathLenNegative = negative;
    // ASN1_INTEGER_get returns -1 for values that do not fit a long: treat as "no limit".
    pathLen = decodeSmallInteger(content) ?? -1;
  }
  if (i !== kids.length) throw new DerError('unexpected element in BasicConstraints');
  return { ca, pathLen, pathLenNegative };
}

/** KeyUsage / nsCertType: the bit string's octets. */
export function decodeBitStringExtension(value: Uint8Array, what: string): Uint8Array {
  const { r, t } = top(value);
  return decodeBitString(r.expectString(t, TAG.BIT_STRING, what));
}

export function decodeExtKeyUsage(value: Uint8Array): string[] {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'ExtKeyUsage');
  return r.children(t, 10_000).map((c) => decodeOid(r.content(r.expect(c, TAG.OID, 'KeyPurposeId'))));
}

export function decodeOctetStringExtension(value: Uint8Array, what: string): string {
  const { r, t } = top(value);
  return toHex(r.expectString(t, TAG.OCTET_STRING, what));
}

export interface AuthorityKeyIdValue {
  keyId?: string;
  issuer?: GeneralName[];
  serialHex?: string;
}

export function decodeAuthorityKeyId(value: Uint8Array): AuthorityKeyIdValue {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'AuthorityKeyIdentifier');
  const out: AuthorityKeyIdValue = {};
  let last = -1;
  for (const c of r.children(t, 4)) {
    if (c.cls !== 2 || c.tagNumber <= last) throw new DerError('unexpected element in AuthorityKeyIdentifier');
    last = c.tagNumber;
    if (c.tagNumber === 0) out.keyId = toHex(r.string(c)); // [0] IMPLICIT OCTET STRING, either form
    else if (c.tagNumber === 1 && c.constructed) out.issuer = decodeGeneralNames(r, c);
    else if (c.tagNumber === 2 && !c.constructed) out.serialHex = decodeInteger(r.content(c)).hex;
    else throw new DerError('unexpected element in AuthorityKeyIdentifier');
  }
  return out;
}

export function decodeGeneralNamesExtension(value: Uint8Array): GeneralName[] {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'GeneralNames');
  return decodeGeneralNames(r, t);
}

export interface Subtree {
  base: GeneralName;
  /** OpenSSL's nc_minmax_valid(): minimum absent or 0, maximum absent. */
  minMaxValid: boolean;
}

export interface NameConstraintsValue {
  permitted: Subtree[];
  excluded: Subtree[];
}

function decodeSubtrees(r: DerReader, t: Tlv): Subtree[] {
  if (!t.constructed) throw new DerError('GeneralSubtrees must be constructed');
  return r.children(t, 100_000).map((s) => {
    r.expect(s, TAG.SEQUENCE, 'GeneralSubtree');
    const kids = r.children(s, 4);
    if (kids.length === 0) throw new DerError('GeneralSubtree without base');
    const base = decodeGeneralName(r, kids[0]);
    let minMaxValid = true;
    let last = -1;
    for (const k of kids.slice(1)) {
      if (k.cls !== 2 || k.constructed || k.tagNumber > 1 || k.tagNumber <= last) {
        throw new DerError('unexpected element in GeneralSubtree');
      }
      last = k.tagNumber;
      const { hex } = decodeInteger(r.content(k));
      if (k.tagNumber === 1) minMaxValid = false;
      else if (hex !== '00') minMaxValid = false;
    }
    return { base, minMaxValid };
  });
}

export function decodeNameConstraints(value: Uint8Array): NameConstraintsValue {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'NameConstraints');
  const out: NameConstraintsValue = { permitted: [], excluded: [] };
  let last = -1;
  for (const c of r.children(t, 3)) {
    if (c.cls !== 2 || c.tagNumber > 1 || c.tagNumber <= last) throw new DerError('unexpected element in NameConstraints');
    last = c.tagNumber;
    if (c.tagNumber === 0) out.permitted = decodeSubtrees(r, c);
    else out.excluded = decodeSubtrees(r, c);
  }
  return out;
}

export interface AccessDescription {
  method: string;
  location: GeneralName;
}

export function decodeAuthorityInfoAccess(value: Uint8Array): AccessDescription[] {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'AuthorityInfoAccessSyntax');
  return r.children(t, 10_000).map((ad) => {
    r.expect(ad, TAG.SEQUENCE, 'AccessDescription');
    const kids = r.children(ad, 3);
    if (kids.length !== 2) throw new DerError('AccessDescription must have two elements');
    return {
      method: decodeOid(r.content(r.expect(kids[0], TAG.OID, 'accessMethod'))),
      location: decodeGeneralName(r, kids[1]),
    };
  });
}

export interface CrlDistributionPointsValue {
  /** The fullName GeneralNames of every point. */
  names: GeneralName[];
  /** Points with neither distributionPoint nor a non-empty cRLIssuer (OpenSSL's setup_dp() refuses them). */
  withoutPointOrIssuer: number;
}

/** CRLDistributionPoints (RFC 5280 §4.2.1.13), as the DIST_POINT template reads it. */
export function decodeCrlDistributionPoints(value: Uint8Array): CrlDistributionPointsValue {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'CRLDistributionPoints');
  const out: CrlDistributionPointsValue = { names: [], withoutPointOrIssuer: 0 };
  for (const dp of r.children(t, 10_000)) {
    r.expect(dp, TAG.SEQUENCE, 'DistributionPoint');
    let last = -1;
    let point = false;
    let issuers = 0;
    for (const f of r.children(dp, 4)) {
      if (f.cls !== 2 || f.tagNumber > 2 || f.tagNumber <= last) throw new DerError('unexpected element in DistributionPoint');
      last = f.tagNumber;
      if (f.tagNumber === 0) {
        point = true;
        out.names.push(...decodeDistributionPointName(r, f));
      } else if (f.tagNumber === 1) {
        decodeBitString(r.string(f)); // reasons [1] IMPLICIT ReasonFlags (BIT STRING), either form
      } else {
        issuers = decodeGeneralNames(r, f).length;
      }
    }
    if (!point && issuers === 0) out.withoutPointOrIssuer++;
  }
  return out;
}

/**
 * DistributionPointName: [0] EXPLICIT CHOICE { fullName [0] IMPLICIT GeneralNames, nameRelativeToCRLIssuer [1]
 * IMPLICIT RelativeDistinguishedName }. The template's SET OF has no minimum: an empty RDN decodes.
 */
function decodeDistributionPointName(r: DerReader, f: Tlv): GeneralName[] {
  const inner = r.children(f, 2);
  if (inner.length !== 1 || inner[0].cls !== 2) throw new DerError('bad DistributionPointName');
  if (inner[0].tagNumber === 0) return decodeGeneralNames(r, inner[0]);
  if (inner[0].tagNumber !== 1 || !inner[0].constructed) throw new DerError('bad DistributionPointName');
  // Validate the RDN by wrapping its members in a Name.
  const body = r.buf.subarray(inner[0].contentStart, inner[0].end);
  const set = Uint8Array.from([0x31, ...lengthOctets(body.length), ...body]);
  const seq = Uint8Array.from([0x30, ...lengthOctets(set.length), ...set]);
  const nr = new DerReader(seq);
  decodeName(nr, nr.root());
  return [];
}


/** ProxyCertInfo (RFC 3820 §3.8): only its path length matters to us. */
export function decodeProxyCertInfo(value: Uint8Array): { pathLen?: number } {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, 'ProxyCertInfo');
  const kids = r.children(t, 3);
  let i = 0;
  let pathLen: number | undefined;
  if (kids[i]?.tag === TAG.INTEGER) pathLen = decodeSmallInteger(r.content(kids[i++]));
  if (kids[i]?.tag !== TAG.SEQUENCE) throw new DerError('ProxyCertInfo without ProxyPolicy');
  i++;
  if (i !== kids.length) throw new DerError('unexpected element in ProxyCertInfo');
  return { pathLen };
}

/** Generic check for extensions we only need to know are well-formed DER (RFC 3779 blocks). */
export function decodeAnySequence(value: Uint8Array, what: string): void {
  const { r, t } = top(value);
  r.expect(t, TAG.SEQUENCE, what);
  const walk = (x: Tlv) => {
    if (x.constructed) for (const c of r.children(x)) walk(c);
  };
  walk(t);
}
