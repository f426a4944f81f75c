/**
 * The first instant nginx will fail for a target, and why: pure, the check's time passed in.
 *
 * nginx verifies the upstream's path with OpenSSL at every new handshake (ngx_ssl_verify_callback, then
 * SSL_get_verify_result in ngx_http_upstream_ssl_handshake), so the path stops verifying at the first notAfter
 * over every certificate of it, the anchor from proxy_ssl_trusted_certificate included: OpenSSL's check_cert_time
 * (crypto/x509/x509_vfy.c) applies to the trust anchor too. The instant is notAfter itself, not the second after:
 * X509_cmp_time() counts "equal" as earlier, measured with the openssl 3.0 CLI on a fixture whose notAfter is
 * 2046-01-01T00:00:00Z: `openssl verify -attime 2398377599` OK, `-attime 2398377600` "certificate has expired".
 * With proxy_ssl_crl, a CRL past its nextUpdate fails every path it covers (check_crl_time:
 * X509_V_ERR_CRL_HAS_EXPIRED, 12), again at nextUpdate itself (`openssl verify -crl_check -attime`, same test).
 * The client certificate of proxy_ssl_certificate is not verified by nginx but by the upstream, which rejects it
 * once expired (an alert: nginx logs the handshake failure and answers 502).
 *
 * A target that already fails fails "now" (the check's time), with its first reason code.
 */
import type { CheckedCert, FailureCause, Forecast } from './types.js';

export interface ForecastInput {
  /** Whether nginx would proxy now; null = not known (the check failed): no forecast. */
  nginxOk: boolean | null;
  reason: string[];
  path: CheckedCert[];
  clientCerts: CheckedCert[];
  /** CRLs of proxy_ssl_crl; nextUpdate null = none written (such a CRL never expires for OpenSSL). */
  crls?: { file: string; nextUpdate: string | null }[];
}

interface Candidate {
  atMs: number;
  because: FailureCause;
}

function certCandidate(c: CheckedCert): Candidate {
  const kind: FailureCause['kind'] = c.source === 'client' ? 'client' : c.source === 'bundle' ? 'anchor' : 'certificate';
  return { atMs: Date.parse(c.notAfter), because: { kind, code: 'EXPIRED', depth: c.depth, subject: c.subject, sha256: c.sha256 } };
}

/** The earliest of the dates nginx depends on; ties go to the path (leaf first), then the client certificate, then CRLs. */
export function forecastFailure(input: ForecastInput, at: Date): Forecast | undefined {
  if (input.nginxOk === null) return undefined;
  if (!input.nginxOk) {
    return { failsAt: at.toISOString(), failsBecause: { kind: 'now', code: input.reason[0] ?? 'NGINX_FAILS' } };
  }
  const candidates: Candidate[] = [...input.path, ...input.clientCerts].map(certCandidate);
  for (const crl of input.crls ?? []) {
    if (crl.nextUpdate !== null) candidates.push({ atMs: Date.parse(crl.nextUpdate), because: { kind: 'crl', code: 'CRL_EXPIRED', file: crl.file } });
  }
  let first: Candidate | undefined;
  for (const c of candidates) if (!Number.isNaN(c.atMs) && (!first || c.atMs < first.atMs)) first = c;
  if (!first) return { failsAt: null, failsBecause: null };
  return { failsAt: new Date(Math.max(first.atMs, at.getTime())).toISOString(), failsBecause: first.because };
}

/** One line for the text report: `depth 1 (sent) CN=Int: EXPIRED`, `CRL /etc/nginx/crl.pem: CRL_EXPIRED`. */
export function failureCauseText(b: FailureCause): string {
  switch (b.kind) {
    case 'now':
      return `fails now: ${b.code}`;
    case 'crl':
      return `CRL ${b.file} reaches its nextUpdate`;
    case 'client':
      return `client certificate #${b.depth} ${b.subject} expires`;
    case 'anchor':
      return `anchor ${b.subject} (proxy_ssl_trusted_certificate) expires`;
    default:
      return `depth ${b.depth} ${b.subject} expires`;
  }
}
