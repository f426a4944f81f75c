/**
 * How the server's Certificate message is put together. nginx (OpenSSL) tolerates all of these — the root sent
 * along, intermediates out of order, duplicates, unrelated extras — but they waste bytes and hide mistakes
 * (RFC 8446 §4.4.2: each certificate SHOULD directly certify the one preceding it).
 */
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check } from '../types.js';

export const checkChainShape: Check = (ctx) => {
  const sent = ctx.input.sent;
  const out: Finding[] = [];
  if (sent.length === 0) return out;
  const inPath = new Set<number>();
  const order: number[] = [];
  for (const e of ctx.withCandidates.path) {
    if (e.source === 'sent' && e.sentIndex !== undefined) {
      inPath.add(e.sentIndex);
      order.push(e.sentIndex);
    }
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
      const dup = [...seen.entries()].some(([sha, i]) => sha === cert.sha256 && i !== index);
      if (!dup) out.push(finding('EXTRA_CERT', { index, issuer: cert.issuer }, { ...ctx.ref(cert), index }));
    }
  });
  // The certificates the server sent that are in the path must appear in path order: 0, 1, 2, ...
  const sorted = [...order].sort((a, b) => a - b);
  if (order.some((v, i) => v !== sorted[i])) {
    out.push(finding('WRONG_ORDER', { sentOrder: order, pathOrder: sorted }));
  }
  return out;
};
