/**
 * High-level issuance for the differential generator: roots, intermediates and leaves with realistic defaults, each
 * default overridable (or removable with `null`) so a scenario states only what it breaks.
 */
import {
  authorityKeyIdExtension,
  basicConstraintsExtension,
  buildCertificate,
  encodeName,
  extKeyUsageExtension,
  keyUsageExtension,
  nameConstraintsExtension,
  nsCertTypeExtension,
  signatureAlgorithm,
  subjectAltNameExtension,
  subjectKeyIdExtension,
  toPem,
  type AkiSpec,
  type GeneralNameSpec,
  type Hash,
  type KeyKind,
  type KeyPair,
  type KeyPool,
  type NameConstraintsSpec,
  type NameSpec,
  type SignatureScheme,
} from './cert-builder.js';
import type { Der } from './der.js';

export interface Issued {
  der: Buffer;
  pem: string;
  subject: NameSpec;
  subjectDer: Der;
  issuerDer: Der;
  key: KeyPair;
  serial: bigint;
  ski?: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export interface BasicConstraintsSpec {
  ca: boolean;
  pathLen?: number;
  critical?: boolean;
}

export interface CertOptions {
  /** Shorthand for `subject: [['CN', cn]]`. */
  cn?: string;
  subject?: NameSpec;
  /** Issuer field as its own encoding; default: the issuer certificate's subject, byte for byte. */
  issuerName?: NameSpec;
  key?: KeyKind | KeyPair;
  hash?: Hash;
  pss?: boolean;
  /** PSS salt / default parameters, AlgorithmIdentifier parameter quirks. */
  signatureQuirks?: Omit<SignatureScheme, 'hash' | 'pss'>;
  notBefore?: Date;
  notAfter?: Date;
  generalizedTime?: boolean;
  /** Raw Time encodings for notBefore / notAfter (malformed forms); the Date fields are then only informative. */
  rawNotBefore?: Der;
  rawNotAfter?: Der;
  version?: 1 | 2 | 3;
  serial?: bigint;
  bc?: BasicConstraintsSpec | null;
  ku?: string[] | null;
  kuCritical?: boolean;
  eku?: string[] | null;
  ekuCritical?: boolean;
  san?: GeneralNameSpec[] | null;
  sanCritical?: boolean;
  /** `undefined`: the key's identifier; `null`: no SKI extension. */
  ski?: Buffer | null;
  skiCritical?: boolean;
  /** `undefined`: key id of the issuer's SKI when it has one; `null`: no AKI extension. */
  aki?: AkiSpec | null;
  akiCritical?: boolean;
  nc?: NameConstraintsSpec;
  nsCertType?: string[];
  nsCertTypeCritical?: boolean;
  /** Raw extensions appended after the others. */
  extra?: Der[];
  corruptSignature?: boolean;
  /** Sign with this key instead of the issuer's (the issuer field and AKI still name the issuer). */
  signWith?: KeyPair;
  /** Announce this digest in the outer signatureAlgorithm while signing with `hash`. */
  outerHash?: Hash;
  /** Announce this AlgorithmIdentifier (inner and outer) whatever the signing key is. */
  announcedAlgorithm?: Der;
  /** SubjectPublicKeyInfo to put in the certificate instead of the key's own (undecodable or foreign keys). */
  rawSpki?: Der;
}

type Role = 'root' | 'intermediate' | 'leaf';

export interface PkiClock {
  root: [Date, Date];
  intermediate: [Date, Date];
  leaf: [Date, Date];
}

export class Pki {
  constructor(
    private readonly keys: KeyPool,
    private readonly nextSerial: () => bigint,
    private readonly clock: PkiClock,
  ) {}

  key(kind: KeyKind): KeyPair {
    return this.keys.get(kind);
  }

  root(options: CertOptions = {}): Issued {
    return this.issue('root', undefined, { cn: 'Test Root CA', ...options });
  }

  intermediate(issuer: Issued, options: CertOptions = {}): Issued {
    return this.issue('intermediate', issuer, { cn: 'Test Intermediate CA', ...options });
  }

  leaf(issuer: Issued | undefined, options: CertOptions = {}): Issued {
    return this.issue('leaf', issuer, { cn: 'www.a.test', ...options });
  }

  /** Issues a certificate; `issuer` undefined means self-signed. */
  issue(role: Role, issuer: Issued | undefined, o: CertOptions): Issued {
    const key = o.key === undefined ? this.keys.get('p256') : typeof o.key === 'string' ? this.keys.get(o.key) : o.key;
    const subject: NameSpec = o.subject ?? (o.cn !== undefined ? [['CN', o.cn]] : []);
    const subjectDer = encodeName(subject);
    const issuerDer = o.issuerName ? encodeName(o.issuerName) : issuer ? issuer.subjectDer : subjectDer;
    const [defaultNotBefore, defaultNotAfter] = this.clock[role];
    const notBefore = o.notBefore ?? defaultNotBefore;
    const notAfter = o.notAfter ?? defaultNotAfter;
    const serial = o.serial ?? this.nextSerial();
    const version = o.version ?? 3;
    const ski = o.ski === null ? undefined : (o.ski ?? key.keyId);

    const extensions: Der[] = [];
    const bc: BasicConstraintsSpec | null =
      o.bc !== undefined ? o.bc : role === 'leaf' ? { ca: false, critical: true } : { ca: true, critical: true };
    if (bc) extensions.push(basicConstraintsExtension(bc.ca, bc.pathLen, bc.critical ?? true));
    const ku =
      o.ku !== undefined
        ? o.ku
        : role === 'root'
          ? ['keyCertSign', 'cRLSign']
          : role === 'intermediate'
            ? ['digitalSignature', 'keyCertSign', 'cRLSign']
            : key.kind.startsWith('rsa')
              ? ['digitalSignature', 'keyEncipherment']
              : ['digitalSignature'];
    if (ku) extensions.push(keyUsageExtension(ku, o.kuCritical ?? true));
    const eku = o.eku !== undefined ? o.eku : role === 'leaf' ? ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] : null;
    if (eku) extensions.push(extKeyUsageExtension(eku, o.ekuCritical ?? false));
    if (ski) extensions.push(subjectKeyIdExtension(ski, o.skiCritical ?? false));
    const aki = o.aki !== undefined ? o.aki : issuer?.ski ? { keyId: issuer.ski } : null;
    if (aki) extensions.push(authorityKeyIdExtension(aki, o.akiCritical ?? false));
    const san = o.san !== undefined ? o.san : role === 'leaf' && o.cn !== undefined ? [{ dns: o.cn }] : null;
    if (san) extensions.push(subjectAltNameExtension(san, o.sanCritical ?? false));
    if (o.nc) extensions.push(nameConstraintsExtension(o.nc));
    if (o.nsCertType) extensions.push(nsCertTypeExtension(o.nsCertType, o.nsCertTypeCritical ?? false));
    if (o.extra) extensions.push(...o.extra);

    const signer = o.signWith ?? issuer?.key ?? key;
    const hash = o.hash ?? (signer.kind === 'p384' ? 'sha384' : signer.kind === 'p521' ? 'sha512' : 'sha256');
    const der = buildCertificate(
      {
        version,
        serial,
        issuer: issuerDer,
        subject: subjectDer,
        notBefore,
        notAfter,
        generalizedTime: o.generalizedTime,
        rawNotBefore: o.rawNotBefore,
        rawNotAfter: o.rawNotAfter,
        spki: o.rawSpki ?? key.spki,
        extensions: version === 3 ? extensions : [],
      },
      {
        signer,
        hash,
        pss: o.pss,
        ...o.signatureQuirks,
        corruptSignature: o.corruptSignature,
        outerAlgorithm: o.outerHash ? signatureAlgorithm(signer, { hash: o.outerHash, pss: o.pss }) : undefined,
        algorithm: o.announcedAlgorithm,
      },
    );
    return { der, pem: toPem(der), subject, subjectDer, issuerDer, key, serial, ski, notBefore, notAfter };
  }
}
