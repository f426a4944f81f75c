/**
 * What can be known offline about a proxy_ssl_trusted_certificate bundle's CA certificates: which roots expire
 * (or have expired) by a given time, and the longest chain its CAs form. Pure: the certificates are given as
 * facts (the CLI parses them with src/certs/), the time is a parameter.
 */

/** The facts of one certificate of a bundle that the trusted-bundle checks need. */
export interface BundleCertFacts {
  subject: string;
  /** Hex of the DER of the subject / issuer Name: exact-bytes identity, as X509_NAME_cmp compares them. */
  subjectDer: string;
  issuerDer: string;
  /** Self-issued with a valid self-signature (X509_self_signed(cert, 1)): what OpenSSL can anchor on. */
  selfSigned: boolean;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  notAfter: Date;
  sha256: string;
}

export interface AnchorFact {
  subject: string;
  sha256: string;
  notAfter: string;
}

export interface AnchorValidity {
  /** Roots whose notAfter is before `at`. */
  expired: AnchorFact[];
  /** Roots valid at `at` that expire within the window. */
  expiring: AnchorFact[];
  /** Roots valid at `at + window`. */
  lasting: number;
}

function anchorFact(c: BundleCertFacts): AnchorFact {
  return { subject: c.subject, sha256: c.sha256, notAfter: c.notAfter.toISOString() };
}

/**
 * The bundle's roots by validity. OpenSSL's internal_verify checks the time of every certificate of the path,
 * the self-signed anchor included (x509_check_cert_time), so an expired root fails every chain that ends at it.
 */
export function anchorValidity(certs: BundleCertFacts[], at: Date, windowMs: number): AnchorValidity {
  const out: AnchorValidity = { expired: [], expiring: [], lasting: 0 };
  const now = at.getTime();
  for (const c of certs) {
    if (!c.selfSigned) continue;
    const end = c.notAfter.getTime();
    if (end < now) out.expired.push(anchorFact(c));
    else if (end - now <= windowMs) out.expiring.push(anchorFact(c));
    else out.lasting++;
  }
  return out;
}

/**
 * The longest chain of CA certificates the bundle forms on its own, root first: a root, then CA certificates
 * each issued (by name) by the one before. A leaf issued by the last one needs `proxy_ssl_verify_depth` at least
 * `chain.length - 1` (the intermediates between the leaf and the root; SSL_CTX_set_verify_depth counts the
 * bundle's intermediates too). Empty when the bundle holds no root. Cycles (cross-signed pairs) are cut.
 */
export function longestBundleChain(certs: BundleCertFacts[]): BundleCertFacts[] {
  const bySubject = new Map<string, BundleCertFacts[]>();
  for (const c of certs) {
    if (!c.isCa && !c.selfSigned) continue;
    const list = bySubject.get(c.subjectDer) ?? [];
    list.push(c);
    bySubject.set(c.subjectDer, list);
  }
  // Longest anchored path ending at each certificate (memoised; `visiting` cuts issuer cycles).
  const memo = new Map<BundleCertFacts, BundleCertFacts[]>();
  const visiting = new Set<BundleCertFacts>();
  const pathTo = (c: BundleCertFacts): BundleCertFacts[] => {
    const known = memo.get(c);
    if (known) return known;
    if (c.selfSigned) {
      memo.set(c, [c]);
      return [c];
    }
    if (visiting.has(c)) return [];
    visiting.add(c);
    let best: BundleCertFacts[] = [];
    for (const issuer of bySubject.get(c.issuerDer) ?? []) {
      if (issuer === c || !issuer.isCa && !issuer.selfSigned) continue;
      const p = pathTo(issuer);
      if (p.length > best.length) best = p;
    }
    visiting.delete(c);
    const result = best.length > 0 ? [...best, c] : [];
    memo.set(c, result);
    return result;
  };
  let longest: BundleCertFacts[] = [];
  for (const list of bySubject.values()) {
    for (const c of list) {
      if (!c.isCa) continue;
      const p = pathTo(c);
      if (p.length > longest.length) longest = p;
    }
  }
  return longest;
}
