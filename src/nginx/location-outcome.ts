/**
 * What one request to a location gets, from the verdicts for each of its upstream servers.
 *
 * - `proxy_ssl_verify off` (the default): nginx still does the handshake, but a failed chain or name check is
 *   never looked at (`ngx_http_upstream_ssl_handshake` checks SSL_get_verify_result and X509_check_host only
 *   `if (u->conf->ssl_verify)`), so those failures proxy with 200. Connect, handshake and read failures stay.
 * - Several servers (an `upstream` block): a failed connect, handshake, verification or name check is
 *   NGX_HTTP_UPSTREAM_FT_ERROR (a timeout FT_TIMEOUT); with the default `proxy_next_upstream error timeout`
 *   nginx logs the failure and tries the next server (`ngx_http_upstream_next`), primaries first, then
 *   `backup` servers once every primary failed (ngx_http_upstream_round_robin.c). When no server is left the
 *   client gets 502 (504 after a timeout). `down` servers are never tried.
 * - Order: the first request of a fresh nginx goes to the highest `weight` first, ties in configuration order
 *   (smooth weighted round robin, `ngx_http_upstream_get_peer`); later requests rotate, and a failed server is
 *   skipped for `fail_timeout` (10s). So the lines logged per request vary; whether the request succeeds does not.
 * - After each failed server of an upstream with more than one server (backups and `down` ones count; a lone
 *   server is `peers->single`), `ngx_http_upstream_free_round_robin_peer` logs
 *   `[warn] upstream server temporarily disabled` with the same action, once its fails reach `max_fails`
 *   (default 1; 0 turns the accounting off). Measured on 1.22.1: also for a single primary with a backup.
 */
import type { NginxOutcome } from '../diagnosis/types.js';
import type { Directive } from './parse-config.js';
import type { PassModule } from './upstream-address.js';

/** What nginx does when proxy_ssl_verify is off: verification and name failures do not count. */
export function outcomeWithVerify(withVerifyOn: NginxOutcome, verify: boolean): NginxOutcome {
  if (verify || withVerifyOn.ok) return withVerifyOn;
  if (withVerifyOn.stage !== 'verify' && withVerifyOn.stage !== 'name') return withVerifyOn;
  return { ok: true, status: 200, level: null, error: null, verifyCode: withVerifyOn.verifyCode, stage: 'ok' };
}

export interface NextUpstreamPolicy {
  /** Try the next server after a connect/handshake/verify error. */
  error: boolean;
  /** ... after a timeout. */
  timeout: boolean;
  /** `*_next_upstream_tries` (0: no limit). */
  tries: number;
  /** Where the policy comes from (null: nginx's default `error timeout`). */
  source: { file: string; line: number } | null;
}

function innermost(ancestors: Directive[], name: string): Directive | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const hit = (ancestors[i].block ?? []).find((d) => d.name === name);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * `proxy_next_upstream` / `grpc_`/`uwsgi_next_upstream` in effect for a pass directive, from the blocks around it
 * (innermost wins, as for every other setting; not allowed inside `if`). Stream: `proxy_next_upstream on|off`,
 * default on.
 */
export function nextUpstreamPolicy(ancestors: Directive[], module: PassModule): NextUpstreamPolicy {
  const prefix = module === 'stream' ? 'proxy' : module;
  const scopes = ancestors.filter((d) => d.name !== 'if' && d.name !== 'limit_except');
  const d = innermost(scopes, `${prefix}_next_upstream`);
  const t = innermost(scopes, `${prefix}_next_upstream_tries`);
  const tries = t && /^\d+$/.test(t.args[0] ?? '') ? Number(t.args[0]) : 0;
  if (!d) {
    // http default: "error timeout"; stream default: on.
    return { error: true, timeout: true, tries, source: null };
  }
  const args = d.args.map((a) => a.toLowerCase());
  const source = { file: d.file, line: d.line };
  if (module === 'stream') {
    const on = args[0] === 'on';
    return { error: on, timeout: on, tries, source };
  }
  if (args.includes('off')) return { error: false, timeout: false, tries, source };
  return { error: args.includes('error'), timeout: args.includes('timeout'), tries, source };
}

export interface ServerVerdict {
  /** `host:port` as probed. */
  address: string;
  backup: boolean;
  down: boolean;
  weight?: number;
  /** `max_fails=` of the server line (default 1). */
  maxFails?: number;
  /** What nginx does with this server (verify off already applied); null when it was not probed. */
  outcome: NginxOutcome | null;
}

export interface LoggedLine {
  server: string;
  level: NonNullable<NginxOutcome['level']> | 'warn';
  error: string;
}

/** `... while SSL handshaking to upstream`: the action nginx's log handler appended to the failure. */
function actionOf(error: string): string {
  const i = error.lastIndexOf(' while ');
  return i >= 0 ? error.slice(i) : '';
}

export interface LocationOutcome {
  /** null: cannot be predicted (a server was not probed: unresolved variable, unix socket, --no-probe). */
  ok: boolean | null;
  /** 200, 502, 504; null when nginx would not start or the outcome is unknown. */
  status: number | null;
  /** The lines the first request of a fresh nginx logs, in order. */
  lines: LoggedLine[];
  /** The server that answers the first request, when one does. */
  servedBy: string | null;
}

function order(list: ServerVerdict[]): ServerVerdict[] {
  return list
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (b.s.weight ?? 1) - (a.s.weight ?? 1) || a.i - b.i)
    .map((x) => x.s);
}

/** The first request to a location on a fresh nginx: which servers it tries, what it logs, what the client gets. */
export function predictLocation(servers: ServerVerdict[], policy: NextUpstreamPolicy): LocationOutcome {
  const live = servers.filter((s) => !s.down);
  const candidates = [...order(live.filter((s) => !s.backup)), ...order(live.filter((s) => s.backup))];
  const lines: LoggedLine[] = [];
  // ngx_http_upstream_init_round_robin: a lone server (down or not) without backups is `single`.
  const single = servers.length === 1;
  if (candidates.length === 0) {
    // Every server is `down`: ngx_http_upstream_get_round_robin_peer finds none ("no live upstreams").
    return { ok: false, status: 502, lines, servedBy: null };
  }
  let tried = 0;
  let last: NginxOutcome | null = null;
  for (const s of candidates) {
    const o = s.outcome;
    if (o === null) return { ok: null, status: null, lines, servedBy: null };
    tried++;
    if (o.ok) return { ok: true, status: o.status, lines, servedBy: s.address };
    if (o.status === null) {
      // nginx does not start at all (an upstream name that does not resolve).
      return { ok: false, status: null, lines: [{ server: s.address, level: o.level ?? 'emerg', error: o.error ?? '' }], servedBy: null };
    }
    lines.push({ server: s.address, level: o.level ?? 'error', error: o.error ?? '' });
    if (!single && (s.maxFails ?? 1) === 1) {
      lines.push({ server: s.address, level: 'warn', error: `upstream server temporarily disabled${actionOf(o.error ?? '')}` });
    }
    last = o;
    const retry = o.status === 504 ? policy.timeout : policy.error;
    if (!retry || (policy.tries > 0 && tried >= policy.tries)) break;
  }
  return { ok: false, status: last?.status ?? 502, lines, servedBy: null };
}
