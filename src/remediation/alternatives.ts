/**
 * The alternatives of a fix plan as one-line sentences and data (FixAlternative), from the paths the diagnosis
 * proved (src/remediation/choose-path.ts chose one; the others are listed). Also their re-judgement against the
 * chain of the closed loop's second handshake, for the nginx-side ones (an upstream-side reorder cannot be tried
 * from here: the engine's verdict on the reordered chain is its proof).
 */
import type { Cert } from '../certs/cert.js';
import { verifyChain } from '../chain/verify.js';
import type { DiagnoseInput } from '../diagnosis/types.js';
import type { ChosenPath } from './choose-path.js';
import { knownCertificates } from './trust-bundle.js';
import type { FixAlternative, FixPlan } from './types.js';

const q = (s: string): string => `"${s}"`;

/** A certificate by subject and issuer: two cross-signed copies of one CA share the subject. */
function label(sha: string, known: Map<string, { cert: Cert }>): string {
  const c = known.get(sha)?.cert;
  if (!c) return sha.slice(0, 16);
  return c.selfSigned ? q(c.subject) : `${q(c.subject)} issued by ${q(c.issuer)}`;
}

function summary(c: ChosenPath, known: Map<string, { cert: Cert }>, sent: Cert[], configuredDepth: number): string {
  const r = c.realization;
  const anchor = `${q(c.path.anchor.subject)}${c.path.anchor.yours ? ' (a root you trust)' : ' (a root you do not trust yet: check its SHA-256 out of band)'}`;
  const depth = r.depth > configuredDepth ? `, with proxy_ssl_verify_depth ${r.depth}` : '';
  if (r.kind === 'upstream-sends') {
    const sentShas = new Set(sent.map((x) => x.sha256));
    const reorder = r.sent.every((s) => sentShas.has(s));
    const list = r.sent.slice(1).map((s) => label(s, known));
    return (
      `Upstream side: send the leaf followed by ${list.length ? list.join(', then ') : 'nothing else'}` +
      `${reorder ? ' (certificates it already sends, in this order)' : ''}; your current bundle then anchors it at ${anchor}${depth}.`
    );
  }
  return `nginx side: a proxy_ssl_trusted_certificate holding ${r.bundle.map((s) => label(s, known)).join(' and ')}; it anchors the chain as sent at ${anchor}${depth}.`;
}

export function describeAlternatives(list: ChosenPath[], input: DiagnoseInput, sent: Cert[]): FixAlternative[] {
  const known = knownCertificates(input);
  for (const c of sent) if (!known.has(c.sha256)) known.set(c.sha256, { cert: c, origin: 'sent' });
  return list.map((c) => ({
    side: c.realization.kind === 'upstream-sends' ? 'upstream' : 'nginx',
    summary: summary(c, known, sent, input.settings.proxySslVerifyDepth),
    anchor: { subject: c.path.anchor.subject, sha256: c.path.anchor.sha256, notBefore: c.path.anchor.notBefore, yours: c.path.anchor.yours },
    bundle: c.realization.bundle,
    sent: c.realization.sent,
    depth: c.realization.depth,
    verified: true,
    verifiedBy: 'engine',
  }));
}

/** A working path through an older root than the user's, as the sentence that says why it is not proposed. */
export function refusedText(c: ChosenPath): string {
  return (
    `Not proposed: the path through ${q(c.path.anchor.subject)} (valid from ${c.path.anchor.notBefore.slice(0, 10)}) works, ` +
    'but that root is older than the root you trust (on this chain, or every root of your bundle when no known path reaches ' +
    'yours); pass --allow-root-change to consider it.'
  );
}

/**
 * The closed loop for the nginx-side alternatives: the chain of the second live handshake judged with each one's
 * bundle and depth. A mismatch (the upstream changed between the handshakes) marks it unverified.
 */
export function proveAlternativesOnHandshake(plan: FixPlan, input: DiagnoseInput, sentAgain: Cert[]): void {
  if (!plan.alternatives || sentAgain.length === 0) return;
  const known = knownCertificates(input);
  for (const a of plan.alternatives) {
    if (a.side !== 'nginx') continue;
    const trusted = a.bundle.map((s) => known.get(s)?.cert).filter((c): c is Cert => c !== undefined);
    const r = verifyChain({ sent: sentAgain, trusted, at: input.at, depth: a.depth, seclevel: input.settings.opensslSeclevel });
    a.verified = r.ok;
    a.verifiedBy = 'handshake';
  }
}
