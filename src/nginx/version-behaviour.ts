/**
 * What nginx does with a TLS upstream, per version: the one table the prediction (diagnosis/nginx-outcome.ts),
 * the defaults (nginx/defaults.ts) and the config reader (nginx/effective-settings.ts) consult. No other module
 * compares nginx versions.
 *
 * Each feature is a list of rows `{ since, value, source }`: from `since` on, until the next row, nginx behaves as
 * `value`. `source` cites the nginx commit or the CHANGES entry (docs/xml/nginx/changes.xml in the nginx repository).
 * Sets of libssl reasons are those nginx's `#ifdef SSL_R_...` lists compile to against OpenSSL 3.0's headers
 * (Debian 12, Ubuntu 22.04/24.04): names OpenSSL 3.0 does not define (SSL_R_RECORD_LAYER_FAILURE, 3.2+) drop out.
 *
 * Proven against real builds of 1.18.0, 1.22.1 (Debian 12), 1.24.0, 1.26.3, 1.28.3, 1.30.4 and 1.31.4
 * (test/nginx-real, TLSDOCTOR_NGINX_BUILDS; scripts/build-nginx-matrix.sh builds them).
 */
import { compareVersions, parseNginxVersion, type NginxVersion, type TlsProtocolName } from './version-number.js';

export interface BehaviourRow<T> {
  /** First version with this behaviour (the row holds until the next row's `since`). */
  since: string;
  value: T;
  /** The nginx commit or CHANGES entry the row comes from. */
  source: string;
}

/** Which verify error `SSL_get_verify_result()` holds when nginx checks it after the handshake. */
export type VerifyResultRule = 'first-error' | 'last-error';

/** The oldest and newest versions whose source this table was read from, and the default model. */
export const OLDEST_MODELLED_VERSION = '1.18.0';
export const NEWEST_MODELLED_VERSION = '1.31.4';
/**
 * Modelled when there is no local nginx and no --nginx-version: the current stable line (1.30.x, 2026), at the
 * release whose source the table was read from. Mainline (1.31.x, the official Docker image) differs only in
 * alert log levels (see ERROR_LEVEL_ROWS, 1.31.0).
 */
export const DEFAULT_MODELLED_VERSION = '1.30.4';

/** `NGX_SSL_DEFAULT_PROTOCOLS` (src/event/ngx_event_openssl.h): what `*_ssl_protocols` merge to. */
export const DEFAULT_PROTOCOL_ROWS: readonly BehaviourRow<readonly TlsProtocolName[]>[] = [
  { since: '0.0.0', value: ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2'], source: 'ngx_event_openssl.h NGX_SSL_DEFAULT_PROTOCOLS before 1.9.1' },
  { since: '1.9.1', value: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], source: 'CHANGES 1.9.1: "SSLv3 protocol is disabled by default"' },
  {
    since: '1.23.4',
    value: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'],
    source: 'CHANGES 1.23.4: "now TLSv1.3 protocol is enabled by default" (TLSv1/1.1 stay listed; OpenSSL 3 refuses them at level >= 1)',
  },
  { since: '1.27.3', value: ['TLSv1.2', 'TLSv1.3'], source: 'CHANGES 1.27.3: "now TLSv1 and TLSv1.1 protocols are disabled by default" (nginx/nginx PR #252)' },
];

/**
 * Before 1.19.1 ngx_ssl_trusted_certificate() set no verify callback on upstream contexts (SSL_VERIFY_NONE, no
 * callback): OpenSSL's null callback returns the `ok` it is given, so X509_verify_cert() stops at the first error
 * and SSL_get_verify_result() holds it. Since 1.19.1 ngx_ssl_verify_callback() returns 1 for every error: OpenSSL
 * carries on and the result is the last error reported.
 */
export const VERIFY_RESULT_ROWS: readonly BehaviourRow<VerifyResultRule>[] = [
  { since: '0.0.0', value: 'first-error', source: 'ngx_event_openssl.c 1.18.0: ngx_ssl_trusted_certificate() calls only SSL_CTX_set_verify_depth()' },
  {
    since: '1.19.1',
    value: 'last-error',
    source: 'nginx commit 2d4f04bba "SSL: added verify callback to ngx_ssl_trusted_certificate()" (1.19.1)',
  },
];

/**
 * ngx_ssl_connection_error() (src/event/ngx_event_openssl.c): for SSL_ERROR_SSL it reads the reason of one queued
 * error and logs at `c->log_error` (NGX_ERROR_ERR for upstream connections: `[error]`) when the reason is in its
 * "handshake failures" list, else at `[crit]`. Each row adds (or, for `alerts`, widens) that list.
 */
export interface ErrorLevelChange {
  /** libssl reason codes (ERR_GET_REASON) added to the list. */
  add?: readonly number[];
  /** Received alerts (reason 1000 + N) at `[error]`: the listed ones only, or every N in 0..255. */
  alerts?: 'listed' | 'all';
  /** Which queued error is looked at: ERR_peek_error() (oldest) or ERR_peek_last_error() (newest). */
  peek?: 'first' | 'last';
}

/** Alerts listed one by one before 1.31.0 (SSL_R_SSLV3_ALERT_* / SSL_R_TLSV1_ALERT_*, reason 1000 + alert). */
const LISTED_ALERTS = [1000, 1010, 1020, 1021, 1022, 1030, 1040, 1041, 1042, 1043, 1044, 1045, 1046, 1047, 1048, 1049, 1050, 1051, 1060, 1070, 1071, 1080, 1090, 1100];

export const ERROR_LEVEL_ROWS: readonly BehaviourRow<ErrorLevelChange>[] = [
  {
    since: '0.0.0',
    value: {
      add: [101, 103, 118, 129, 149, 151, 152, 155, 156, 159, 183, 187, 193, 213, 226, 227, 234, 244, 245, 246, 252, 258, 267, 281, 335, 336, 337, 338, 345, 373, 377, 396, ...LISTED_ALERTS],
      alerts: 'listed',
      peek: 'first',
    },
    source: 'ngx_ssl_connection_error() of 1.18.0 compiled against OpenSSL 3.0 (ERR_peek_error())',
  },
  {
    // In 1.24.0's list and not in 1.18.0's; no CHANGES entry names them, and there is no archive in between to pin
    // the release: placed at the first mainline after 1.18. Also ERR_peek_last_error() (the newest queued error).
    since: '1.19.0',
    value: { add: [115, 235, 300, 339], peek: 'last' },
    source: 'ngx_event_openssl.c: present in 1.24.0, absent in 1.18.0 (SSL_R_BAD_PACKET_LENGTH, NO_APPLICATION_PROTOCOL, SSL3_SESSION_ID_TOO_LONG, NO_RENEGOTIATION)',
  },
  { since: '1.23.0', value: { add: [291] }, source: 'CHANGES 1.23.0: "application data after close notify" lowered from crit' },
  { since: '1.23.1', value: { add: [108, 110, 186, 306] }, source: 'CHANGES 1.23.1: "bad key share", "bad extension", "bad cipher", "bad ecpoint" lowered from crit' },
  { since: '1.23.2', value: { add: [443] }, source: 'CHANGES 1.23.2: "bad record type" lowered from crit' },
  {
    since: '1.23.4',
    value: { add: [146, 160, 292, 376, 111, 112, 150, 271, 122, 293, 133, 145, 198, 409, 298, 154] },
    source: 'CHANGES 1.23.4: "data length too long", "length too short", "bad legacy version", ... "got a fin before a ccs" lowered from crit',
  },
  { since: '1.29.5', value: { add: [1121] }, source: 'CHANGES 1.29.5: "ech_required" lowered from crit' },
  {
    since: '1.31.0',
    value: { add: [205], alerts: 'all' },
    source: 'nginx commits 06c9d63fc, aa09c1999, ff8221b4d; CHANGES 1.31.0: "invalid alert", "record layer failure" (OpenSSL >= 3.2 only) and "SSL alert number N" for any N lowered from crit',
  },
];

/** proxy_http_version's default; keepalive to upstreams by default. */
export interface UpstreamHttpDefaults {
  proxyHttpVersion: '1.0' | '1.1';
  /** `keepalive` in upstream blocks enabled by default; proxy no longer sends `Connection: close`. */
  keepaliveByDefault: boolean;
}

export const UPSTREAM_HTTP_ROWS: readonly BehaviourRow<UpstreamHttpDefaults>[] = [
  { since: '0.0.0', value: { proxyHttpVersion: '1.0', keepaliveByDefault: false }, source: 'ngx_http_proxy_module docs: proxy_http_version 1.0 by default' },
  {
    since: '1.29.7',
    value: { proxyHttpVersion: '1.1', keepaliveByDefault: true },
    source: 'nginx commit 6bb27a631; CHANGES 1.29.7: "the default value for proxy_http_version is 1.1", "keepalive ... enabled by default"',
  },
];

/** ALPN nginx offers to TLS upstreams. */
export interface UpstreamAlpn {
  /** http proxy: `h2` with `proxy_http_version 2` (ngx_http_proxy_v2_module sets u->ssl_alpn_protocol), else none. */
  httpProxy: 'none' | 'h2-with-proxy_http_version-2';
  /** stream proxy: the `proxy_ssl_alpn` directive exists. */
  streamProxySslAlpn: boolean;
}

export const UPSTREAM_ALPN_ROWS: readonly BehaviourRow<UpstreamAlpn>[] = [
  { since: '0.0.0', value: { httpProxy: 'none', streamProxySslAlpn: false }, source: 'no SSL_set_alpn_protos() on upstream connections' },
  {
    since: '1.29.4',
    value: { httpProxy: 'h2-with-proxy_http_version-2', streamProxySslAlpn: false },
    source: 'nginx commits b8492d9c2, 9bf758ea4; CHANGES 1.29.4: "the ngx_http_proxy_module supports HTTP/2" (ngx_http_upstream_ssl_init_connection: SSL_set_alpn_protos)',
  },
  { since: '1.31.0', value: { httpProxy: 'h2-with-proxy_http_version-2', streamProxySslAlpn: true }, source: 'CHANGES 1.31.0: "the proxy_ssl_alpn directive in the stream module"' },
];

/**
 * Plain text from an SSL backend before the handshake started (CVE-2026-1642): ngx_http_upstream_process_header()
 * logs `[error] upstream prematurely sent response` when `u->ssl && c->ssl == NULL`. It matters only when the
 * upstream speaks first (an SSH or SMTP banner at accept) and its bytes beat nginx's ClientHello — a race; an
 * upstream that answers the ClientHello in plain text is "wrong version number" in every version, which is what
 * tlsdoctor predicts. Fixed in stable 1.28.2 and mainline 1.29.5 (distributions backport it: Debian 12's 1.22.1
 * has it, measured), hence the 1.29.0 row.
 */
export const PLAIN_TEXT_DETECTION_ROWS: readonly BehaviourRow<boolean>[] = [
  { since: '0.0.0', value: false, source: 'before the CVE-2026-1642 fix' },
  { since: '1.28.2', value: true, source: 'CHANGES 1.28.2 (CVE-2026-1642), the stable backport' },
  { since: '1.29.0', value: false, source: 'mainline 1.29.0-1.29.4 predate the fix' },
  { since: '1.29.5', value: true, source: 'nginx commit a59f5f099; CHANGES 1.29.5 (CVE-2026-1642)' },
];

/**
 * SSL_OP_IGNORE_UNEXPECTED_EOF on every context (ngx_ssl_create). Without it OpenSSL 3.0 turns a peer's FIN in the
 * middle of the handshake into SSL_ERROR_SSL "unexpected eof while reading" (reason 294), which
 * ngx_ssl_connection_error() logs at `[crit]`; with it the FIN is SSL_ERROR_SYSCALL without a queued error, and
 * ngx_ssl_handshake() logs "peer closed connection in SSL handshake" at `[error]` (measured on 1.18.0 and 1.22.1).
 */
export const IGNORE_UNEXPECTED_EOF_ROWS: readonly BehaviourRow<boolean>[] = [
  { since: '0.0.0', value: false, source: 'ngx_event_openssl.c 1.18.0: no SSL_OP_IGNORE_UNEXPECTED_EOF' },
  {
    since: '1.21.2',
    value: true,
    source: 'CHANGES 1.21.2: "OpenSSL 3.0 compatibility" (ngx_ssl_create: SSL_CTX_set_options(SSL_OP_IGNORE_UNEXPECTED_EOF); in 1.24.0, not in 1.18.0)',
  },
];

/** Everything version-dependent, for one version. */
export interface NginxBehaviour {
  version: string;
  defaultProtocols: readonly TlsProtocolName[];
  verifyResult: VerifyResultRule;
  /** libssl reasons ngx_ssl_connection_error() logs at `[error]` for upstreams (alerts included as 1000 + N). */
  errorLevelReasons: ReadonlySet<number>;
  errorLevelAllAlerts: boolean;
  peekError: 'first' | 'last';
  upstreamHttp: UpstreamHttpDefaults;
  upstreamAlpn: UpstreamAlpn;
  plainTextDetection: boolean;
  ignoresUnexpectedEof: boolean;
}

function rowsUpTo<T>(rows: readonly BehaviourRow<T>[], v: NginxVersion): BehaviourRow<T>[] {
  return rows.filter((r) => compareVersions(parseNginxVersion(r.since), v) <= 0);
}

/** The value of the last row at or before `v`. */
export function valueAt<T>(rows: readonly BehaviourRow<T>[], v: NginxVersion): T {
  const upTo = rowsUpTo(rows, v);
  return upTo[upTo.length - 1].value;
}

const cache = new Map<string, NginxBehaviour>();

/** nginx's behaviour at `version` (throws NginxVersionError for text that is not a version). */
export function behaviourOf(version: string): NginxBehaviour {
  const hit = cache.get(version);
  if (hit) return hit;
  const v = parseNginxVersion(version);
  const reasons = new Set<number>();
  let allAlerts = false;
  let peek: 'first' | 'last' = 'first';
  for (const row of rowsUpTo(ERROR_LEVEL_ROWS, v)) {
    for (const r of row.value.add ?? []) reasons.add(r);
    if (row.value.alerts) allAlerts = row.value.alerts === 'all';
    if (row.value.peek) peek = row.value.peek;
  }
  const b: NginxBehaviour = {
    version,
    defaultProtocols: valueAt(DEFAULT_PROTOCOL_ROWS, v),
    verifyResult: valueAt(VERIFY_RESULT_ROWS, v),
    errorLevelReasons: reasons,
    errorLevelAllAlerts: allAlerts,
    peekError: peek,
    upstreamHttp: valueAt(UPSTREAM_HTTP_ROWS, v),
    upstreamAlpn: valueAt(UPSTREAM_ALPN_ROWS, v),
    plainTextDetection: valueAt(PLAIN_TEXT_DETECTION_ROWS, v),
    ignoresUnexpectedEof: valueAt(IGNORE_UNEXPECTED_EOF_ROWS, v),
  };
  cache.set(version, b);
  return b;
}

/** The level ngx_ssl_connection_error() logs an SSL_ERROR_SSL at on an upstream connection, by libssl reason. */
export function sslErrorLevel(b: NginxBehaviour, reasonCode: number): 'error' | 'crit' {
  if (b.errorLevelReasons.has(reasonCode)) return 'error';
  if (b.errorLevelAllAlerts && reasonCode >= 1000 && reasonCode <= 1255) return 'error';
  return 'crit';
}

/** Where a version stands against the table: inside the range read from source, older, or newer. */
export type VersionCoverage = 'modelled' | 'older' | 'newer';

export function coverageOf(version: string): VersionCoverage {
  const v = parseNginxVersion(version);
  if (compareVersions(v, parseNginxVersion(OLDEST_MODELLED_VERSION)) < 0) return 'older';
  // Any 1.31.x is modelled: the table was read at 1.31.4 and patch releases of a line keep its behaviour.
  const newest = parseNginxVersion(NEWEST_MODELLED_VERSION);
  if (v[0] > newest[0] || (v[0] === newest[0] && v[1] > newest[1])) return 'newer';
  return 'modelled';
}

/**
 * A warning for a version outside the table, or null. A newer version is modelled as the newest known (the
 * table's last rows hold), an older one with the table's oldest rows plus the protocol history.
 */
export function coverageWarning(version: string): string | null {
  switch (coverageOf(version)) {
    case 'modelled':
      return null;
    case 'newer':
      return `nginx ${version} is newer than the newest version tlsdoctor models (${NEWEST_MODELLED_VERSION}): predicting as ${NEWEST_MODELLED_VERSION}; check the log line against your nginx`;
    case 'older':
      return `nginx ${version} is older than the oldest version tlsdoctor models (${OLDEST_MODELLED_VERSION}): log levels are ${OLDEST_MODELLED_VERSION}'s, protocol defaults follow nginx's history; check the log line against your nginx`;
  }
}
