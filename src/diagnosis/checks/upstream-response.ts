/**
 * Rejections after the handshake, seen in the answer to the one request the probe sends as nginx would: an
 * upstream that asks for a client certificate without aborting the handshake (nginx's `ssl_verify_client on` or
 * `optional_no_ca`, Apache's SSLVerifyClient in a location) answers the request with an HTTP error, which nginx
 * proxies to its client and does not log (ngx_http_upstream_process_header sees a valid response).
 */
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { DiagnoseInput } from '../types.js';

/**
 * Statuses an upstream answers a missing or refused client certificate with: 400 (nginx: "No required SSL
 * certificate was sent", "The SSL certificate error"; ngx_http_process_request), 403 (Apache, IIS), and nginx's
 * internal 495/496 when an error_page maps them (NGX_HTTPS_CERT_ERROR, NGX_HTTPS_NO_CERT).
 */
export const CLIENT_CERT_STATUSES = new Set([400, 403, 495, 496]);

export function responseFindings(input: DiagnoseInput): Finding[] {
  const o = input.observation;
  const r = o.response;
  if (r && !o.alert && (r.missing === 'closed' || (r.missing === 'not-http' && r.statusLine !== null))) {
    // The handshake completed, the request got no HTTP answer: a 502, or bytes passed on as HTTP/0.9 (nginx-outcome.ts).
    return [finding('NO_HTTP_RESPONSE', { path: o.request?.path ?? '/', missing: r.missing, firstLine: r.statusLine })];
  }
  if (!r || r.status === null || o.alert || !o.clientCertRequested || !CLIENT_CERT_STATUSES.has(r.status)) return [];
  const common = { during: 'response', status: r.status, statusLine: r.statusLine, protocol: o.protocol ?? null, acceptableCaNames: o.acceptableCaNames };
  if (!o.clientCertSent) return [finding('CLIENT_CERT_REQUIRED', { alert: null, ...common })];
  // Whether the certificate's issuer is among the CA names the upstream listed (none listed: cannot tell).
  const issuer = input.clientCertIssuer;
  const among = issuer === undefined || o.acceptableCaNames.length === 0 ? null : o.acceptableCaNames.includes(issuer);
  return [finding('CLIENT_CERT_REJECTED', { alert: null, alertName: null, ...common, clientCertIssuer: issuer ?? null, issuerAmongAcceptable: among })];
}
