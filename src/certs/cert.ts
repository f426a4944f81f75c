/**
 * The certificate model every stage after `certs/` works with.
 *
 * A `Cert` is built once per DER blob by `parseCertificate` (src/certs/parse.ts). Everything here is
 * plain data except `native`, the `node:crypto` X509Certificate that OpenSSL itself parsed: we use it for
 * what OpenSSL must decide exactly as nginx's OpenSSL does (signature checks, `X509_check_issued`,
 * `X509_check_host`), and our own DER reader for the extension fields OpenSSL does not expose to Node.
 *
 * Some properties are getters computed on first read and kept (`native`, `publicKey`, `selfSigned`, `serial`,
 * `subject`, `issuer`, `commonNames`): a CA bundle's certificates are mostly never used, and OpenSSL's parse of
 * each costs more than all the rest. They are own enumerable properties, so a spread or JSON.stringify sees
 * their values (and pays for them). A certificate of a trust bundle goes further (parse.ts `lazy`,
 * lazy-cert.ts): nothing is parsed until one of its fields other than `der` and `sha256` is first read, and until
 * then a spread of it holds `der` only.
 */
import type { X509Certificate } from 'node:crypto';

export type KeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'dsa' | 'dh' | 'unknown';

export interface PublicKeyInfo {
  type: KeyType;
  /** Modulus size for RSA/DSA, curve size for EC, 256/456 for Ed25519/Ed448. */
  bits: number;
  /** OpenSSL's security bits for this key (RSA-2048 → 112, P-256 → 128, ...), as `EVP_PKEY_get_security_bits`. */
  securityBits: number;
  curve?: string;
}

export interface SignatureInfo {
  oid: string;
  /** OpenSSL's short name when known, e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `ED25519`. */
  name: string;
  /** Digest name (`SHA-1`, `SHA-256`, ...) or undefined for Ed25519/Ed448/unknown. */
  hash?: string;
  /** OpenSSL's security bits of the digest as used in a signature (SHA-1 → 63 since OpenSSL 3.0, MD5 → 39). */
  securityBits: number;
}

export interface AuthorityKeyId {
  keyId?: string; // lowercase hex
  issuer?: string[]; // directoryName entries, one-line form
  serial?: string; // uppercase hex
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[]; // canonical text form: 127.0.0.1, ::1
  email: string[];
  uri: string[];
  other: number; // count of otherName/x400/ediParty/registeredID/directoryName entries
}

export interface GeneralSubtree {
  type: 'dns' | 'ip' | 'email' | 'uri' | 'dirName' | 'other';
  /** dns/email/uri: the string; ip: `addr/prefixlen`; dirName: one-line DN; other: OID or tag. */
  value: string;
}

export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** Length of the extension's OCTET STRING value in bytes. */
  length: number;
}

export interface Cert {
  /** The exact DER bytes. */
  der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex without separators. */
  sha256: string;
  version: number; // 1, 2 or 3
  serial: string; // uppercase hex
  /** One-line distinguished names as OpenSSL prints them with `-nameopt RFC2253`-like order: `CN=leaf,O=Example`. */
  subject: string;
  issuer: string;
  /** Hex of the DER encoding of the Name: exact-bytes identity. */
  subjectDer: string;
  issuerDer: string;
  /** Common names in the subject, in order. */
  commonNames: string[];
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyInfo;
  signature: SignatureInfo;
  basicConstraints?: { ca: boolean; pathLen?: number; critical: boolean };
  /** Key usage bit names (`digitalSignature`, `keyEncipherment`, `keyCertSign`, `cRLSign`, ...) when the extension is present. */
  keyUsage?: string[];
  /** Extended key usage OIDs when present (serverAuth = 1.3.6.1.5.5.7.3.1, anyExtendedKeyUsage = 2.5.29.37.0). */
  extKeyUsage?: string[];
  subjectKeyId?: string; // lowercase hex
  authorityKeyId?: AuthorityKeyId;
  subjectAltNames?: SubjectAltNames;
  nameConstraints?: NameConstraints;
  aia: { caIssuers: string[]; ocsp: string[] };
  crlDistributionPoints: string[];
  extensions: CertExtension[];
  /** Subject and issuer names compare equal the way OpenSSL compares them (`X509_NAME_cmp`). */
  selfIssued: boolean;
  /** Self-issued and the signature verifies with its own key (OpenSSL's `X509_self_signed(cert, 1)`). */
  selfSigned: boolean;
  /**
   * Problems OpenSSL's `x509v3_cache_extensions` flags as EXFLAG_INVALID or that make the certificate
   * unusable (duplicate extensions, undecodable basicConstraints, ...). Empty for a well-formed certificate.
   */
  malformed: string[];
  /**
   * node:crypto's parse of the same DER. Not serialisable: never put it in a report. For a certificate parsed
   * with `deferOpenSsl` (parse.ts) that OpenSSL refuses after all, reading it throws CertParseError.
   */
  native: X509Certificate;
}

/** The JSON-serialisable summary of a certificate used in reports and JSON output. */
export interface CertSummary {
  subject: string;
  issuer: string;
  serial: string;
  sha256: string;
  notBefore: string; // ISO-8601
  notAfter: string; // ISO-8601
  selfSigned: boolean;
  isCa: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  keyType: string; // e.g. "RSA 2048", "EC P-256"
  signatureAlgorithm: string;
  pem: string;
}
