/**
 * A location's part in the shared session cache (src/nginx/session-reuse.ts), from its probe: what it gets on a
 * full handshake, and the verify result that handshake leaves in the session. With `proxy_ssl_verify off` nginx
 * loads no bundle (ngx_http_proxy_set_ssl reads proxy_ssl_trusted_certificate only when verification is on), yet
 * OpenSSL still verifies and stores the result: the chain judged against an empty store.
 */
import { diagnose } from '../diagnosis/diagnose.js';
import { outcomeWithVerify } from '../nginx/location-outcome.js';
import type { SessionLocation } from '../nginx/session-reuse.js';
import type { ProbeReport } from '../report/model.js';

export function sessionLocationOf(location: string, report: ProbeReport, verify: boolean, reuse: boolean): SessionLocation {
  const d = report.diagnosis;
  const handshake = report.observation?.outcome === 'handshake';
  let stored: number | null = null;
  if (handshake && report.observation) {
    stored = verify
      ? (d.nginx.verifyCode ?? 0)
      : (diagnose({ observation: report.observation, sent: report.sent, trusted: [], trustSource: 'bundle', settings: report.settings, at: report.at }).nginx.verifyCode ?? 0);
  }
  return {
    location,
    reuse,
    verify,
    fresh: outcomeWithVerify(d.nginx, verify),
    storedVerifyCode: stored,
    nameOk: !d.findings.some((f) => f.code === 'NAME_MISMATCH'),
    protocol: report.observation?.protocol ?? null,
    name: report.settings.proxySslName,
  };
}
