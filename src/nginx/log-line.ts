/**
 * Splits an nginx error-log line into its parts, as `ngx_log_error_core` (src/core/ngx_log.c) and the http/stream
 * log handlers write them:
 *
 *   2026/11/22 16:35:08 [error] 1234#1234: *5 MESSAGE[ (ERRNO: TEXT)][ while ACTION], client: ..., server: ...,
 *   request: "...", upstream: "https://127.0.0.1:8443/", host: "localhost"
 *
 * also the `nginx: [emerg] MESSAGE[ in FILE:LINE]` form `nginx -t` prints on stderr, and OpenSSL's error queue as
 * `ngx_ssl_error` appends it: ` (SSL: error:0A00010B:SSL routines::wrong version number[:DATA] error:...)`.
 */

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

export interface ErrorLogContext {
  client?: string;
  server?: string;
  request?: string;
  subrequest?: string;
  upstream?: string;
  host?: string;
  referrer?: string;
}

export interface ErrorLogLine {
  raw: string;
  /** `2026-11-22T16:35:08`: nginx's local time, no zone (the log has none). Null for the stderr form. */
  time: string | null;
  level: LogLevel | null;
  pid?: number;
  tid?: number;
  /** Connection number (`*5`). */
  connection?: number;
  /** The message without the errno, the `while` action and the request context. */
  message: string;
  /** `(111: Connection refused)` appended by nginx for a system error. */
  errno?: { code: number; text: string };
  /** `SSL handshaking to upstream`, `connecting to upstream`, `reading response header from upstream`... */
  action?: string;
  context: ErrorLogContext;
  /** ` in /etc/nginx/nginx.conf:12` of a configuration error. */
  configLocation?: { file: string; line: number };
}

export interface OpensslQueuedError {
  /** Packed code in hex as printed (`0A00010B`). */
  hex: string;
  /** `SSL routines`, `x509 certificate routines`, ... */
  library: string;
  /** Function name (empty with OpenSSL 3). */
  func: string;
  reason: string;
  /** Extra data after the reason (`SSL alert number 70`, `calling fopen(...)`). */
  data?: string;
  /** Alert number when data is `SSL alert number N`. */
  alert?: number;
}

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg']);

const HEAD = /^(?:(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) |nginx: )\[([a-z]+)\] (?:(\d+)#(\d+): )?(?:\*(\d+) )?/;

const CONTEXT_KEYS = ['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer'] as const;
const CONTEXT_ITEM = /, (client|server|request|subrequest|upstream|host|referrer): ("(?:[^"\\]|\\.)*"|[^,]*)/g;

/** Parses one line; null when it is not an nginx error-log line. */
export function parseErrorLogLine(line: string): ErrorLogLine | null {
  const raw = line.replace(/\r?\n?$/, '');
  const head = HEAD.exec(raw);
  if (!head) return null;
  const level = head[7];
  if (!LEVELS.has(level)) return null;

  let rest = raw.slice(head[0].length);

  const context: ErrorLogContext = {};
  const ctxStart = rest.indexOf(', client: ');
  if (ctxStart >= 0) {
    const ctxText = rest.slice(ctxStart);
    rest = rest.slice(0, ctxStart);
    for (const m of ctxText.matchAll(CONTEXT_ITEM)) {
      const key = m[1] as (typeof CONTEXT_KEYS)[number];
      let value = m[2];
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      if (context[key] === undefined) context[key] = value;
    }
  }

  let configLocation: ErrorLogLine['configLocation'];
  // ` in FILE:LINE` at the very end (ngx_conf_log_error). FILE has no space, so only the last ` in ` can start it.
  // Not one regex: `[^ ]+\.conf[^ ]*:(\d+)$` backtracks polynomially on a long word of `.conf:1` repeats
  // (3.7 s for 110 kB), and a log line is input we did not write.
  const inAt = rest.lastIndexOf(' in ');
  const inFile = inAt >= 0 ? /^([^ ]+):(\d+)$/.exec(rest.slice(inAt + 4)) : null;
  if (inFile && (inFile[1].startsWith('/') || inFile[1].indexOf('.conf', 1) >= 0)) {
    configLocation = { file: inFile[1], line: Number(inFile[2]) };
    rest = rest.slice(0, inAt);
  }

  let action: string | undefined;
  const whileAt = rest.lastIndexOf(' while ');
  if (whileAt >= 0) {
    action = rest.slice(whileAt + ' while '.length);
    rest = rest.slice(0, whileAt);
  }

  let errno: ErrorLogLine['errno'];
  const errnoMatch = / \((\d+): ([^()]*)\)$/.exec(rest);
  if (errnoMatch) {
    errno = { code: Number(errnoMatch[1]), text: errnoMatch[2] };
    rest = rest.slice(0, errnoMatch.index);
  }

  const time = head[1] ? `${head[1]}-${head[2]}-${head[3]}T${head[4]}:${head[5]}:${head[6]}` : null;

  return {
    raw,
    time,
    level: level as LogLevel,
    ...(head[8] ? { pid: Number(head[8]), tid: Number(head[9]) } : {}),
    ...(head[10] ? { connection: Number(head[10]) } : {}),
    message: rest,
    ...(errno ? { errno } : {}),
    ...(action !== undefined ? { action } : {}),
    context,
    ...(configLocation ? { configLocation } : {}),
  };
}

/**
 * How the messages of nginx's upstream TLS failures begin (ngx_ssl_handshake, ngx_http_upstream_ssl_handshake,
 * ngx_event_connect_peer, ngx_http_upstream_next, ngx_ssl_trusted_certificate): what is left of a line pasted from an
 * alert or a chat once the timestamp, level and pid are cut off.
 */
const MESSAGE_STARTS = [
  'upstream SSL certificate verify error',
  'upstream SSL certificate does not match',
  'SSL_do_handshake() failed',
  'SSL_read() failed',
  'SSL_write() failed',
  'SSL_shutdown() failed',
  'peer closed connection in SSL handshake',
  'connect() failed',
  'connect() to ',
  'upstream timed out',
  'upstream prematurely closed connection',
  'upstream sent no valid HTTP/1.0 header',
  'no live upstreams',
  'SSL_CTX_load_verify_locations(',
  'no "proxy_ssl_trusted_certificate"',
  'no "grpc_ssl_trusted_certificate"',
  'no "uwsgi_ssl_trusted_certificate"',
  'cannot load certificate',
  'cannot load certificate key',
  'upstream server temporarily disabled',
];

/** `[level] ` anywhere, with the date before it when there is one (`nginx-1  | 2026/11/22 16:35:08 [error] ...`). */
const LEVEL_MARK = /(?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}) )?\[(debug|info|notice|warn|error|crit|alert|emerg)\] /;

/**
 * A line as people paste it (issue 14): a whole error-log line, one with something in front of it (a container
 * log prefix, a syslog header, the indentation of `tlsdoctor probe`'s own `[error] ...` line), the `[level] message`
 * form without timestamp and pid, or the bare message. The bare message has no level (null): nginx's level for it
 * depends on the version and the error, and guessing one would make the explanation claim what was not pasted.
 * Only the first non-empty line counts.
 */
export function parseErrorLogFragment(text: string): ErrorLogLine | null {
  const line = (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').trim().replace(/^["'`]+|["'`]+$/g, '');
  const whole = parseErrorLogLine(line);
  if (whole) return whole;
  const m = LEVEL_MARK.exec(line);
  if (m) {
    const rest = line.slice(m.index + m[0].length);
    const parsed = parseErrorLogLine(`${m[1] ?? 'nginx:'} [${m[2]}] ${rest}`);
    if (parsed) return { ...parsed, raw: line };
  }
  let start = -1;
  for (const s of MESSAGE_STARTS) {
    const i = line.indexOf(s);
    if (i >= 0 && (start < 0 || i < start)) start = i;
  }
  if (start < 0) return null;
  const parsed = parseErrorLogLine(`nginx: [error] ${line.slice(start)}`);
  return parsed ? { ...parsed, raw: line, level: null } : null;
}

const QUEUED = /error:([0-9A-Fa-f]+):([^:]*):([^:]*):([^:]*?)(?::(.*?))?(?= error:[0-9A-Fa-f]+:|$)/g;

/**
 * The OpenSSL errors inside `(SSL: ...)`, in the order nginx printed them (oldest first). Works for OpenSSL 3
 * (`error:0A00010B:SSL routines::wrong version number`) and 1.1 (`error:1408F10B:SSL routines:ssl3_get_record:...`).
 */
export function parseOpensslQueue(text: string): OpensslQueuedError[] {
  const out: OpensslQueuedError[] = [];
  for (const m of text.trim().matchAll(QUEUED)) {
    const data = m[5]?.trim();
    const alert = data ? /SSL alert number (\d+)/.exec(data) : null;
    out.push({
      hex: m[1].toUpperCase(),
      library: m[2],
      func: m[3],
      reason: m[4].trim(),
      ...(data ? { data } : {}),
      ...(alert ? { alert: Number(alert[1]) } : {}),
    });
  }
  return out;
}

export interface UpstreamAddress {
  /** `https`, `grpcs`, ... or null for stream (no scheme). */
  scheme: string | null;
  /** Host as the probe wants it (IPv6 without brackets), or `unix:/path`. */
  host: string;
  port: number | null;
  /** `host:port` as nginx printed it (IPv6 in brackets). */
  address: string;
  uri: string;
}

/** The peer in `upstream: "https://127.0.0.1:8443/path"` (http) or `upstream: "127.0.0.1:8443"` (stream). */
export function parseUpstreamField(value: string): UpstreamAddress | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  const scheme = m ? m[1].toLowerCase() : null;
  let rest = m ? value.slice(m[0].length) : value;
  if (rest.startsWith('unix:')) {
    const colon = rest.indexOf(':', 5);
    const path = colon >= 0 ? rest.slice(5, colon) : rest.slice(5);
    return { scheme, host: 'unix:' + path, port: null, address: 'unix:' + path, uri: colon >= 0 ? rest.slice(colon + 1) : '' };
  }
  let host: string;
  let bracketed = false;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return null;
    host = rest.slice(1, close);
    bracketed = true;
    rest = rest.slice(close + 1);
  } else {
    const hm = /^[^:/?]*/.exec(rest)!;
    host = hm[0];
    rest = rest.slice(host.length);
  }
  if (host === '') return null;
  let port: number | null = null;
  const pm = /^:(\d+)/.exec(rest);
  if (pm) {
    port = Number(pm[1]);
    rest = rest.slice(pm[0].length);
  }
  const shown = bracketed ? `[${host}]` : host;
  return { scheme, host, port, address: port === null ? shown : `${shown}:${port}`, uri: rest };
}
