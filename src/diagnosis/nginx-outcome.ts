/**
 * What nginx does with this upstream, and the exact line it logs (ngx_http_upstream.c, ngx_event_openssl.c;
 * measured in NGINX.md). Order of nginx's checks: connect, handshake, then the verify result
 * (SSL_get_verify_result: the last error the continue-always callback saw since 1.19.1, the first before), then
 * the name (X509_check_host), then the response read (TLS 1.3 client-certificate alerts surface only there).
 * Everything that depends on the nginx version is asked of nginx/version-behaviour.ts.
 */
import type { VerifyResult } from '../chain/types.js';
import type { ProbeObservation } from '../probe/types.js';
import type { NginxSettings } from '../nginx/defaults.js';
import { behaviourOf, sslErrorLevel, type NginxBehaviour } from '../nginx/version-behaviour.js';
import type { VerifyError } from '../chain/types.js';
import { alertError, errorFromReason, formatForNginx, parseNodeOpensslMessage, type OpensslError } from './openssl-error.js';
import type { NginxOutcome } from './types.js';
import { ephemeralSecurityBits, LEVEL_MIN_BITS } from '../nginx/client-model.js';
import { CLIENT_CERT_STATUSES } from './checks/upstream-response.js';

const HANDSHAKING = 'while SSL handshaking to upstream';

/** Linux errno numbers and strerror texts nginx prints as `(111: Connection refused)`. */
const ERRNO: Record<string, [number, string]> = {
  ECONNREFUSED: [111, 'Connection refused'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EHOSTUNREACH: [113, 'No route to host'],
  ENETUNREACH: [101, 'Network is unreachable'],
  EPIPE: [32, 'Broken pipe'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
};

function fail(status: number | null, level: NginxOutcome['level'], error: string, stage: NginxOutcome['stage'], verifyCode: number | null = null): NginxOutcome {
  return { ok: false, status, level, error, verifyCode, stage, ...(status === 502 || status === 504 ? { answeredBy: 'nginx' as const } : {}) };
}

function opensslErrorOf(o: ProbeObservation): OpensslError | undefined {
  if (o.alert) return alertError(o.alert.description);
  if (o.error) {
    const parsed = parseNodeOpensslMessage(o.error.message);
    if (parsed) return parsed;
    if (o.error.opensslReason) return errorFromReason(o.error.opensslReason);
  }
  return undefined;
}

/** ngx_ssl_connection_error()'s level for an SSL_ERROR_SSL on an upstream connection, for this nginx version. */
function levelOf(b: NginxBehaviour, e: OpensslError): 'error' | 'crit' {
  return sslErrorLevel(b, parseInt(e.hex, 16) & 0x7fffff);
}

/**
 * The error SSL_get_verify_result() holds. With nginx's continue-always callback (>= 1.19.1) the last one reported.
 * Before, OpenSSL's null callback stops X509_verify_cert() at the first report: the sequence up to that report is
 * the same with or without a callback (no earlier error was ignored), so it is exactly `errors[0]`.
 */
function loggedVerifyError(b: NginxBehaviour, asNginx: VerifyResult): VerifyError | undefined {
  if (asNginx.errors.length === 0) return undefined;
  return b.verifyResult === 'first-error' ? asNginx.errors[0] : asNginx.errors[asNginx.errors.length - 1];
}

export function predictNginx(params: {
  observation: ProbeObservation;
  settings: NginxSettings;
  asNginx?: VerifyResult;
  nameMatches?: boolean;
}): NginxOutcome {
  const { observation: o, settings, asNginx } = params;
  const b = behaviourOf(settings.nginxVersion);
  const nginxLevelFor = (e: OpensslError): 'error' | 'crit' => levelOf(b, e);
  // Under TLS 1.3 the client's handshake is complete once it sends its Finished; an alert after that (a required
  // client certificate) reaches nginx on its first SSL_read, after the verify and name checks.
  const outcome = o.alert?.during === 'first-read' ? 'handshake' : o.outcome;
  switch (outcome) {
    case 'dns':
      // nginx resolves proxy_pass hosts when it reads its configuration and refuses to start.
      return fail(null, 'emerg', `host not found in upstream "${o.host}:${o.port}"`, 'config');
    case 'refused':
      return fail(502, 'error', 'connect() failed (111: Connection refused) while connecting to upstream', 'connect');
    case 'timeout':
      return o.timings.connectMs === undefined
        ? fail(504, 'error', 'upstream timed out (110: Connection timed out) while connecting to upstream', 'connect')
        : fail(504, 'error', `upstream timed out (110: Connection timed out) ${HANDSHAKING}`, 'handshake');
    case 'network-error': {
      const errno = ERRNO[o.error?.code ?? ''];
      const text = errno ? `${errno[0]}: ${errno[1]}` : (o.error?.code ?? 'error');
      // A reset comes after the TCP handshake (the peer accepted, then reset); nginx meets it in SSL_do_handshake
      // and calls it a peer close (ngx_ssl_handshake). Node may still report it as `connect ECONNRESET` when the
      // RST arrives before the connect callback runs, so the errno decides, not our timing.
      if (o.error?.code === 'ECONNRESET') {
        return fail(502, 'error', `peer closed connection in SSL handshake (${text}) ${HANDSHAKING}`, 'handshake');
      }
      return fail(502, 'error', `connect() failed (${text}) while connecting to upstream`, 'connect');
    }
    case 'not-tls': {
      const e = opensslErrorOf(o) ?? errorFromReason('wrong version number')!;
      return fail(502, nginxLevelFor(e), `SSL_do_handshake() failed (SSL: ${formatForNginx(e)}) ${HANDSHAKING}`, 'handshake');
    }
    case 'closed': {
      // A FIN mid-handshake: SSL_ERROR_SYSCALL with errno 0, which ngx_ssl_handshake() logs without an errno
      // (measured on 1.22.1; a reset adds "(104: Connection reset by peer)", see network-error). Before
      // SSL_OP_IGNORE_UNEXPECTED_EOF (1.21.2) OpenSSL 3.0 makes it an SSL error instead (measured on 1.18.0).
      if (b.ignoresUnexpectedEof) return fail(502, 'error', `peer closed connection in SSL handshake ${HANDSHAKING}`, 'handshake');
      const eof = errorFromReason('unexpected eof while reading')!;
      return fail(502, nginxLevelFor(eof), `SSL_do_handshake() failed (SSL: ${formatForNginx(eof)}) ${HANDSHAKING}`, 'handshake');
    }
    case 'alert':
    case 'tls-error': {
      const e = opensslErrorOf(o);
      if (!e) return fail(502, 'crit', `SSL_do_handshake() failed (SSL: ${o.error?.message ?? 'handshake failure'}) ${HANDSHAKING}`, 'handshake');
      return fail(502, nginxLevelFor(e), `SSL_do_handshake() failed (SSL: ${formatForNginx(e)}) ${HANDSHAKING}`, 'handshake');
    }
    case 'handshake':
      break;
  }
  // Our probe completes TLS 1.0/1.1 handshakes that nginx's OpenSSL (security level >= 1) aborts: the
  // SHA-1/MD5 signature of those versions is a "legacy sigalg".
  if ((o.protocol === 'TLSv1' || o.protocol === 'TLSv1.1') && settings.opensslSeclevel >= 1) {
    const e = errorFromReason('legacy sigalg disallowed or unsupported')!;
    return fail(502, nginxLevelFor(e), `SSL_do_handshake() failed (SSL: ${formatForNginx(e)}) ${HANDSHAKING}`, 'handshake');
  }
  // A permissive observer (check, serve) completes a DHE handshake nginx's OpenSSL refuses: tls_process_ske_dhe()
  // checks the group against the security level (SSL_SECOP_TMP_DH) before any certificate is verified.
  if (o.ephemeralKey?.type === 'DH' && ephemeralSecurityBits(o.ephemeralKey) < (LEVEL_MIN_BITS[settings.opensslSeclevel] ?? 0)) {
    const e = errorFromReason('dh key too small')!;
    return fail(502, nginxLevelFor(e), `SSL_do_handshake() failed (SSL: ${formatForNginx(e)}) ${HANDSHAKING}`, 'handshake');
  }
  const logged = asNginx ? loggedVerifyError(b, asNginx) : undefined;
  const verifyCode = asNginx ? (logged?.code ?? 0) : null;
  if (logged) {
    return fail(502, 'error', `upstream SSL certificate verify error: (${logged.code}:${logged.text}) ${HANDSHAKING}`, 'verify', logged.code);
  }
  if (params.nameMatches === false) {
    return fail(502, 'error', `upstream SSL certificate does not match "${settings.proxySslName}" ${HANDSHAKING}`, 'name', verifyCode);
  }
  if (o.alert && o.alert.during === 'first-read') {
    const e = alertError(o.alert.description);
    return fail(502, nginxLevelFor(e), `SSL_read() failed (SSL: ${formatForNginx(e)}) while reading response header from upstream`, 'read', verifyCode);
  }
  const r = o.response;
  // No answer to the request nginx would send: ngx_http_upstream_process_header() logs the close and answers 502.
  // Bytes that are no status line: ngx_http_proxy_process_status_line() logs them and passes them on as an
  // HTTP/0.9 response with status 200 (no headers reach the client). A timeout of our short wait proves nothing.
  if (r?.missing === 'closed') {
    return fail(502, 'error', 'upstream prematurely closed connection while reading response header from upstream', 'response', verifyCode);
  }
  if (r?.missing === 'not-http' && r.statusLine !== null) {
    return { ...fail(200, 'error', 'upstream sent no valid HTTP/1.0 header while reading response header from upstream', 'response', verifyCode), answeredBy: 'upstream' };
  }
  if (r?.status != null && o.clientCertRequested && !o.alert && CLIENT_CERT_STATUSES.has(r.status)) {
    // The upstream refuses the request, not the handshake: nginx proxies its answer and logs nothing.
    return { ok: false, status: r.status, level: null, error: null, verifyCode: verifyCode ?? 0, stage: 'response', answeredBy: 'upstream' };
  }
  return {
    ok: true,
    status: r?.status ?? 200,
    level: null,
    error: null,
    verifyCode: verifyCode ?? 0,
    stage: 'ok',
    ...(r?.status != null ? { answeredBy: 'upstream' as const } : {}),
  };
}
