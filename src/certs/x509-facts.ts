/**
 * OpenSSL's view of one certificate: the TBS fields read with our DER reader and the flags
 * ossl_x509v3_cache_extensions() (OpenSSL 3.0, crypto/x509/v3_purp.c) caches in `ex_flags`, `ex_kusage`,
 * `ex_xkusage`, `ex_nscert`, `ex_pathlen`, `skid`, `akid`, `altname`, `nc`.
 *
 * The trust engine (src/chain/) decides on these facts exactly as x509_vfy.c decides on the flags.
 */
import { DerError, DerReader, TAG, decodeOid, decodeSmallInteger, toHex, type Tlv } from './der.js';
import {
  decodeAnySequence,
  decodeAuthorityInfoAccess,
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeBitStringExtension,
  decodeCrlDistributionPoints,
  decodeExtKeyUsage,
  decodeGeneralNamesExtension,
  decodeInteger,
  decodeNameConstraints,
  decodeOctetStringExtension,
  decodeProxyCertInfo,
  type AccessDescription,
  type AuthorityKeyIdValue,
  type NameConstraintsValue,
} from './extensions.js';
import type { GeneralName } from './general-name.js';
import { decodeName, namesEqual, type DecodedName } from './name.js';
import { OID, OPENSSL_SUPPORTED_EXTENSIONS, SIGNATURE_ALGORITHMS } from './oids.js';

/** Key usage bits as OpenSSL packs them in ex_kusage (data[0] | data[1] << 8), include/openssl/x509v3.h. */
export const KU = {
  digitalSignature: 0x0080,
  nonRepudiation: 0x0040,
  keyEncipherment: 0x0020,
  dataEncipherment: 0x0010,
  keyAgreement: 0x0008,
  keyCertSign: 0x0004,
  cRLSign: 0x0002,
  encipherOnly: 0x0001,
  decipherOnly: 0x8000,
} as const;

/** ex_xkusage bits. */
export const XKU = {
  sslServer: 0x1,
  sslClient: 0x2,
  smime: 0x4,
  codeSign: 0x8,
  sgc: 0x10,
  ocspSign: 0x20,
  timestamp: 0x40,
  dvcs: 0x80,
  anyEku: 0x100,
} as const;

/** nsCertType bits (NS_SSL_SERVER, NS_SSL_CA, ...). */
export const NS = { sslClient: 0x80, sslServer: 0x40, smime: 0x20, objsign: 0x10, sslCa: 0x04, smimeCa: 0x02, objsignCa: 0x01, anyCa: 0x07 } as const;

export interface AsnTime {
  /** The time as far as it can be read; an Invalid Date when the text is not a time at all. */
  date: Date;
  /** X509_cmp_time() accepts only YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ with valid ranges; otherwise it returns 0. */
  ok: boolean;
}

export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface X509Facts {
  version: number;
  /** i2a-style serial: uppercase hex magnitude, `-` prefix when negative. */
  serialHex: string;
  /** AlgorithmIdentifier OID inside the TBS (cert_info.signature: used by check_sig_alg_match). */
  tbsSignatureOid: string;
  /** Outer signatureAlgorithm OID and its parameters' DER (RSA-PSS). */
  signatureOid: string;
  signatureParams?: Uint8Array;
  issuer: DecodedName;
  subject: DecodedName;
  notBefore: AsnTime;
  notAfter: AsnTime;
  spkiAlgorithmOid: string;
  spkiParams?: Uint8Array;
  /** subjectPublicKey BIT STRING content (leading unused-bits octet included). */
  spkiKey: Uint8Array;
  extensions: RawExtension[];

  // --- x509v3_cache_extensions ---
  /** EXFLAG_INVALID and why. */
  invalid: string[];
  /** EXFLAG_BCONS / EXFLAG_CA / ex_pathlen (-1 = none). */
  bcons: boolean;
  ca: boolean;
  pathLen: number;
  /** ex_kusage when EXFLAG_KUSAGE, else undefined. */
  kusage?: number;
  /** ex_xkusage when EXFLAG_XKUSAGE, else undefined. */
  xkusage?: number;
  ekuOids?: string[];
  /** ex_nscert when EXFLAG_NSCERT, else undefined. */
  nscert?: number;
  skid?: string;
  akid?: AuthorityKeyIdValue;
  altNames?: GeneralName[];
  nameConstraints?: NameConstraintsValue;
  aia: AccessDescription[];
  crlDistributionPoints: GeneralName[];
  /** EXFLAG_PROXY. */
  proxy: boolean;
  proxyPathLen: number;
  /** EXFLAG_CRITICAL: a critical extension OpenSSL does not support. */
  unhandledCritical: boolean;
  /** EXFLAG_SI: subject and issuer names equal per X509_NAME_cmp. */
  selfIssued: boolean;
  /** EXFLAG_V1. */
  v1: boolean;
}

/** `n` ASCII digits of `c` from `at` as a number, or -1 when one is not a digit. */
function digitsAt(c: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = c[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The RFC 5280 §4.1.2.5 forms (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ), which nearly every certificate uses, read
 * without building a string; undefined for anything else (decodeTime's general path handles it, same result).
 */
function exactTime(c: Uint8Array, tag: number): AsnTime | undefined {
  const utc = tag === TAG.UTC_TIME;
  const n = utc ? 12 : 14;
  if ((!utc && tag !== TAG.GENERALIZED_TIME) || c.length !== n + 1 || c[n] !== 0x5a) return undefined;
  let year = digitsAt(c, 0, utc ? 2 : 4);
  const p = utc ? 2 : 4;
  const mo = digitsAt(c, p, 2);
  const d = digitsAt(c, p + 2, 2);
  const h = digitsAt(c, p + 4, 2);
  const mi = digitsAt(c, p + 6, 2);
  const se = digitsAt(c, p + 8, 2);
  if (year < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return undefined;
  if (utc) year += year >= 50 ? 1900 : 2000; // RFC 5280 §4.1.2.5.1
  const ms = Date.UTC(year, mo - 1, d, h, mi, se);
  const dim = new Date(Date.UTC(year, mo, 0)).getUTCDate();
  const rangesOk = mo >= 1 && mo <= 12 && d >= 1 && d <= dim && h <= 23 && mi <= 59 && se <= 59;
  return { date: new Date(ms), ok: rangesOk && !Number.isNaN(ms) };
}

/**
 * A Time as d2i_X509 reads it: ASN1_TIME is an MSTRING of UTCTime | GeneralizedTime whose content is not
 * looked at (asn1_ex_c2i keeps it as a string; OpenSSL 3.0.22 loads `Z`, an empty UTCTime or `2026010100000xZ`
 * and prints "Bad time value"), so only the tag can make the certificate unreadable. The format is judged
 * later, by X509_cmp_time() / ASN1_TIME_to_tm() during verification (X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD,
 * 13, and NOT_AFTER, 14): `ok` is false and `date` best effort, Invalid when nothing reads as a time.
 */
export function decodeTime(r: DerReader, t: Tlv): AsnTime {
  const tag = t.tag & ~0x20;
  if (tag !== TAG.UTC_TIME && tag !== TAG.GENERALIZED_TIME) throw new DerError('Time must be UTCTime or GeneralizedTime');
  const content = r.string(t);
  const fast = exactTime(content, tag);
  if (fast) return fast;
  const unreadable: AsnTime = { date: new Date(Number.NaN), ok: false };
  const s = String.fromCharCode(...content);
  let m: RegExpMatchArray | null;
  let year: number;
  let rest: string;
  const exact = tag === TAG.UTC_TIME ? /^\d{12}Z$/.test(s) : /^\d{14}Z$/.test(s);
  if (tag === TAG.UTC_TIME) {
    // RFC 5280 §4.1.2.5.1: YY >= 50 → 19YY, else 20YY.
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(.*)$/);
    if (!m) return unreadable;
    year = Number(m[1]);
    year += year >= 50 ? 1900 : 2000;
    rest = m[7];
  } else {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(.*)$/);
    if (!m) return unreadable;
    year = Number(m[1]);
    rest = m[7];
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6] ?? '00'].map(Number);
  let offsetMin = 0;
  const off = rest.match(/^([+-])(\d{2})(\d{2})$/);
  if (off) offsetMin = (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3]));
  const ms = Date.UTC(year, mo - 1, d, h, mi, se) - offsetMin * 60_000;
  const date = new Date(ms);
  // Range checks as ASN1_TIME_to_tm would make them.
  const dim = new Date(Date.UTC(year, mo, 0)).getUTCDate();
  const rangesOk = mo >= 1 && mo <= 12 && d >= 1 && d <= dim && h <= 23 && mi <= 59 && se <= 59;
  return { date, ok: exact && rangesOk && !Number.isNaN(ms) };
}

function algorithm(r: DerReader, t: Tlv): { oid: string; params?: Uint8Array } {
  r.expect(t, TAG.SEQUENCE, 'AlgorithmIdentifier');
  const kids = r.children(t, 3);
  if (kids.length < 1 || kids.length > 2) throw new DerError('bad AlgorithmIdentifier');
  const oid = decodeOid(r.content(r.expect(kids[0], TAG.OID, 'algorithm')));
  return { oid, params: kids[1] ? r.whole(kids[1]) : undefined };
}

/** Reads Certificate → TBSCertificate (RFC 5280 §4.1) and derives OpenSSL's cached extension flags. */
export function readX509Facts(der: Uint8Array): X509Facts {
  const r = new DerReader(der);
  const cert = r.expect(r.root(), TAG.SEQUENCE, 'Certificate');
  const top = r.children(cert, 4);
  if (top.length !== 3) throw new DerError('Certificate must have three elements');
  const tbs = r.expect(top[0], TAG.SEQUENCE, 'TBSCertificate');
  const outer = algorithm(r, top[1]);

  const f = r.children(tbs, 12);
  let i = 0;
  let version = 1;
  if (f[i]?.tag === 0xa0) {
    const v = r.children(f[i++], 2);
    if (v.length !== 1) throw new DerError('bad version');
    version = (decodeSmallInteger(r.content(r.expect(v[0], TAG.INTEGER, 'version'))) ?? 99) + 1;
  }
  const serialHex = decodeInteger(r.content(r.expect(f[i++], TAG.INTEGER, 'serialNumber'))).hex;
  const inner = algorithm(r, f[i++]);
  const issuer = decodeName(r, f[i++]);
  const validity = r.expect(f[i++], TAG.SEQUENCE, 'Validity');
  const times = r.children(validity, 3);
  if (times.length !== 2) throw new DerError('Validity must have two elements');
  const notBefore = decodeTime(r, times[0]);
  const notAfter = decodeTime(r, times[1]);
  const subject = decodeName(r, f[i++]);
  const spki = r.expect(f[i++], TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const spkiKids = r.children(spki, 3);
  if (spkiKids.length !== 2) throw new DerError('bad SubjectPublicKeyInfo');
  const spkiAlg = algorithm(r, spkiKids[0]);
  // BIT STRINGs and the extnValue OCTET STRINGs may come in constructed (BER) form: d2i collects them.
  r.expectString(top[2], TAG.BIT_STRING, 'signatureValue');
  const extensions: RawExtension[] = [];
  for (; i < f.length; i++) {
    const t = f[i];
    if (t.tag === 0x81 || t.tag === 0x82 || t.tag === 0xa1 || t.tag === 0xa2) continue; // unique IDs
    if (t.tag !== 0xa3) throw new DerError(`unexpected element 0x${t.tag.toString(16)} in TBSCertificate`);
    const wrapped = r.children(t, 2);
    if (wrapped.length !== 1) throw new DerError('bad extensions wrapper');
    const list = r.expect(wrapped[0], TAG.SEQUENCE, 'Extensions');
    for (const e of r.children(list, 100_000)) {
      r.expect(e, TAG.SEQUENCE, 'Extension');
      const parts = r.children(e, 4);
      if (parts.length < 2 || parts.length > 3) throw new DerError('bad Extension');
      const oid = decodeOid(r.content(r.expect(parts[0], TAG.OID, 'extnID')));
      let critical = false;
      if (parts.length === 3) {
        const b = r.content(r.expect(parts[1], TAG.BOOLEAN, 'critical'));
        if (b.length !== 1) throw new DerError('bad critical flag');
        critical = b[0] !== 0;
      }
      const value = r.expectString(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
      extensions.push({ oid, critical, value });
    }
  }

  const facts: X509Facts = {
    version,
    serialHex,
    tbsSignatureOid: inner.oid,
    signatureOid: outer.oid,
    signatureParams: outer.params,
    issuer,
    subject,
    notBefore,
    notAfter,
    spkiAlgorithmOid: spkiAlg.oid,
    spkiParams: spkiAlg.params,
    spkiKey: r.expectString(spkiKids[1], TAG.BIT_STRING, 'subjectPublicKey'),
    extensions,
    invalid: [],
    bcons: false,
    ca: false,
    pathLen: -1,
    aia: [],
    crlDistributionPoints: [],
    proxy: false,
    proxyPathLen: -1,
    unhandledCritical: false,
    selfIssued: false,
    v1: version === 1,
  };
  cacheExtensions(facts);
  return facts;
}

/**
 * X509_get_ext_d2i(x, nid, &crit, NULL) semantics: the value when the extension occurs exactly once and
 * decodes; `missing` when absent; otherwise (duplicate, undecodable) the caller sets EXFLAG_INVALID.
 */
function lookup<T>(f: X509Facts, oid: string, name: string, decode: (v: Uint8Array) => T): T | undefined {
  let found: RawExtension | undefined;
  let count = 0;
  for (let i = 0; i < f.extensions.length; i++) {
    if (f.extensions[i].oid !== oid) continue;
    found ??= f.extensions[i];
    count++;
  }
  if (found === undefined) return undefined;
  if (count > 1) {
    f.invalid.push(`duplicate ${name} extension`);
    return undefined;
  }
  try {
    return decode(found.value);
  } catch (e) {
    f.invalid.push(`undecodable ${name} extension: ${(e as Error).message}`);
    return undefined;
  }
}

const EKU_BITS: Record<string, number> = {
  [OID.serverAuth]: XKU.sslServer,
  [OID.clientAuth]: XKU.sslClient,
  [OID.emailProtection]: XKU.smime,
  [OID.codeSigning]: XKU.codeSign,
  [OID.msSgc]: XKU.sgc,
  [OID.nsSgc]: XKU.sgc,
  [OID.ocspSigning]: XKU.ocspSign,
  [OID.timeStamping]: XKU.timestamp,
  [OID.dvcs]: XKU.dvcs,
  [OID.anyExtendedKeyUsage]: XKU.anyEku,
};

/** ossl_x509v3_cache_extensions() of OpenSSL 3.0, step by step. */
function cacheExtensions(f: X509Facts): void {
  const bc = lookup(f, OID.basicConstraints, 'basicConstraints', decodeBasicConstraints);
  if (bc) {
    f.bcons = true;
    f.ca = bc.ca;
    if (bc.pathLen !== undefined) {
      if (bc.pathLenNegative) f.invalid.push('negative pathLenConstraint');
      else f.pathLen = bc.pathLen;
    }
  }

  const pci = lookup(f, OID.proxyCertInfo, 'proxyCertInfo', decodeProxyCertInfo);
  if (pci) {
    if (f.ca || f.extensions.some((e) => e.oid === OID.subjectAltName || e.oid === OID.issuerAltName)) {
      f.invalid.push('proxy certificate with CA flag or alternative names');
    }
    f.proxy = true;
    f.proxyPathLen = pci.pathLen ?? -1;
  }

  const ku = lookup(f, OID.keyUsage, 'keyUsage', (v) => decodeBitStringExtension(v, 'KeyUsage'));
  if (ku) {
    f.kusage = (ku[0] ?? 0) | ((ku[1] ?? 0) << 8);
    // RFC 5280 §4.2.1.3: at least one bit must be set.
    if (f.kusage === 0) f.invalid.push('empty keyUsage');
  }

  const eku = lookup(f, OID.extKeyUsage, 'extKeyUsage', decodeExtKeyUsage);
  if (eku) {
    f.ekuOids = eku;
    f.xkusage = eku.reduce((acc, oid) => acc | (EKU_BITS[oid] ?? 0), 0);
  }

  const ns = lookup(f, OID.netscapeCertType, 'nsCertType', (v) => decodeBitStringExtension(v, 'NetscapeCertType'));
  if (ns) f.nscert = ns[0] ?? 0;

  f.skid = lookup(f, OID.subjectKeyIdentifier, 'subjectKeyIdentifier', (v) =>
    decodeOctetStringExtension(v, 'SubjectKeyIdentifier'),
  );
  f.akid = lookup(f, OID.authorityKeyIdentifier, 'authorityKeyIdentifier', decodeAuthorityKeyId);

  f.selfIssued = namesEqual(f.subject, f.issuer);

  f.altNames = lookup(f, OID.subjectAltName, 'subjectAltName', decodeGeneralNamesExtension);
  f.nameConstraints = lookup(f, OID.nameConstraints, 'nameConstraints', decodeNameConstraints);
  const crldp = lookup(f, OID.crlDistributionPoints, 'cRLDistributionPoints', decodeCrlDistributionPoints);
  f.crlDistributionPoints = crldp?.names ?? [];
  // setup_crldp() → setup_dp(): a DistributionPoint with neither distributionPoint nor a cRLIssuer
  // (X509_R_INVALID_DISTPOINT) makes the certificate EXFLAG_INVALID: it can neither be issued nor issue, so
  // `openssl verify` and nginx report 20 for the certificate below it (21 as well for a leaf sent alone).
  if (crldp && crldp.withoutPointOrIssuer > 0) f.invalid.push('cRLDistributionPoints entry with neither distributionPoint nor cRLIssuer');
  lookup(f, OID.sbgpIpAddrBlock, 'sbgp-ipAddrBlock', (v) => decodeAnySequence(v, 'IPAddrBlocks'));
  lookup(f, OID.sbgpAutonomousSysNum, 'sbgp-autonomousSysNum', (v) => decodeAnySequence(v, 'ASIdentifiers'));

  // Not part of EXFLAG_INVALID (OpenSSL never decodes AIA while caching), so failures are ignored here.
  const aia = f.extensions.filter((e) => e.oid === OID.authorityInfoAccess);
  if (aia.length === 1) {
    try {
      f.aia = decodeAuthorityInfoAccess(aia[0].value);
    } catch {
      f.aia = [];
    }
  }

  // The first critical extension OpenSSL does not support sets EXFLAG_CRITICAL.
  f.unhandledCritical = f.extensions.some((e) => e.critical && !OPENSSL_SUPPORTED_EXTENSIONS.has(e.oid));
}

/** EXFLAG_SS without the signature check: self-issued, AKID matches itself, signature algorithm fits the key. */
export function looksSelfSigned(f: X509Facts, keyType: string | undefined): boolean {
  return f.selfIssued && akidMatches(f, f.akid) && sigAlgMatchesKey(keyType, f.tbsSignatureOid);
}

/** X509_check_akid(issuer, akid) == X509_V_OK (crypto/x509/v3_purp.c). */
export function akidMatches(issuer: X509Facts, akid: AuthorityKeyIdValue | undefined): boolean {
  if (!akid) return true;
  if (akid.keyId !== undefined && issuer.skid !== undefined && akid.keyId !== issuer.skid) return false;
  if (akid.serialHex !== undefined && akid.serialHex !== issuer.serialHex) return false;
  if (akid.issuer) {
    // "Ugh, for some peculiar reason AKID includes SEQUENCE OF GeneralName": only the first DirName counts.
    const dn = akid.issuer.find((g) => g.type === 'dirName');
    if (dn?.name && !namesEqual(dn.name, issuer.issuer)) return false;
  }
  return true;
}

/**
 * check_sig_alg_match(issuer_key, subject) in v3_purp.c: the key type named by the subject's TBS signature
 * algorithm must be the issuer key's type (an RSA key also accepts RSASSA-PSS).
 */
export function sigAlgMatchesKey(keyType: string | undefined, tbsSignatureOid: string): boolean {
  if (keyType === undefined) return false;
  const alg = SIGNATURE_ALGORITHMS[tbsSignatureOid];
  if (!alg) return false;
  if (alg.keyType === keyType) return true;
  return alg.keyType === 'rsa-pss' && keyType === 'rsa';
}

export { toHex };

export interface Remembered {
  facts: X509Facts;
  /** node:crypto's key type (`rsa`, `ec`, ...), undefined when OpenSSL cannot decode the key. Reads `native` on first call. */
  keyType: () => string | undefined;
}

/** Facts are computed once per Cert (parse.ts primes this); keyed by the object, so nothing leaks. */
const REMEMBERED = new WeakMap<object, Remembered>();

export function rememberFacts(cert: object, facts: X509Facts, keyType: () => string | undefined): void {
  REMEMBERED.set(cert, { facts, keyType });
}

/** Facts of `from` are those of `to` too (a lazy certificate completed by parsing a Cert, lazy-cert.ts). */
export function shareFacts(from: object, to: object): void {
  const r = REMEMBERED.get(from);
  if (r) REMEMBERED.set(to, r);
}

/**
 * Methods of a certificate whose parse is deferred (src/certs/lazy-cert.ts): complete the parse (which registers
 * its facts), and give the canonical form of the subject Name alone, which is all a trust store's index needs.
 */
export const COMPLETE_PARSE = Symbol('tlsdoctor.completeParse');
export const SUBJECT_CANON = Symbol('tlsdoctor.subjectCanon');

/** What X509_NAME_cmp() compares of a Name (name.ts DecodedName). */
export type SubjectCanon = Pick<DecodedName, 'canon' | 'canonOk'>;

interface Deferred {
  [COMPLETE_PARSE](): unknown;
  [SUBJECT_CANON](): SubjectCanon;
}

function isDeferred(cert: object): cert is Deferred {
  return COMPLETE_PARSE in cert;
}

/**
 * The subject Name as X509_NAME_cmp() compares it, without parsing the rest of a deferred certificate: what
 * indexing a trust store by subject (X509_LU_BY_SUBJECT) needs of each of its certificates.
 */
export function subjectCanonOf(cert: { der: Uint8Array; native: { publicKey: { asymmetricKeyType?: string } } }): SubjectCanon {
  const r = REMEMBERED.get(cert);
  if (r) return r.facts.subject;
  return isDeferred(cert) ? cert[SUBJECT_CANON]() : factsOf(cert).facts.subject;
}

/** The OpenSSL view of a parsed certificate (recomputed from its DER if the Cert was built elsewhere). */
export function factsOf(cert: { der: Uint8Array; native: { publicKey: { asymmetricKeyType?: string } } }): Remembered {
  let r = REMEMBERED.get(cert);
  if (!r && isDeferred(cert)) {
    cert[COMPLETE_PARSE]();
    r = REMEMBERED.get(cert);
  }
  if (!r) {
    let keyType: string | null | undefined;
    r = {
      facts: readX509Facts(cert.der),
      keyType: () => {
        if (keyType === undefined) {
          try {
            keyType = cert.native.publicKey.asymmetricKeyType ?? null;
          } catch {
            keyType = null;
          }
        }
        return keyType ?? undefined;
      },
    };
    REMEMBERED.set(cert, r);
  }
  return r;
}
