/**
 * Which of the paths enumeratePaths() found nginx would take, and with which bundle and sent order. Each path is
 * judged by the real engine (verifyChain: depth, purpose, validity, security level, signatures, name constraints),
 * run with the inputs that would make OpenSSL's build_chain take exactly that path:
 *
 * - `current`: the chain as sent, the user's bundle, the configured depth. At most one path is taken this way.
 * - `nginx-bundle`: the chain as sent, a proxy_ssl_trusted_certificate holding the path's root and, when OpenSSL
 *   would otherwise pick another copy or find nothing, the path's intermediates. Trusted-first (build_chain asks
 *   the store before the peer's certificates, X509_V_FLAG_TRUSTED_FIRST) is what lets a bundle steer the path:
 *   an intermediate in the store wins over a same-name copy the server sends first.
 * - `upstream-sends`: the upstream sends the leaf then the path's intermediates in path order, the user's bundle
 *   unchanged (get0_best_issuer_sk takes the first valid candidate in sent order, so order decides).
 *
 * A realization counts only when the engine accepts the chain (no error at all, the host name aside: that check
 * is nginx's ngx_ssl_check_host after the handshake, judged elsewhere) and the path it built is this path.
 */
import type { Cert } from '../certs/cert.js';
import { enumeratePaths, type KnownCert, type PathSearchLimits, type PathSearchResult } from './enumerate-paths.js';
import type { VerifyResult } from './types.js';
import { verifyChain } from './verify.js';

export interface PathJudgeParams {
  /** The chain as the upstream sends it, leaf first. */
  sent: Cert[];
  /** The user's current proxy_ssl_trusted_certificate. */
  trusted: Cert[];
  /** Every other certificate known: --intermediates, AIA-fetched, the user's other bundles. */
  others: KnownCert[];
  at: Date;
  /** proxy_ssl_verify_depth as configured. */
  depth: number;
  seclevel: number;
  limits?: PathSearchLimits;
  /** verifyChain of `sent` against `trusted` at `depth`, when the caller has it already (diagnose's nginx run). */
  current?: VerifyResult;
}

export type RealizationKind = 'current' | 'nginx-bundle' | 'upstream-sends';

export interface PathRealization {
  kind: RealizationKind;
  /** The proxy_ssl_trusted_certificate it runs with (the user's own for `current` and `upstream-sends`). */
  bundle: Cert[];
  /** The chain the upstream sends, leaf first. */
  sent: Cert[];
  /** The proxy_ssl_verify_depth it runs with: the configured one, or the path's intermediates when more. */
  depth: number;
}

export interface PathVerdict {
  /** Leaf first, ends at a self-signed certificate. */
  path: KnownCert[];
  /** Intermediates between leaf and root: the proxy_ssl_verify_depth this path needs. */
  neededDepth: number;
  /** nginx takes this path today and accepts it. */
  taken: boolean;
  /** Proven ways to make nginx take and accept it (most direct first); empty when none works. */
  realizations: PathRealization[];
  /** Why it fails whatever the bundle: the last error of the engine with every certificate of the path trusted. */
  failure?: { code: number; text: string; depth: number };
}

export interface PathAlternatives {
  verdicts: PathVerdict[];
  search: Pick<PathSearchResult, 'truncated' | 'work'>;
}

const shas = (certs: { sha256: string }[]): string => certs.map((c) => c.sha256).join(',');

function builds(r: VerifyResult, path: KnownCert[]): boolean {
  return r.ok && r.anchored && shas(r.path.map((e) => e.cert)) === shas(path.map((k) => k.cert));
}

/** Bundles that could steer build_chain onto `path`, smallest first, without duplicates. */
function candidateBundles(path: Cert[], sent: Cert[]): Cert[][] {
  const root = path[path.length - 1];
  const inter = path.slice(1, -1);
  const sentShas = new Set(sent.map((c) => c.sha256));
  const lists = [[root], [root, ...inter.filter((c) => !sentShas.has(c.sha256))], [root, ...inter]];
  const seen = new Set<string>();
  return lists.filter((l) => {
    const k = shas(l);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function judgePath(path: KnownCert[], p: PathJudgeParams, current: VerifyResult): PathVerdict {
  const certs = path.map((k) => k.cert);
  const neededDepth = Math.max(0, certs.length - 2);
  const depth = Math.max(p.depth, neededDepth);
  const base = { at: p.at, seclevel: p.seclevel, depth };
  const verdict: PathVerdict = { path, neededDepth, taken: builds(current, path), realizations: [] };
  if (verdict.taken) {
    // nginx already takes it: nothing to steer.
    verdict.realizations.push({ kind: 'current', bundle: p.trusted, sent: p.sent, depth: p.depth });
    return verdict;
  }

  let last: VerifyResult | undefined;
  for (const bundle of candidateBundles(certs, p.sent)) {
    last = verifyChain({ ...base, sent: p.sent, trusted: bundle });
    if (builds(last, path)) {
      verdict.realizations.push({ kind: 'nginx-bundle', bundle, sent: p.sent, depth });
      break;
    }
  }
  const upstreamSent = certs.length > 1 ? certs.slice(0, -1) : certs;
  if (p.trusted.length > 0 && shas(upstreamSent) !== shas(p.sent)) {
    const r = verifyChain({ ...base, sent: upstreamSent, trusted: p.trusted });
    if (builds(r, path)) verdict.realizations.push({ kind: 'upstream-sends', bundle: p.trusted, sent: upstreamSent, depth });
  }
  if (verdict.realizations.length === 0 && last) {
    const e = last.errors[last.errors.length - 1];
    if (e) verdict.failure = { code: e.code, text: e.text, depth: e.depth };
  }
  return verdict;
}

/** Every path from the leaf to a root over what is known, each judged (see the file comment). */
export function pathAlternatives(p: PathJudgeParams): PathAlternatives {
  const leaf = p.sent[0];
  if (!leaf) return { verdicts: [], search: { truncated: null, work: 0 } };
  const known: KnownCert[] = [
    ...p.sent.slice(1).map((cert, i) => ({ cert, source: 'sent' as const, origin: `sent as #${i + 1}` })),
    ...p.trusted.map((cert) => ({ cert, source: 'bundle' as const, origin: 'your current proxy_ssl_trusted_certificate' })),
    ...p.others,
  ];
  const found = enumeratePaths(leaf, known, p.limits);
  const current = p.current ?? verifyChain({ sent: p.sent, trusted: p.trusted, at: p.at, depth: p.depth, seclevel: p.seclevel });
  return { verdicts: found.paths.map((path) => judgePath(path, p, current)), search: { truncated: found.truncated, work: found.work } };
}
