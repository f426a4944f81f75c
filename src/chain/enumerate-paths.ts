/**
 * Every certification path from a leaf to a self-signed certificate over a set of known certificates, not only the
 * one OpenSSL builds. OpenSSL 3.0's build_chain (x509_vfy.c) is greedy and, with X509_V_FLAG_TRUSTED_FIRST (the
 * default), never backtracks: of two copies of a cross-signed CA it takes the first valid one (get0_best_issuer_sk)
 * and fails if that copy leads to a root the bundle lacks, even when the other copy leads to one it holds. This
 * search lists the paths it did not take, so that the fix can choose among them (src/chain/path-alternatives.ts
 * judges each one by running the real engine with the bundle and sent order that make OpenSSL take it).
 *
 * Issuer links are check_issued()'s (ossl_x509_likely_issued: names, AKID, signature algorithm vs key): the same
 * test build_chain applies, so a path found here is one build_chain could build. Signatures, validity, purpose and
 * depth are left to the engine.
 *
 * Bounded, because the certificates come from hostile servers and AIA fetches: a certificate appears at most once
 * per path (cross-certificates that issue each other are cycles), a path has at most MAX_PATH_LENGTH certificates,
 * the search stops after PATH_SEARCH_LIMITS.maxPaths complete paths or PATH_SEARCH_LIMITS.maxWork issuer tests
 * (thousands of certificates with the same subject cost one test each, then the search gives up and says so).
 */
import type { Cert } from '../certs/cert.js';
import { subjectCanonOf } from '../certs/x509-facts.js';
import { toChainCert, type ChainCert } from './chain-cert.js';
import { likelyIssued } from './issuer.js';
import type { CertSource } from './types.js';

export interface KnownCert {
  cert: Cert;
  source: CertSource;
  /** Where it came from (a file, a URL, "sent as #2"), for reports. */
  origin?: string;
}

export interface PathSearchLimits {
  /** Complete paths kept (leaf to a self-signed certificate). */
  maxPaths: number;
  /** Issuer tests (check_issued calls) over the whole search. */
  maxWork: number;
  /** Certificates per path, leaf and root included. */
  maxLength: number;
}

/**
 * 16 paths cover every real cross-signing set-up (two roots and two copies of each of two intermediates give 4);
 * 20,000 issuer tests take well under 100 ms; 10 certificates is 8 intermediates, beyond any nginx depth in use.
 */
export const PATH_SEARCH_LIMITS: PathSearchLimits = { maxPaths: 16, maxWork: 20_000, maxLength: 10 };

export interface PathSearchResult {
  /** Complete paths, leaf first, each ending at a self-signed certificate; in discovery order (depth-first, input order). */
  paths: KnownCert[][];
  /** Why the search stopped early, or null when it was exhaustive. */
  truncated: null | 'paths' | 'work';
  /** Issuer tests made. */
  work: number;
}

function nameKey(canon: Uint8Array): string {
  return Buffer.from(canon.buffer, canon.byteOffset, canon.byteLength).toString('latin1');
}

/** A known certificate; its ChainCert (which parses a lazily read bundle certificate in full) is made when first needed. */
class Node {
  #chain: ChainCert | undefined;
  constructor(
    readonly known: KnownCert,
    chain?: ChainCert,
  ) {
    this.#chain = chain;
  }

  get chain(): ChainCert {
    return (this.#chain ??= toChainCert(this.known.cert, this.known.source));
  }
}

/**
 * Known certificates indexed by subject (X509_NAME canonical encoding), each certificate once (first source wins).
 * Only the subject Name is read here (subjectCanonOf): of a 150-root bundle, the search looks at the few whose
 * subject is an issuer name on the way.
 */
function indexBySubject(known: KnownCert[]): Map<string, Node[]> {
  const bySubject = new Map<string, Node[]>();
  const seen = new Set<string>();
  for (const k of known) {
    if (seen.has(k.cert.sha256)) continue;
    seen.add(k.cert.sha256);
    const subject = subjectCanonOf(k.cert);
    if (!subject.canonOk) continue;
    const key = nameKey(subject.canon);
    const list = bySubject.get(key);
    if (list) list.push(new Node(k));
    else bySubject.set(key, [new Node(k)]);
  }
  return bySubject;
}

/**
 * All paths from `leaf` up to a self-signed certificate (X509_self_signed: EXFLAG_SS without EXFLAG_INVALID) over
 * `known`. A self-signed leaf is a path of one (a pinned certificate).
 */
export function enumeratePaths(leaf: Cert, known: KnownCert[], limits: PathSearchLimits = PATH_SEARCH_LIMITS): PathSearchResult {
  const bySubject = indexBySubject(known);
  const paths: KnownCert[][] = [];
  let work = 0;
  let truncated: PathSearchResult['truncated'] = null;
  const start = new Node({ cert: leaf, source: 'sent' }, toChainCert(leaf, 'sent', 0));
  const stack: Node[] = [start];
  const onPath = new Set<string>([leaf.sha256]);

  const visit = (x: Node): void => {
    if (truncated) return;
    if (!x.chain.invalid && x.chain.ss) {
      paths.push(stack.map((n) => n.known));
      if (paths.length >= limits.maxPaths) truncated = 'paths';
      return;
    }
    if (stack.length >= limits.maxLength || !x.chain.facts.issuer.canonOk) return;
    for (const c of bySubject.get(nameKey(x.chain.facts.issuer.canon)) ?? []) {
      if (truncated) return;
      if (++work > limits.maxWork) {
        truncated = 'work';
        return;
      }
      if (onPath.has(c.known.cert.sha256) || !likelyIssued(x.chain, c.chain)) continue;
      stack.push(c);
      onPath.add(c.known.cert.sha256);
      visit(c);
      stack.pop();
      onPath.delete(c.known.cert.sha256);
    }
  };
  visit(start);
  return { paths, truncated, work: Math.min(work, limits.maxWork) };
}
