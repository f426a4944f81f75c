/**
 * `tlsdoctor explain`: recognise nginx's upstream TLS error-log lines (NGINX.md, "What nginx logs, by cause"),
 * rank their likely causes as finding codes, and name the `tlsdoctor probe` command that pinpoints the real one.
 * Data only; English is in src/report/explain-text.ts.
 */
import type { FindingCode } from '../diagnosis/codes.js';
import type { UpstreamTls } from './effective-settings.js';
import type { LintCode } from './lints.js';
import {
  parseErrorLogFragment,
  parseErrorLogLine,
  parseOpensslQueue,
  parseUpstreamField,
  type ErrorLogLine,
  type LogLevel,
  type OpensslQueuedError,
  type UpstreamAddress,
} from './log-line.js';
import { isIpv4Literal } from './upstream-address.js';
import { alertCauses, reasonCauses } from './handshake-causes.js';

/** What the line says happened. Stable codes: never renamed. */
export type LogEventKind =
  /** `upstream SSL certificate verify error: (N:text)` */
  | 'VERIFY_ERROR'
  /** `upstream SSL certificate does not match "NAME"` */
  | 'NAME_MISMATCH'
  /** `SSL_do_handshake() failed (... wrong version number)`: the peer does not speak TLS. */
  | 'NOT_TLS'
  /** Alert 70 / `unsupported protocol` / `legacy sigalg disallowed` / `no protocols available`. */
  | 'PROTOCOL_VERSION'
  /** Alert 40 (handshake failure) during the handshake. */
  | 'HANDSHAKE_FAILURE_ALERT'
  /** Alert 116 (TLS 1.3 certificate required), seen on the first read. */
  | 'CERTIFICATE_REQUIRED_ALERT'
  /** Alerts 42-46, 48, 49: the upstream rejected the client certificate nginx sent. */
  | 'CLIENT_CERT_REJECTED_ALERT'
  /** Alert 112: the upstream wants a server name (SNI) it knows. */
  | 'UNRECOGNIZED_NAME_ALERT'
  /** Any other alert from the upstream. */
  | 'TLS_ALERT'
  /** Any other OpenSSL failure of SSL_do_handshake / SSL_read / SSL_write. */
  | 'SSL_ERROR'
  /** `peer closed connection in SSL handshake` */
  | 'PEER_CLOSED'
  /** `connect() failed (111: Connection refused)` */
  | 'CONNECTION_REFUSED'
  /** `connect() failed` with another errno (no route, network unreachable...). */
  | 'CONNECT_FAILED'
  /** `upstream timed out (110: ...) while connecting to upstream` or `... while SSL handshaking to upstream` */
  | 'TIMEOUT'
  /** `[emerg] host not found in upstream "NAME:PORT"` at start-up, or `NAME could not be resolved` with a resolver. */
  | 'HOST_NOT_FOUND'
  /** `[emerg] no proxy_ssl_trusted_certificate for proxy_ssl_verify` */
  | 'NO_TRUSTED_CERTIFICATE'
  /** `[emerg] SSL_CTX_load_verify_locations("FILE") failed (...)` */
  | 'TRUSTED_FILE_LOAD_FAILED'
  /**
   * After the handshake, no HTTP status line: `upstream prematurely closed connection` (502) or `upstream sent no
   * valid HTTP/1.0 header` (the bytes passed on as HTTP/0.9, 200), while reading response header from upstream.
   */
  | 'NO_HTTP_RESPONSE';

/** The finding and lint codes a log line can point to (a subset of the catalogues, checked by `Extract`). */
export type ExplainCause = Extract<
  FindingCode | LintCode,
  | 'CONNECTION_REFUSED'
  | 'TIMEOUT'
  | 'DNS_FAILURE'
  | 'NOT_TLS'
  | 'PROTOCOL_MISMATCH'
  | 'HANDSHAKE_FAILED'
  | 'CLIENT_CERT_REQUIRED'
  | 'CLIENT_CERT_REJECTED'
  | 'SELF_SIGNED_LEAF'
  | 'UNTRUSTED_ROOT'
  | 'MISSING_INTERMEDIATE'
  | 'UNKNOWN_CA'
  | 'PARTIAL_CHAIN_BUNDLE'
  | 'PINNED_LEAF'
  | 'CHAIN_TOO_DEEP'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'WEAK_SIGNATURE'
  | 'WEAK_KEY'
  | 'BAD_PURPOSE'
  | 'INVALID_CA'
  | 'NAME_CONSTRAINT_VIOLATION'
  | 'BAD_SIGNATURE'
  | 'VERIFY_ERROR'
  | 'NAME_MISMATCH'
  | 'SNI_REQUIRED'
  | 'CIPHER_MISMATCH'
  | 'WEAK_EPHEMERAL_KEY'
  | 'CERT_LIST_TOO_LARGE'
  | 'NO_HTTP_RESPONSE'
  | 'VERIFY_WITHOUT_TRUSTED_FILE'
  | 'CLIENT_SIDE_TRUSTED_CERT'
  | 'TRUSTED_FILE_MISSING'
  | 'TRUSTED_FILE_EMPTY'
>;

export interface ProbeCommand {
  argv: string[];
  /** The same, quoted for a POSIX shell. */
  command: string;
  /** The configuration entry the settings come from, when one matched. */
  from: { id: string; file: string; line: number; location: string | null } | null;
}

export interface Explanation {
  kind: LogEventKind;
  /** `kind` plus the detail that separates otherwise equal lines (verify code, reason, alert): the grouping key. */
  signature: string;
  line: ErrorLogLine;
  upstream: UpstreamAddress | null;
  verifyError?: { code: number; text: string };
  /** The name nginx checked (`does not match "NAME"`). */
  name?: string;
  /** What kind of name that is: an IP literal and a single label (an upstream block's name) cannot match a DNS SAN. */
  nameKind?: 'ipv4' | 'ipv6' | 'single-label' | 'dns';
  /** `SSL_do_handshake`, `SSL_read`, ... and the OpenSSL errors it reported. */
  ssl?: { call: string; errors: OpensslQueuedError[]; reason: string; alert?: number };
  /** File named in a start-up error. */
  file?: string;
  /** The upstream host (`host[:port]`) nginx could not resolve. */
  unresolvedHost?: string;
  /** What the client got: 502, 504, or null for a start-up error. */
  /** What clients get: nginx's 502/504, or 200 when nginx passes a non-HTTP answer on as HTTP/0.9. */
  status: 200 | 502 | 504 | null;
  /** Most likely first. */
  causes: ExplainCause[];
  probe: ProbeCommand[];
}

export interface SettingsQuery {
  host: string | null;
  port: number | null;
  /** The name nginx checked, when the line says it. */
  name: string | null;
  /** The request's path (`request: "GET /api/x?y HTTP/1.1"` → `/api/x`), to pick the location that served it. */
  path: string | null;
}

/** Finds the configuration entries a log line is about. */
export type SettingsLookup = (q: SettingsQuery) => UpstreamTls[];

export interface ExplainOptions {
  settings?: SettingsLookup;
  /** Passed on to the probe command (`--nginx-version`). */
  nginxVersion?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Cause tables

/** OpenSSL verify codes (X509_V_ERR_*) as nginx logs them, to ranked causes (NGINX.md table). */
const VERIFY_CAUSES: Record<number, ExplainCause[]> = {
  // Leaf sent alone: the intermediate is missing, or the leaf is from a CA the bundle does not hold.
  21: ['MISSING_INTERMEDIATE', 'UNKNOWN_CA'],
  // A chain was sent whose top nothing in the bundle issued; also a chain longer than proxy_ssl_verify_depth,
  // and a leaf pinned in the bundle (not self-signed, so not an anchor).
  20: ['UNKNOWN_CA', 'MISSING_INTERMEDIATE', 'CHAIN_TOO_DEEP', 'PINNED_LEAF'],
  // The bundle holds an intermediate without its root (no partial chains), or the chain is too deep.
  2: ['PARTIAL_CHAIN_BUNDLE', 'CHAIN_TOO_DEEP'],
  19: ['UNTRUSTED_ROOT'],
  18: ['SELF_SIGNED_LEAF'],
  10: ['EXPIRED'],
  9: ['NOT_YET_VALID'],
  26: ['BAD_PURPOSE'],
  68: ['WEAK_SIGNATURE'],
  66: ['WEAK_KEY'],
  67: ['WEAK_KEY'],
  22: ['CHAIN_TOO_DEEP'],
  7: ['BAD_SIGNATURE'],
  6: ['BAD_SIGNATURE'],
  4: ['BAD_SIGNATURE'],
  24: ['INVALID_CA'],
  25: ['INVALID_CA'],
  41: ['INVALID_CA'],
  79: ['INVALID_CA'],
  47: ['NAME_CONSTRAINT_VIOLATION'],
  48: ['NAME_CONSTRAINT_VIOLATION'],
  49: ['NAME_CONSTRAINT_VIOLATION'],
  50: ['NAME_CONSTRAINT_VIOLATION'],
  51: ['NAME_CONSTRAINT_VIOLATION'],
  52: ['NAME_CONSTRAINT_VIOLATION'],
  53: ['NAME_CONSTRAINT_VIOLATION'],
  54: ['NAME_CONSTRAINT_VIOLATION'],
  62: ['NAME_MISMATCH'],
};

/** Alerts received from the upstream, to a kind and causes: the catalogue the probe shares (handshake-causes.ts). */
function alertKind(alert: number, action: string | undefined): { kind: LogEventKind; causes: ExplainCause[] } {
  return alertCauses(alert, action === undefined || action.includes('handshaking')) as { kind: LogEventKind; causes: ExplainCause[] };
}

function nameKindOf(name: string): Explanation['nameKind'] {
  if (name.startsWith('[')) return 'ipv6';
  if (isIpv4Literal(name)) return 'ipv4';
  if (!name.includes('.')) return 'single-label';
  return 'dns';
}

/** Actions during which an upstream failure is about connecting or TLS (others are the application's business). */
function isConnectOrHandshake(action: string | undefined): boolean {
  return action === 'connecting to upstream' || action === 'SSL handshaking to upstream';
}

// ---------------------------------------------------------------------------------------------------------------

interface Recognised {
  kind: LogEventKind;
  signature: string;
  causes: ExplainCause[];
  /** What clients get: nginx's 502/504, or 200 when nginx passes a non-HTTP answer on as HTTP/0.9. */
  status: 200 | 502 | 504 | null;
  extra: Partial<Pick<Explanation, 'verifyError' | 'name' | 'nameKind' | 'ssl' | 'file' | 'unresolvedHost'>>;
}

function recognise(l: ErrorLogLine): Recognised | null {
  const msg = l.message;

  let m = /^upstream SSL certificate verify error: \((\d+):(.*)\)$/.exec(msg);
  if (m) {
    const code = Number(m[1]);
    return {
      kind: 'VERIFY_ERROR',
      signature: `VERIFY_ERROR:${code}`,
      causes: VERIFY_CAUSES[code] ?? ['VERIFY_ERROR'],
      status: 502,
      extra: { verifyError: { code, text: m[2] } },
    };
  }

  m = /^upstream SSL certificate does not match "(.*)"$/.exec(msg);
  if (m) {
    const name = m[1];
    const nameKind = nameKindOf(name);
    return {
      kind: 'NAME_MISMATCH',
      signature: `NAME_MISMATCH:${name}`,
      // A DNS name may fail only because no SNI was sent and the server presented its default certificate.
      causes: nameKind === 'dns' ? ['NAME_MISMATCH', 'SNI_REQUIRED'] : ['NAME_MISMATCH'],
      status: 502,
      extra: { name, nameKind },
    };
  }

  // Only failures on the way to an upstream: the same messages "while SSL handshaking" (no "to upstream") are a
  // client's handshake with this nginx, logged at [info].
  const towardsUpstream = l.action !== undefined && l.action.includes('upstream');

  m = /^(SSL_[A-Za-z_]+)\(\) failed \(SSL:(.*)\)$/.exec(msg);
  if (m && towardsUpstream) {
    const errors = parseOpensslQueue(m[2]);
    const withAlert = errors.find((e) => e.alert !== undefined);
    const known = errors.find((e) => reasonCauses(e.reason) !== undefined);
    const primary = withAlert ?? known ?? errors[0];
    const ssl = {
      call: m[1],
      errors,
      reason: primary?.reason ?? m[2].trim(),
      ...(withAlert?.alert !== undefined ? { alert: withAlert.alert } : {}),
    };
    if (withAlert?.alert !== undefined) {
      const a = alertKind(withAlert.alert, l.action);
      return { kind: a.kind, signature: `${a.kind}:${withAlert.alert}`, causes: a.causes, status: 502, extra: { ssl } };
    }
    if (known) {
      const r = reasonCauses(known.reason) as { kind: LogEventKind; causes: ExplainCause[] };
      return { kind: r.kind, signature: `${r.kind}:${known.reason.toLowerCase()}`, causes: r.causes, status: 502, extra: { ssl } };
    }
    return { kind: 'SSL_ERROR', signature: `SSL_ERROR:${ssl.reason}`, causes: ['HANDSHAKE_FAILED'], status: 502, extra: { ssl } };
  }

  if (/^peer closed connection in SSL handshake/.test(msg) && towardsUpstream) {
    // Some servers close instead of alerting when SNI is missing or no protocol is shared.
    return {
      kind: 'PEER_CLOSED',
      signature: 'PEER_CLOSED',
      causes: ['HANDSHAKE_FAILED', 'SNI_REQUIRED', 'PROTOCOL_MISMATCH', 'NOT_TLS'],
      status: 502,
      extra: {},
    };
  }

  if (msg === 'connect() failed' && l.action === 'connecting to upstream') {
    if (l.errno?.code === 111) {
      return { kind: 'CONNECTION_REFUSED', signature: 'CONNECTION_REFUSED', causes: ['CONNECTION_REFUSED'], status: 502, extra: {} };
    }
    return { kind: 'CONNECT_FAILED', signature: `CONNECT_FAILED:${l.errno?.code ?? ''}`, causes: [], status: 502, extra: {} };
  }

  // ngx_http_upstream_process_header / ngx_http_proxy_process_status_line: the TLS handshake completed, the answer
  // to the request did not (issue 10's request after the handshake predicts the same lines: handshake-causes.ts).
  if (l.action === 'reading response header from upstream') {
    if (msg === 'upstream prematurely closed connection') {
      return { kind: 'NO_HTTP_RESPONSE', signature: 'NO_HTTP_RESPONSE:closed', causes: ['NO_HTTP_RESPONSE', 'CLIENT_CERT_REQUIRED'], status: 502, extra: {} };
    }
    if (msg === 'upstream sent no valid HTTP/1.0 header') {
      return { kind: 'NO_HTTP_RESPONSE', signature: 'NO_HTTP_RESPONSE:not-http', causes: ['NO_HTTP_RESPONSE'], status: 200, extra: {} };
    }
  }

  if (msg === 'upstream timed out' && isConnectOrHandshake(l.action)) {
    // proxy_connect_timeout bounds the TCP connect and the TLS handshake alike: 504 (NGINX.md).
    const stage = l.action === 'connecting to upstream' ? 'connect' : 'handshake';
    return {
      kind: 'TIMEOUT',
      signature: `TIMEOUT:${stage}`,
      causes: ['TIMEOUT'],
      status: 504,
      extra: {},
    };
  }

  m = /^host not found in upstream "(.*)"$/.exec(msg);
  if (m) {
    return { kind: 'HOST_NOT_FOUND', signature: `HOST_NOT_FOUND:${m[1]}`, causes: ['DNS_FAILURE'], status: null, extra: { unresolvedHost: m[1] } };
  }

  m = /^(\S+) could not be resolved$/.exec(msg);
  if (m && l.errno) {
    return { kind: 'HOST_NOT_FOUND', signature: `HOST_NOT_FOUND:${m[1]}`, causes: ['DNS_FAILURE'], status: 502, extra: { unresolvedHost: m[1] } };
  }

  m = /^no (proxy|grpc|uwsgi)_ssl_trusted_certificate for \1_ssl_verify$/.exec(msg);
  if (m) {
    return {
      kind: 'NO_TRUSTED_CERTIFICATE',
      signature: `NO_TRUSTED_CERTIFICATE:${m[1]}`,
      causes: ['VERIFY_WITHOUT_TRUSTED_FILE', 'CLIENT_SIDE_TRUSTED_CERT'],
      status: null,
      extra: {},
    };
  }

  m = /^SSL_CTX_load_verify_locations\("(.*)"\) failed \(SSL:(.*)\)$/.exec(msg);
  if (m) {
    const errors = parseOpensslQueue(m[2]);
    const reasons = errors.map((e) => `${e.reason} ${e.data ?? ''}`.toLowerCase()).join(' ');
    const missing = /no such file|fopen|permission denied|system lib/.test(reasons);
    const empty = /no certificate or crl found|no start line/.test(reasons);
    const causes: ExplainCause[] = missing ? ['TRUSTED_FILE_MISSING'] : empty ? ['TRUSTED_FILE_EMPTY'] : ['TRUSTED_FILE_EMPTY', 'TRUSTED_FILE_MISSING'];
    return {
      kind: 'TRUSTED_FILE_LOAD_FAILED',
      signature: `TRUSTED_FILE_LOAD_FAILED:${m[1]}`,
      causes,
      status: null,
      extra: { file: m[1], ssl: { call: 'SSL_CTX_load_verify_locations', errors, reason: errors[0]?.reason ?? '' } },
    };
  }

  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// The probe command

/** POSIX shell quoting: bare when safe, single quotes otherwise. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function targetOf(host: string, port: number | null): string {
  const shown = host.includes(':') && !host.startsWith('unix:') ? `[${host}]` : host;
  return port === null ? shown : `${shown}:${port}`;
}

function sameHost(a: string, b: string): boolean {
  const strip = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase();
  return strip(a) === strip(b);
}

/** Probe flags that reproduce one configuration entry's settings (issue 2's option names). */
function flagsFromEntry(e: UpstreamTls, host: string): string[] {
  const s = e.settings;
  const flags: string[] = [];
  if (e.paths.trustedCertificate !== null) flags.push('--ca', e.paths.trustedCertificate);
  if (e.verifiedName !== null && !sameHost(e.verifiedName, host)) flags.push('--proxy-ssl-name', e.verifiedName);
  if (s.serverName.value) flags.push('--proxy-ssl-server-name', 'on');
  if (s.verifyDepth.value !== 1) flags.push('--proxy-ssl-verify-depth', String(s.verifyDepth.value));
  if (s.protocols.source !== null) {
    const offered = s.protocols.value.filter((p) => p.startsWith('TLS'));
    if (offered.length > 0) flags.push('--proxy-ssl-protocols', offered.join(' '));
  }
  if (e.paths.certificate !== null && e.paths.certificateKey !== null && !e.paths.certificate.includes('$')) {
    flags.push('--proxy-ssl-certificate', e.paths.certificate, '--proxy-ssl-certificate-key', e.paths.certificateKey);
  }
  return flags;
}

function probeCommands(
  upstream: UpstreamAddress | null,
  name: string | undefined,
  path: string | null,
  opts: ExplainOptions,
): ProbeCommand[] {
  if (upstream === null || upstream.host.startsWith('unix:')) return [];
  const base = ['tlsdoctor', 'probe', targetOf(upstream.host, upstream.port)];
  const tail = opts.nginxVersion ? ['--nginx-version', opts.nginxVersion] : [];
  const make = (flags: string[], from: ProbeCommand['from']): ProbeCommand => {
    const argv = [...base, ...flags, ...tail];
    return { argv, command: argv.map(shellQuote).join(' '), from };
  };

  const entries = opts.settings?.({ host: upstream.host, port: upstream.port, name: name ?? null, path }) ?? [];
  if (entries.length === 0) {
    const flags = name !== undefined && !sameHost(name, upstream.host) ? ['--proxy-ssl-name', name] : [];
    return [make(flags, null)];
  }
  const out: ProbeCommand[] = [];
  for (const e of entries) {
    const flags = flagsFromEntry(e, upstream.host);
    // The failed name in the log is what nginx checked: it wins over a name we could not resolve statically.
    if (name !== undefined && e.verifiedName === null && !sameHost(name, upstream.host)) flags.push('--proxy-ssl-name', name);
    const cmd = make(flags, { id: e.id, file: e.file, line: e.line, location: e.location });
    if (!out.some((o) => o.command === cmd.command)) out.push(cmd);
  }
  return out;
}

function requestPath(request: string | undefined): string | null {
  const target = request?.split(' ')[1];
  if (target === undefined || !target.startsWith('/')) return null;
  return target.replace(/[?#].*$/, '');
}

/**
 * Which of these entries' locations nginx would pick for `path` (ngx_http_core_find_location): an exact `=` match,
 * else the longest prefix if it is `^~`, else the first matching regex (in configuration order), else the longest
 * prefix. Only the locations of the candidate entries are considered: the log says the request reached this peer.
 */
function byLocation(entries: UpstreamTls[], path: string): UpstreamTls[] {
  const locOf = (u: UpstreamTls) => u.blocks.filter((b) => b.name === 'location').pop();
  let exact: UpstreamTls[] = [];
  let longest: { len: number; caret: boolean; list: UpstreamTls[] } = { len: -1, caret: false, list: [] };
  const regexHits: UpstreamTls[] = [];
  for (const u of entries) {
    const loc = locOf(u);
    if (!loc) continue;
    const [op, arg] = loc.args.length > 1 ? [loc.args[0], loc.args[1]] : ['', loc.args[0] ?? ''];
    if (op === '=') {
      if (arg === path) exact.push(u);
    } else if (op === '~' || op === '~*') {
      try {
        if (new RegExp(arg, op === '~*' ? 'i' : '').test(path)) regexHits.push(u);
      } catch {
        // A PCRE construct JavaScript does not know: cannot decide, leave it out.
      }
    } else if (!arg.startsWith('@') && path.startsWith(arg)) {
      if (arg.length > longest.len) longest = { len: arg.length, caret: op === '^~', list: [u] };
      else if (arg.length === longest.len) longest.list.push(u);
    }
  }
  if (exact.length > 0) return exact;
  if (longest.caret) return longest.list;
  if (regexHits.length > 0) {
    const first = locOf(regexHits[0]);
    return regexHits.filter((u) => locOf(u) === first);
  }
  return longest.list;
}

/**
 * A lookup over computed effective settings: entries whose servers include the logged peer (host and port),
 * narrowed by the checked name when the line gives one, then by the location that serves the request path; else
 * entries whose verified name is that name.
 */
export function createSettingsLookup(upstreams: UpstreamTls[]): SettingsLookup {
  return (q) => {
    let found = q.host === null
      ? []
      : upstreams.filter((u) => u.servers.some((s) => sameHost(s.host, q.host!) && (q.port === null || s.port === q.port)));
    if (q.name !== null) {
      const named = found.filter((u) => u.verifiedName !== null && sameHost(u.verifiedName, q.name!));
      if (named.length > 0) found = named;
      if (found.length === 0) found = upstreams.filter((u) => u.verifiedName !== null && sameHost(u.verifiedName, q.name!));
    }
    if (found.length > 1 && q.path !== null) {
      const located = byLocation(found, q.path);
      if (located.length > 0) found = located;
    }
    return found;
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** Explains one error-log line; null when it is not an upstream TLS line we know. */
export function explainLogLine(line: string, opts: ExplainOptions = {}): Explanation | null {
  // One pasted line: fragments and the `[level] message` form too (log-line.ts parseErrorLogFragment).
  const parsed = parseErrorLogFragment(line);
  if (!parsed) return null;
  return explainParsedLine(parsed, opts);
}

export function explainParsedLine(parsed: ErrorLogLine, opts: ExplainOptions = {}): Explanation | null {
  return explainRecognised(parsed, opts, true);
}

function explainRecognised(parsed: ErrorLogLine, opts: ExplainOptions, withProbe: boolean): Explanation | null {
  const r = recognise(parsed);
  if (!r) return null;
  const upstream =
    parsed.context.upstream !== undefined
      ? parseUpstreamField(parsed.context.upstream)
      : r.extra.unresolvedHost !== undefined
        ? parseUpstreamField(r.extra.unresolvedHost)
        : null;
  return {
    kind: r.kind,
    signature: r.signature,
    line: parsed,
    upstream,
    ...r.extra,
    status: r.status,
    causes: r.causes,
    probe: withProbe ? probeCommands(upstream, r.extra.name, requestPath(parsed.context.request), opts) : [],
  };
}

export interface LogGroup {
  /** `host:port` of the peer, or null (start-up errors). */
  upstream: string | null;
  kind: LogEventKind;
  signature: string;
  count: number;
  /** Earliest and latest timestamps (nginx local time), null when the lines carry none. */
  firstSeen: string | null;
  lastSeen: string | null;
  levels: LogLevel[];
  /** The first line of the group, explained. */
  example: Explanation;
}

export interface LogSummary {
  groups: LogGroup[];
  /** Non-empty lines read. */
  lines: number;
  recognised: number;
  /** Lines that are not upstream TLS errors we know (skipped). */
  unknown: number;
}

/** Groups a whole error log by (upstream, what happened), with counts and first/last seen. */
export function explainLog(text: string, opts: ExplainOptions = {}): LogSummary {
  const groups = new Map<string, LogGroup>();
  let lines = 0;
  let recognised = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    lines++;
    const parsed = parseErrorLogLine(raw);
    const e = parsed ? explainRecognised(parsed, opts, false) : null;
    if (!e) continue;
    recognised++;
    const upstream = e.upstream?.address ?? null;
    const key = `${upstream ?? ''}\u0000${e.signature}`;
    const g = groups.get(key);
    const t = e.line.time;
    if (!g) {
      // Only a group's example needs the probe command (and the configuration lookup behind it).
      e.probe = probeCommands(e.upstream, e.name, requestPath(e.line.context.request), opts);
      groups.set(key, {
        upstream,
        kind: e.kind,
        signature: e.signature,
        count: 1,
        firstSeen: t,
        lastSeen: t,
        levels: e.line.level ? [e.line.level] : [],
        example: e,
      });
      continue;
    }
    g.count++;
    if (t !== null) {
      if (g.firstSeen === null || t < g.firstSeen) g.firstSeen = t;
      if (g.lastSeen === null || t > g.lastSeen) g.lastSeen = t;
    }
    if (e.line.level && !g.levels.includes(e.line.level)) g.levels.push(e.line.level);
  }
  const sorted = [...groups.values()].sort(
    (a, b) =>
      b.count - a.count ||
      (a.upstream ?? '').localeCompare(b.upstream ?? '') ||
      a.signature.localeCompare(b.signature),
  );
  return { groups: sorted, lines, recognised, unknown: lines - recognised };
}
