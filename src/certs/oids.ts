/**
 * Object identifiers tlsdoctor names, with OpenSSL's short names (crypto/objects/objects.txt).
 */

/** Name attribute types → the short names OpenSSL prints (`openssl x509 -nameopt RFC2253`). */
export const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const OID = {
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
  // Extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
  sbgpIpAddrBlock: '1.3.6.1.5.5.7.1.7',
  sbgpAutonomousSysNum: '1.3.6.1.5.5.7.1.8',
  netscapeCertType: '2.16.840.1.113730.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // Access methods (RFC 5280 §4.2.2.1)
  caIssuers: '1.3.6.1.5.5.7.48.2',
  ocsp: '1.3.6.1.5.5.7.48.1',
  // EKU purposes (RFC 5280 §4.2.1.12) and the legacy ones OpenSSL knows (v3_purp.c)
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  dvcs: '1.3.6.1.5.5.7.3.10',
  anyExtendedKeyUsage: '2.5.29.37.0',
  msSgc: '1.3.6.1.4.1.311.10.3.3',
  nsSgc: '2.16.840.1.113730.4.1',
  smtpUtf8Mailbox: '1.3.6.1.5.5.7.8.9',
  // Public keys
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  dhKeyAgreement: '1.2.840.113549.1.3.1',
  dhpublicnumber: '1.2.840.10046.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
} as const;

/**
 * Extensions OpenSSL 3.0 "supports" for the critical-extension check (supported_nids[] of
 * X509_supported_extension in crypto/x509/v3_purp.c): a critical extension outside this list sets
 * EXFLAG_CRITICAL, which check_extensions turns into X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION (34).
 * AKID, SKID and AIA are not in it: a critical one is rejected.
 */
export const OPENSSL_SUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.netscapeCertType,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.crlDistributionPoints,
  OID.extKeyUsage,
  OID.sbgpIpAddrBlock,
  OID.sbgpAutonomousSysNum,
  OID.ocspNoCheck,
  OID.policyConstraints,
  OID.proxyCertInfo,
  OID.nameConstraints,
  OID.policyMappings,
  OID.inhibitAnyPolicy,
]);

export interface SignatureAlgorithm {
  /** OpenSSL short/long name as `openssl x509 -text` prints it. */
  name: string;
  /** Key type the signature needs (OBJ_find_sigid_algs pkey nid), as node:crypto's asymmetricKeyType. */
  keyType: 'rsa' | 'rsa-pss' | 'ec' | 'dsa' | 'ed25519' | 'ed448' | 'sm2';
  /** Digest, undefined for Ed25519/Ed448 (and for RSA-PSS, whose digest lives in the parameters). */
  hash?: string;
}

/** Signature algorithms (OBJ_find_sigid_algs / crypto/objects/obj_xref.txt). */
export const SIGNATURE_ALGORITHMS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', keyType: 'rsa', hash: 'MD2' },
  '1.2.840.113549.1.1.3': { name: 'md4WithRSAEncryption', keyType: 'rsa', hash: 'MD4' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', keyType: 'rsa', hash: 'MD5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', keyType: 'rsa', hash: 'SHA-1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSA', keyType: 'rsa', hash: 'SHA-1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', keyType: 'rsa', hash: 'SHA-224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', keyType: 'rsa', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', keyType: 'rsa', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', keyType: 'rsa', hash: 'SHA-512' },
  '1.2.840.113549.1.1.15': { name: 'sha512-224WithRSAEncryption', keyType: 'rsa', hash: 'SHA-512/224' },
  '1.2.840.113549.1.1.16': { name: 'sha512-256WithRSAEncryption', keyType: 'rsa', hash: 'SHA-512/256' },
  '2.16.840.1.101.3.4.3.13': { name: 'RSA-SHA3-224', keyType: 'rsa', hash: 'SHA3-224' },
  '2.16.840.1.101.3.4.3.14': { name: 'RSA-SHA3-256', keyType: 'rsa', hash: 'SHA3-256' },
  '2.16.840.1.101.3.4.3.15': { name: 'RSA-SHA3-384', keyType: 'rsa', hash: 'SHA3-384' },
  '2.16.840.1.101.3.4.3.16': { name: 'RSA-SHA3-512', keyType: 'rsa', hash: 'SHA3-512' },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss', keyType: 'rsa-pss' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', keyType: 'ec', hash: 'SHA-1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', keyType: 'ec', hash: 'SHA-224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', keyType: 'ec', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', keyType: 'ec', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', keyType: 'ec', hash: 'SHA-512' },
  '2.16.840.1.101.3.4.3.9': { name: 'ecdsa_with_SHA3-224', keyType: 'ec', hash: 'SHA3-224' },
  '2.16.840.1.101.3.4.3.10': { name: 'ecdsa_with_SHA3-256', keyType: 'ec', hash: 'SHA3-256' },
  '2.16.840.1.101.3.4.3.11': { name: 'ecdsa_with_SHA3-384', keyType: 'ec', hash: 'SHA3-384' },
  '2.16.840.1.101.3.4.3.12': { name: 'ecdsa_with_SHA3-512', keyType: 'ec', hash: 'SHA3-512' },
  '1.2.840.10040.4.3': { name: 'dsaWithSHA1', keyType: 'dsa', hash: 'SHA-1' },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa_with_SHA224', keyType: 'dsa', hash: 'SHA-224' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa_with_SHA256', keyType: 'dsa', hash: 'SHA-256' },
  '1.3.101.112': { name: 'ED25519', keyType: 'ed25519' },
  '1.3.101.113': { name: 'ED448', keyType: 'ed448' },
  '1.2.156.10197.1.501': { name: 'SM2-with-SM3', keyType: 'sm2', hash: 'SM3' },
};

/** Digest OIDs (for RSA-PSS parameters). */
export const DIGEST_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '2.16.840.1.101.3.4.2.5': 'SHA-512/224',
  '2.16.840.1.101.3.4.2.6': 'SHA-512/256',
  '2.16.840.1.101.3.4.2.7': 'SHA3-224',
  '2.16.840.1.101.3.4.2.8': 'SHA3-256',
  '2.16.840.1.101.3.4.2.9': 'SHA3-384',
  '2.16.840.1.101.3.4.2.10': 'SHA3-512',
  '1.2.840.113549.2.5': 'MD5',
};

/**
 * Security bits of a digest used in a signature, as OpenSSL 3.0's x509_sig_info_init computes them
 * (crypto/x509/x509_set.c): half the digest size, except SHA-1 → 63 and MD5 → 39 (known collision attacks).
 */
export function digestSecurityBits(hash: string | undefined): number {
  switch (hash) {
    case 'MD2':
    case 'MD4':
      return 0;
    case 'MD5':
      return 39;
    case 'SHA-1':
      return 63;
    case 'SHA-224':
    case 'SHA-512/224':
    case 'SHA3-224':
      return 112;
    case 'SHA-256':
    case 'SHA-512/256':
    case 'SHA3-256':
    case 'SM3':
      return 128;
    case 'SHA-384':
    case 'SHA3-384':
      return 192;
    case 'SHA-512':
    case 'SHA3-512':
      return 256;
    default:
      return 0;
  }
}
