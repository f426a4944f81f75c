/**
 * The paths nginx did not take: every path from the leaf to a root over the certificates the diagnosis knows
 * (sent, bundle, --intermediates, AIA-fetched, the user's other bundles), each judged by the engine with the bundle
 * and sent order that make OpenSSL take it (src/chain/path-alternatives.ts), as plain data for checks, reports and
 * the fix.
 */
import type { Cert } from '../certs/cert.js';
import type { KnownCert } from '../chain/enumerate-paths.js';
import { pathAlternatives } from '../chain/path-alternatives.js';
import type { VerifyResult } from '../chain/types.js';
import type { CertRef } from './codes.js';
import type { DiagnoseInput, PathSearchSummary, PathSummary } from './types.js';

const sha = (c: Cert): string => c.sha256;

export function judgePaths(
  input: DiagnoseInput,
  asNginx: VerifyResult,
  ref: (cert: Cert, depth?: number) => CertRef,
): { paths: PathSummary[]; search: PathSearchSummary } {
  const others: KnownCert[] = [
    ...(input.candidates ?? []).map((c) => ({
      cert: c.cert,
      source: c.source,
      origin: c.source === 'pool' ? `--intermediates ${c.origin}` : `fetched via AIA from ${c.origin}`,
    })),
    ...(input.otherBundles ?? []).map((b) => ({ cert: b.cert, source: 'pool' as const, origin: `your proxy_ssl_trusted_certificate ${b.origin}` })),
  ];
  const r = pathAlternatives({
    sent: input.sent,
    trusted: input.trusted,
    others,
    at: input.at,
    depth: input.settings.proxySslVerifyDepth,
    seclevel: input.settings.opensslSeclevel,
    current: asNginx,
  });
  const inBundle = new Set(input.trusted.map(sha));
  const yours = new Set([...input.trusted, ...(input.otherBundles ?? []).map((b) => b.cert)].map(sha));
  const paths = r.verdicts.map((v): PathSummary => {
    const root = v.path[v.path.length - 1];
    return {
      certs: v.path.map((k, depth) => ({ ...ref(k.cert, depth), ...(ref(k.cert).source === 'sent' ? {} : { source: k.source }) })),
      anchor: {
        subject: root.cert.subject,
        sha256: root.cert.sha256,
        notBefore: root.cert.notBefore.toISOString(),
        notAfter: root.cert.notAfter.toISOString(),
        inBundle: inBundle.has(root.cert.sha256),
        yours: yours.has(root.cert.sha256),
        origin: v.path.length === 1 ? 'sent as #0' : (root.origin ?? root.source),
      },
      neededDepth: v.neededDepth,
      taken: v.taken,
      works: v.realizations.length > 0,
      realizations: v.realizations.map((x) => ({ kind: x.kind, bundle: x.bundle.map(sha), sent: x.sent.map(sha), depth: x.depth })),
      failure: v.failure ?? null,
    };
  });
  return { paths, search: { paths: paths.length, truncated: r.search.truncated, work: r.search.work } };
}
