/**
 * Findings about the connection itself: no TCP, no TLS, no agreement on a protocol, client certificates.
 */
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check } from '../types.js';
import { parseNodeOpensslMessage } from '../openssl-error.js';
import { alertCauses, reasonCauses } from '../../nginx/handshake-causes.js';
import { handshakeCauseFindings, weakKeyOfCompleted } from './handshake-cause.js';
import { responseFindings } from './upstream-response.js';

const PROTOCOL_ALERTS = new Set([70, 71]); // protocol_version, insufficient_security (RFC 8446 §6.2)
const PROTOCOL_REASONS = /unsupported protocol|no protocols available|version too low|wrong ssl version|legacy sigalg|tlsv1 alert protocol version/;

export const checkConnection: Check = (ctx) => {
  const o = ctx.input.observation;
  const out: Finding[] = [];
  let cause: Finding[] = [];
  const reason = o.error?.opensslReason ?? (o.error ? parseNodeOpensslMessage(o.error.message)?.reason : undefined);
  switch (o.outcome) {
    case 'refused':
      out.push(finding('CONNECTION_REFUSED', { address: o.address ?? o.host, port: o.port }));
      break;
    case 'timeout':
      out.push(
        finding('TIMEOUT', {
          stage: o.timings.connectMs === undefined ? 'connect' : 'handshake',
          afterMs: Math.round(o.timings.totalMs),
        }),
      );
      // Silent after our ClientHello: a what-if that completed (SNI, most often) names why, as for a refusal.
      if (o.timings.connectMs !== undefined) out.push(...handshakeCauseFindings(ctx.input, undefined));
      break;
    case 'dns':
      out.push(finding('DNS_FAILURE', { host: o.host, error: o.error?.code ?? null }));
      break;
    case 'not-tls':
      out.push(finding('NOT_TLS', { firstBytes: o.nonTlsPreview ?? null, reason: reason ?? null }));
      break;
    case 'alert':
    case 'tls-error':
    case 'closed':
    case 'network-error': {
      const alert = o.alert?.description;
      if (alert !== undefined && (alert === 116 || (alert === 40 && o.clientCertRequested && !o.clientCertSent))) {
        out.push(
          finding('CLIENT_CERT_REQUIRED', {
            alert,
            during: o.alert?.during ?? 'handshake',
            protocol: o.protocol ?? null,
            acceptableCaNames: o.acceptableCaNames,
          }),
        );
      } else if (alert !== undefined && o.clientCertSent && [42, 43, 44, 45, 46, 48, 49, 40].includes(alert)) {
        out.push(
          finding('CLIENT_CERT_REJECTED', {
            alert,
            alertName: o.alert?.name ?? null,
            during: o.alert?.during ?? 'handshake',
            acceptableCaNames: o.acceptableCaNames,
          }),
        );
      } else if ((alert !== undefined && PROTOCOL_ALERTS.has(alert)) || (reason && PROTOCOL_REASONS.test(reason))) {
        out.push(
          finding('PROTOCOL_MISMATCH', {
            offered: o.offeredProtocols,
            negotiated: o.protocol ?? null,
            alert: alert ?? null,
            reason: reason ?? null,
          }),
        );
      } else if ((cause = handshakeCauseFindings(ctx.input, reason)).length > 0) {
        out.push(...cause);
      } else {
        const peerClosed = o.outcome === 'closed' || o.error?.code === 'ECONNRESET';
        // The catalogue explain uses for the same log line (nginx/handshake-causes.ts), and what the what-ifs tried.
        const likely = alert !== undefined ? alertCauses(alert, true).causes : reason ? (reasonCauses(reason)?.causes ?? []) : [];
        out.push(
          finding('HANDSHAKE_FAILED', {
            outcome: o.outcome,
            alert: alert ?? null,
            alertName: o.alert?.name ?? null,
            reason: peerClosed
              ? `the upstream ${o.error?.code === 'ECONNRESET' ? 'reset' : 'closed'} the connection during the TLS handshake without a TLS alert (it may not speak TLS on this port, or it refuses this client)`
              : (reason ?? o.error?.message ?? null),
            likelyCauses: likely,
            whatIfs: (ctx.input.whatIfs?.tried ?? []).map((t) => `${t.change}: ${t.ok ? 'completes' : (t.reason ?? t.outcome)}`),
          }),
        );
      }
      break;
    }
    case 'handshake':
      out.push(...weakKeyOfCompleted(ctx.input));
      out.push(...responseFindings(ctx.input));
      // A handshake on TLS 1.0/1.1 completes for our permissive probe, but OpenSSL at security level >= 1
      // refuses the SHA-1/MD5 signature those versions use ("legacy sigalg disallowed or unsupported").
      if ((o.protocol === 'TLSv1' || o.protocol === 'TLSv1.1') && ctx.input.settings.opensslSeclevel >= 1) {
        out.push(
          finding('PROTOCOL_MISMATCH', {
            offered: o.offeredProtocols,
            negotiated: o.protocol,
            alert: null,
            reason: 'legacy sigalg disallowed or unsupported',
          }),
        );
      }
      if (o.alert && o.alert.during === 'first-read') {
        const alert = o.alert.description;
        if (alert === 116 || (!o.clientCertSent && o.clientCertRequested)) {
          out.push(
            finding('CLIENT_CERT_REQUIRED', {
              alert,
              during: 'first-read',
              protocol: o.protocol ?? null,
              acceptableCaNames: o.acceptableCaNames,
            }),
          );
        } else {
          out.push(
            finding('CLIENT_CERT_REJECTED', {
              alert,
              alertName: o.alert.name,
              during: 'first-read',
              acceptableCaNames: o.acceptableCaNames,
            }),
          );
        }
      }
      break;
  }
  return out;
};
