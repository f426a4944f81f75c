/**
 * How the server's Certificate message is put together. nginx (OpenSSL) tolerates all of these — the root sent
 * along, intermediates out of order, duplicates, unrelated extras — but they waste bytes and hide mistakes
 * (RFC 8446 §4.4.2: each certificate SHOULD directly certify the one preceding it).
 *
 * A sent certificate outside nginx's path is an extra only when no path to a root uses it: a cross-signed copy of
 * an intermediate (the same CA certified by another root) lies on an alternative path, which build_chain did not
 * take because it takes the first valid issuer in sent order and never backtracks (x509_vfy.c, trusted-first).
 */
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check, CheckContext, PathSummary } from '../types.js';

/** The sent position of every certificate of nginx's path, anchor included (wherever OpenSSL took its copy from). */
function sentOrder(ctx: CheckContext): number[] {
  const firstIndex = new Map<string, number>();
  ctx.input.sent.forEach((c, i) => {
    if (!firstIndex.has(c.sha256)) firstIndex.set(c.sha256, i);
  });
  return ctx.withCandidates.path.map((e) => firstIndex.get(e.cert.sha256)).filter((i): i is number => i !== undefined);
}

/** The path (working ones first) that uses the sent certificate `sha256`, if any. */
function alternativeThrough(paths: PathSummary[], sha256: string): PathSummary | undefined {
  const through = paths.filter((p) => !p.taken && p.certs.some((c) => c.sha256 === sha256));
  return through.find((p) => p.works) ?? through[0];
}

function alternativeFinding(ctx: CheckContext, index: number, p: PathSummary): Finding {
  const cert = ctx.input.sent[index];
  const how = p.realizations.find((r) => r.kind === 'upstream-sends') ?? p.realizations[0];
  return finding(
    'ALTERNATIVE_PATH',
    {
      index,
      anchor: p.anchor.subject,
      anchorSha256: p.anchor.sha256,
      anchorInBundle: p.anchor.inBundle,
      path: p.certs.map((c) => c.subject),
      works: p.works,
      how: how?.kind ?? null,
      failure: p.failure ? `${p.failure.code}:${p.failure.text}` : null,
    },
    { ...ctx.ref(cert), index },
  );
}

export const checkChainShape: Check = (ctx) => {
  const sent = ctx.input.sent;
  const out: Finding[] = [];
  if (sent.length === 0) return out;
  const inPath = new Set<number>();
  for (const e of ctx.withCandidates.path) {
    if (e.source === 'sent' && e.sentIndex !== undefined) inPath.add(e.sentIndex);
  }
  const seen = new Map<string, number>();
  sent.forEach((cert, index) => {
    const first = seen.get(cert.sha256);
    if (first !== undefined) {
      out.push(finding('DUPLICATE_CERT', { firstIndex: first, index }, { ...ctx.ref(cert), index }));
      return;
    }
    seen.set(cert.sha256, index);
    if (index > 0 && cert.selfSigned && cert.basicConstraints?.ca) {
      out.push(finding('ROOT_SENT', { index, trusted: ctx.input.trusted.some((t) => t.sha256 === cert.sha256) }, { ...ctx.ref(cert), index }));
    }
    if (index > 0 && !inPath.has(index) && !(cert.selfSigned && cert.basicConstraints?.ca && ctx.withCandidates.path.some((p) => p.cert.sha256 === cert.sha256))) {
      const alt = alternativeThrough(ctx.paths, cert.sha256);
      out.push(alt ? alternativeFinding(ctx, index, alt) : finding('EXTRA_CERT', { index, issuer: cert.issuer }, { ...ctx.ref(cert), index }));
    }
  });
  // The certificates of the path that the server sent, anchor included, must appear in path order: 0, 1, 2, ...
  const order = sentOrder(ctx);
  const sorted = [...order].sort((a, b) => a - b);
  if (order.some((v, i) => v !== sorted[i])) {
    out.push(finding('WRONG_ORDER', { sentOrder: order, pathOrder: sorted }));
  }
  return out;
};
