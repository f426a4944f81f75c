/**
 * A certificate as the trust engine handles it: the parsed `Cert`, OpenSSL's cached-extension view of it
 * (src/certs/x509-facts.ts) and where it came from. Also the per-certificate predicates x509_vfy.c uses:
 * X509_self_signed(x, 0), ossl_x509_check_cert_time(ctx, x, -1), X509_check_ca().
 */
import type { Cert } from '../certs/cert.js';
import { KU, NS, factsOf, looksSelfSigned, type X509Facts } from '../certs/x509-facts.js';
import type { CertSource } from './types.js';

export interface ChainCert {
  cert: Cert;
  facts: X509Facts;
  /** node:crypto's key type; read on first use (it needs OpenSSL's parse of the certificate). */
  readonly keyType: string | undefined;
  source: CertSource;
  sentIndex?: number;
  /** EXFLAG_SS (without signature check); read on first use. */
  readonly ss: boolean;
  invalid: boolean;
}

/**
 * Per-certificate state shared by every ChainCert of it. The key type (check_sig_alg_match) and EXFLAG_SS need
 * OpenSSL's parse of the certificate: they are computed when first asked for, so indexing a 150-root trust
 * store reads names only and leaves the roots that anchor nothing unparsed by OpenSSL.
 */
class CertBase {
  readonly invalid: boolean;
  private ssValue: boolean | undefined;
  private keyTypeValue: string | null | undefined;

  constructor(
    readonly facts: X509Facts,
    private readonly readKeyType: () => string | undefined,
  ) {
    this.invalid = facts.invalid.length > 0;
  }

  keyType(): string | undefined {
    if (this.keyTypeValue === undefined) this.keyTypeValue = this.readKeyType() ?? null;
    return this.keyTypeValue ?? undefined;
  }

  ss(): boolean {
    // looksSelfSigned() is false for a certificate that is not self-issued whatever its key: no key needed then.
    this.ssValue ??= this.facts.selfIssued && looksSelfSigned(this.facts, this.keyType());
    return this.ssValue;
  }
}

const baseMemo = new WeakMap<Cert, CertBase>();

function baseOf(cert: Cert): CertBase {
  let base = baseMemo.get(cert);
  if (!base) {
    const { facts, keyType } = factsOf(cert);
    base = new CertBase(facts, keyType);
    baseMemo.set(cert, base);
  }
  return base;
}

/** A class, not an object literal with getters: verifyChain makes one per certificate per call. */
class ChainCertNode implements ChainCert {
  readonly facts: X509Facts;
  readonly invalid: boolean;
  sentIndex?: number;

  constructor(
    readonly cert: Cert,
    readonly source: CertSource,
    private readonly base: CertBase,
  ) {
    this.facts = base.facts;
    this.invalid = base.invalid;
  }

  get keyType(): string | undefined {
    return this.base.keyType();
  }

  get ss(): boolean {
    return this.base.ss();
  }
}

export function toChainCert(cert: Cert, source: CertSource, sentIndex?: number): ChainCert {
  const node = new ChainCertNode(cert, source, baseOf(cert));
  if (sentIndex !== undefined) node.sentIndex = sentIndex;
  return node;
}

/** X509_self_signed(cert, 0): -1 when EXFLAG_INVALID, else whether EXFLAG_SS is set. */
export function selfSigned0(c: ChainCert): -1 | 0 | 1 {
  if (c.invalid) return -1;
  return c.ss ? 1 : 0;
}

/**
 * X509_cmp_time(t, at): -1 when t <= at, 1 when t > at, 0 when the field is not in the RFC 5280 form
 * (crypto/x509/x509_vfy.c). Compared in whole seconds, as time_t.
 */
export function cmpTime(t: { date: Date; ok: boolean }, atSeconds: number): -1 | 0 | 1 {
  if (!t.ok) return 0;
  return Math.floor(t.date.getTime() / 1000) <= atSeconds ? -1 : 1;
}

/** ossl_x509_check_cert_time(ctx, x, -1): valid at `at` (notBefore <= at < notAfter, both well-formed). */
export function timeValid(c: ChainCert, atSeconds: number): boolean {
  if (cmpTime(c.facts.notBefore, atSeconds) >= 0) return false;
  if (cmpTime(c.facts.notAfter, atSeconds) <= 0) return false;
  return true;
}

/** ku_reject(x, usage): keyUsage present and none of `usage` set. */
export function kuReject(f: X509Facts, usage: number): boolean {
  return f.kusage !== undefined && (f.kusage & usage) === 0;
}

/** xku_reject(x, usage). */
export function xkuReject(f: X509Facts, usage: number): boolean {
  return f.xkusage !== undefined && (f.xkusage & usage) === 0;
}

/** ns_reject(x, usage). */
export function nsReject(f: X509Facts, usage: number): boolean {
  return f.nscert !== undefined && (f.nscert & usage) === 0;
}

/**
 * X509_check_ca() (v3_purp.c check_ca): 0 not a CA (or EXFLAG_INVALID), 1 basicConstraints CA,
 * 3 self-signed v1 root, 4 keyUsage with keyCertSign but no basicConstraints, 5 Netscape CA type.
 */
export function checkCa(c: ChainCert): number {
  if (c.invalid) return 0;
  const f = c.facts;
  if (kuReject(f, KU.keyCertSign)) return 0;
  if (f.bcons) return f.ca ? 1 : 0;
  if (f.v1 && c.ss) return 3;
  if (f.kusage !== undefined) return 4;
  if (f.nscert !== undefined && (f.nscert & NS.anyCa) !== 0) return 5;
  return 0;
}
