/**
 * Turns what happened on one connection into a ProbeOutcome. Pure: the probe collects the facts (socket
 * errors, the decoded wire transcript, timers), this decides, in a fixed order of precedence:
 * not TLS > capture limit > handshake completed (maybe with a first-read alert) > alert from the peer >
 * local OpenSSL error > deadline > TCP/DNS errors > peer closed.
 */
import type { ProbeObservation, ProbeOutcome } from './types.js';
import { AlertLevel, alertName, printablePreview } from './tls-records.js';
import type { AlertSeen } from './wire-transcript.js';

/** A Node.js error as emitted by net/tls sockets (OpenSSL errors carry `library` and `reason`). */
export interface SocketError {
  code?: string;
  message: string;
  reason?: string;
  library?: string;
}

export interface ProbeFacts {
  tcpConnected: boolean;
  secureConnected: boolean;
  /** The probe waited after secureConnect for the server's verdict on (the absence of) a client certificate. */
  waitedForFirstRead: boolean;
  deadlineHit: boolean;
  captureLimitHit: boolean;
  captureLimitBytes: number;
  peerClosed: boolean;
  tcpError?: SocketError;
  tlsError?: SocketError;
  serverBytes: number;
  notTls: boolean;
  serverHead: number[];
  tls13: boolean;
  serverAlerts: AlertSeen[];
  acceptedAfterHandshake: boolean;
}

export type Classification = Pick<ProbeObservation, 'outcome' | 'alert' | 'error' | 'nonTlsPreview'>;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA']);

function toError(err: SocketError | undefined): ProbeObservation['error'] {
  if (!err) return undefined;
  const out: NonNullable<ProbeObservation['error']> = {
    code: err.code ?? 'UNKNOWN',
    message: err.message.replace(/\s*\n\s*/g, ' ').trim(),
  };
  if (err.reason && (err.library !== undefined || err.code?.startsWith('ERR_SSL_'))) out.opensslReason = openssl30Reason(err.reason);
  return out;
}

/**
 * A reason as OpenSSL 3.0 (nginx's here, and the model's) names it. OpenSSL 3.5, bundled by the Node 22 and 24
 * releases measured (22.23.5, 24.22.3), names the alerts TLS inherited from SSLv3 differently, same code: "ssl/tls
 * alert handshake failure" for "sslv3 alert handshake failure". The observation keeps one vocabulary whatever Node
 * runs the probe; `message` stays the runtime's own.
 */
function openssl30Reason(reason: string): string {
  return reason.replace(/^ssl\/tls alert /i, 'sslv3 alert ');
}

/** OpenSSL appends "SSL alert number N" to the error of an alert it *received* (ssl3_read_bytes). */
function alertNumberFromError(err: SocketError | undefined): number | undefined {
  const m = err && /SSL alert number (\d+)/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

/**
 * An alert that ends the connection: every fatal alert; under TLS 1.3 every alert except close_notify and
 * user_canceled is fatal whatever its level says (RFC 8446 §6). TLS 1.2 warnings (e.g. unrecognized_name)
 * do not stop OpenSSL's client.
 */
function isFailureAlert(a: AlertSeen, tls13: boolean): boolean {
  if (a.description === 0 || a.description === 90) return false;
  return a.level === AlertLevel.fatal || tls13;
}

function isOpenSslError(err: SocketError | undefined): boolean {
  return !!err && (err.library !== undefined || !!err.code?.startsWith('ERR_SSL_') || !!err.code?.startsWith('ERR_OSSL_'));
}

export function classifyOutcome(f: ProbeFacts): Classification {
  const tlsErr = toError(f.tlsError);
  const anyErr = tlsErr ?? toError(f.tcpError);

  if (f.notTls) {
    return { outcome: 'not-tls', nonTlsPreview: printablePreview(f.serverHead), error: anyErr };
  }
  if (f.captureLimitHit) {
    return {
      outcome: 'tls-error',
      error: {
        code: 'CAPTURE_LIMIT',
        message: `server sent more than ${f.captureLimitBytes} bytes without completing; connection cut off`,
      },
    };
  }

  const failureAlerts = f.serverAlerts.filter((a) => isFailureAlert(a, f.tls13));
  const alertOf = (description: number, during: 'handshake' | 'first-read') => ({
    description,
    name: alertName(description),
    during,
  });

  if (f.secureConnected) {
    const late = failureAlerts.find((a) => a.epoch === 'application') ?? failureAlerts[0];
    const n = late?.description ?? alertNumberFromError(f.tlsError);
    if (n !== undefined) return { outcome: 'alert', alert: alertOf(n, 'first-read'), error: tlsErr };
    if (f.waitedForFirstRead && !f.acceptedAfterHandshake && (f.peerClosed || f.tlsError || f.tcpError)) {
      return {
        outcome: 'closed',
        error: anyErr ?? {
          code: 'CLOSED_AT_FIRST_READ',
          message: 'peer closed the connection at the first read after its CertificateRequest, without an alert',
        },
      };
    }
    return { outcome: 'handshake' };
  }

  const n = failureAlerts[0]?.description ?? alertNumberFromError(f.tlsError);
  if (n !== undefined) return { outcome: 'alert', alert: alertOf(n, 'handshake'), error: tlsErr };

  if (isOpenSslError(f.tlsError)) return { outcome: 'tls-error', error: tlsErr };

  if (f.deadlineHit) {
    return { outcome: 'timeout', error: anyErr ?? { code: 'TIMEOUT', message: 'no complete answer within the deadline' } };
  }

  const tcpCode = f.tcpError?.code;
  let outcome: ProbeOutcome;
  if (tcpCode === 'ECONNREFUSED') outcome = 'refused';
  else if (tcpCode && DNS_CODES.has(tcpCode)) outcome = 'dns';
  else if (tcpCode === 'ETIMEDOUT') outcome = 'timeout';
  else if (f.tcpError) outcome = f.tcpConnected && f.serverBytes > 0 ? 'closed' : 'network-error';
  else if (f.tlsError?.code === 'ECONNRESET' || f.peerClosed) outcome = 'closed';
  else outcome = 'network-error';
  return { outcome, error: anyErr };
}
