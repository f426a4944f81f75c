/**
 * parseCertificate: DER → the `Cert` model (src/certs/cert.ts).
 *
 * node:crypto's X509Certificate (OpenSSL's own d2i_X509) is the authority on whether the bytes are a
 * certificate at all, and later on signatures, X509_check_issued and X509_check_host. Our DER reader
 * (der.ts) supplies the TBS fields and extensions OpenSSL does not expose to Node, and the flags
 * x509v3_cache_extensions() would compute (x509-facts.ts).
 *
 * The model is built eagerly from our reader (names, validity, extensions, SHA-256: what indexing a trust store
 * and checking a path need); what needs OpenSSL's parse (`native`, the key, `selfSigned`, `serial`) and the
 * one-line names only reports print are computed on first read and kept. With `deferOpenSsl` the OpenSSL
 * parse itself waits for that first read (see ParseOptions).
 */
import { X509Certificate, hash, type KeyObject } from 'node:crypto';
import type { Cert, GeneralSubtree, NameConstraints, PublicKeyInfo, SubjectAltNames } from './cert.js';
import { DerError } from './der.js';
import { ipToString, latin1, type GeneralName } from './general-name.js';
import { describePublicKey, describeSignature } from './key-info.js';
import { nameToString, stringValue } from './name.js';
import { OID } from './oids.js';
import { opensslParseProblem } from './openssl-d2i.js';
import { verifyOriginalSignature, withWellFormedTimes } from './openssl30-stand-in.js';
import { lazyCertificate } from './lazy-cert.js';
import { plainCertificateLayout } from './plain-der.js';
import { KU, looksSelfSigned, readX509Facts, rememberFacts, shareFacts, type X509Facts } from './x509-facts.js';

export class CertParseError extends Error {
  readonly code = 'CERT_PARSE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertParseError';
  }
}

const KU_NAMES: [number, string][] = [
  [KU.digitalSignature, 'digitalSignature'],
  [KU.nonRepudiation, 'nonRepudiation'],
  [KU.keyEncipherment, 'keyEncipherment'],
  [KU.dataEncipherment, 'dataEncipherment'],
  [KU.keyAgreement, 'keyAgreement'],
  [KU.keyCertSign, 'keyCertSign'],
  [KU.cRLSign, 'cRLSign'],
  [KU.encipherOnly, 'encipherOnly'],
  [KU.decipherOnly, 'decipherOnly'],
];

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

export interface ParseOptions {
  /**
   * Leave OpenSSL's own parse (node:crypto X509Certificate, ~0.13 ms a certificate, most of it the public-key
   * decode d2i_X509 does eagerly in OpenSSL 3.0) until `native`, `publicKey`, `selfSigned` or `serial` is first
   * read. For certificates that may never be used: of a 150-root CA bundle, chain building touches the few
   * whose subject is the issuer name looked up (src/chain/trust-store.ts). In its place opensslParseProblem()
   * (openssl-d2i.ts) refuses at once what d2i_X509 would refuse, so a broken bundle is still refused when read.
   *
   * Certificates a server sent should be parsed without it: every check reads their `native`. If OpenSSL
   * still refuses a deferred certificate later, `native` throws CertParseError and the certificate behaves as
   * one with an undecodable key (no issuer of anything, not self-signed).
   */
  deferOpenSsl?: boolean;
  /**
   * Parse nothing yet (implies deferOpenSsl): for the certificates of a trust bundle, most of which are never
   * read. plainCertificateLayout() (plain-der.ts) checks at once that d2i_X509 reads the bytes, so a bundle nginx
   * would refuse is still refused here; the Cert's fields are computed on first read (lazy-cert.ts). A
   * certificate that check is not sure of (BER, unusual types) is parsed at once, as with deferOpenSsl.
   */
  lazy?: boolean;
}

/**
 * What node:crypto answers for a certificate OpenSSL 3.0 reads and this Node's OpenSSL refuses for its malformed
 * times alone (openssl30-stand-in.ts), or undefined. On OpenSSL 3.0 itself it is never reached for that reason.
 */
function openssl30StandIn(der: Uint8Array): X509Certificate | undefined {
  const standIn = withWellFormedTimes(der);
  if (standIn === undefined) return undefined;
  let native: X509Certificate;
  try {
    native = new X509Certificate(standIn);
  } catch {
    return undefined;
  }
  // Its own TBS is not the one signed: verify the original bytes, as X509_verify does with the encoding it kept.
  Object.defineProperty(native, 'verify', { value: (key: KeyObject) => verifyOriginalSignature(der, key) });
  return native;
}

export function parseCertificate(der: Uint8Array, options: ParseOptions = {}): Cert {
  if (!(der instanceof Uint8Array) || der.length === 0) throw new CertParseError('empty input: expected DER bytes');
  // DER certificates start with SEQUENCE; anything else (PEM text included) is refused here so `der` stays exact.
  if (der[0] !== 0x30) throw new CertParseError('not DER: a certificate starts with a SEQUENCE (0x30)');
  if (options.lazy) {
    const layout = plainCertificateLayout(der);
    if (layout !== undefined) {
      return lazyCertificate(der, layout, (self) => {
        const full = parseCertificate(der, { deferOpenSsl: true });
        shareFacts(full, self);
        return full;
      });
    }
  }
  let native: X509Certificate | undefined;
  let nativeError: CertParseError | undefined;
  const openssl = (): X509Certificate => {
    if (native === undefined) {
      if (nativeError) throw nativeError;
      try {
        native = new X509Certificate(der);
      } catch (e) {
        native = openssl30StandIn(der);
        if (native === undefined) {
          nativeError = new CertParseError(`OpenSSL cannot parse this certificate: ${firstLine(e)}`, { cause: e });
          throw nativeError;
        }
      }
    }
    return native;
  };
  const deferOpenSsl = options.deferOpenSsl || options.lazy;
  if (!deferOpenSsl) openssl();
  let facts: X509Facts;
  try {
    facts = readX509Facts(der);
  } catch (e) {
    const what = e instanceof DerError ? e.message : firstLine(e);
    throw new CertParseError(`malformed certificate structure: ${what}`, { cause: e });
  }
  if (deferOpenSsl) {
    const problem = opensslParseProblem(der, facts);
    if (problem !== undefined) throw new CertParseError(`OpenSSL cannot parse this certificate: ${problem}`);
  }

  let key: KeyObject | null | undefined;
  const publicKeyObject = (): KeyObject | undefined => {
    if (key === undefined) {
      try {
        key = openssl().publicKey;
      } catch {
        key = null; // X509_get0_pubkey() == NULL: unsupported or malformed key (or a deferred parse OpenSSL refused)
      }
    }
    return key ?? undefined;
  };
  const keyType = (): string | undefined => publicKeyObject()?.asymmetricKeyType;

  let serial: string | undefined;
  let subject: string | undefined;
  let issuer: string | undefined;
  let commonNames: string[] | undefined;
  let publicKey: PublicKeyInfo | undefined;
  // X509_self_signed(cert, 1): -1 (treated as "no") for EXFLAG_INVALID, else EXFLAG_SS and a good signature.
  // Computed on first read: the signature check is the costliest part of parsing a CA bundle.
  let selfSigned: boolean | undefined = facts.invalid.length === 0 && facts.selfIssued ? undefined : false;

  // Getters (own and enumerable: spreads and JSON see values) for what needs OpenSSL's parse or is only read
  // for reports; plain data otherwise. Each value is computed once.
  const cert: Cert = {
    der,
    sha256: hash('sha256', der, 'hex'),
    version: facts.version,
    get serial(): string {
      if (serial === undefined) {
        try {
          serial = openssl().serialNumber.toUpperCase();
        } catch {
          serial = facts.serialHex;
        }
      }
      return serial;
    },
    // The one-line names are for reports: of a CA bundle only the certificates in a path are ever printed.
    get subject(): string {
      return (subject ??= nameToString(facts.subject));
    },
    get issuer(): string {
      return (issuer ??= nameToString(facts.issuer));
    },
    subjectDer: hex(facts.subject.der),
    issuerDer: hex(facts.issuer.der),
    get commonNames(): string[] {
      return (commonNames ??= facts.subject.rdns
        .flat()
        .filter((a) => a.oid === OID.commonName)
        .map((a) => stringValue(a.tag, a.value) ?? latin1(a.value)));
    },
    notBefore: facts.notBefore.date,
    notAfter: facts.notAfter.date,
    get publicKey(): PublicKeyInfo {
      return (publicKey ??= describePublicKey(publicKeyObject(), facts.spkiAlgorithmOid, facts.spkiParams, facts.spkiKey));
    },
    signature: describeSignature(facts.signatureOid, facts.signatureParams),
    aia: {
      caIssuers: facts.aia.filter((a) => a.method === OID.caIssuers && a.location.type === 'uri').map((a) => latin1(a.location.bytes)),
      ocsp: facts.aia.filter((a) => a.method === OID.ocsp && a.location.type === 'uri').map((a) => latin1(a.location.bytes)),
    },
    crlDistributionPoints: facts.crlDistributionPoints.filter((g) => g.type === 'uri').map((g) => latin1(g.bytes)),
    extensions: facts.extensions.map((e) => ({ oid: e.oid, critical: e.critical, length: e.value.length })),
    selfIssued: facts.selfIssued,
    get selfSigned(): boolean {
      if (selfSigned === undefined) {
        const k = publicKeyObject();
        try {
          selfSigned = k !== undefined && looksSelfSigned(facts, k.asymmetricKeyType) && openssl().verify(k);
        } catch {
          selfSigned = false;
        }
      }
      return selfSigned;
    },
    malformed: [...facts.invalid],
    get native(): X509Certificate {
      return openssl();
    },
  };

  const bcExt = facts.extensions.find((e) => e.oid === OID.basicConstraints);
  if (facts.bcons && bcExt) {
    cert.basicConstraints = { ca: facts.ca, critical: bcExt.critical };
    if (facts.pathLen >= 0) cert.basicConstraints.pathLen = facts.pathLen;
  }
  if (facts.kusage !== undefined) cert.keyUsage = KU_NAMES.filter(([bit]) => (facts.kusage! & bit) !== 0).map(([, n]) => n);
  if (facts.ekuOids) cert.extKeyUsage = [...facts.ekuOids];
  if (facts.skid !== undefined) cert.subjectKeyId = facts.skid;
  if (facts.akid) {
    cert.authorityKeyId = {};
    if (facts.akid.keyId !== undefined) cert.authorityKeyId.keyId = facts.akid.keyId;
    const dirs = facts.akid.issuer?.filter((g) => g.type === 'dirName' && g.name).map((g) => nameToString(g.name!));
    if (dirs && dirs.length > 0) cert.authorityKeyId.issuer = dirs;
    if (facts.akid.serialHex !== undefined) cert.authorityKeyId.serial = facts.akid.serialHex;
  }
  if (facts.altNames) cert.subjectAltNames = summarizeAltNames(facts.altNames);
  if (facts.nameConstraints) {
    const nc: NameConstraints = {
      permitted: facts.nameConstraints.permitted.map((s) => subtree(s.base)),
      excluded: facts.nameConstraints.excluded.map((s) => subtree(s.base)),
    };
    cert.nameConstraints = nc;
  }
  rememberFacts(cert, facts, keyType);
  return cert;
}

function summarizeAltNames(names: GeneralName[]): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], ip: [], email: [], uri: [], other: 0 };
  for (const g of names) {
    if (g.type === 'dns') out.dns.push(latin1(g.bytes));
    else if (g.type === 'ip') out.ip.push(ipToString(g.bytes));
    else if (g.type === 'email') out.email.push(latin1(g.bytes));
    else if (g.type === 'uri') out.uri.push(latin1(g.bytes));
    else out.other++;
  }
  return out;
}

function prefixLength(mask: Uint8Array): number | undefined {
  let n = 0;
  let ended = false;
  for (const b of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (b >> bit) & 1;
      if (set && ended) return undefined;
      if (set) n++;
      else ended = true;
    }
  }
  return n;
}

function subtree(g: GeneralName): GeneralSubtree {
  switch (g.type) {
    case 'dns':
    case 'email':
    case 'uri':
      return { type: g.type, value: latin1(g.bytes) };
    case 'ip': {
      const half = g.bytes.length / 2;
      if (g.bytes.length !== 8 && g.bytes.length !== 32) return { type: 'ip', value: Buffer.from(g.bytes).toString('hex') };
      const addr = ipToString(g.bytes.subarray(0, half));
      const mask = g.bytes.subarray(half);
      const len = prefixLength(mask);
      return { type: 'ip', value: `${addr}/${len ?? ipToString(mask)}` };
    }
    case 'dirName':
      return { type: 'dirName', value: g.name ? nameToString(g.name) : '' };
    default:
      return { type: 'other', value: g.oid ?? g.type };
  }
}
