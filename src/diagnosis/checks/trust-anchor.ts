/**
 * Why the chain does not reach a trusted certificate, told apart by where path building stopped.
 * OpenSSL's code alone is ambiguous (20/21 cover "server omits its intermediate" and "wrong CA in the bundle"
 * alike); the shape of the path says which it is.
 */
import { certTimeText } from '../../certs/time-text.js';
import type { Cert } from '../../certs/cert.js';
import type { PathEntry, VerifyResult } from '../../chain/types.js';
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check, CheckContext } from '../types.js';

function issuerEvidence(c: Cert) {
  return {
    missingIssuer: c.issuer,
    authorityKeyId: c.authorityKeyId?.keyId ?? null,
    aiaCaIssuers: c.aia.caIssuers,
  };
}

function top(r: VerifyResult): PathEntry | undefined {
  return r.path[r.path.length - 1];
}

/** Candidate certificates (pool or AIA) that a path needs: each is an intermediate the server should send. */
function candidateIntermediates(ctx: CheckContext, r: VerifyResult): Finding[] {
  const origin = new Map((ctx.input.candidates ?? []).map((c) => [c.cert.sha256, c]));
  const out: Finding[] = [];
  r.path.forEach((e, depth) => {
    if ((e.source === 'pool' || e.source === 'fetched') && !e.cert.selfSigned) {
      const child = r.path[depth - 1]?.cert;
      out.push(
        finding(
          'MISSING_INTERMEDIATE',
          {
            missingIssuer: e.cert.subject,
            authorityKeyId: child?.authorityKeyId?.keyId ?? null,
            aiaCaIssuers: child?.aia.caIssuers ?? [],
            foundIn: e.source,
            foundAt: origin.get(e.cert.sha256)?.origin ?? null,
            issues: child?.subject ?? null,
          },
          ctx.ref(e.cert, depth),
        ),
      );
    }
  });
  return out;
}

export const checkTrustAnchor: Check = (ctx) => {
  const { input, unbounded, withCandidates } = ctx;
  const out: Finding[] = [];
  if (input.trustSource === 'system') {
    out.push(finding('NO_TRUST_BUNDLE', { trustedCount: input.trusted.length }));
  }
  const leaf = ctx.leaf;
  if (!leaf || unbounded.anchored) return out;
  const t = top(unbounded);
  if (!t) return out;
  const depth = unbounded.path.length - 1;
  const unrelatedSent = input.sent
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => i > 0 && !unbounded.path.some((p) => p.cert.sha256 === c.sha256))
    .map(({ c }) => c.subject);

  if (t.cert.selfSigned && depth === 0) {
    out.push(
      finding(
        'SELF_SIGNED_LEAF',
        { notAfter: certTimeText(leaf.notAfter), pinnable: true, isCa: !!leaf.basicConstraints?.ca },
        ctx.ref(leaf, 0),
      ),
    );
    return out;
  }
  if (input.trusted.some((c) => c.sha256 === leaf.sha256) && !leaf.selfSigned) {
    out.push(finding('PINNED_LEAF', { note: 'a CA-issued leaf in the bundle is not a trust anchor without its issuers' }, ctx.ref(leaf, 0)));
  }
  if (t.cert.selfSigned) {
    // The server sent a root (self-signed CA) the bundle does not hold.
    out.push(
      finding(
        'UNTRUSTED_ROOT',
        { sentIndex: t.sentIndex ?? null, bundleSize: input.trusted.length, candidateAnchor: true },
        ctx.ref(t.cert, depth),
      ),
    );
    return out;
  }
  if (t.source === 'bundle') {
    // The bundle holds an intermediate but not the root above it: nginx accepts no partial chains.
    out.push(finding('PARTIAL_CHAIN_BUNDLE', issuerEvidence(t.cert), ctx.ref(t.cert, depth)));
    return out;
  }

  // Path building stopped at a certificate the server sent (the leaf or an intermediate) whose issuer is
  // neither sent nor trusted. Candidate certificates (pool, AIA) may tell what is missing.
  const helped = withCandidates.path.some((e) => e.source === 'pool' || e.source === 'fetched');
  if (helped) {
    out.push(...candidateIntermediates(ctx, withCandidates));
    const wt = top(withCandidates)!;
    if (!withCandidates.anchored) {
      const wdepth = withCandidates.path.length - 1;
      out.push(
        finding(
          'UNKNOWN_CA',
          {
            ...issuerEvidence(wt.cert),
            proposedAnchor: wt.cert.selfSigned ? wt.cert.subject : null,
            proposedAnchorSha256: wt.cert.selfSigned ? wt.cert.sha256 : null,
            bundleSize: input.trusted.length,
          },
          ctx.ref(wt.cert, wdepth),
        ),
      );
    }
    return out;
  }
  if (depth === 0) {
    // Found nowhere (not sent, not in any bundle or pool, not fetched): on the wire an omitted intermediate and an
    // issuer the bundle does not trust (a private CA, a TLS-intercepting proxy) look the same. Only the issuer's
    // certificate, an AIA URL or the issuer's name tells them apart; the report gives both readings.
    const foundNowhere = ctx.paths.length === 0;
    out.push(finding('MISSING_INTERMEDIATE', { ...issuerEvidence(t.cert), unrelatedSent, foundNowhere }, ctx.ref(t.cert, depth)));
  } else {
    out.push(
      finding(
        'UNKNOWN_CA',
        { ...issuerEvidence(t.cert), proposedAnchor: null, proposedAnchorSha256: null, bundleSize: input.trusted.length },
        ctx.ref(t.cert, depth),
      ),
    );
  }
  return out;
};
