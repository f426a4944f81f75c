/**
 * Public-key and signature-algorithm descriptions with OpenSSL 3.0's security-bit figures, the numbers
 * check_key_level() and check_sig_level() (crypto/x509/x509_vfy.c) compare with the security level.
 */
import type { KeyObject } from 'node:crypto';
import type { KeyType, PublicKeyInfo, SignatureInfo } from './cert.js';
import { DerReader, TAG, decodeOid } from './der.js';
import { DIGEST_OIDS, OID, SIGNATURE_ALGORITHMS, digestSecurityBits } from './oids.js';

/**
 * ossl_ifc_ffc_compute_security_bits() (crypto/rsa/rsa_lib.c, OpenSSL 3.0): SP 800-56B's estimate for an
 * n-bit RSA modulus or finite-field group, with the standard sizes pinned.
 */
export function ifcFfcSecurityBits(n: number): number {
  const pinned: Record<number, number> = { 2048: 112, 3072: 128, 4096: 152, 6144: 176, 7680: 192, 8192: 200, 15360: 256 };
  if (pinned[n] !== undefined) return pinned[n];
  if (n >= 687737) return 1200;
  if (n < 8) return 0;
  const cap = n <= 7680 ? 192 : n <= 15360 ? 256 : 1200;
  const x = n * Math.LN2;
  const lx = Math.log(x);
  let y = Math.floor((1.923 * Math.cbrt(x * lx * lx) - 4.69) / Math.LN2);
  y = (y + 4) & ~7;
  return Math.min(y, cap);
}

/** Order size in bits of the named curves node:crypto reports (EC_GROUP_order_bits). */
const CURVE_ORDER_BITS: Record<string, number> = {
  prime192v1: 192,
  secp192r1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256r1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
  brainpoolP224r1: 224,
  brainpoolP192r1: 192,
  brainpoolP160r1: 160,
  secp160r1: 161,
  secp160k1: 161,
  secp160r2: 161,
  secp192k1: 192,
  secp224k1: 225,
  SM2: 256,
};

const CURVE_DISPLAY: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp224r1: 'P-224', prime192v1: 'P-192' };

/** ec_pkey_security_bits(): thresholds on the group order size. */
function ecSecurityBits(orderBits: number): number {
  if (orderBits >= 512) return 256;
  if (orderBits >= 384) return 192;
  if (orderBits >= 256) return 128;
  if (orderBits >= 224) return 112;
  if (orderBits >= 160) return 80;
  return Math.floor(orderBits / 2);
}

/** Named-curve OIDs → the names node:crypto and OpenSSL use. */
const CURVE_OIDS: Record<string, string> = {
  '1.2.840.10045.3.1.1': 'prime192v1',
  '1.3.132.0.33': 'secp224r1',
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
  '1.3.132.0.10': 'secp256k1',
  '1.3.36.3.3.2.8.1.1.1': 'brainpoolP160r1',
  '1.3.36.3.3.2.8.1.1.3': 'brainpoolP192r1',
  '1.3.36.3.3.2.8.1.1.5': 'brainpoolP224r1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
  '1.2.156.10197.1.301': 'SM2',
};

function integerBits(content: Uint8Array): number {
  let i = 0;
  while (i < content.length && content[i] === 0) i++;
  if (i === content.length) return 0;
  return (content.length - i - 1) * 8 + (32 - Math.clz32(content[i]));
}

/**
 * Key size read from the SubjectPublicKeyInfo DER (cheaper than node's asymmetricKeyDetails):
 * RSA modulus bits, DSA/DH prime bits, EC named curve or, for explicit parameters, the group order bits.
 */
function spkiDetails(spkiParams: Uint8Array | undefined, spkiKey: Uint8Array, type: string): { bits: number; curve?: string; orderBits?: number } {
  try {
    if (type === 'rsa' || type === 'rsa-pss') {
      const r = new DerReader(spkiKey.subarray(1));
      const seq = r.root();
      return { bits: integerBits(r.content(r.children(seq, 3)[0])) };
    }
    if (!spkiParams) return { bits: 0 };
    const r = new DerReader(spkiParams);
    const p = r.root();
    if (type === 'ec') {
      if (p.tag === TAG.OID) {
        const curve = CURVE_OIDS[decodeOid(r.content(p))];
        return { bits: curve ? (CURVE_ORDER_BITS[curve] ?? 0) : 0, curve, orderBits: curve ? CURVE_ORDER_BITS[curve] : 0 };
      }
      // specifiedCurve: SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
      const kids = r.children(p, 8);
      const order = integerBits(r.content(kids[4]));
      return { bits: order, orderBits: order };
    }
    if (type === 'dsa' || type === 'dh') {
      return { bits: integerBits(r.content(r.children(p, 8)[0])) };
    }
  } catch {
    return { bits: 0 };
  }
  return { bits: 0 };
}

/** Describes the certificate's public key; `key` is node:crypto's (undefined when OpenSSL cannot decode it). */
export function describePublicKey(key: KeyObject | undefined, spkiAlgorithmOid: string, spkiParams?: Uint8Array, spkiKey?: Uint8Array): PublicKeyInfo {
  if (!key) return { type: keyTypeFromOid(spkiAlgorithmOid), bits: 0, securityBits: 0 };
  const type = (key.asymmetricKeyType ?? 'unknown') as string;
  const sd = spkiKey ? spkiDetails(spkiParams, spkiKey, type) : undefined;
  const d = (sd
    ? { modulusLength: sd.bits, namedCurve: sd.curve, orderBits: sd.orderBits }
    : key.asymmetricKeyDetails ?? {}) as { modulusLength?: number; namedCurve?: string; orderBits?: number };
  switch (type) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = d.modulusLength ?? 0;
      return { type, bits, securityBits: ifcFfcSecurityBits(bits) };
    }
    case 'ec': {
      const curve = d.namedCurve;
      const orderBits = d.orderBits ?? (curve ? (CURVE_ORDER_BITS[curve] ?? 0) : 0);
      const info: PublicKeyInfo = { type, bits: orderBits, securityBits: ecSecurityBits(orderBits) };
      if (curve) info.curve = curve;
      return info;
    }
    case 'ed25519':
      return { type: 'ed25519', bits: 256, securityBits: 128 };
    case 'ed448':
      return { type: 'ed448', bits: 456, securityBits: 224 };
    case 'x25519':
      return { type: 'unknown', bits: 253, securityBits: 128 };
    case 'x448':
      return { type: 'unknown', bits: 448, securityBits: 224 };
    case 'dsa':
    case 'dh': {
      const bits = d.modulusLength ?? 0;
      return { type, bits, securityBits: ifcFfcSecurityBits(bits) };
    }
    default:
      return { type: 'unknown', bits: 0, securityBits: 0 };
  }
}

function keyTypeFromOid(oid: string): KeyType {
  switch (oid) {
    case OID.rsaEncryption:
      return 'rsa';
    case OID.rsassaPss:
      return 'rsa-pss';
    case OID.ecPublicKey:
      return 'ec';
    case OID.ed25519:
      return 'ed25519';
    case OID.ed448:
      return 'ed448';
    case OID.dsa:
      return 'dsa';
    case OID.dhKeyAgreement:
    case OID.dhpublicnumber:
      return 'dh';
    default:
      return 'unknown';
  }
}

/** "RSA 2048", "EC P-256", "Ed25519". */
export function keyLabel(k: PublicKeyInfo): string {
  switch (k.type) {
    case 'rsa':
      return `RSA ${k.bits}`;
    case 'rsa-pss':
      return `RSA-PSS ${k.bits}`;
    case 'ec':
      return `EC ${k.curve ? (CURVE_DISPLAY[k.curve] ?? k.curve) : 'explicit'}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    case 'dsa':
      return `DSA ${k.bits}`;
    case 'dh':
      return `DH ${k.bits}`;
    default:
      return 'unknown';
  }
}

/** RSASSA-PSS-params hashAlgorithm ([0] EXPLICIT, default SHA-1), RFC 4055 §3.1. */
function pssHash(params: Uint8Array | undefined): string | undefined {
  return pssParams(params)?.hash;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1): the message digest ([0], default SHA-1), MGF1's digest ([1], default SHA-1;
 * undefined when not MGF1 over a known digest) and the salt length ([2], default 20); undefined when unreadable.
 */
export function pssParams(params: Uint8Array | undefined): { hash: string; mgfHash?: string; saltLength: number } | undefined {
  if (!params) return undefined;
  try {
    const r = new DerReader(params);
    const seq = r.root();
    if (seq.tag !== TAG.SEQUENCE) return undefined;
    let hash: string | undefined = 'SHA-1';
    let mgfHash: string | undefined = 'SHA-1';
    let saltLength = 20;
    for (const c of r.children(seq, 8)) {
      if (c.tag === 0xa0) {
        const alg = r.children(c, 2)[0];
        hash = DIGEST_OIDS[decodeOid(r.content(r.children(alg, 3)[0]))];
      } else if (c.tag === 0xa1) {
        mgfHash = undefined; // read on its own: a digest the rest of the parameters name stays readable
        try {
          const mgf = r.children(r.children(c, 2)[0], 3); // MGF1's AlgorithmIdentifier: its parameter names the digest
          if (mgf[1]) mgfHash = DIGEST_OIDS[decodeOid(r.content(r.children(mgf[1], 3)[0]))];
        } catch {
          // not MGF1 over a digest we know
        }
      } else if (c.tag === 0xa2) {
        try {
          const n = r.content(r.expect(r.children(c, 2)[0], TAG.INTEGER, 'saltLength'));
          saltLength = n.length <= 4 ? n.reduce((v, b) => v * 256 + b, 0) : -1;
        } catch {
          saltLength = -1;
        }
      }
    }
    if (hash === undefined) return undefined;
    return { hash, ...(mgfHash !== undefined ? { mgfHash } : {}), saltLength };
  } catch {
    return undefined;
  }
}

/**
 * The outer signature algorithm with its security bits as X509_get_signature_info() reports them
 * (x509_sig_info_init / rsa_sig_info_set: SHA-1 63, or 64 under RSA-PSS; MD5 39; else half the digest size;
 * Ed25519 128, Ed448 224; 0 when OpenSSL cannot tell, which check_sig_level treats as too weak).
 */
export function describeSignature(oid: string, params: Uint8Array | undefined): SignatureInfo {
  const alg = SIGNATURE_ALGORITHMS[oid];
  if (!alg) return { oid, name: oid, securityBits: 0 };
  if (alg.keyType === 'ed25519') return { oid, name: alg.name, securityBits: 128 };
  if (alg.keyType === 'ed448') return { oid, name: alg.name, securityBits: 224 };
  if (alg.keyType === 'rsa-pss') {
    const hash = pssHash(params);
    const bits = hash === 'SHA-1' ? 64 : digestSecurityBits(hash);
    return { oid, name: alg.name, hash, securityBits: bits };
  }
  return { oid, name: alg.name, hash: alg.hash, securityBits: digestSecurityBits(alg.hash) };
}
