/**
 * OpenSSL's libssl errors as nginx prints them.
 *
 * nginx logs `SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)`:
 * ngx_ssl_error() appends `ERR_error_string_n()` of every queued error, plus `:data` (e.g. `SSL alert number 40`).
 * The log level comes from ngx_ssl_connection_error(): a fixed list of "handshake failure" reasons, and the
 * alerts 1000..1100, are logged at `error`; anything else at `crit` (nginx src/event/ngx_event_openssl.c).
 */

export interface OpensslError {
  /** The packed error code in hex as OpenSSL 3 prints it, e.g. `0A00010B`. */
  hex: string;
  reason: string;
  /** Alert number when the error is a received alert (`SSL alert number 40`). */
  alert?: number;
}

const SSL_LIB = 0x0a000000; // ERR_LIB_SSL (20) << 23 in OpenSSL 3

/** OpenSSL's reason strings for received alerts: reason code = 1000 + alert number (ssl/ssl_err.c). */
export const ALERT_REASONS: Record<number, string> = {
  0: 'sslv3 alert close notify',
  10: 'sslv3 alert unexpected message',
  20: 'sslv3 alert bad record mac',
  21: 'tlsv1 alert decryption failed',
  22: 'tlsv1 alert record overflow',
  30: 'sslv3 alert decompression failure',
  40: 'sslv3 alert handshake failure',
  41: 'sslv3 alert no certificate',
  42: 'sslv3 alert bad certificate',
  43: 'sslv3 alert unsupported certificate',
  44: 'sslv3 alert certificate revoked',
  45: 'sslv3 alert certificate expired',
  46: 'sslv3 alert certificate unknown',
  47: 'sslv3 alert illegal parameter',
  48: 'tlsv1 alert unknown ca',
  49: 'tlsv1 alert access denied',
  50: 'tlsv1 alert decode error',
  51: 'tlsv1 alert decrypt error',
  60: 'tlsv1 alert export restriction',
  70: 'tlsv1 alert protocol version',
  71: 'tlsv1 alert insufficient security',
  80: 'tlsv1 alert internal error',
  86: 'tlsv1 alert inappropriate fallback',
  90: 'tlsv1 alert user cancelled',
  100: 'tlsv1 alert no renegotiation',
  109: 'tlsv13 alert missing extension',
  110: 'tlsv1 unsupported extension',
  111: 'tlsv1 certificate unobtainable',
  112: 'tlsv1 unrecognized name',
  113: 'tlsv1 bad certificate status response',
  114: 'tlsv1 bad certificate hash value',
  115: 'tlsv1 alert unknown psk identity',
  116: 'tlsv13 alert certificate required',
  120: 'tlsv1 alert no application protocol',
};

/** Local (non-alert) libssl reasons we meet when probing, with their reason codes (include/openssl/sslerr.h). */
const LOCAL_REASONS: Record<string, number> = {
  'wrong version number': 267,
  'unsupported protocol': 258,
  'no protocols available': 191,
  'legacy sigalg disallowed or unsupported': 333,
  'no shared cipher': 193,
  'no ciphers available': 181,
  'unexpected message': 244,
  'unexpected eof while reading': 294,
  'packet length too long': 198,
  'record layer failure': 313,
  'dh key too small': 394,
  'ee key too small': 399,
  'ca key too small': 397,
  'ca md too weak': 398,
  'version too low': 396,
  'no shared group': 266,
  'no suitable signature algorithm': 118,
  'bad ecpoint': 306,
  'certificate verify failed': 134,
  'excessive message size': 152,
};

/** Reasons nginx's ngx_ssl_connection_error() treats as handshake failures (logged at `error`, not `crit`). */
const NGINX_ERR_LEVEL_REASONS = new Set<number>([
  129, 149, 159, 182, 183, 187, 193, 213, 227, 234, 235, 244, 245, 246, 252, 253, 258, 266, 267, 281, 291, 335, 336, 337,
  338, 345, 373, 377, 396, 1000, 1010, 1020, 1021, 1022, 1030, 1040, 1041, 1042, 1043, 1044, 1045, 1046, 1047, 1048, 1049,
  1050, 1051, 1060, 1070, 1071, 1080, 1090, 1100,
]);

export function alertError(alert: number): OpensslError {
  const reason = ALERT_REASONS[alert] ?? `unknown alert ${alert}`;
  return { hex: hexOf(1000 + alert), reason, alert };
}

function hexOf(reasonCode: number): string {
  return (SSL_LIB | reasonCode).toString(16).toUpperCase().padStart(8, '0');
}

function reasonCodeOf(e: OpensslError): number {
  return parseInt(e.hex, 16) & 0x7fffff;
}

/**
 * Extract the OpenSSL error from a Node.js TLS error message, e.g.
 * `C0E7...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/...:355:`.
 */
export function parseNodeOpensslMessage(message: string): OpensslError | undefined {
  const m = /error:([0-9A-Fa-f]{8}):[^:]*:[^:]*:([^:\n]+)/.exec(message);
  if (m) {
    const alertMatch = /SSL alert number (\d+)/.exec(message);
    // A received alert in OpenSSL 3.0's words (3.2 and later print "ssl/tls alert ..." for the same code).
    if (alertMatch && ALERT_REASONS[Number(alertMatch[1])] !== undefined && (parseInt(m[1], 16) & 0x7fffff) === 1000 + Number(alertMatch[1])) {
      return alertError(Number(alertMatch[1]));
    }
    return {
      hex: m[1].toUpperCase(),
      reason: m[2].trim(),
      ...(alertMatch ? { alert: Number(alertMatch[1]) } : {}),
    };
  }
  const alertMatch = /SSL alert number (\d+)/.exec(message);
  if (alertMatch) return alertError(Number(alertMatch[1]));
  return undefined;
}

/** An error from a reason text alone (when only the reason is known). */
export function errorFromReason(reason: string): OpensslError | undefined {
  const code = LOCAL_REASONS[reason.toLowerCase()];
  if (code !== undefined) return { hex: hexOf(code), reason: reason.toLowerCase() };
  for (const [num, text] of Object.entries(ALERT_REASONS)) {
    if (text === reason.toLowerCase()) return alertError(Number(num));
  }
  return undefined;
}

/** `error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40`, as nginx prints it. */
export function formatForNginx(e: OpensslError): string {
  const base = `error:${e.hex}:SSL routines::${e.reason}`;
  return e.alert !== undefined ? `${base}:SSL alert number ${e.alert}` : base;
}

export function nginxLevelFor(e: OpensslError): 'error' | 'crit' {
  return NGINX_ERR_LEVEL_REASONS.has(reasonCodeOf(e)) ? 'error' : 'crit';
}
