/**
 * `tlsdoctor nginx` over every address and every request: the per-address peers of each location's upstream fed to
 * the round-robin model (src/nginx/balancing.ts), and the locations that share an upstream server fed to the
 * session-cache model (src/nginx/session-reuse.ts). Acquisition stays in commands/nginx.ts; this file assembles.
 */
import type { ConfigIndex } from '../nginx/config-index.js';
import type { UpstreamServer, UpstreamTls } from '../nginx/effective-settings.js';
import { predictRequests, type BalancedPeer } from '../nginx/balancing.js';
import { outcomeWithVerify, type NextUpstreamPolicy, type ServerVerdict } from '../nginx/location-outcome.js';
import { sessionOrderEffects, sessionReuseFix } from '../nginx/session-reuse.js';
import type { SessionOrderGroup } from '../report/addresses-model.js';
import type { Balancing } from '../report/addresses-text.js';
import type { NginxUpstreamRow } from '../report/nginx-model.js';
import { outcomeOf } from './run-probe-addresses.js';
import { sessionLocationOf } from './session-locations.js';

/** One of the row's addresses fails as configured (proxy_ssl_verify off applied). */
export function addressFails(r: NginxUpstreamRow): boolean {
  const verify = r.upstream.settings.verify.value;
  return (r.addresses?.addresses ?? []).some((a) => !outcomeWithVerify(outcomeOf(a), verify).ok);
}

/** `max_fails=` / `fail_timeout=` of an upstream block's server line (ngx_http_upstream_server; defaults 1 and 10s). */
function serverParams(index: ConfigIndex, s: UpstreamServer, inBlock: boolean): { maxFails: number; failTimeoutS: number } {
  const args = inBlock ? (index.find('server', s.file, s.line)?.node.args ?? []) : [];
  const maxFails = args.find((a) => a.startsWith('max_fails='))?.slice(10);
  const failTimeout = args.find((a) => a.startsWith('fail_timeout='))?.slice(13);
  const seconds = failTimeout && /^(\d+)s?$/.exec(failTimeout);
  return { maxFails: maxFails && /^\d+$/.test(maxFails) ? Number(maxFails) : 1, failTimeoutS: seconds ? Number(seconds[1]) : 10 };
}

function hostPort(host: string, port: number | null): string {
  return `${host.includes(':') ? `[${host}]` : host}${port === null ? '' : `:${port}`}`;
}

/**
 * A server line's verdict for the first-request model (location-outcome.ts), one per resolved address: nginx makes
 * one peer of each (ngx_http_upstream_server), so a name with three addresses is three servers to it.
 */
export function perAddress(r: NginxUpstreamRow, v: ServerVerdict): ServerVerdict[] {
  const list = r.addresses?.addresses ?? [];
  if (list.length < 2 || !r.server) return [v];
  const verify = r.upstream.settings.verify.value;
  return list.map((a) => ({ ...v, address: hostPort(a.address, r.server!.port), outcome: outcomeWithVerify(outcomeOf(a), verify) }));
}

/** One peer per resolved address of each server line (one per server when it was not resolved). */
function peersOf(rows: NginxUpstreamRow[], index: ConfigIndex): BalancedPeer[] | null {
  const peers: BalancedPeer[] = [];
  for (const r of rows) {
    const s = r.server;
    if (!s) return null;
    const base = { server: s.address, weight: s.weight ?? 1, backup: s.backup, down: s.down, ...serverParams(index, s, r.upstream.upstreamBlock !== null) };
    const list = r.addresses?.addresses ?? [];
    if (list.length === 0) {
      peers.push({ ...base, address: hostPort(s.host, s.port), outcome: s.down ? null : r.nginx });
      continue;
    }
    // The probe verifies; nginx with proxy_ssl_verify off ignores certificate failures (outcomeWithVerify).
    const verify = r.upstream.settings.verify.value;
    for (const a of list) peers.push({ ...base, address: hostPort(a.address, s.port), outcome: s.down ? null : outcomeWithVerify(outcomeOf(a), verify) });
  }
  return peers;
}

/** Requests 1..N through one location (N: two rounds over its peers, at least 6), or null when not predictable. */
export function locationRequests(rows: NginxUpstreamRow[], index: ConfigIndex, policy: NextUpstreamPolicy): Balancing | null {
  const peers = peersOf(rows, index);
  if (!peers || peers.length === 0) return null;
  // `down` peers are never tried: their missing verdict does not matter.
  const live = peers.map((p) => (p.down ? { ...p, outcome: { ok: false, status: 502, level: null, error: null, verifyCode: null, stage: 'config' as const } } : p));
  if (live.some((p) => p.outcome === null)) return null;
  const p = predictRequests(live, policy, Math.max(6, peers.length * 2));
  return p && { ...p, policy };
}

function locationName(u: UpstreamTls): string {
  return u.location ?? `${u.file}:${u.line}`;
}

/**
 * Rows that reach the same server of the same upstream (block, or implicit `host:port`), probed, grouped as
 * nginx's peers are shared (ngx_http_upstream_add): one session cache per peer.
 */
export function sessionOrderGroups(rows: NginxUpstreamRow[]): SessionOrderGroup[] {
  const groups = new Map<string, NginxUpstreamRow[]>();
  for (const r of rows) {
    const u = r.upstream;
    if (!r.report || !r.server || r.server.port === null || (u.pass.includes('$') && u.upstreamBlock === null)) continue;
    const owner = u.upstreamBlock ? `block:${u.upstreamBlock.args[0] ?? ''}` : 'implicit';
    const key = `${u.module === 'stream' ? 'stream' : 'http'}\u0000${owner}\u0000${hostPort(r.server.host, r.server.port)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: SessionOrderGroup[] = [];
  for (const members of groups.values()) {
    if (new Set(members.map((m) => m.upstream)).size < 2) continue;
    const locations = members.map((m) => sessionLocationOf(locationName(m.upstream), m.report!, m.upstream.settings.verify.value, m.upstream.settings.sessionReuse.value));
    const effects = sessionOrderEffects(locations);
    if (effects.length === 0) continue;
    const fix = sessionReuseFix(locations);
    out.push({ server: hostPort(members[0].server!.host, members[0].server!.port), effects, reuseOff: fix.reuseOff, remaining: fix.remaining });
  }
  return out;
}
