/**
 * diagnose(): every check over one observation, plus nginx's predicted outcome. Pure: the same function
 * judges a live probe and files given offline (`tlsdoctor verify`).
 */
import { certTimeText } from '../certs/time-text.js';
import type { Cert } from '../certs/cert.js';
import { hostMatches } from '../certs/host-match.js';
import { depthNotReached, verifyChain } from '../chain/verify.js';
import type { PathEntry, VerifyParams, VerifyResult } from '../chain/types.js';
import { sortFindings, type CertRef } from './codes.js';
import { checkCertErrors } from './checks/cert-errors.js';
import { checkChainShape } from './checks/chain-shape.js';
import { checkConnection } from './checks/connection.js';
import { checkDepth } from './checks/depth.js';
import { checkName } from './checks/name.js';
import { checkTrustAnchor } from './checks/trust-anchor.js';
import { predictNginx } from './nginx-outcome.js';
import { judgePaths } from './paths.js';
import type { Check, CheckContext, DiagnoseInput, Diagnosis, PathItem } from './types.js';

/** Registered checks, run in this order; findings are sorted afterwards. */
export const CHECKS: Check[] = [checkConnection, checkTrustAnchor, checkDepth, checkCertErrors, checkName, checkChainShape];

/** OpenSSL's own hard limit is far larger; 100 is Node's default and what "unbounded" means here. */
const UNBOUNDED_DEPTH = 100;

const EMPTY: VerifyResult = { ok: false, path: [], anchored: false, errors: [], lastError: 0 };

export function diagnose(input: DiagnoseInput): Diagnosis {
  const leaf = input.sent[0];
  const base: VerifyParams = {
    sent: input.sent,
    trusted: input.trusted,
    at: input.at,
    depth: input.settings.proxySslVerifyDepth,
    seclevel: input.settings.opensslSeclevel,
  };
  const asNginx = leaf ? verifyChain(base) : EMPTY;
  // The unbounded run repeats nginx's whenever neither depth was reached (a healthy chain): reuse the result.
  const sameRun = depthNotReached(asNginx.path.length, base.depth) && depthNotReached(asNginx.path.length, UNBOUNDED_DEPTH);
  const unbounded = !leaf ? EMPTY : sameRun ? asNginx : verifyChain({ ...base, depth: UNBOUNDED_DEPTH });
  const candidates = input.candidates ?? [];
  const withCandidates =
    leaf && candidates.length > 0 && !unbounded.anchored
      ? verifyChain({ ...base, depth: UNBOUNDED_DEPTH, untrusted: candidates.map((c) => ({ cert: c.cert, source: c.source })) })
      : unbounded;
  const nameMatches = leaf ? hostMatches(leaf, input.settings.proxySslName) : undefined;

  let trustedShas: Set<string> | undefined;
  const refOf = (cert: Cert, depth?: number): CertRef => {
    const index = input.sent.findIndex((c) => c.sha256 === cert.sha256);
    trustedShas ??= new Set(input.trusted.map((c) => c.sha256));
    const inTrusted = trustedShas.has(cert.sha256);
    const cand = candidates.find((c) => c.cert.sha256 === cert.sha256);
    const source = index >= 0 ? 'sent' : inTrusted ? 'bundle' : cand ? cand.source : 'untrusted';
    return {
      ...(index >= 0 ? { index } : {}),
      source,
      ...(depth !== undefined ? { depth } : {}),
      subject: cert.subject,
      sha256: cert.sha256,
    };
  };
  const judged = leaf ? judgePaths(input, asNginx, refOf) : { paths: [], search: { paths: 0, truncated: null, work: 0 } };
  const ctx: CheckContext = { input, leaf, asNginx, unbounded, withCandidates, paths: judged.paths, nameMatches, ref: refOf };
  const findings = sortFindings(CHECKS.flatMap((check) => check(ctx)));
  const nginx = predictNginx({ observation: input.observation, settings: input.settings, asNginx: leaf ? asNginx : undefined, nameMatches });

  const full = withCandidates;
  const toItems = (path: PathEntry[]): PathItem[] =>
    path.map((e, depth) => ({
      ref: { ...refOf(e.cert, depth), source: e.source, ...(e.sentIndex !== undefined ? { index: e.sentIndex } : {}) },
      selfSigned: e.cert.selfSigned,
      isCa: !!e.cert.basicConstraints?.ca,
      notAfter: certTimeText(e.cert.notAfter),
    }));
  // An unreadable notAfter (Invalid Date: verify error 14) has no place in "earliest".
  const earliest = full.path.reduce<Date | null>(
    (min, e) => (Number.isNaN(e.cert.notAfter.getTime()) ? min : !min || e.cert.notAfter < min ? e.cert.notAfter : min),
    null,
  );
  return {
    nginx,
    findings,
    path: toItems(asNginx.path),
    fullPath: toItems(full.path),
    anchored: full.anchored,
    verifyErrors: asNginx.errors,
    neededDepth: full.anchored ? Math.max(0, full.path.length - 2) : null,
    earliestNotAfter: earliest ? earliest.toISOString() : null,
    paths: judged.paths,
    pathSearch: judged.search,
  };
}
