/**
 * Builds X.509 certificates for the differential suite: keys, names, extensions, the TBSCertificate and the signature.
 *
 * The common extensions (basicConstraints, keyUsage, extKeyUsage, subjectAltName) are encoded by @peculiar/x509 so the
 * ordinary certificates look like the ones the rest of tlsdoctor's fixtures produce; everything the library cannot
 * express (AKI with key id *and* issuer+serial, name constraints with IP ranges, nsCertType, v1 certificates, SHA-1
 * with ECDSA, P-192 keys, a mismatched inner signature algorithm) is written with ./der.ts. Signing uses node:crypto,
 * which is the same libcrypto as the `openssl` CLI we compare against, so SHA-1, MD5 and P-192 sign without the CLI.
 */
import 'reflect-metadata';
import { createHash, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  bitString,
  bmp,
  bool,
  explicit,
  ia5,
  implicitCons,
  implicitPrim,
  integer,
  nul,
  octet,
  oid,
  printable,
  readTlv,
  seq,
  set,
  t61,
  time,
  tlv,
  utf8,
  type Der,
} from './der.js';

// ------------------------------------------------------------------------------------------------ keys

export type KeyKind =
  | 'p256'
  | 'p384'
  | 'p521'
  | 'p224'
  | 'p192'
  | 'k256'
  | 'bp256'
  | 'ed25519'
  | 'ed448'
  | 'dsa1024'
  | 'dsa2048'
  /** RSA key whose SPKI says id-RSASSA-PSS (RFC 4055 section 1.2), no parameters. */
  | 'rsapss2048'
  | 'rsa1024'
  | 'rsa1536'
  | 'rsa2000'
  | 'rsa2040'
  | 'rsa2048'
  | 'rsa3072';

export interface KeyPair {
  kind: KeyKind;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  /** RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
  keyId: Buffer;
}

const CURVES: Partial<Record<KeyKind, string>> = {
  p256: 'prime256v1',
  p384: 'secp384r1',
  p521: 'secp521r1',
  p224: 'secp224r1',
  p192: 'prime192v1',
  k256: 'secp256k1',
  bp256: 'brainpoolP256r1',
};

export function toKeyPair(kind: KeyKind, publicKey: KeyObject, privateKey: KeyObject): KeyPair {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const outer = readTlv(spki);
  const algorithm = readTlv(outer.content, 0);
  const bits = readTlv(outer.content, algorithm.end);
  const keyId = createHash('sha1').update(bits.content.subarray(1)).digest();
  return { kind, publicKey, privateKey, spki, keyId };
}

/**
 * Key source. EC and EdDSA keys are fresh (microseconds each); RSA and DSA keys come from a small per-kind pool created
 * once, handed out round-robin so that the certificates of one chain get distinct keys.
 */
export class KeyPool {
  private readonly pools = new Map<KeyKind, KeyPair[]>();
  private readonly cursor = new Map<KeyKind, number>();

  /** Most RSA certificates are 2048-bit: a larger pool there, three keys of every other size. */
  constructor(private readonly poolSize: (bits: number) => number = (bits) => (bits === 2048 ? 6 : 3)) {}

  get(kind: KeyKind): KeyPair {
    const curve = CURVES[kind];
    if (curve) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      return toKeyPair(kind, publicKey, privateKey);
    }
    if (kind === 'ed25519' || kind === 'ed448') {
      const { publicKey, privateKey } =
        kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448');
      return toKeyPair(kind, publicKey, privateKey);
    }
    if (kind === 'dsa1024' || kind === 'dsa2048' || kind === 'rsapss2048') return this.pooled(kind);
    return this.pooled(kind);
  }

  private pooled(kind: KeyKind): KeyPair {
    let pool = this.pools.get(kind);
    if (!pool) {
      pool = [];
      const bits = Number(kind.replace(/^\D+/, ''));
      for (let i = 0; i < this.poolSize(bits); i++) {
        const { publicKey, privateKey } = kind.startsWith('dsa')
          ? generateKeyPairSync('dsa', { modulusLength: bits, divisorLength: bits >= 2048 ? 256 : 160 })
          : kind.startsWith('rsapss')
            ? generateKeyPairSync('rsa-pss', { modulusLength: bits })
            : generateKeyPairSync('rsa', { modulusLength: bits });
        pool.push(toKeyPair(kind, publicKey, privateKey));
      }
      this.pools.set(kind, pool);
    }
    const at = this.cursor.get(kind) ?? 0;
    this.cursor.set(kind, at + 1);
    return pool[at % pool.length]!;
  }
}

// ------------------------------------------------------------------------------------------------ signatures

export type Hash = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const RSA_PKCS1_OID: Record<Hash, string> = {
  md5: '1.2.840.113549.1.1.4',
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
  sha224: '1.2.840.113549.1.1.14',
};
const ECDSA_OID: Partial<Record<Hash, string>> = {
  sha1: '1.2.840.10045.4.1',
  sha224: '1.2.840.10045.4.3.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
const DSA_OID: Partial<Record<Hash, string>> = {
  sha1: '1.2.840.10040.4.3',
  sha224: '2.16.840.1.101.3.4.3.1',
  sha256: '2.16.840.1.101.3.4.3.2',
};
const HASH_OID: Partial<Record<Hash, string>> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha224: '2.16.840.1.101.3.4.2.4',
};
const HASH_BYTES: Record<Hash, number> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export interface SignatureScheme {
  hash: Hash;
  /** RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys only). */
  pss?: boolean;
  /** RSASSA-PSS salt length (default: the digest length). */
  pssSalt?: number;
  /** RSASSA-PSS with absent parameters (RFC 4055 defaults: SHA-1, MGF1-SHA-1, salt 20); `hash` must be sha1. */
  pssDefaultParams?: boolean;
  /** Encoding quirks of the AlgorithmIdentifier: NULL parameters on ECDSA, absent NULL on RSA PKCS#1. */
  paramsQuirk?: 'ecdsa-null' | 'rsa-absent';
}

/** The AlgorithmIdentifier for a signature by `signer` (RFC 5754, RFC 4055, RFC 8410). */
export function signatureAlgorithm(signer: KeyPair, scheme: SignatureScheme): Der {
  if (signer.kind === 'ed25519') return seq(oid('1.3.101.112'));
  if (signer.kind === 'ed448') return seq(oid('1.3.101.113'));
  if (signer.kind.startsWith('dsa')) {
    const dsa = DSA_OID[scheme.hash];
    if (!dsa) throw new Error(`no DSA signature algorithm with ${scheme.hash}`);
    return seq(oid(dsa));
  }
  if (signer.kind.startsWith('rsa')) {
    if (scheme.pss || signer.kind.startsWith('rsapss')) {
      if (scheme.pssDefaultParams) return seq(oid('1.2.840.113549.1.1.10'), seq());
      const hashAlg = seq(oid(HASH_OID[scheme.hash]!), nul());
      return seq(
        oid('1.2.840.113549.1.1.10'),
        seq(
          explicit(0, hashAlg),
          explicit(1, seq(oid('1.2.840.113549.1.1.8'), hashAlg)),
          explicit(2, integer(scheme.pssSalt ?? HASH_BYTES[scheme.hash])),
        ),
      );
    }
    if (scheme.paramsQuirk === 'rsa-absent') return seq(oid(RSA_PKCS1_OID[scheme.hash]));
    return seq(oid(RSA_PKCS1_OID[scheme.hash]), nul());
  }
  const ecdsa = ECDSA_OID[scheme.hash];
  if (!ecdsa) throw new Error(`no ECDSA signature algorithm with ${scheme.hash}`);
  return scheme.paramsQuirk === 'ecdsa-null' ? seq(oid(ecdsa), nul()) : seq(oid(ecdsa));
}

function signBytes(signer: KeyPair, scheme: SignatureScheme, tbs: Buffer): Buffer {
  if (signer.kind === 'ed25519' || signer.kind === 'ed448') return sign(null, tbs, signer.privateKey);
  if (signer.kind.startsWith('rsa') && (scheme.pss || signer.kind.startsWith('rsapss'))) {
    return sign(scheme.hash, tbs, {
      key: signer.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: scheme.pssDefaultParams ? 20 : (scheme.pssSalt ?? HASH_BYTES[scheme.hash]),
    });
  }
  return sign(scheme.hash, tbs, signer.privateKey);
}

// ------------------------------------------------------------------------------------------------ names

export type StringType = 'utf8' | 'printable' | 'ia5' | 't61' | 'bmp' | 'visible' | 'numeric';
/**
 * One attribute per RDN, in order: `[['CN', 'Test CA'], ['O', 'Example', 'printable']]`. An attribute whose 4th element
 * is `'+'` joins the previous RDN (a multi-valued RDN), in the order given (not DER-sorted, on purpose).
 */
export type NameSpec = Array<[attribute: string, value: string, type?: StringType, join?: '+']>;

const ATTRIBUTE_OID: Record<string, string> = {
  CN: '2.5.4.3',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  serialNumber: '2.5.4.5',
  emailAddress: '1.2.840.113549.1.9.1',
  DC: '0.9.2342.19200300.100.1.25',
};

function encodeString(value: string, type: StringType): Der {
  switch (type) {
    case 'utf8':
      return utf8(value);
    case 'printable':
      return printable(value);
    case 'ia5':
      return ia5(value);
    case 't61':
      return t61(value);
    case 'bmp':
      return bmp(value);
    case 'visible':
      return tlv(0x1a, Buffer.from(value, 'latin1'));
    case 'numeric':
      return tlv(0x12, Buffer.from(value, 'latin1'));
  }
}

export function encodeName(name: NameSpec): Der {
  const rdns: Der[][] = [];
  for (const [attribute, value, type, join] of name) {
    const oidText = ATTRIBUTE_OID[attribute];
    if (!oidText) throw new Error(`unknown attribute ${attribute}`);
    const defaultType: StringType =
      attribute === 'C' || attribute === 'serialNumber'
        ? 'printable'
        : attribute === 'emailAddress' || attribute === 'DC'
          ? 'ia5'
          : 'utf8';
    const ava = seq(oid(oidText), encodeString(value, type ?? defaultType));
    if (join === '+' && rdns.length > 0) rdns[rdns.length - 1]!.push(ava);
    else rdns.push([ava]);
  }
  return seq(...rdns.map((avas) => set(...avas)));
}

// ------------------------------------------------------------------------------------------------ general names

export type GeneralNameSpec =
  | { dns: string }
  | { ip: string }
  /** An address range for name constraints: `10.0.0.0/8`, `fd00::/8`. */
  | { ipRange: string }
  | { email: string }
  | { uri: string }
  /** directoryName, as a spec or as exact DER bytes. */
  | { dn: NameSpec | Der };

export function ipBytes(text: string): Buffer {
  if (text.includes('.') && !text.includes(':')) return Buffer.from(text.split('.').map((p) => Number(p)));
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headParts = head ? head.split(':').filter((p) => p !== '') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(tail !== undefined ? missing : 0).fill('0'), ...tailParts];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function prefixMask(bits: number, length: number): Buffer {
  const mask = Buffer.alloc(length);
  for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  return mask;
}

export function encodeGeneralName(gn: GeneralNameSpec): Der {
  if ('dns' in gn) return implicitPrim(2, Buffer.from(gn.dns, 'latin1'));
  if ('email' in gn) return implicitPrim(1, Buffer.from(gn.email, 'latin1'));
  if ('uri' in gn) return implicitPrim(6, Buffer.from(gn.uri, 'latin1'));
  if ('ip' in gn) return implicitPrim(7, ipBytes(gn.ip));
  if ('ipRange' in gn) {
    const [address, prefix] = gn.ipRange.split('/');
    const bytes = ipBytes(address!);
    return implicitPrim(7, Buffer.concat([bytes, prefixMask(Number(prefix), bytes.length)]));
  }
  return explicit(4, Buffer.isBuffer(gn.dn) ? gn.dn : encodeName(gn.dn as NameSpec));
}

// ------------------------------------------------------------------------------------------------ extensions

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyConstraints: '2.5.29.36',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  nsCertType: '2.16.840.1.113730.1.1',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  anyExtendedKeyUsage: '2.5.29.37.0',
  nsSGC: '2.16.840.1.113730.4.1',
  msSGC: '1.3.6.1.4.1.311.10.3.3',
} as const;

/** A raw Extension: `SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }` (RFC 5280 section 4.1). */
export function extension(oidText: string, critical: boolean, value: Uint8Array): Der {
  return critical ? seq(oid(oidText), bool(true), octet(value)) : seq(oid(oidText), octet(value));
}

const KEY_USAGE_FLAGS: Record<string, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
  encipherOnly: x509.KeyUsageFlags.encipherOnly,
  decipherOnly: x509.KeyUsageFlags.decipherOnly,
};

export function keyUsageExtension(usages: string[], critical = true): Der {
  let flags = 0;
  for (const u of usages) {
    const flag = KEY_USAGE_FLAGS[u];
    if (flag === undefined) throw new Error(`unknown key usage ${u}`);
    flags |= flag;
  }
  return Buffer.from(new x509.KeyUsagesExtension(flags, critical).rawData);
}

export function basicConstraintsExtension(ca: boolean, pathLen: number | undefined, critical = true): Der {
  // Encoded by hand: DER omits cA when FALSE (DEFAULT FALSE) and we also want pathLen on a CA:FALSE certificate.
  const parts: Der[] = [];
  if (ca) parts.push(bool(true));
  if (pathLen !== undefined) parts.push(integer(pathLen));
  return extension(OID.basicConstraints, critical, seq(...parts));
}

export function extKeyUsageExtension(oids: string[], critical = false): Der {
  return Buffer.from(new x509.ExtendedKeyUsageExtension(oids, critical).rawData);
}

export function subjectAltNameExtension(names: GeneralNameSpec[], critical = false): Der {
  const simple = names.every((n) => 'dns' in n || 'ip' in n || 'email' in n || 'uri' in n);
  if (simple && names.length > 0) {
    const json = names.map((n) =>
      'dns' in n
        ? { type: 'dns' as const, value: n.dns }
        : 'ip' in n
          ? { type: 'ip' as const, value: n.ip }
          : 'email' in n
            ? { type: 'email' as const, value: n.email }
            : { type: 'url' as const, value: (n as { uri: string }).uri },
    );
    return Buffer.from(new x509.SubjectAlternativeNameExtension(json, critical).rawData);
  }
  return extension(OID.subjectAltName, critical, seq(...names.map(encodeGeneralName)));
}

export function subjectKeyIdExtension(keyId: Uint8Array, critical = false): Der {
  return extension(OID.subjectKeyIdentifier, critical, octet(keyId));
}

export interface AkiSpec {
  keyId?: Uint8Array;
  issuerName?: NameSpec | Der;
  /** authorityCertIssuer as a list of GeneralNames (overrides issuerName). */
  issuerGeneralNames?: GeneralNameSpec[];
  serial?: bigint;
}

export function authorityKeyIdExtension(aki: AkiSpec, critical = false): Der {
  const parts: Der[] = [];
  if (aki.keyId) parts.push(implicitPrim(0, aki.keyId));
  if (aki.issuerGeneralNames) {
    parts.push(implicitCons(1, Buffer.concat(aki.issuerGeneralNames.map(encodeGeneralName))));
  } else if (aki.issuerName) {
    const name = Buffer.isBuffer(aki.issuerName) ? aki.issuerName : encodeName(aki.issuerName as NameSpec);
    parts.push(implicitCons(1, explicit(4, name)));
  }
  if (aki.serial !== undefined) parts.push(implicitPrim(2, readTlv(integer(aki.serial)).content));
  return extension(OID.authorityKeyIdentifier, critical, seq(...parts));
}

export interface NameConstraintsSpec {
  permitted?: GeneralNameSpec[];
  excluded?: GeneralNameSpec[];
  critical?: boolean;
}

export function nameConstraintsExtension(nc: NameConstraintsSpec): Der {
  const subtrees = (names: GeneralNameSpec[]): Der => Buffer.concat(names.map((n) => seq(encodeGeneralName(n))));
  const parts: Der[] = [];
  if (nc.permitted?.length) parts.push(implicitCons(0, subtrees(nc.permitted)));
  if (nc.excluded?.length) parts.push(implicitCons(1, subtrees(nc.excluded)));
  return extension(OID.nameConstraints, nc.critical ?? true, seq(...parts));
}

/** A named BIT STRING (X.690 section 11.2.2: trailing zero bits removed). */
function namedBits(positions: number[]): Der {
  if (positions.length === 0) return bitString(Buffer.alloc(0), 0);
  const last = Math.max(...positions);
  const bytes = Buffer.alloc((last >> 3) + 1);
  for (const p of positions) bytes[p >> 3]! |= 0x80 >> (p & 7);
  return bitString(bytes, 7 - (last & 7));
}

const NS_CERT_TYPE_BITS: Record<string, number> = {
  client: 0,
  server: 1,
  email: 2,
  objsign: 3,
  sslCA: 5,
  emailCA: 6,
  objCA: 7,
};

/** Netscape certificate type (2.16.840.1.113730.1.1), still honoured by OpenSSL's purpose checks (v3_purp.c). */
export function nsCertTypeExtension(types: string[], critical = false): Der {
  return extension(
    OID.nsCertType,
    critical,
    namedBits(
      types.map((t) => {
        const bit = NS_CERT_TYPE_BITS[t];
        if (bit === undefined) throw new Error(`unknown nsCertType ${t}`);
        return bit;
      }),
    ),
  );
}

// ------------------------------------------------------------------------------------------------ certificate

export interface TbsSpec {
  version: 1 | 2 | 3;
  serial: bigint;
  issuer: Der;
  subject: Der;
  notBefore: Date;
  notAfter: Date;
  /** Encode both dates as GeneralizedTime even before 2050 (allowed by BER, not by RFC 5280). */
  generalizedTime?: boolean;
  /** Raw Time encodings replacing notBefore / notAfter (malformed or non-RFC 5280 forms). */
  rawNotBefore?: Der;
  rawNotAfter?: Der;
  spki: Der;
  extensions: Der[];
}

export interface SignOptions extends SignatureScheme {
  signer: KeyPair;
  /** Flip a bit of the signature value. */
  corruptSignature?: boolean;
  /** Put this AlgorithmIdentifier in the outer `signatureAlgorithm` instead of the one that was used. */
  outerAlgorithm?: Der;
  /** Announce this AlgorithmIdentifier in both places (the signature is still made as `signer` + scheme). */
  algorithm?: Der;
}

export function buildCertificate(tbs: TbsSpec, options: SignOptions): Buffer {
  const algorithm = options.algorithm ?? signatureAlgorithm(options.signer, options);
  const fields: Der[] = [];
  if (tbs.version !== 1) fields.push(explicit(0, integer(tbs.version - 1)));
  fields.push(
    integer(tbs.serial),
    algorithm,
    tbs.issuer,
    seq(
      tbs.rawNotBefore ?? time(tbs.notBefore, tbs.generalizedTime),
      tbs.rawNotAfter ?? time(tbs.notAfter, tbs.generalizedTime),
    ),
    tbs.subject,
    tbs.spki,
  );
  if (tbs.version === 3 && tbs.extensions.length > 0) fields.push(explicit(3, seq(...tbs.extensions)));
  const tbsDer = seq(...fields);
  const signature = signBytes(options.signer, options, tbsDer);
  if (options.corruptSignature) signature[signature.length - 1]! ^= 0x01;
  return seq(tbsDer, options.outerAlgorithm ?? algorithm, bitString(signature));
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
}
