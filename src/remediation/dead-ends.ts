/**
 * The field's dead ends (fixes people try that cannot work or that open a hole), recognised in the user's own
 * inputs and named, so the report can say why the attempt failed. Wording for the two found in nginx configs is
 * exported for the nginx command, which passes the sentences in through buildFixPlan's `deadEnds` option.
 */
import type { Finding } from '../diagnosis/codes.js';
import type { DiagnoseInput } from '../diagnosis/types.js';

export type ConfigDeadEnd = 'verify-off' | 'client-side-trusted-certificate';

/** `where`: e.g. `nginx.conf:42`. */
export function configDeadEndText(kind: ConfigDeadEnd, where?: string): string {
  const at = where ? ` (${where})` : '';
  switch (kind) {
    case 'verify-off':
      return (
        `Dead end: proxy_ssl_verify off${at}. nginx then accepts any certificate from anyone who can reach the connection, ` +
        'a man in the middle included: it hides the error instead of fixing it. upstream-ssl.conf turns verification on ' +
        'with the bundle this upstream needs.'
      );
    case 'client-side-trusted-certificate':
      return (
        `Dead end: ssl_trusted_certificate${at} is the client-side directive (client certificates, OCSP stapling); ` +
        'it does nothing for proxy_pass https:// upstreams. The upstream\'s CA belongs in proxy_ssl_trusted_certificate.'
      );
  }
}

const q = (s: string): string => `"${s}"`;

/** Dead ends visible in the bundle the user gave (findings of the diagnosis, or the bundle's own shape). */
export function inputDeadEnds(input: DiagnoseInput, findings: Finding[]): string[] {
  const out: string[] = [];
  if (input.trustSource !== 'bundle') return out;
  const partial = findings.find((f) => f.code === 'PARTIAL_CHAIN_BUNDLE');
  // Self-signed first: it stops at the first root, so the other certificates of a bundle read lazily
  // (src/certs/lazy-cert.ts) stay unparsed.
  const onlyIntermediates = input.trusted.every((c) => !c.selfSigned) && input.trusted.some((c) => !!c.basicConstraints?.ca);
  if (onlyIntermediates || partial) {
    const cas = input.trusted.filter((c) => !!c.basicConstraints?.ca);
    const what = onlyIntermediates
      ? `holds only intermediate CA certificates (${cas.map((c) => q(c.subject)).join(', ')}) and no root`
      : `holds the intermediate ${q(partial!.cert?.subject ?? String(partial!.evidence.missingIssuer))} without the root above it`;
    out.push(
      `Dead end: your proxy_ssl_trusted_certificate ${what}. nginx accepts no partial chains (OpenSSL verifies without ` +
        'X509_V_FLAG_PARTIAL_CHAIN), so an intermediate alone anchors nothing: verification fails with 2 or 20. ' +
        'trusted-ca.pem holds the root.',
    );
  }
  const leaf = input.sent[0];
  const pinned = findings.find((f) => f.code === 'PINNED_LEAF');
  const leafInBundle = leaf && !leaf.selfSigned && input.trusted.some((c) => c.sha256 === leaf.sha256);
  if (pinned || leafInBundle) {
    const subject = pinned?.cert?.subject ?? leaf!.subject;
    out.push(
      `Dead end: your proxy_ssl_trusted_certificate pins the upstream's own CA-issued certificate ${q(subject)}. ` +
        'For OpenSSL that is no trust anchor (no partial chains: it still wants the root, error 20 or 21), and a pin ' +
        'breaks at every renewal. Trust the root that issued it instead (trusted-ca.pem).',
    );
  }
  return out;
}
