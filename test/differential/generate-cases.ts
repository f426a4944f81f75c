/**
 * The differential suite's case generator (issue 4): chains, valid and broken in every way the trust engine must
 * judge as OpenSSL 3.0's X509_verify_cert does for nginx (`proxy_ssl_verify on`).
 *
 * Structure is deterministic: every family below always produces the same case ids in the same order. Choices in the
 * `random` family come from a seeded PRNG. Keys are fresh on every run (EC keys cost microseconds; RSA keys are made
 * once per size and reused), so the certificates differ between runs but the verdicts do not.
 *
 * Call `generateCases()`; `run-openssl.ts` writes the result to cases.json.gz and asks `openssl verify` about each.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  KeyPool,
  OID,
  extension,
  type GeneralNameSpec,
  type Hash,
  type KeyKind,
  type NameConstraintsSpec,
  type SignatureScheme,
} from './cert-builder.js';
import { bitString, explicit, implicitCons, implicitPrim, integer, oid as oidDer, seq, tlv, utf8 as utf8Der } from './der.js';
import { Pki, type CertOptions, type Issued } from './pki.js';

type SignatureQuirks = Omit<SignatureScheme, 'hash' | 'pss'>;

/** One differential case, as handed to `openssl verify` and to `verifyChain`. */
export interface DifferentialCase {
  /** `family/variant`, stable across runs. */
  id: string;
  description: string;
  /** The trusted bundle (`proxy_ssl_trusted_certificate`, `-CAfile`). Never empty: nginx refuses an empty bundle. */
  trusted: string[];
  /** What the server sends after the leaf, in order (`-untrusted`). */
  untrusted: string[];
  leaf: string;
  /** Check time, ISO-8601 with whole seconds (`-attime`). */
  at: string;
  /** `proxy_ssl_name` / `-verify_hostname`; absent = no name check. */
  hostname?: string;
  /** `proxy_ssl_verify_depth` / `-verify_depth`. */
  depth: number;
  /** OpenSSL security level (`-auth_level`). */
  seclevel: number;
  /**
   * The leaf's private key (PKCS#8 PEM), present only in freshly generated cases (never written to cases.json.gz):
   * run-openssl.ts uses it to serve the chain over TLS to `openssl s_client`.
   */
  leafKey?: string;
}

/** The check time of every case that is not about a validity boundary. */
export const CHECK_TIME = new Date('2026-03-01T12:00:00Z');
export const DEFAULT_SEED = 0x7d0c7;

const DAY = 86_400_000;
const SECOND = 1000;
const HOST = 'www.a.test';

export const CLOCK = {
  root: [new Date('2016-01-01T00:00:00Z'), new Date('2036-01-01T00:00:00Z')] as [Date, Date],
  intermediate: [new Date('2020-01-01T00:00:00Z'), new Date('2031-01-01T00:00:00Z')] as [Date, Date],
  leaf: [new Date('2025-09-01T00:00:00Z'), new Date('2026-09-01T00:00:00Z')] as [Date, Date],
};

// ------------------------------------------------------------------------------------------------ plumbing

/** mulberry32: a small, well-known seeded PRNG (deterministic choices, not security). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CaseSpec {
  trusted: Issued[];
  /** Leaf first, then what the server sends after it. */
  sent: Issued[];
  at?: Date;
  /** undefined: `www.a.test`; null: no name check. */
  hostname?: string | null;
  depth?: number;
  seclevel?: number;
}

export class CaseSink {
  readonly cases: DifferentialCase[] = [];
  private readonly ids = new Set<string>();

  add(id: string, description: string, spec: CaseSpec): void {
    if (this.ids.has(id)) throw new Error(`duplicate case id ${id}`);
    if (spec.trusted.length === 0) throw new Error(`${id}: empty trusted bundle (nginx refuses to start)`);
    if (spec.sent.length === 0) throw new Error(`${id}: no leaf`);
    this.ids.add(id);
    const at = spec.at ?? CHECK_TIME;
    if (at.getTime() % SECOND !== 0) throw new Error(`${id}: check time must be whole seconds`);
    const hostname = spec.hostname === undefined ? HOST : spec.hostname;
    this.cases.push({
      id,
      description,
      trusted: spec.trusted.map((c) => c.pem),
      untrusted: spec.sent.slice(1).map((c) => c.pem),
      leaf: spec.sent[0]!.pem,
      at: at.toISOString().replace('.000Z', 'Z'),
      ...(hostname !== null ? { hostname } : {}),
      depth: spec.depth ?? 1,
      seclevel: spec.seclevel ?? 2,
      leafKey: spec.sent[0]!.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    });
  }
}

export interface Chain {
  root: Issued;
  /** Top-down: ints[0] is issued by the root, the leaf by the last one. */
  ints: Issued[];
  leaf: Issued;
  /** Leaf first, then its issuers bottom-up, root excluded: what a well-configured server sends. */
  sent: Issued[];
}

export interface ChainOptions {
  root?: CertOptions;
  /** One entry per intermediate, top-down. Default: one intermediate. */
  ints?: CertOptions[];
  leaf?: CertOptions;
}

export function chain(pki: Pki, o: ChainOptions = {}): Chain {
  const root = pki.root(o.root);
  const intOptions = o.ints ?? [{}];
  const ints: Issued[] = [];
  let issuer = root;
  intOptions.forEach((opts, i) => {
    const cn = intOptions.length === 1 ? 'Test Intermediate CA' : `Test Intermediate CA ${i + 1}`;
    issuer = pki.intermediate(issuer, { cn, ...opts });
    ints.push(issuer);
  });
  const leaf = pki.leaf(issuer, o.leaf);
  return { root, ints, leaf, sent: [leaf, ...[...ints].reverse()] };
}

const at = (iso: string): Date => new Date(iso);
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms);

// ------------------------------------------------------------------------------------------------ families

/** Validity at the boundary (RFC 5280 section 4.1.2.5; OpenSSL `ossl_x509_check_cert_time`) at every depth. */
function validity(pki: Pki, sink: CaseSink): void {
  const nb = at('2026-02-01T00:00:00Z');
  const na = at('2026-04-01T00:00:00Z');
  const points: Array<[string, Date]> = [
    ['notBefore-minus-1s', plus(nb, -SECOND)],
    ['notBefore-equal', nb],
    ['notBefore-plus-1s', plus(nb, SECOND)],
    ['notAfter-minus-1s', plus(na, -SECOND)],
    ['notAfter-equal', na],
    ['notAfter-plus-1s', plus(na, SECOND)],
  ];
  for (const generalizedTime of [false, true]) {
    for (const position of ['leaf', 'intermediate', 'root'] as const) {
      const window: CertOptions = { notBefore: nb, notAfter: na, generalizedTime };
      const c = chain(pki, {
        root: position === 'root' ? window : {},
        ints: [position === 'intermediate' ? window : {}],
        leaf: position === 'leaf' ? window : {},
      });
      for (const [name, t] of points) {
        sink.add(
          `validity/${position}-${name}${generalizedTime ? '-gentime' : ''}`,
          `${position} valid ${nb.toISOString()}..${na.toISOString()}${generalizedTime ? ' (GeneralizedTime)' : ''}, checked at ${name}`,
          { trusted: [c.root], sent: c.sent, at: t },
        );
      }
    }
  }
  // Two intermediates: expiry of the upper one (depth 2), with verify depth 2.
  for (const [name, t] of [
    ['expired', plus(at('2026-04-01T00:00:00Z'), SECOND)],
    ['not-yet-valid', plus(at('2026-02-01T00:00:00Z'), -SECOND)],
    ['valid', CHECK_TIME],
  ] as const) {
    const c = chain(pki, { ints: [{ notBefore: nb, notAfter: na }, {}] });
    sink.add(`validity/upper-intermediate-${name}`, `upper of two intermediates ${name}`, {
      trusted: [c.root],
      sent: c.sent,
      at: t,
      depth: 2,
    });
  }
  // UTCTime/GeneralizedTime switch at 2050 (RFC 5280 section 4.1.2.5).
  {
    const end = at('2050-01-01T00:00:00Z');
    const c = chain(pki, {
      root: { notAfter: at('2060-01-01T00:00:00Z') },
      ints: [{ notAfter: at('2060-01-01T00:00:00Z') }],
      leaf: { notBefore: at('2049-06-01T00:00:00Z'), notAfter: end },
    });
    for (const [name, t] of [
      ['before', plus(end, -SECOND)],
      ['equal', end],
      ['after', plus(end, SECOND)],
    ] as const) {
      sink.add(`validity/leaf-2050-boundary-${name}`, `leaf notAfter 2050-01-01 (GeneralizedTime), at ${name}`, {
        trusted: [c.root],
        sent: c.sent,
        at: t,
      });
    }
    const old = chain(pki, { leaf: { notBefore: at('1949-12-31T23:59:59Z'), notAfter: at('2030-01-01T00:00:00Z') } });
    sink.add('validity/leaf-notBefore-1949', 'leaf notBefore in 1949 (GeneralizedTime)', {
      trusted: [old.root],
      sent: old.sent,
    });
  }
  // 99991231235959Z (RFC 5280 section 4.1.2.5: no well-defined expiration) and the UTCTime 50/49 years.
  {
    const forever = chain(pki, { leaf: { notAfter: at('9999-12-31T23:59:59Z') } });
    sink.add('validity/leaf-notAfter-9999', 'leaf notAfter 99991231235959Z', { trusted: [forever.root], sent: forever.sent });
    const utc = chain(pki, {
      root: { notBefore: at('1950-01-01T00:00:00Z'), notAfter: at('2049-12-31T23:59:59Z') },
      ints: [{ notBefore: at('1950-01-01T00:00:00Z'), notAfter: at('2049-12-31T23:59:59Z') }],
      leaf: { notBefore: at('1950-01-01T00:00:00Z'), notAfter: at('2049-12-31T23:59:59Z') },
    });
    for (const [name, t] of [
      ['1950-start', at('1950-01-01T00:00:00Z')],
      ['1949-before', at('1949-12-31T23:59:59Z')],
      ['2049-end', at('2049-12-31T23:59:59Z')],
      ['2049-end-minus-1s', at('2049-12-31T23:59:58Z')],
    ] as const) {
      sink.add(`validity/utctime-extremes-${name}`, `all certificates UTCTime 500101000000Z..491231235959Z, at ${name}`, {
        trusted: [utc.root],
        sent: utc.sent,
        at: t,
      });
    }
  }
  // Time encodings outside RFC 5280 (X509_cmp_time accepts only YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ).
  const raw = (tag: number, text: string): Buffer => tlv(tag, Buffer.from(text, 'latin1'));
  const malformed: Array<[string, Buffer, Buffer]> = [
    ['utc-no-seconds', raw(0x17, '2509010000Z'), raw(0x17, '2609010000Z')],
    ['utc-offset', raw(0x17, '250901000000+0000'), raw(0x17, '260901000000+0000')],
    ['gen-fraction', raw(0x18, '20250901000000.5Z'), raw(0x18, '20260901000000.5Z')],
    ['gen-local', raw(0x18, '20250901000000'), raw(0x18, '20260901000000')],
    ['utc-month-13', raw(0x17, '251301000000Z'), raw(0x17, '261301000000Z')],
  ];
  for (const position of ['leaf', 'intermediate'] as const) {
    for (const [name, notBefore, notAfter] of malformed) {
      for (const field of ['notBefore', 'notAfter'] as const) {
        const options: CertOptions = field === 'notBefore' ? { rawNotBefore: notBefore } : { rawNotAfter: notAfter };
        const c = chain(pki, { ints: [position === 'intermediate' ? options : {}], leaf: position === 'leaf' ? options : {} });
        sink.add(`validity/${position}-${field}-${name}`, `${position} ${field} encoded as ${name}`, { trusted: [c.root], sent: c.sent });
      }
    }
  }
  // Inverted validity window.
  {
    const c = chain(pki, { leaf: { notBefore: at('2026-06-01T00:00:00Z'), notAfter: at('2026-01-01T00:00:00Z') } });
    sink.add('validity/leaf-inverted-window', 'leaf notBefore after notAfter', { trusted: [c.root], sent: c.sent });
  }
  // Expired leaf and expired intermediate together; expired leaf with not-yet-valid intermediate.
  {
    const c = chain(pki, {
      ints: [{ notAfter: at('2026-02-01T00:00:00Z') }],
      leaf: { notAfter: at('2026-02-15T00:00:00Z') },
    });
    sink.add('validity/leaf-and-intermediate-expired', 'both leaf and intermediate expired', {
      trusted: [c.root],
      sent: c.sent,
    });
    const d = chain(pki, {
      ints: [{ notBefore: at('2026-06-01T00:00:00Z') }],
      leaf: { notAfter: at('2026-02-15T00:00:00Z') },
    });
    sink.add('validity/leaf-expired-intermediate-future', 'expired leaf, not-yet-valid intermediate', {
      trusted: [d.root],
      sent: d.sent,
    });
  }
}

/** AKI/SKI matching (RFC 5280 section 4.2.1.1; OpenSSL `X509_check_akid` via `ossl_x509_likely_issued`). */
function keyIdentifiers(pki: Pki, sink: CaseSink): void {
  const random = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314', 'hex');
  type Variant = [string, string, (issuer: Issued) => CertOptions, CertOptions?];
  const variants: Variant[] = [
    ['aki-keyid-match', 'AKI key id equals the issuer SKI', () => ({})],
    ['aki-absent', 'no AKI', () => ({ aki: null })],
    ['aki-keyid-mismatch', 'AKI key id differs from the issuer SKI', () => ({ aki: { keyId: random } })],
    ['issuer-without-ski', 'AKI key id present, issuer has no SKI', () => ({ aki: { keyId: random } }), { ski: null }],
    [
      'aki-issuer-serial-match',
      'AKI issuer+serial only, matching',
      (i) => ({ aki: { issuerName: i.issuerDer, serial: i.serial } }),
    ],
    [
      'aki-issuer-serial-serial-mismatch',
      'AKI issuer+serial, serial differs',
      (i) => ({ aki: { issuerName: i.issuerDer, serial: i.serial + 1n } }),
    ],
    [
      'aki-issuer-serial-name-mismatch',
      'AKI issuer+serial, issuer name differs',
      (i) => ({ aki: { issuerName: [['CN', 'Somebody Else']], serial: i.serial } }),
    ],
    [
      'aki-all-three-match',
      'AKI key id + issuer + serial, all matching',
      (i) => ({ aki: { keyId: i.ski, issuerName: i.issuerDer, serial: i.serial } }),
    ],
    [
      'aki-keyid-match-serial-mismatch',
      'AKI key id matches, serial differs',
      (i) => ({ aki: { keyId: i.ski, issuerName: i.issuerDer, serial: i.serial + 7n } }),
    ],
    ['aki-empty', 'AKI extension with an empty SEQUENCE', () => ({ aki: {} })],
    [
      'aki-gn-dns-then-dirname',
      'AKI issuer GeneralNames [dNSName, matching dirName] + serial',
      (i) => ({ aki: { issuerGeneralNames: [{ dns: 'ca.a.test' }, { dn: i.issuerDer }], serial: i.serial } }),
    ],
    [
      'aki-gn-wrong-dirname-first',
      'AKI issuer GeneralNames [wrong dirName, matching dirName] + serial',
      (i) => ({ aki: { issuerGeneralNames: [{ dn: [['CN', 'Somebody Else']] }, { dn: i.issuerDer }], serial: i.serial } }),
    ],
    [
      'aki-gn-right-dirname-first',
      'AKI issuer GeneralNames [matching dirName, wrong dirName] + serial',
      (i) => ({ aki: { issuerGeneralNames: [{ dn: i.issuerDer }, { dn: [['CN', 'Somebody Else']] }], serial: i.serial } }),
    ],
    ['aki-gn-dns-only', 'AKI issuer GeneralNames [dNSName] + matching serial', (i) => ({ aki: { issuerGeneralNames: [{ dns: 'ca.a.test' }], serial: i.serial } })],
    ['aki-critical', 'AKI marked critical (not in X509_supported_extension)', () => ({ akiCritical: true })],
  ];
  for (const link of ['leaf', 'intermediate'] as const) {
    for (const [name, description, childOptions, issuerOptions] of variants) {
      // Build issuer first so the child can reference its serial/issuer name.
      const root = pki.root(link === 'intermediate' ? (issuerOptions ?? {}) : {});
      const int = pki.intermediate(root, {
        ...(link === 'leaf' ? (issuerOptions ?? {}) : {}),
        ...(link === 'intermediate' ? childOptions(root) : {}),
      });
      const leaf = pki.leaf(int, link === 'leaf' ? childOptions(int) : {});
      sink.add(`key-id/${link}-${name}`, `${link} → its issuer: ${description}`, {
        trusted: [root],
        sent: [leaf, int],
      });
    }
  }
  // The root's own AKI: self-signed detection (EXFLAG_SS needs a matching AKI, x509v3_cache_extensions).
  const rootVariants: Array<[string, string, (keyId: Buffer) => CertOptions]> = [
    ['root-aki-self', 'root AKI equals its own SKI', (keyId) => ({ aki: { keyId } })],
    ['root-aki-mismatch', 'root AKI key id differs from its own SKI', () => ({ aki: { keyId: random } })],
    ['root-no-ski-with-aki', 'root without SKI, AKI present', () => ({ ski: null, aki: { keyId: random } })],
    ['root-no-ski-no-aki', 'root without SKI or AKI', () => ({ ski: null, aki: null })],
    [
      'root-aki-issuer-serial-wrong',
      'root AKI issuer+serial naming itself with a wrong serial',
      () => ({ aki: { issuerName: [['CN', 'Test Root CA']], serial: 1n } }),
    ],
  ];
  for (const [name, description, rootOptions] of rootVariants) {
    const key = pki.key('p256');
    const root = pki.root({ key, ...rootOptions(key.keyId) });
    const c = chainUnder(pki, root);
    sink.add(`key-id/${name}`, description, { trusted: [root], sent: c.sent });
    sink.add(`key-id/${name}-sent`, `${description}; the root is also sent`, { trusted: [root], sent: [...c.sent, root] });
  }
  // Two candidate issuers with the same name: which one does OpenSSL pick (first time-valid match, no backtracking)?
  for (const withAki of [true, false]) {
    for (const wrongFirst of [true, false]) {
      for (const wrongExpired of [false, true]) {
        const root = pki.root();
        const right = pki.intermediate(root);
        const wrong = pki.intermediate(root, wrongExpired ? { notAfter: at('2026-01-01T00:00:00Z') } : {});
        const leaf = pki.leaf(right, withAki ? {} : { aki: null });
        const ints = wrongFirst ? [wrong, right] : [right, wrong];
        sink.add(
          `key-id/same-name-intermediates-${withAki ? 'aki' : 'no-aki'}-${wrongFirst ? 'wrong-first' : 'right-first'}${wrongExpired ? '-wrong-expired' : ''}`,
          `two intermediates with the same name and different keys sent, ${withAki ? 'leaf has AKI' : 'leaf has no AKI'}, ${wrongFirst ? 'wrong one first' : 'right one first'}${wrongExpired ? ', wrong one expired' : ''}`,
          { trusted: [root], sent: [leaf, ...ints] },
        );
      }
    }
  }
  for (const withAki of [true, false]) {
    for (const wrongFirst of [true, false]) {
      const right = pki.root();
      const wrong = pki.root();
      const int = pki.intermediate(right, withAki ? {} : { aki: null });
      const leaf = pki.leaf(int);
      sink.add(
        `key-id/same-name-roots-${withAki ? 'aki' : 'no-aki'}-${wrongFirst ? 'wrong-first' : 'right-first'}`,
        `two trusted roots with the same name and different keys, ${withAki ? 'intermediate has AKI' : 'intermediate has no AKI'}, ${wrongFirst ? 'wrong one first in the bundle' : 'right one first'}`,
        { trusted: wrongFirst ? [wrong, right] : [right, wrong], sent: [leaf, int] },
      );
    }
  }
  // Same name, different key algorithm: OpenSSL 3.0 skips candidates whose key cannot have made the signature.
  for (const wrongFirst of [true, false]) {
    const right = pki.root({ key: 'p256' });
    const wrong = pki.root({ key: 'rsa2048' });
    const int = pki.intermediate(right, { aki: null });
    const leaf = pki.leaf(int);
    sink.add(
      `key-id/same-name-roots-key-type-${wrongFirst ? 'wrong-first' : 'right-first'}`,
      `two trusted roots with the same name, one RSA one EC, intermediate (ECDSA-signed) has no AKI`,
      { trusted: wrongFirst ? [wrong, right] : [right, wrong], sent: [leaf, int] },
    );
  }
}

/** A standard intermediate + leaf under a given root. */
function chainUnder(pki: Pki, root: Issued, intOptions: CertOptions = {}, leafOptions: CertOptions = {}): Chain {
  const int = pki.intermediate(root, intOptions);
  const leaf = pki.leaf(int, leafOptions);
  return { root, ints: [int], leaf, sent: [leaf, int] };
}

/** basicConstraints and CA-ness (OpenSSL `check_extensions`, `X509_check_ca`). */
function basicConstraints(pki: Pki, sink: CaseSink): void {
  const caVariants: Array<[string, string, CertOptions]> = [
    ['ca-true-critical', 'CA:TRUE critical', {}],
    ['ca-true-noncritical', 'CA:TRUE not critical', { bc: { ca: true, critical: false } }],
    ['bc-absent-ku-certsign', 'no basicConstraints, keyUsage with keyCertSign', { bc: null }],
    ['bc-absent-no-ku', 'no basicConstraints, no keyUsage', { bc: null, ku: null }],
    ['ca-false-critical', 'CA:FALSE critical', { bc: { ca: false } }],
    ['ca-false-noncritical', 'CA:FALSE not critical', { bc: { ca: false, critical: false } }],
    ['ca-false-with-pathlen', 'CA:FALSE with a pathLenConstraint', { bc: { ca: false, pathLen: 0 } }],
    ['bc-absent-nscerttype-sslca', 'no basicConstraints, nsCertType sslCA', { bc: null, ku: null, nsCertType: ['sslCA'] }],
    ['bc-absent-nscerttype-objca', 'no basicConstraints, nsCertType objCA', { bc: null, ku: null, nsCertType: ['objCA'] }],
    ['ca-true-pathlen-negative', 'CA:TRUE with a negative pathLenConstraint', { bc: { ca: true, pathLen: -1 } }],
  ];
  for (const [name, description, options] of caVariants) {
    const i = chain(pki, { ints: [options] });
    sink.add(`basic-constraints/intermediate-${name}`, `intermediate: ${description}`, {
      trusted: [i.root],
      sent: i.sent,
    });
    const r = chain(pki, { root: options });
    sink.add(`basic-constraints/root-${name}`, `trusted root: ${description}`, { trusted: [r.root], sent: r.sent });
  }
  const leafVariants: Array<[string, string, CertOptions]> = [
    ['leaf-ca-true', 'leaf with CA:TRUE', { bc: { ca: true } }],
    ['leaf-ca-true-certsign', 'leaf with CA:TRUE and keyCertSign', { bc: { ca: true }, ku: ['digitalSignature', 'keyCertSign'] }],
    ['leaf-bc-absent', 'leaf without basicConstraints', { bc: null }],
    ['leaf-ca-false-noncritical', 'leaf CA:FALSE not critical', { bc: { ca: false, critical: false } }],
    ['leaf-ca-false-pathlen', 'leaf CA:FALSE with pathLenConstraint 0', { bc: { ca: false, pathLen: 0 } }],
  ];
  for (const [name, description, options] of leafVariants) {
    const c = chain(pki, { leaf: options });
    sink.add(`basic-constraints/${name}`, description, { trusted: [c.root], sent: c.sent });
  }
}

/** pathLenConstraint (RFC 5280 section 4.2.1.9; OpenSSL `check_extensions` plen, self-issued CAs not counted). */
function pathLength(pki: Pki, sink: CaseSink): void {
  const cases: Array<[string, string, ChainOptions]> = [
    ['root-0-one-int', 'root pathLen 0, one intermediate', { root: { bc: { ca: true, pathLen: 0 } } }],
    ['root-1-one-int', 'root pathLen 1, one intermediate', { root: { bc: { ca: true, pathLen: 1 } } }],
    ['root-1-two-ints', 'root pathLen 1, two intermediates', { root: { bc: { ca: true, pathLen: 1 } }, ints: [{}, {}] }],
    ['root-0-two-ints', 'root pathLen 0, two intermediates', { root: { bc: { ca: true, pathLen: 0 } }, ints: [{}, {}] }],
    ['root-2-two-ints', 'root pathLen 2, two intermediates', { root: { bc: { ca: true, pathLen: 2 } }, ints: [{}, {}] }],
    ['root-1-three-ints', 'root pathLen 1, three intermediates', { root: { bc: { ca: true, pathLen: 1 } }, ints: [{}, {}, {}] }],
    ['int-0-leaf', 'intermediate pathLen 0 issuing the leaf', { ints: [{ bc: { ca: true, pathLen: 0 } }] }],
    ['upper-int-0-two-ints', 'upper intermediate pathLen 0 above another intermediate', { ints: [{ bc: { ca: true, pathLen: 0 } }, {}] }],
    ['upper-int-1-two-ints', 'upper intermediate pathLen 1 above another intermediate', { ints: [{ bc: { ca: true, pathLen: 1 } }, {}] }],
    ['lower-int-0-two-ints', 'lower intermediate pathLen 0, upper unconstrained', { ints: [{}, { bc: { ca: true, pathLen: 0 } }] }],
    ['upper-int-0-three-ints', 'upper intermediate pathLen 0 above two intermediates', { ints: [{ bc: { ca: true, pathLen: 0 } }, {}, {}] }],
    ['leaf-ca-under-int-0', 'intermediate pathLen 0, leaf is itself a CA', { ints: [{ bc: { ca: true, pathLen: 0 } }], leaf: { bc: { ca: true } } }],
    ['leaf-ca-pathlen-0', 'leaf CA:TRUE pathLen 0', { leaf: { bc: { ca: true, pathLen: 0 } } }],
    ['root-255-two-ints', 'root pathLen 255, two intermediates', { root: { bc: { ca: true, pathLen: 255 } }, ints: [{}, {}] }],
    ['root-2^31-two-ints', 'root pathLen 2^31, two intermediates', { root: { bc: { ca: true, pathLen: 2 ** 31 } }, ints: [{}, {}] }],
    ['root-2^64-two-ints', 'root pathLen 2^64 (overflows a long), two intermediates', { root: { bc: { ca: true, pathLen: 2 ** 64 } }, ints: [{}, {}] }],
    ['int-2^64-two-ints', 'upper intermediate pathLen 2^64 above another intermediate', { ints: [{ bc: { ca: true, pathLen: 2 ** 64 } }, {}] }],
  ];
  for (const [name, description, options] of cases) {
    const c = chain(pki, options);
    const depth = Math.max(1, c.ints.length);
    sink.add(`path-length/${name}`, description, { trusted: [c.root], sent: c.sent, depth });
  }
  // Self-issued intermediate (same subject as its issuer, new key: a key rollover) below pathLen 0.
  for (const rootPathLen of [0, 1]) {
    const root = pki.root({ bc: { ca: true, pathLen: rootPathLen } });
    const upper = pki.intermediate(root, { cn: 'Rollover CA' });
    const lower = pki.intermediate(upper, { cn: 'Rollover CA' });
    const leaf = pki.leaf(lower);
    sink.add(
      `path-length/self-issued-int-under-root-${rootPathLen}`,
      `root pathLen ${rootPathLen}, two intermediates of which the lower is self-issued (same name, new key)`,
      { trusted: [root], sent: [leaf, lower, upper], depth: 2 },
    );
  }
  {
    const root = pki.root();
    const upper = pki.intermediate(root, { cn: 'Rollover CA', bc: { ca: true, pathLen: 0 } });
    const lower = pki.intermediate(upper, { cn: 'Rollover CA' });
    const leaf = pki.leaf(lower);
    sink.add('path-length/self-issued-int-under-int-0', 'intermediate pathLen 0 above a self-issued intermediate', {
      trusted: [root],
      sent: [leaf, lower, upper],
      depth: 2,
    });
  }
}

/** keyUsage (RFC 5280 section 4.2.1.3; OpenSSL `check_ca` ku_reject, `check_purpose_ssl_server` KU_TLS). */
function keyUsage(pki: Pki, sink: CaseSink): void {
  const caUsages: Array<[string, string[] | null, boolean?]> = [
    ['no-certsign', ['digitalSignature', 'cRLSign']],
    ['certsign-only', ['keyCertSign']],
    ['crlsign-only', ['cRLSign']],
    ['digital-signature-only', ['digitalSignature']],
    ['noncritical', ['keyCertSign', 'cRLSign'], false],
    ['empty', []],
  ];
  for (const [name, ku, critical] of caUsages) {
    const i = chain(pki, { ints: [{ ku, kuCritical: critical ?? true }] });
    sink.add(`key-usage/intermediate-${name}`, `intermediate keyUsage ${JSON.stringify(ku)}`, { trusted: [i.root], sent: i.sent });
    const r = chain(pki, { root: { ku, kuCritical: critical ?? true } });
    sink.add(`key-usage/root-${name}`, `trusted root keyUsage ${JSON.stringify(ku)}`, { trusted: [r.root], sent: r.sent });
  }
  const leafUsages: Array<[string, string[] | null, KeyKind?]> = [
    ['certsign-only', ['keyCertSign']],
    ['digital-signature-certsign', ['digitalSignature', 'keyCertSign']],
    ['key-encipherment-only-rsa', ['keyEncipherment'], 'rsa2048'],
    ['key-encipherment-only-ec', ['keyEncipherment']],
    ['key-agreement-only', ['keyAgreement']],
    ['non-repudiation-only', ['nonRepudiation']],
    ['data-encipherment-only', ['dataEncipherment']],
    ['crlsign-only', ['cRLSign']],
    ['encipher-only', ['keyAgreement', 'encipherOnly']],
    ['empty', []],
    ['absent', null],
  ];
  for (const [name, ku, key] of leafUsages) {
    const c = chain(pki, { leaf: { ku, ...(key ? { key } : {}) } });
    sink.add(`key-usage/leaf-${name}`, `leaf keyUsage ${JSON.stringify(ku)}`, { trusted: [c.root], sent: c.sent });
  }
}

/** extendedKeyUsage (RFC 5280 section 4.2.1.12; OpenSSL `xku_reject(x, XKU_SSL_SERVER | XKU_SGC)`) at every depth. */
function extendedKeyUsage(pki: Pki, sink: CaseSink): void {
  const variants: Array<[string, string[] | null, boolean?]> = [
    ['server-auth', [OID.serverAuth]],
    ['client-auth-only', [OID.clientAuth]],
    ['any', [OID.anyExtendedKeyUsage]],
    ['any-and-server', [OID.anyExtendedKeyUsage, OID.serverAuth]],
    ['empty', []],
    ['absent', null],
    ['server-and-client', [OID.serverAuth, OID.clientAuth]],
    ['code-signing', [OID.codeSigning]],
    ['ns-sgc', [OID.nsSGC]],
    ['ms-sgc', [OID.msSGC]],
    ['server-auth-critical', [OID.serverAuth], true],
  ];
  for (const position of ['leaf', 'intermediate', 'root'] as const) {
    for (const [name, eku, critical] of variants) {
      if (position !== 'leaf' && name === 'server-auth-critical') continue;
      const options: CertOptions = { eku, ekuCritical: critical ?? false };
      const c = chain(pki, {
        root: position === 'root' ? options : {},
        ints: [position === 'intermediate' ? options : {}],
        leaf: position === 'leaf' ? options : {},
      });
      sink.add(`eku/${position}-${name}`, `${position} EKU ${JSON.stringify(eku)}`, { trusted: [c.root], sent: c.sent });
    }
  }
}

/** Netscape cert type (OpenSSL `ns_reject`, `check_ssl_ca`). */
function netscapeCertType(pki: Pki, sink: CaseSink): void {
  const leafTypes: Array<[string, string[], boolean?]> = [
    ['server', ['server']],
    ['client', ['client']],
    ['server-client', ['server', 'client']],
    ['sslca', ['sslCA']],
    ['empty', []],
    ['server-critical', ['server'], true],
  ];
  for (const [name, types, critical] of leafTypes) {
    const c = chain(pki, { leaf: { nsCertType: types, nsCertTypeCritical: critical } });
    sink.add(`ns-cert-type/leaf-${name}`, `leaf nsCertType ${JSON.stringify(types)}`, { trusted: [c.root], sent: c.sent });
  }
  const caTypes: Array<[string, CertOptions]> = [
    ['bc-sslca', { nsCertType: ['sslCA'] }],
    ['bc-objca', { nsCertType: ['objCA'] }],
    ['bc-server', { nsCertType: ['server'] }],
    ['no-bc-sslca', { bc: null, ku: null, nsCertType: ['sslCA'] }],
    ['no-bc-emailca', { bc: null, ku: null, nsCertType: ['emailCA'] }],
    ['no-bc-server', { bc: null, ku: null, nsCertType: ['server'] }],
  ];
  for (const [name, options] of caTypes) {
    const i = chain(pki, { ints: [options] });
    sink.add(`ns-cert-type/intermediate-${name}`, `intermediate ${name}`, { trusted: [i.root], sent: i.sent });
    const r = chain(pki, { root: options });
    sink.add(`ns-cert-type/root-${name}`, `trusted root ${name}`, { trusted: [r.root], sent: r.sent });
  }
}

/** Name constraints (RFC 5280 section 4.2.1.10; OpenSSL `check_name_constraints`, `NAME_CONSTRAINTS_check(_CN)`). */
function nameConstraints(pki: Pki, sink: CaseSink): void {
  const constraints: Array<[string, { permitted?: GeneralNameSpec[]; excluded?: GeneralNameSpec[]; critical?: boolean }]> = [
    ['permit-dns', { permitted: [{ dns: 'a.test' }] }],
    ['permit-dns-dot', { permitted: [{ dns: '.a.test' }] }],
    ['permit-dns-upper', { permitted: [{ dns: 'A.TEST' }] }],
    ['exclude-dns', { excluded: [{ dns: 'bad.a.test' }] }],
    ['permit-ip', { permitted: [{ ipRange: '10.0.0.0/8' }] }],
    ['exclude-ip', { excluded: [{ ipRange: '10.9.0.0/16' }] }],
    ['permit-dns-and-ip', { permitted: [{ dns: 'a.test' }, { ipRange: '10.0.0.0/8' }] }],
    ['permit-ipv6', { permitted: [{ ipRange: 'fd00::/8' }] }],
    ['permit-email', { permitted: [{ email: 'a.test' }] }],
    ['permit-dirname', { permitted: [{ dn: [['O', 'Test']] }] }],
    ['permit-uri', { permitted: [{ uri: '.a.test' }] }],
    ['permit-dns-noncritical', { permitted: [{ dns: 'a.test' }], critical: false }],
  ];
  const leaves: Array<[string, CertOptions]> = [
    ['san-www-a', { san: [{ dns: 'www.a.test' }] }],
    ['san-apex-a', { cn: 'a.test', san: [{ dns: 'a.test' }] }],
    ['san-www-b', { cn: 'www.b.test', san: [{ dns: 'www.b.test' }] }],
    ['san-bad-a', { cn: 'bad.a.test', san: [{ dns: 'bad.a.test' }] }],
    ['san-deep-bad-a', { cn: 'x.bad.a.test', san: [{ dns: 'x.bad.a.test' }] }],
    ['san-suffix-trick', { cn: 'www.evila.test', san: [{ dns: 'www.evila.test' }] }],
    ['san-upper', { san: [{ dns: 'WWW.A.TEST' }] }],
    ['san-wildcard-a', { san: [{ dns: '*.a.test' }] }],
    ['san-wildcard-test', { san: [{ dns: '*.test' }] }],
    ['san-ip-10', { cn: 'ip leaf', san: [{ ip: '10.1.2.3' }] }],
    ['san-ip-10-9', { cn: 'ip leaf', san: [{ ip: '10.9.1.1' }] }],
    ['san-ip-192', { cn: 'ip leaf', san: [{ ip: '192.168.1.1' }] }],
    ['san-ipv6', { cn: 'ip leaf', san: [{ ip: 'fd12::1' }] }],
    ['san-dns-and-ip-outside', { san: [{ dns: 'www.a.test' }, { ip: '192.168.1.1' }] }],
    ['cn-only-inside', { cn: 'www.a.test', san: null }],
    ['cn-only-outside', { cn: 'www.b.test', san: null }],
    ['cn-only-ip', { cn: '10.1.2.3', san: null }],
    ['cn-only-not-hostname', { cn: 'Not A Host Name', san: null }],
    ['cn-outside-san-inside', { cn: 'www.b.test', san: [{ dns: 'www.a.test' }] }],
    ['cn-outside-san-ip', { cn: 'www.b.test', san: [{ ip: '10.1.2.3' }] }],
    ['san-email', { cn: 'mail leaf', san: [{ email: 'user@a.test' }] }],
    ['san-uri', { cn: 'uri leaf', san: [{ uri: 'https://www.a.test/x' }] }],
    ['subject-o-test', { subject: [['O', 'Test'], ['CN', 'www.a.test']], san: [{ dns: 'www.a.test' }] }],
    ['subject-o-other', { subject: [['O', 'Other'], ['CN', 'www.a.test']], san: [{ dns: 'www.a.test' }] }],
    ['subject-email-outside', { subject: [['CN', 'www.a.test'], ['emailAddress', 'x@b.test']], san: [{ dns: 'www.a.test' }] }],
  ];
  for (const [ncName, nc] of constraints) {
    for (const [leafName, leafOptions] of leaves) {
      const c = chain(pki, { ints: [{ nc }], leaf: leafOptions });
      sink.add(`name-constraints/${ncName}/${leafName}`, `intermediate name constraints ${ncName}, leaf ${leafName}`, {
        trusted: [c.root],
        sent: c.sent,
        hostname: null,
      });
    }
  }
  // On the trust anchor, and on a self-issued leaf position.
  for (const [leafName, leafOptions] of leaves.slice(0, 6)) {
    const c = chain(pki, { root: { nc: { permitted: [{ dns: 'a.test' }], excluded: [{ dns: 'bad.a.test' }] } }, leaf: leafOptions });
    sink.add(`name-constraints/on-root/${leafName}`, `root constrains permitted a.test excluded bad.a.test, leaf ${leafName}`, {
      trusted: [c.root],
      sent: c.sent,
      hostname: null,
    });
  }
  // Two constrained CAs: the intersection applies.
  {
    const c = chain(pki, {
      ints: [{ nc: { permitted: [{ dns: 'a.test' }] } }, { nc: { permitted: [{ dns: 'www.a.test' }] } }],
      leaf: { cn: 'api.a.test', san: [{ dns: 'api.a.test' }] },
    });
    sink.add('name-constraints/nested-narrowing', 'upper permits a.test, lower permits www.a.test, leaf api.a.test', {
      trusted: [c.root],
      sent: c.sent,
      hostname: null,
      depth: 2,
    });
  }
  // CN-only leaves whose CN may or may not look like a host name (3.0 NAME_CONSTRAINTS_check_CN / cn2dnsid).
  const cnVariants = ['localhost', 'www_x.a.test', 'WWW.A.TEST', 'www.a.test.', '-www.a.test', '*.a.test', 'a..test', 'www.b.test.', 'b.test', 'x y.b.test'];
  for (const cn of cnVariants) {
    const c = chain(pki, { ints: [{ nc: { permitted: [{ dns: 'a.test' }] } }], leaf: { cn, san: null } });
    sink.add(`name-constraints/cn-forms/${cn}`, `permit a.test, CN-only leaf "${cn}"`, { trusted: [c.root], sent: c.sent, hostname: null });
  }
  // Constraints also bind the intermediate's own names (they apply to every certificate below the constraining one).
  const intermediateNames: Array<[string, NameConstraintsSpec, CertOptions]> = [
    ['int-dirname-outside', { permitted: [{ dn: [['O', 'Test']] }] }, { subject: [['O', 'Other'], ['CN', 'Test Intermediate CA']] }],
    ['int-dirname-inside', { permitted: [{ dn: [['O', 'Test']] }] }, { subject: [['O', 'Test'], ['CN', 'Test Intermediate CA']] }],
    ['int-san-outside', { permitted: [{ dns: 'a.test' }] }, { san: [{ dns: 'ca.b.test' }] }],
    ['int-san-inside', { permitted: [{ dns: 'a.test' }] }, { san: [{ dns: 'ca.a.test' }] }],
    ['int-cn-outside', { permitted: [{ dns: 'a.test' }] }, { cn: 'ca.b.test' }],
  ];
  for (const [name, nc, intOptions] of intermediateNames) {
    const c = chain(pki, { root: { nc }, ints: [intOptions], leaf: { subject: [['O', 'Test'], ['CN', 'www.a.test']] } });
    sink.add(`name-constraints/intermediate-names/${name}`, `root constraints ${JSON.stringify(nc)}, intermediate ${name}`, {
      trusted: [c.root],
      sent: c.sent,
      hostname: null,
    });
  }
  // Odd constraint encodings.
  const oddConstraints: Array<[string, Buffer, CertOptions]> = [
    ['minimum-present', seq(implicitCons(0, seq(implicitPrim(2, Buffer.from('a.test')), implicitPrim(0, Buffer.from([1]))))), {}],
    ['maximum-present', seq(implicitCons(0, seq(implicitPrim(2, Buffer.from('a.test')), implicitPrim(1, Buffer.from([3]))))), {}],
    ['empty-dns-permitted', seq(implicitCons(0, seq(implicitPrim(2, Buffer.alloc(0))))), {}],
    ['email-exact-mailbox', seq(implicitCons(0, seq(implicitPrim(1, Buffer.from('user@a.test'))))), { san: [{ dns: 'www.a.test' }, { email: 'user@a.test' }] }],
    ['email-exact-mailbox-other', seq(implicitCons(0, seq(implicitPrim(1, Buffer.from('user@a.test'))))), { san: [{ dns: 'www.a.test' }, { email: 'other@a.test' }] }],
    ['email-dot-domain', seq(implicitCons(0, seq(implicitPrim(1, Buffer.from('.a.test'))))), { san: [{ dns: 'www.a.test' }, { email: 'user@mail.a.test' }] }],
    ['ip-bad-length', seq(implicitCons(0, seq(implicitPrim(7, Buffer.from([10, 0, 0, 0, 255]))))), { san: [{ ip: '10.1.2.3' }] }],
    ['ip-noncontiguous-mask', seq(implicitCons(0, seq(implicitPrim(7, Buffer.from([10, 0, 0, 1, 255, 0, 0, 255]))))), { san: [{ ip: '10.9.9.1' }] }],
    ['uri-host-exact', seq(implicitCons(0, seq(implicitPrim(6, Buffer.from('www.a.test'))))), { san: [{ dns: 'www.a.test' }, { uri: 'https://www.a.test:8443/p' }] }],
    ['uri-no-scheme', seq(implicitCons(0, seq(implicitPrim(6, Buffer.from('a.test'))))), { san: [{ dns: 'www.a.test' }, { uri: 'urn:x:y' }] }],
    ['other-name-type', seq(implicitCons(0, seq(explicit(0, Buffer.concat([oidDer('1.3.6.1.4.1.55555.9'), explicit(0, utf8Der('x'))]))))), {}],
  ];
  for (const [name, value, leafOptions] of oddConstraints) {
    const c = chain(pki, { ints: [{ extra: [extension(OID.nameConstraints, true, value)] }], leaf: leafOptions });
    sink.add(`name-constraints/odd/${name}`, `intermediate name constraints: ${name}`, { trusted: [c.root], sent: c.sent, hostname: null });
  }
  // With a hostname: the name check (check_id) and constraints both apply.
  const withHostname: Array<[string, CertOptions, string]> = [
    ['cn-only-outside-host-match', { cn: 'www.b.test', san: null }, 'www.b.test'],
    ['san-outside-host-match', { cn: 'www.b.test', san: [{ dns: 'www.b.test' }] }, 'www.b.test'],
  ];
  for (const [leafName, leafOptions, host] of withHostname) {
    const c = chain(pki, { ints: [{ nc: { permitted: [{ dns: 'a.test' }] } }], leaf: leafOptions });
    sink.add(`name-constraints/with-hostname/${leafName}`, `permit a.test, ${leafName}, hostname ${host}`, {
      trusted: [c.root],
      sent: c.sent,
      hostname: host,
    });
  }
}

/** X509_check_host semantics (flags 0, as nginx calls it): wildcards, CN fallback, IP literals. */
function hostnames(pki: Pki, sink: CaseSink): void {
  const root = pki.root();
  const int = pki.intermediate(root);
  const leaves: Array<[string, CertOptions]> = [
    ['san-exact', { san: [{ dns: 'www.a.test' }] }],
    ['san-wildcard', { cn: 'wild', san: [{ dns: '*.a.test' }] }],
    ['san-double-wildcard', { cn: 'wild', san: [{ dns: '*.*.test' }] }],
    ['san-partial-wildcard', { cn: 'wild', san: [{ dns: 'f*.a.test' }] }],
    ['san-suffix-wildcard', { cn: 'wild', san: [{ dns: '*o.a.test' }] }],
    ['san-tld-wildcard', { cn: 'wild', san: [{ dns: '*.test' }] }],
    ['san-inner-wildcard', { cn: 'wild', san: [{ dns: 'www.*.test' }] }],
    ['san-idn-wildcard', { cn: 'wild', san: [{ dns: 'xn--*.a.test' }] }],
    ['san-bare-star', { cn: 'wild', san: [{ dns: '*' }] }],
    ['san-upper', { cn: 'upper', san: [{ dns: 'WWW.A.TEST' }] }],
    ['san-trailing-dot', { cn: 'dot', san: [{ dns: 'www.a.test.' }] }],
    ['cn-only', { cn: 'www.a.test', san: null }],
    ['cn-only-wildcard', { cn: '*.a.test', san: null }],
    ['cn-with-other-dns-san', { cn: 'www.a.test', san: [{ dns: 'other.a.test' }] }],
    ['cn-with-ip-san', { cn: 'www.a.test', san: [{ ip: '127.0.0.1' }] }],
    ['cn-with-email-san', { cn: 'www.a.test', san: [{ email: 'x@a.test' }] }],
    ['two-cns', { subject: [['CN', 'other.test'], ['CN', 'www.a.test']], san: null }],
    ['ip-san-only', { cn: 'leaf', san: [{ ip: '127.0.0.1' }] }],
    ['ip-san-and-cn-ip', { cn: '127.0.0.1', san: [{ ip: '127.0.0.1' }] }],
    ['dns-san-ip-literal', { cn: 'leaf', san: [{ dns: '127.0.0.1' }] }],
    ['dns-san-and-cn-ip', { cn: '127.0.0.1', san: [{ dns: 'www.a.test' }] }],
    ['ipv6-san-only', { cn: 'leaf', san: [{ ip: '::1' }] }],
    ['dns-san-ipv6', { cn: 'leaf', san: [{ dns: '::1' }] }],
    ['dns-san-ipv6-brackets', { cn: 'leaf', san: [{ dns: '[::1]' }] }],
    ['cn-only-ipv6', { cn: '::1', san: null }],
    ['cn-only-ip', { cn: '127.0.0.1', san: null }],
  ];
  const names = [
    'www.a.test',
    'a.test',
    'foo.a.test',
    'f.a.test',
    'x.y.a.test',
    'www.a.test.',
    'other.a.test',
    'www.test',
    'xn--bcher-kva.a.test',
    '127.0.0.1',
    '::1',
    '[::1]',
  ];
  for (const [leafName, options] of leaves) {
    const leaf = pki.leaf(int, options);
    for (const name of names) {
      sink.add(`hostname/${leafName}/${name}`, `leaf ${leafName} checked against ${name}`, {
        trusted: [root],
        sent: [leaf, int],
        hostname: name,
      });
    }
  }
}

/** Cross-signed roots: trusted-first lookup, no backtracking (OpenSSL `build_chain`). */
function crossSigned(pki: Pki, sink: CaseSink): void {
  const expiredAt = at('2026-01-01T00:00:00Z');
  for (const crossExpired of [false, true]) {
    for (const newRootExpired of [false, true]) {
      const oldRoot = pki.root({ cn: 'Old Root CA' });
      const newKey = pki.key('p256');
      const newRoot = pki.root({ cn: 'New Root CA', key: newKey, ...(newRootExpired ? { notAfter: expiredAt } : {}) });
      // The cross certificate: New Root CA's name and key, issued by Old Root CA.
      const cross = pki.intermediate(oldRoot, {
        cn: 'New Root CA',
        key: newKey,
        ...(crossExpired ? { notAfter: expiredAt } : {}),
      });
      const int = pki.intermediate(newRoot);
      const leaf = pki.leaf(int);
      const tag = `${crossExpired ? 'cross-expired' : 'cross-valid'}-${newRootExpired ? 'new-root-expired' : 'new-root-valid'}`;
      const bundles: Array<[string, Issued[]]> = [
        ['trust-new', [newRoot]],
        ['trust-old', [oldRoot]],
        ['trust-both', [oldRoot, newRoot]],
        ['trust-both-reversed', [newRoot, oldRoot]],
      ];
      for (const [bundleName, trusted] of bundles) {
        for (const depth of [1, 2]) {
          sink.add(
            `cross-signed/${tag}/${bundleName}/send-cross/d${depth}`,
            `server sends leaf, intermediate, cross cert; ${tag}; bundle ${bundleName}; depth ${depth}`,
            { trusted, sent: [leaf, int, cross], depth },
          );
        }
        sink.add(
          `cross-signed/${tag}/${bundleName}/send-plain`,
          `server sends leaf and intermediate only; ${tag}; bundle ${bundleName}`,
          { trusted, sent: [leaf, int], depth: 2 },
        );
        sink.add(
          `cross-signed/${tag}/${bundleName}/send-new-root`,
          `server sends leaf, intermediate, its self-signed new root; ${tag}; bundle ${bundleName}`,
          { trusted, sent: [leaf, int, newRoot], depth: 2 },
        );
      }
    }
  }
  // Renewed root: same name and key, one expired, one valid, both trusted (OpenSSL prefers the time-valid one).
  for (const order of ['expired-first', 'valid-first'] as const) {
    const key = pki.key('p256');
    const oldCopy = pki.root({ key, notBefore: at('2010-01-01T00:00:00Z'), notAfter: expiredAt });
    const newCopy = pki.root({ key });
    const c = chainUnder(pki, newCopy);
    sink.add(`cross-signed/renewed-root/${order}`, `same root name and key twice in the bundle, one expired (${order})`, {
      trusted: order === 'expired-first' ? [oldCopy, newCopy] : [newCopy, oldCopy],
      sent: c.sent,
    });
    sink.add(`cross-signed/renewed-root-only-expired/${order}`, `only the expired copy of the root is trusted`, {
      trusted: [oldCopy],
      sent: c.sent,
    });
  }
  // Renewed intermediate: server sends the expired copy while a valid copy with the same key is in the bundle.
  {
    const root = pki.root();
    const key = pki.key('p256');
    const expiredInt = pki.intermediate(root, { key, notAfter: expiredAt });
    const validInt = pki.intermediate(root, { key });
    const leaf = pki.leaf(validInt);
    sink.add('cross-signed/expired-int-sent-valid-int-trusted', 'server sends an expired intermediate, the bundle holds a valid copy and the root', {
      trusted: [root, validInt],
      sent: [leaf, expiredInt],
    });
    sink.add('cross-signed/expired-and-valid-int-sent', 'server sends the expired then the valid copy of the intermediate', {
      trusted: [root],
      sent: [leaf, expiredInt, validInt],
    });
    sink.add('cross-signed/valid-and-expired-int-sent', 'server sends the valid then the expired copy of the intermediate', {
      trusted: [root],
      sent: [leaf, validInt, expiredInt],
    });
  }
}

/** What the server sends: root included, duplicates, extras, order, missing pieces. */
function chainShape(pki: Pki, sink: CaseSink): void {
  const c = chain(pki, { ints: [{}, {}] });
  const [upper, lower] = c.ints as [Issued, Issued];
  const other = chain(pki, { root: { cn: 'Other Root CA' }, ints: [{ cn: 'Other Intermediate CA' }] });
  const otherRoot = pki.root({ cn: 'Test Root CA' }); // same name as c.root, different key
  const shapes: Array<[string, string, Issued[], Issued[]]> = [
    ['complete', 'leaf, lower, upper', [c.leaf, lower, upper], [c.root]],
    ['with-root', 'root sent along', [c.leaf, lower, upper, c.root], [c.root]],
    ['with-untrusted-root', 'own root sent, bundle holds another root', [c.leaf, lower, upper, c.root], [other.root]],
    ['with-same-name-root', 'own root sent, bundle holds a different root with the same name', [c.leaf, lower, upper, c.root], [otherRoot]],
    ['wrong-order', 'upper before lower', [c.leaf, upper, lower], [c.root]],
    ['root-first', 'root, upper, lower after the leaf', [c.leaf, c.root, upper, lower], [c.root]],
    ['duplicate-lower', 'lower intermediate twice', [c.leaf, lower, lower, upper], [c.root]],
    ['duplicate-leaf', 'leaf twice', [c.leaf, c.leaf, lower, upper], [c.root]],
    ['extra-unrelated', 'unrelated intermediate in the middle', [c.leaf, lower, other.ints[0]!, upper], [c.root]],
    ['extra-other-leaf', 'another leaf appended', [c.leaf, lower, upper, other.leaf], [c.root]],
    ['missing-upper', 'upper intermediate missing', [c.leaf, lower], [c.root]],
    ['missing-lower', 'lower intermediate missing', [c.leaf, upper], [c.root]],
    ['leaf-only', 'leaf only', [c.leaf], [c.root]],
    ['leaf-only-bundle-has-ints', 'leaf only, bundle holds both intermediates and the root', [c.leaf], [c.root, upper, lower]],
    ['leaf-only-bundle-lower-only', 'leaf only, bundle holds only the lower intermediate', [c.leaf], [lower]],
    ['bundle-lower-only', 'complete chain, bundle holds only the lower intermediate', [c.leaf, lower, upper], [lower]],
    ['bundle-upper-only', 'complete chain, bundle holds only the upper intermediate', [c.leaf, lower, upper], [upper]],
    ['bundle-upper-and-root', 'complete chain, bundle holds upper and root', [c.leaf, lower, upper], [upper, c.root]],
    ['bundle-unrelated', 'complete chain, bundle holds an unrelated root', [c.leaf, lower, upper], [other.root]],
    ['bundle-many', 'complete chain, bundle holds the root among unrelated ones', [c.leaf, lower, upper], [other.root, other.ints[0]!, c.root, otherRoot]],
    ['root-only-sent', 'leaf then root, intermediates missing', [c.leaf, c.root], [c.root]],
  ];
  for (const [name, description, sent, trusted] of shapes) {
    for (const depth of [1, 2, 3]) {
      sink.add(`chain-shape/${name}/d${depth}`, `${description}; depth ${depth}`, { trusted, sent, depth });
    }
  }
  // Two CAs that certify each other (a loop), sent by the server; the root certifies only one of them.
  {
    const root = pki.root();
    const keyA = pki.key('p256');
    const keyB = pki.key('p256');
    const aByRoot = pki.intermediate(root, { cn: 'Loop CA A', key: keyA });
    const bByA = pki.intermediate(aByRoot, { cn: 'Loop CA B', key: keyB });
    const aByB = pki.intermediate(bByA, { cn: 'Loop CA A', key: keyA });
    const leaf = pki.leaf(bByA);
    for (const depth of [1, 2, 4]) {
      sink.add(`chain-shape/loop/d${depth}`, `leaf under B; server sends B (by A) and A (by B): a loop, the root never reached; depth ${depth}`, {
        trusted: [root],
        sent: [leaf, bByA, aByB],
        depth,
      });
      sink.add(`chain-shape/loop-with-exit/d${depth}`, `as loop, plus A issued by the trusted root; depth ${depth}`, {
        trusted: [root],
        sent: [leaf, bByA, aByB, aByRoot],
        depth,
      });
    }
  }
  // The bundle holds an expired copy of the intermediate (same key and name), the server sends the valid one.
  {
    const root = pki.root();
    const key = pki.key('p256');
    const expiredInt = pki.intermediate(root, { key, notAfter: at('2026-01-01T00:00:00Z') });
    const validInt = pki.intermediate(root, { key });
    const leaf = pki.leaf(validInt);
    sink.add('chain-shape/expired-int-in-bundle-valid-sent', 'bundle holds root and an expired copy of the intermediate; server sends the valid copy', {
      trusted: [root, expiredInt],
      sent: [leaf, validInt],
    });
  }
  // A leaf whose subject equals its issuer's name (self-issued, not self-signed).
  {
    const root = pki.root();
    const int = pki.intermediate(root, { cn: 'www.a.test' });
    const leaf = pki.leaf(int, { cn: 'www.a.test' });
    sink.add('chain-shape/self-issued-leaf', 'leaf named like its issuing intermediate', { trusted: [root], sent: [leaf, int] });
    sink.add('chain-shape/self-issued-leaf-int-trusted', 'leaf named like its issuing intermediate, which is in the bundle', {
      trusted: [root, int],
      sent: [leaf],
    });
  }
  // Many extra certificates after the chain.
  {
    const extras = Array.from({ length: 30 }, (_, i) => pki.intermediate(other.root, { cn: `Extra CA ${i}` }));
    sink.add('chain-shape/thirty-extras', 'chain followed by thirty unrelated CA certificates', {
      trusted: [c.root],
      sent: [c.leaf, lower, upper, ...extras],
      depth: 2,
    });
  }
}

/** Chain length against `-verify_depth` / `proxy_ssl_verify_depth` (OpenSSL `build_chain` depth limit). */
function depthLimits(pki: Pki, sink: CaseSink): void {
  for (let n = 0; n <= 3; n++) {
    const c = chain(pki, { ints: Array.from({ length: n }, () => ({})) });
    for (let depth = 0; depth <= 3; depth++) {
      sink.add(`depth/${n}-ints/d${depth}`, `${n} intermediates, verify depth ${depth}`, {
        trusted: [c.root],
        sent: c.sent,
        depth,
      });
      sink.add(`depth/${n}-ints-root-sent/d${depth}`, `${n} intermediates and the root sent, verify depth ${depth}`, {
        trusted: [c.root],
        sent: [...c.sent, c.root],
        depth,
      });
      if (n >= 1) {
        sink.add(`depth/${n}-ints-lowest-trusted/d${depth}`, `${n} intermediates, the lowest also trusted, verify depth ${depth}`, {
          trusted: [c.root, c.ints[n - 1]!],
          sent: c.sent,
          depth,
        });
      }
    }
  }
  // Depth with an expired certificate beyond the limit.
  {
    const c = chain(pki, { ints: [{}, { notAfter: at('2026-01-01T00:00:00Z') }] });
    for (const depth of [0, 1, 2]) {
      sink.add(`depth/expired-lower-int/d${depth}`, `two intermediates, lower expired, depth ${depth}`, {
        trusted: [c.root],
        sent: c.sent,
        depth,
      });
    }
  }
}

const KEY_KINDS: KeyKind[] = [
  'rsa1024',
  'rsa1536',
  'rsa2000',
  'rsa2040',
  'rsa2048',
  'rsa3072',
  'rsapss2048',
  'dsa1024',
  'dsa2048',
  'p192',
  'p224',
  'p256',
  'p384',
  'p521',
  'k256',
  'bp256',
  'ed25519',
  'ed448',
];

/** Key sizes against the security level (OpenSSL `check_key_level`, `EVP_PKEY_get_security_bits`). */
function weakKeys(pki: Pki, sink: CaseSink): void {
  for (const kind of KEY_KINDS) {
    for (const position of ['leaf', 'intermediate', 'root'] as const) {
      // `others`: the key of every other certificate; P-521 (256 bits) for levels 4 and 5 so only `kind` can fail.
      const build = (others: KeyKind): Chain => {
        const mine: CertOptions = { key: kind };
        const theirs: CertOptions = { key: others };
        return chain(pki, {
          root: position === 'root' ? mine : theirs,
          ints: [position === 'intermediate' ? mine : theirs],
          leaf: position === 'leaf' ? mine : theirs,
        });
      };
      const c = build('p256');
      // Level 0 switches the checks off; sweep it only for the keys that fail at level 2.
      const levels = kind === 'rsa1024' || kind === 'p192' || kind === 'dsa1024' ? [0, 1, 2, 3] : [1, 2, 3];
      for (const seclevel of levels) {
        sink.add(`weak-key/${position}-${kind}/s${seclevel}`, `${position} key ${kind}, security level ${seclevel}`, {
          trusted: [c.root],
          sent: c.sent,
          seclevel,
        });
      }
      if (['rsa3072', 'p384', 'p521', 'ed25519', 'ed448'].includes(kind)) {
        const strong = build('p521');
        for (const seclevel of [4, 5]) {
          sink.add(`weak-key/${position}-${kind}/s${seclevel}`, `${position} key ${kind}, others P-521, security level ${seclevel}`, {
            trusted: [strong.root],
            sent: strong.sent,
            seclevel,
          });
        }
      }
    }
  }
  // Self-signed weak leaf in the bundle.
  for (const kind of ['rsa1024', 'p192'] as const) {
    const leaf = pki.leaf(undefined, { key: kind, bc: { ca: false } });
    for (const seclevel of [1, 2]) {
      sink.add(`weak-key/self-signed-trusted-${kind}/s${seclevel}`, `trusted self-signed leaf with ${kind}`, {
        trusted: [leaf],
        sent: [leaf],
        seclevel,
      });
    }
  }
}

/** Signature digests against the security level (OpenSSL `check_sig_level`; SHA-1 = 63 bits since 3.0). */
function weakDigests(pki: Pki, sink: CaseSink): void {
  const schemes: Array<[string, KeyKind, Hash, boolean?, SignatureQuirks?]> = [
    ['rsa-pss-default-params', 'rsa2048', 'sha1', true, { pssDefaultParams: true }],
    ['rsa-pss-sha256-salt-0', 'rsa2048', 'sha256', true, { pssSalt: 0 }],
    ['rsa-pss-sha384', 'rsa2048', 'sha384', true],
    ['rsa-pss-key-sha256', 'rsapss2048', 'sha256'],
    ['rsa-absent-null', 'rsa2048', 'sha256', false, { paramsQuirk: 'rsa-absent' }],
    ['ecdsa-null-params', 'p256', 'sha256', false, { paramsQuirk: 'ecdsa-null' }],
    ['dsa-sha1', 'dsa2048', 'sha1'],
    ['dsa-sha224', 'dsa2048', 'sha224'],
    ['dsa-sha256', 'dsa2048', 'sha256'],
    ['ed448', 'ed448', 'sha256'],
    ['p521-sha256', 'p521', 'sha256'],
    ['p521-sha384', 'p521', 'sha384'],
    ['p521-sha512', 'p521', 'sha512'],
    ['rsa-md5', 'rsa2048', 'md5'],
    ['rsa-sha1', 'rsa2048', 'sha1'],
    ['rsa-sha224', 'rsa2048', 'sha224'],
    ['rsa-sha256', 'rsa2048', 'sha256'],
    ['rsa-sha512', 'rsa2048', 'sha512'],
    ['rsa-pss-sha256', 'rsa2048', 'sha256', true],
    ['rsa-pss-sha1', 'rsa2048', 'sha1', true],
    ['ecdsa-sha1', 'p256', 'sha1'],
    ['ecdsa-sha224', 'p256', 'sha224'],
    ['ecdsa-sha384', 'p256', 'sha384'],
    ['p384-sha256', 'p384', 'sha256'],
  ];
  for (const [name, signerKind, hash, pss, quirks] of schemes) {
    for (const position of ['leaf', 'intermediate', 'root'] as const) {
      // The digest is on `position`'s own signature, so its issuer holds the signerKind key.
      const sig: CertOptions = { hash, pss, ...(quirks ? { signatureQuirks: quirks } : {}) };
      // Strong schemes are swept up to level 5 with P-521 everywhere else, so only the digest can fail.
      const strong = name === 'ed448' || name.startsWith('p521-');
      const other: CertOptions = strong ? { key: 'p521' } : {};
      const c = chain(pki, {
        root: position === 'root' ? { ...sig, key: signerKind } : position === 'intermediate' ? { key: signerKind } : other,
        ints: [position === 'intermediate' ? { ...other, ...sig } : position === 'leaf' ? { key: signerKind } : other],
        leaf: position === 'leaf' ? { ...other, ...sig } : other,
      });
      for (const seclevel of strong ? [1, 2, 3, 4, 5] : [0, 1, 2, 3]) {
        sink.add(`weak-digest/${position}-${name}/s${seclevel}`, `${position} signed with ${name}, security level ${seclevel}`, {
          trusted: [c.root],
          sent: c.sent,
          seclevel,
        });
      }
    }
  }
  // SHA-1 root sent along and also trusted, and SHA-1 on a self-signed trusted leaf.
  {
    const c = chain(pki, { root: { key: 'rsa2048', hash: 'sha1' } });
    sink.add('weak-digest/sha1-root-sent', 'SHA-1 self-signed root, trusted and also sent', {
      trusted: [c.root],
      sent: [...c.sent, c.root],
    });
    const leaf = pki.leaf(undefined, { key: 'rsa2048', hash: 'sha1' });
    sink.add('weak-digest/sha1-self-signed-leaf-trusted', 'SHA-1 self-signed leaf in the bundle', { trusted: [leaf], sent: [leaf] });
  }
  // SHA-1 cross certificate when the cross path is the one built.
  {
    const oldRoot = pki.root({ cn: 'Old Root CA', key: 'rsa2048' });
    const newKey = pki.key('p256');
    const newRoot = pki.root({ cn: 'New Root CA', key: newKey });
    const cross = pki.intermediate(oldRoot, { cn: 'New Root CA', key: newKey, hash: 'sha1' });
    const int = pki.intermediate(newRoot);
    const leaf = pki.leaf(int);
    sink.add('weak-digest/sha1-cross-cert-used', 'SHA-1 cross certificate on the only path', {
      trusted: [oldRoot],
      sent: [leaf, int, cross],
      depth: 2,
    });
    sink.add('weak-digest/sha1-cross-cert-unused', 'SHA-1 cross certificate sent, new root trusted', {
      trusted: [newRoot, oldRoot],
      sent: [leaf, int, cross],
      depth: 2,
    });
  }
}

const CRITICAL_UNKNOWN = extension('1.3.6.1.4.1.55555.1', true, seq());
const NONCRITICAL_UNKNOWN = extension('1.3.6.1.4.1.55555.1', false, seq());

/** Critical extensions (RFC 5280 section 4.2; OpenSSL `X509_supported_extension`, EXFLAG_CRITICAL). */
function criticalExtensions(pki: Pki, sink: CaseSink): void {
  const policies = seq(seq(oidDer('2.5.29.32.0')));
  const policyConstraints = seq(implicitPrim(0, Buffer.from([0])));
  const crldp = seq(seq(explicit(0, explicit(0, implicitPrim(6, Buffer.from('http://crl.a.test/x.crl'))))));
  const aia = seq(seq(oidDer('1.3.6.1.5.5.7.48.2'), implicitPrim(6, Buffer.from('http://ca.a.test/ca.crt'))));
  const variants: Array<[string, CertOptions]> = [
    ['unknown-critical', { extra: [CRITICAL_UNKNOWN] }],
    ['unknown-noncritical', { extra: [NONCRITICAL_UNKNOWN] }],
    ['ski-critical', { skiCritical: true }],
    ['policies-critical', { extra: [extension(OID.certificatePolicies, true, policies)] }],
    ['policy-constraints-critical', { extra: [extension(OID.policyConstraints, true, policyConstraints)] }],
    ['crldp-critical', { extra: [extension(OID.crlDistributionPoints, true, crldp)] }],
    ['aia-critical', { extra: [extension(OID.authorityInfoAccess, true, aia)] }],
    ['ct-poison-critical', { extra: [extension(OID.ctPoison, true, Buffer.from([0x05, 0x00]))] }],
    ['duplicate-extension', { extra: [extension(OID.crlDistributionPoints, false, crldp), extension(OID.crlDistributionPoints, false, crldp)] }],
    ['duplicate-ski', { extra: [extension(OID.subjectKeyIdentifier, false, Buffer.from([0x04, 0x02, 0x01, 0x02]))] }],
    ['ocsp-nocheck-critical', { extra: [extension('1.3.6.1.5.5.7.48.1.5', true, Buffer.from([0x05, 0x00]))] }],
    ['issuer-alt-name-critical', { extra: [extension('2.5.29.18', true, seq(implicitPrim(2, Buffer.from('ca.a.test'))))] }],
    ['tls-feature-critical', { extra: [extension('1.3.6.1.5.5.7.1.24', true, seq(integer(5)))] }],
    ['policy-mappings-critical', { extra: [extension('2.5.29.33', true, seq(seq(oidDer('1.3.6.1.4.1.55555.2'), oidDer('1.3.6.1.4.1.55555.3'))))] }],
    ['inhibit-any-policy-critical', { extra: [extension('2.5.29.54', true, integer(0))] }],
  ];
  for (const position of ['leaf', 'intermediate', 'root'] as const) {
    for (const [name, options] of variants) {
      const c = chain(pki, {
        root: position === 'root' ? options : {},
        ints: [position === 'intermediate' ? options : {}],
        leaf: position === 'leaf' ? options : {},
      });
      sink.add(`critical-ext/${position}-${name}`, `${position}: ${name}`, { trusted: [c.root], sent: c.sent });
    }
  }
  for (const [name, options] of [
    ['san-critical', { sanCritical: true }],
    ['eku-critical', { ekuCritical: true }],
    ['ku-noncritical', { kuCritical: false }],
    ['nc-on-leaf', { nc: { permitted: [{ dns: 'a.test' }] } }],
    ['ns-cert-type-critical', { nsCertType: ['server'], nsCertTypeCritical: true }],
  ] as const) {
    const c = chain(pki, { leaf: options as CertOptions });
    sink.add(`critical-ext/leaf-${name}`, `leaf: ${name}`, { trusted: [c.root], sent: c.sent });
  }
}

/** Version 1 and 2 certificates (OpenSSL `X509_check_ca`: a v1 self-signed root is a CA, a v1 intermediate is not). */
function oldVersions(pki: Pki, sink: CaseSink): void {
  const v1Root = pki.root({ version: 1 });
  const c1 = chainUnder(pki, v1Root);
  sink.add('version/v1-root', 'v1 self-signed root, v3 intermediate and leaf', { trusted: [v1Root], sent: c1.sent });
  sink.add('version/v1-root-sent', 'v1 self-signed root also sent', { trusted: [v1Root], sent: [...c1.sent, v1Root] });
  const root = pki.root();
  const v1Int = pki.intermediate(root, { version: 1 });
  const leafUnderV1 = pki.leaf(v1Int);
  sink.add('version/v1-intermediate', 'v1 intermediate', { trusted: [root], sent: [leafUnderV1, v1Int] });
  sink.add('version/v1-intermediate-trusted', 'v1 intermediate in the bundle with the root', {
    trusted: [root, v1Int],
    sent: [leafUnderV1, v1Int],
  });
  const v2Int = pki.intermediate(root, { version: 2 });
  sink.add('version/v2-intermediate', 'v2 intermediate (no extensions)', { trusted: [root], sent: [pki.leaf(v2Int), v2Int] });
  const int = pki.intermediate(root);
  const v1Leaf = pki.leaf(int, { version: 1 });
  sink.add('version/v1-leaf', 'v1 leaf, name from the CN', { trusted: [root], sent: [v1Leaf, int] });
  sink.add('version/v1-leaf-name-mismatch', 'v1 leaf, CN does not match', {
    trusted: [root],
    sent: [v1Leaf, int],
    hostname: 'other.a.test',
  });
  const v1SelfSigned = pki.leaf(undefined, { version: 1 });
  sink.add('version/v1-self-signed-leaf-trusted', 'v1 self-signed leaf in the bundle', { trusted: [v1SelfSigned], sent: [v1SelfSigned] });
  sink.add('version/v1-self-signed-leaf-untrusted', 'v1 self-signed leaf, bundle holds another root', {
    trusted: [root],
    sent: [v1SelfSigned],
  });
}

/** Self-signed leaves and pinned (non-CA) leaves in the bundle. */
function selfSignedAndPinned(pki: Pki, sink: CaseSink): void {
  const variants: Array<[string, CertOptions]> = [
    ['plain', {}],
    ['ca-true', { bc: { ca: true } }],
    ['no-bc', { bc: null }],
    ['ku-no-certsign', { ku: ['digitalSignature'] }],
    ['ku-certsign', { ku: ['digitalSignature', 'keyCertSign'] }],
    ['expired', { notAfter: at('2026-01-01T00:00:00Z') }],
    ['eku-client', { eku: [OID.clientAuth] }],
    ['no-ski-aki', { ski: null, aki: null }],
  ];
  const other = pki.root({ cn: 'Other Root CA' });
  for (const [name, options] of variants) {
    const leaf = pki.leaf(undefined, options);
    sink.add(`self-signed/${name}/trusted`, `self-signed leaf (${name}) in the bundle`, { trusted: [leaf], sent: [leaf] });
    sink.add(`self-signed/${name}/trusted-hostname-mismatch`, `self-signed leaf (${name}) in the bundle, wrong name`, {
      trusted: [leaf],
      sent: [leaf],
      hostname: 'other.a.test',
    });
    sink.add(`self-signed/${name}/untrusted`, `self-signed leaf (${name}), bundle holds another root`, {
      trusted: [other],
      sent: [leaf],
    });
  }
  {
    const leaf = pki.leaf(undefined, {});
    const c = chain(pki, {});
    sink.add('self-signed/trusted-with-extras', 'self-signed trusted leaf followed by an unrelated chain', {
      trusted: [leaf],
      sent: [leaf, ...c.sent.slice(1)],
    });
    sink.add('self-signed/trusted-depth-0', 'self-signed trusted leaf, depth 0', { trusted: [leaf], sent: [leaf], depth: 0 });
  }
  // Pinning: the leaf (issued by a CA) is in the bundle.
  const c = chain(pki, {});
  const int = c.ints[0]!;
  const pins: Array<[string, Issued[], Issued[]]> = [
    ['leaf-only', [c.leaf], [c.leaf]],
    ['leaf-with-int-sent', [c.leaf], [c.leaf, int]],
    ['leaf-and-root', [c.leaf, c.root], [c.leaf, int]],
    ['leaf-and-int', [c.leaf, int], [c.leaf, int]],
    ['leaf-and-int-leaf-only-sent', [c.leaf, int], [c.leaf]],
    ['int-only', [int], [c.leaf, int]],
    ['int-only-leaf-only-sent', [int], [c.leaf]],
  ];
  for (const [name, trusted, sent] of pins) {
    for (const depth of [0, 1]) {
      sink.add(`pinned/${name}/d${depth}`, `bundle ${name}, depth ${depth}`, { trusted, sent, depth });
    }
  }
}

/** Issuer names compared by OpenSSL's canonical form (`X509_NAME_cmp` on `canon_enc`). */
function nameMatching(pki: Pki, sink: CaseSink): void {
  const variants: Array<[string, string, CertOptions, CertOptions]> = [
    ['printable-vs-utf8', 'issuer field PrintableString, issuer subject UTF8String', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'Test Intermediate CA', 'printable']] }],
    ['case-differs', 'issuer field in lower case', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'test intermediate ca']] }],
    ['whitespace-differs', 'issuer field with extra inner and outer spaces', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', '  Test   Intermediate CA ']] }],
    ['bmp-vs-utf8', 'issuer field BMPString', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'Test Intermediate CA', 'bmp']] }],
    ['order-differs', 'issuer RDNs in the other order', { subject: [['O', 'Test'], ['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'Test Intermediate CA'], ['O', 'Test']] }],
    ['extra-rdn', 'issuer field with an extra RDN', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['O', 'Test'], ['CN', 'Test Intermediate CA']] }],
    ['country-case', 'C=us in the issuer field, C=US in the subject', { subject: [['C', 'US'], ['CN', 'Test Intermediate CA']] }, { issuerName: [['C', 'us'], ['CN', 'Test Intermediate CA']] }],
    ['t61-vs-utf8', 'issuer field TeletexString', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'Test Intermediate CA', 't61']] }],
    ['non-ascii-case', 'non-ASCII letters differ in case (only ASCII is folded)', { subject: [['CN', 'Tëst Intermediate CA']] }, { issuerName: [['CN', 'TËST INTERMEDIATE CA']] }],
    ['ascii-case-non-ascii-same', 'ASCII letters differ in case around the same non-ASCII letter', { subject: [['CN', 'Tëst Intermediate CA']] }, { issuerName: [['CN', 'tëst intermediate ca']] }],
    ['multi-valued-rdn-order', 'multi-valued RDN with its AVAs in the other order', { subject: [['O', 'Test'], ['CN', 'Test Intermediate CA', undefined, '+']] }, { issuerName: [['CN', 'Test Intermediate CA'], ['O', 'Test', undefined, '+']] }],
    ['multi-valued-vs-split', 'multi-valued RDN in the subject, two RDNs in the issuer field', { subject: [['O', 'Test'], ['CN', 'Test Intermediate CA', undefined, '+']] }, { issuerName: [['O', 'Test'], ['CN', 'Test Intermediate CA']] }],
    ['numeric-vs-printable', 'serialNumber NumericString in the issuer field, PrintableString in the subject', { subject: [['CN', 'Test Intermediate CA'], ['serialNumber', '12345']] }, { issuerName: [['CN', 'Test Intermediate CA'], ['serialNumber', '12345', 'numeric']] }],
    ['tab-whitespace', 'a tab where the subject has a space', { subject: [['CN', 'Test Intermediate CA']] }, { issuerName: [['CN', 'Test\tIntermediate CA']] }],
    ['ia5-email-case', 'emailAddress differs in case', { subject: [['CN', 'Test Intermediate CA'], ['emailAddress', 'ca@a.test']] }, { issuerName: [['CN', 'Test Intermediate CA'], ['emailAddress', 'CA@A.TEST']] }],
  ];
  for (const [name, description, intOptions, leafOptions] of variants) {
    const c = chain(pki, { ints: [intOptions], leaf: leafOptions });
    sink.add(`issuer-name/${name}`, description, { trusted: [c.root], sent: c.sent });
  }
  // Empty subject leaf with a SAN.
  const c = chain(pki, { leaf: { subject: [], san: [{ dns: 'www.a.test' }], sanCritical: true } });
  sink.add('issuer-name/leaf-empty-subject', 'leaf with an empty subject and a critical SAN', { trusted: [c.root], sent: c.sent });
  const d = chain(pki, { leaf: { subject: [], san: [{ dns: 'www.a.test' }], sanCritical: false } });
  sink.add('issuer-name/leaf-empty-subject-san-noncritical', 'leaf with an empty subject and a non-critical SAN', { trusted: [d.root], sent: d.sent });
}

/** Signature checks (OpenSSL `internal_verify`, `X509_verify`; self-signatures of anchors are not checked). */
function signatures(pki: Pki, sink: CaseSink): void {
  const stranger = pki.key('p256');
  const cases: Array<[string, string, ChainOptions]> = [
    ['leaf-wrong-key', 'leaf signed by another key (names and AKI point at the intermediate)', { leaf: { signWith: stranger } }],
    ['leaf-corrupt', 'leaf signature corrupted', { leaf: { corruptSignature: true } }],
    ['int-corrupt', 'intermediate signature corrupted', { ints: [{ corruptSignature: true }] }],
    ['root-self-signature-corrupt', 'trusted root whose self-signature is corrupted', { root: { corruptSignature: true } }],
    ['leaf-outer-alg-mismatch', 'leaf outer signatureAlgorithm SHA-384, tbs says SHA-256', { leaf: { outerHash: 'sha384' } }],
    ['root-outer-alg-mismatch', 'trusted root outer signatureAlgorithm differs from the tbs one', { root: { outerHash: 'sha384' } }],
    ['leaf-signed-by-rsa-issuer', 'RSA intermediate, EC leaf', { ints: [{ key: 'rsa2048' }] }],
    ['ed25519-chain', 'Ed25519 root, intermediate and leaf', { root: { key: 'ed25519' }, ints: [{ key: 'ed25519' }], leaf: { key: 'ed25519' } }],
  ];
  for (const [name, description, options] of cases) {
    const c = chain(pki, options);
    sink.add(`signature/${name}`, description, { trusted: [c.root], sent: c.sent });
  }
  {
    const c = chain(pki, { root: { corruptSignature: true } });
    sink.add('signature/root-self-signature-corrupt-sent', 'corrupted self-signed root, trusted and sent', {
      trusted: [c.root],
      sent: [...c.sent, c.root],
    });
    const leaf = pki.leaf(undefined, { corruptSignature: true });
    sink.add('signature/self-signed-leaf-corrupt-trusted', 'trusted self-signed leaf with a corrupted signature', { trusted: [leaf], sent: [leaf] });
    sink.add('signature/self-signed-leaf-corrupt-untrusted', 'self-signed leaf with a corrupted signature, not trusted', {
      trusted: [c.root],
      sent: [leaf],
    });
  }
  // Keys OpenSSL cannot decode, or cannot sign with (X509_get0_pubkey == NULL; X25519 is key agreement only).
  {
    const unknownSpki = seq(seq(oidDer('1.3.6.1.4.1.55555.7')), bitString(Buffer.alloc(32, 0x42)));
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' });
    const stranger = pki.key('p256');
    const keyCases: Array<[string, string, ChainOptions]> = [
      ['leaf-unknown-key-algorithm', 'leaf SubjectPublicKeyInfo with an unknown algorithm', { leaf: { rawSpki: unknownSpki, ski: null } }],
      ['leaf-x25519-key', 'leaf with an X25519 key (keyAgreement)', { leaf: { rawSpki: x25519, ski: null, ku: ['keyAgreement'] } }],
      [
        'int-unknown-key-algorithm',
        'intermediate SubjectPublicKeyInfo with an unknown algorithm (the leaf is signed by another key)',
        { ints: [{ rawSpki: unknownSpki, ski: null }], leaf: { signWith: stranger, aki: null } },
      ],
      [
        'leaf-ecdsa-oid-rsa-issuer',
        'leaf announces ecdsa-with-SHA256, its only candidate issuer has an RSA key',
        { ints: [{ key: 'rsa2048' }], leaf: { announcedAlgorithm: seq(oidDer('1.2.840.10045.4.3.2')) } },
      ],
      [
        'leaf-rsa-oid-ec-issuer',
        'leaf announces sha256WithRSAEncryption, its issuer has an EC key',
        { leaf: { announcedAlgorithm: seq(oidDer('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00])) } },
      ],
    ];
    for (const [name, description, options] of keyCases) {
      const c = chain(pki, options);
      sink.add(`signature/${name}`, description, { trusted: [c.root], sent: c.sent });
    }
  }
  // Serial number oddities (tolerated outside X509_V_FLAG_X509_STRICT).
  for (const [name, serial] of [
    ['serial-zero', 0n],
    ['serial-negative', -5n],
    ['serial-21-bytes', (1n << 160n) + 12345n],
  ] as const) {
    const c = chain(pki, { leaf: { serial } });
    sink.add(`signature/${name}`, `leaf ${name}`, { trusted: [c.root], sent: c.sent });
  }
}

/**
 * Several defects in one chain, chosen so that OpenSSL's stages report them in a known order (build_chain,
 * check_extensions, check_auth_level, check_id, internal_verify, check_name_constraints). The CLI prints the first;
 * nginx logs the last (NGINX.md: "an expired leaf whose intermediate is also missing logs only 10").
 */
function errorOrder(pki: Pki, sink: CaseSink): void {
  const expired: CertOptions = { notAfter: at('2026-01-15T00:00:00Z') };
  const cases: Array<[string, string, ChainOptions, (c: Chain) => Partial<CaseSpec>]> = [
    ['expired-leaf-missing-int', 'expired leaf, intermediate not sent', { leaf: expired }, (c) => ({ sent: [c.leaf] })],
    ['weak-leaf-missing-int', 'RSA-1024 leaf, intermediate not sent', { leaf: { key: 'rsa1024' } }, (c) => ({ sent: [c.leaf] })],
    ['weak-leaf-expired', 'RSA-1024 leaf, expired', { leaf: { key: 'rsa1024', ...expired } }, () => ({})],
    ['sha1-int-expired-leaf', 'SHA-1 intermediate, expired leaf', { ints: [{ hash: 'sha1' }], leaf: expired }, () => ({})],
    ['eku-client-expired', 'leaf EKU clientAuth only and expired', { leaf: { eku: [OID.clientAuth], ...expired } }, () => ({})],
    ['nc-violation-expired', 'name constraint violated and leaf expired', { ints: [{ nc: { permitted: [{ dns: 'b.test' }] } }], leaf: expired }, () => ({ hostname: null })],
    ['nc-violation-name-mismatch', 'name constraint violated and hostname mismatch', { ints: [{ nc: { permitted: [{ dns: 'b.test' }] } }] }, () => ({ hostname: 'other.a.test' })],
    ['root-sent-untrusted-expired-leaf', 'own root sent but not trusted, leaf expired', { leaf: expired }, (c) => ({ sent: [...c.sent, c.root], trusted: [pki.root({ cn: 'Other Root CA' })] })],
    ['depth-exceeded-expired-int', 'chain longer than depth 0, intermediate expired', { ints: [expired] }, () => ({ depth: 0 })],
    ['expired-name-mismatch', 'expired leaf and hostname mismatch', { leaf: expired }, () => ({ hostname: 'other.a.test' })],
    ['critical-ext-weak-int', 'unknown critical extension on leaf, RSA-1024 intermediate', { ints: [{ key: 'rsa1024' }], leaf: { extra: [CRITICAL_UNKNOWN] } }, () => ({})],
    ['bad-sig-expired-int', 'leaf signature corrupted, intermediate expired', { ints: [expired], leaf: { corruptSignature: true } }, () => ({})],
    ['ca-false-int-pathlen-root', 'intermediate CA:FALSE under a pathLen 0 root, two intermediates', { root: { bc: { ca: true, pathLen: 0 } }, ints: [{ bc: { ca: false } }, {}] }, () => ({ depth: 2 })],
    ['self-signed-leaf-weak-expired', 'untrusted self-signed RSA-1024 leaf, expired', {}, () => {
      const leaf = pki.leaf(undefined, { key: 'rsa1024', ...expired });
      return { sent: [leaf] };
    }],
  ];
  for (const [name, description, options, tweak] of cases) {
    const c = chain(pki, options);
    sink.add(`error-order/${name}`, description, { trusted: [c.root], sent: c.sent, ...tweak(c) });
  }
}

/**
 * Seeded combinations: several defects at once, random shapes, depths and security levels. These exercise the order
 * in which OpenSSL reports errors, which decides the first error and (for nginx) the last one.
 */
function randomCombinations(pki: Pki, sink: CaseSink, random: () => number, count: number): void {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number): boolean => random() < p;
  const caDefects: Array<[string, CertOptions]> = [
    ['expired', { notAfter: at('2026-01-15T00:00:00Z') }],
    ['not-yet-valid', { notBefore: at('2026-05-01T00:00:00Z') }],
    ['rsa1024', { key: 'rsa1024' }],
    ['sha1', { hash: 'sha1' }],
    ['no-bc', { bc: null }],
    ['ca-false', { bc: { ca: false } }],
    ['ku-no-certsign', { ku: ['digitalSignature'] }],
    ['eku-client', { eku: [OID.clientAuth] }],
    ['critical-unknown', { extra: [CRITICAL_UNKNOWN] }],
    ['aki-mismatch', { aki: { keyId: Buffer.alloc(20, 7) } }],
    ['pathlen-0', { bc: { ca: true, pathLen: 0 } }],
    ['nc-b-test', { nc: { permitted: [{ dns: 'b.test' }] } }],
    ['bad-signature', { corruptSignature: true }],
    ['v1', { version: 1 }],
  ];
  const leafDefects: Array<[string, CertOptions]> = [
    ['expired', { notAfter: at('2026-01-15T00:00:00Z') }],
    ['not-yet-valid', { notBefore: at('2026-05-01T00:00:00Z') }],
    ['rsa1024', { key: 'rsa1024' }],
    ['sha1', { hash: 'sha1' }],
    ['eku-client', { eku: [OID.clientAuth] }],
    ['ku-certsign-only', { ku: ['keyCertSign'] }],
    ['critical-unknown', { extra: [CRITICAL_UNKNOWN] }],
    ['aki-mismatch', { aki: { keyId: Buffer.alloc(20, 9) } }],
    ['bad-signature', { corruptSignature: true }],
    ['cn-only', { san: null }],
    ['other-name', { cn: 'other.b.test', san: [{ dns: 'other.b.test' }] }],
  ];
  for (let i = 0; i < count; i++) {
    const nInts = pick([0, 1, 1, 1, 2, 2, 3]);
    const applied: string[] = [];
    const choose = (defects: Array<[string, CertOptions]>, label: string, p: number): CertOptions => {
      let merged: CertOptions = {};
      for (const [name, options] of defects) {
        if (chance(p)) {
          merged = { ...merged, ...options };
          applied.push(`${label}:${name}`);
        }
      }
      return merged;
    };
    const rootOptions = choose(caDefects, 'root', 0.03);
    const intOptions = Array.from({ length: nInts }, (_, k) => choose(caDefects, `int${k + 1}`, 0.04));
    const leafOptions = choose(leafDefects, 'leaf', 0.06);
    const c = chain(pki, { root: rootOptions, ints: intOptions, leaf: leafOptions });
    let sent = [...c.sent];
    let trusted: Issued[] = [c.root];
    if (chance(0.2)) {
      sent.push(c.root);
      applied.push('shape:root-sent');
    }
    if (nInts >= 2 && chance(0.2)) {
      const tail = sent.slice(1, 1 + nInts).reverse();
      sent = [sent[0]!, ...tail, ...sent.slice(1 + nInts)];
      applied.push('shape:reversed');
    }
    if (nInts >= 1 && chance(0.08)) {
      const drop = 1 + Math.floor(random() * nInts);
      sent = sent.filter((_, k) => k !== drop);
      applied.push(`shape:drop-${drop}`);
    }
    if (chance(0.1)) {
      sent.push(pki.intermediate(pki.root({ cn: 'Stray Root' }), { cn: 'Stray CA' }));
      applied.push('shape:extra');
    }
    if (nInts >= 1 && chance(0.15)) {
      trusted = [...trusted, c.ints[nInts - 1]!];
      applied.push('trust:lowest-int');
    }
    if (chance(0.05)) {
      trusted = [c.ints[0] ?? c.leaf];
      applied.push('trust:top-int-only');
    }
    if (chance(0.1)) {
      trusted = [pki.root({ cn: 'Unrelated Root' }), ...trusted];
      applied.push('trust:unrelated-too');
    }
    const depth = pick([nInts, nInts, nInts, 0, 1, 2, 3]);
    const seclevel = pick([0, 1, 2, 2, 2, 2, 3]);
    const hostname = pick([HOST, HOST, HOST, 'other.a.test', null] as const);
    const id = `random/${String(i).padStart(3, '0')}`;
    sink.add(id, `${nInts} intermediates; ${applied.join(', ') || 'no defect'}; depth ${depth}; seclevel ${seclevel}`, {
      trusted,
      sent,
      depth,
      seclevel,
      hostname,
    });
  }
}

export interface GenerateOptions {
  seed?: number;
  /** Number of `random/` cases. */
  randomCount?: number;
}

/** Builds every case. Takes a few seconds (RSA key pools dominate). */
export function generateCases(options: GenerateOptions = {}): DifferentialCase[] {
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const serialRandom = seededRandom((options.seed ?? DEFAULT_SEED) ^ 0x5eed);
  const nextSerial = (): bigint => {
    let s = 0n;
    for (let i = 0; i < 4; i++) s = (s << 16n) | BigInt(Math.floor(serialRandom() * 65536));
    return s | (1n << 62n);
  };
  const pki = new Pki(new KeyPool(), nextSerial, CLOCK);
  const sink = new CaseSink();
  validity(pki, sink);
  keyIdentifiers(pki, sink);
  basicConstraints(pki, sink);
  pathLength(pki, sink);
  keyUsage(pki, sink);
  extendedKeyUsage(pki, sink);
  netscapeCertType(pki, sink);
  nameConstraints(pki, sink);
  hostnames(pki, sink);
  crossSigned(pki, sink);
  chainShape(pki, sink);
  depthLimits(pki, sink);
  weakKeys(pki, sink);
  weakDigests(pki, sink);
  criticalExtensions(pki, sink);
  oldVersions(pki, sink);
  selfSignedAndPinned(pki, sink);
  nameMatching(pki, sink);
  signatures(pki, sink);
  errorOrder(pki, sink);
  randomCombinations(pki, sink, random, options.randomCount ?? 260);
  return sink.cases;
}
