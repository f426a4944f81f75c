/**
 * Requests 1..N through one upstream under nginx's round-robin balancer, from a verdict per peer (one peer per
 * resolved address of every `server` line). A pure model: the time of each request is passed in (seconds, as
 * nginx's `ngx_time()`), nothing is measured here.
 *
 * What it follows, from nginx 1.24's src/http/ngx_http_upstream_round_robin.c and ngx_http_upstream.c (the same
 * code from 1.18 to 1.31 for these parts):
 * - `ngx_http_upstream_init_round_robin`: one peer per address, in configuration then resolver order; `single`
 *   when there is exactly one primary peer and no backup (`peers->single = (n == 1)`, reset to 0 when a backup
 *   exists). An implicit upstream (`proxy_pass https://name:port`) is max_fails=1, fail_timeout=10, weight=1.
 * - `ngx_http_upstream_get_peer` (smooth weighted round robin): skips peers already tried by this request,
 *   `down` ones, and those with `fails >= max_fails` whose `checked` is within `fail_timeout`; adds
 *   `effective_weight` to each candidate's `current_weight`, picks the largest (first on ties), subtracts the
 *   total from it; `effective_weight` grows by one per round up to `weight`.
 * - `ngx_http_upstream_get_round_robin_peer`: a `single` peer is used even while "failed"; when no primary is
 *   left the backup peers are tried the same way; none at all is NGX_BUSY: `[error] no live upstreams` and 502
 *   (`ngx_http_upstream_connect`; NGX_HTTP_UPSTREAM_FT_NOLIVE is never in `*_next_upstream`, so no retry).
 * - `ngx_http_upstream_free_round_robin_peer` on a failure: `fails++`, `checked = accessed = now`,
 *   `effective_weight -= weight / max_fails`, and `[warn] upstream server temporarily disabled` once
 *   `fails >= max_fails` (max_fails=0: no accounting); nothing at all for a `single` peer, and its `tries = 0`.
 *   On a success `fails = 0` only if the peer was re-checked since its last failure (`accessed < checked`).
 * - `ngx_http_upstream_next`: frees the peer (the [warn] comes after the line that logged the failure, but before
 *   `upstream timed out`, which `next` itself logs), then retries while `tries` (peers + backups, capped by
 *   `*_next_upstream_tries`) remain and the failure type is in `*_next_upstream`; else the client gets 502, or 504
 *   after a timeout.
 */
import type { NginxOutcome } from '../diagnosis/types.js';
import type { LoggedLine, NextUpstreamPolicy } from './location-outcome.js';

export interface BalancedPeer {
  /** `ip:port` (`[v6]:port`). */
  address: string;
  /** The `server` line it comes from (`name:port` as written), for grouping. */
  server: string;
  weight: number;
  /** 0 turns the failure accounting off. */
  maxFails: number;
  failTimeoutS: number;
  backup: boolean;
  down: boolean;
  /** What one request through this peer gets (proxy_ssl_verify already applied); null: not probed. */
  outcome: NginxOutcome | null;
}

export interface BalancedRequest {
  /** 1-based. */
  index: number;
  /** Seconds since the first request. */
  at: number;
  ok: boolean;
  status: number;
  /** The peer that answered, when one did. */
  servedBy: string | null;
  /** Peers tried, in order. */
  tried: string[];
  /** What the error log gets, in order (`server` empty for `no live upstreams`). */
  lines: LoggedLine[];
}

export interface BalancingPrediction {
  requests: BalancedRequest[];
  failed: number;
  /** failed / requests. */
  failShare: number;
  /** 1-based index of the first request answered `no live upstreams`, or null. */
  firstNoLiveUpstreams: number | null;
}

interface PeerState {
  peer: BalancedPeer;
  currentWeight: number;
  effectiveWeight: number;
  fails: number;
  checked: number;
  accessed: number;
}

const NO_LIVE: LoggedLine = { server: '', level: 'error', error: 'no live upstreams while connecting to upstream' };

/** ngx_http_upstream_get_peer over one tier (primaries or backups). */
function getPeer(tier: PeerState[], tried: Set<PeerState>, now: number): PeerState | null {
  let best: PeerState | null = null;
  let total = 0;
  for (const s of tier) {
    if (tried.has(s) || s.peer.down) continue;
    if (s.peer.maxFails && s.fails >= s.peer.maxFails && now - s.checked <= s.peer.failTimeoutS) continue;
    s.currentWeight += s.effectiveWeight;
    total += s.effectiveWeight;
    if (s.effectiveWeight < s.peer.weight) s.effectiveWeight++;
    if (best === null || s.currentWeight > best.currentWeight) best = s;
  }
  if (best === null) return null;
  tried.add(best);
  best.currentWeight -= total;
  if (now - best.checked > best.peer.failTimeoutS) best.checked = now;
  return best;
}

/** ngx_http_upstream_get_round_robin_peer: the primaries, then the backups; null is NGX_BUSY. */
function pickPeer(primary: PeerState[], backup: PeerState[], single: boolean, tried: Set<PeerState>, now: number): PeerState | null {
  if (single) {
    const s = primary[0];
    if (s.peer.down) return null;
    tried.add(s);
    return s;
  }
  return getPeer(primary, tried, now) ?? (backup.length > 0 ? getPeer(backup, tried, now) : null);
}

/** `... while SSL handshaking to upstream`: the action appended to a failure. */
function actionOf(error: string): string {
  const i = error.lastIndexOf(' while ');
  return i >= 0 ? error.slice(i) : '';
}

/** ngx_http_upstream_free_round_robin_peer after a failure; returns the [warn] line when the peer is disabled. */
function markFailed(s: PeerState, now: number, error: string): LoggedLine | null {
  s.fails++;
  s.accessed = now;
  s.checked = now;
  let line: LoggedLine | null = null;
  if (s.peer.maxFails) {
    s.effectiveWeight -= Math.floor(s.peer.weight / s.peer.maxFails);
    if (s.fails >= s.peer.maxFails) line = { server: s.peer.address, level: 'warn', error: `upstream server temporarily disabled${actionOf(error)}` };
  }
  if (s.effectiveWeight < 0) s.effectiveWeight = 0;
  return line;
}

function oneRequest(index: number, now: number, states: { primary: PeerState[]; backup: PeerState[]; single: boolean }, policy: NextUpstreamPolicy): BalancedRequest | null {
  const { primary, backup, single } = states;
  const tried = new Set<PeerState>();
  const r: BalancedRequest = { index, at: now, ok: false, status: 502, servedBy: null, tried: [], lines: [] };
  const cap = primary.length + backup.length;
  let tries = policy.tries > 0 ? Math.min(policy.tries, cap) : cap;
  for (;;) {
    const s = pickPeer(primary, backup, single, tried, now);
    if (s === null) {
      r.lines.push(NO_LIVE);
      r.status = 502;
      return r;
    }
    const o = s.peer.outcome;
    if (o === null) return null;
    r.tried.push(s.peer.address);
    if (o.ok) {
      if (!single && s.accessed < s.checked) s.fails = 0;
      return { ...r, ok: true, status: o.status ?? 200, servedBy: s.peer.address };
    }
    const timeout = o.status === 504;
    const failure: LoggedLine = { server: s.peer.address, level: o.level === 'crit' ? 'crit' : 'error', error: o.error ?? '' };
    const warn = single ? null : markFailed(s, now, o.error ?? '');
    // `upstream timed out` is logged by ngx_http_upstream_next after the peer is freed; other failures before.
    r.lines.push(...(timeout ? [warn, failure] : [failure, warn]).filter((l): l is LoggedLine => l !== null));
    tries = single ? 0 : tries - 1;
    r.status = timeout ? 504 : 502;
    if (tries === 0 || !(timeout ? policy.timeout : policy.error)) return r;
  }
}

/**
 * Requests at `times` (seconds from the first; default: `count` requests in the same second), against a fresh
 * nginx. Returns null when a peer that would be tried was not probed. A peer whose outcome has no status (nginx
 * does not start) makes the whole prediction moot: callers report the start-up failure instead.
 */
export function predictRequests(peers: BalancedPeer[], policy: NextUpstreamPolicy, count: number, times?: number[]): BalancingPrediction | null {
  // nginx allocates peers zeroed and ngx_time() is seconds since 1970: `checked` and `accessed` start far in the past.
  const past = -1e9;
  const state = (peer: BalancedPeer): PeerState => ({ peer, currentWeight: 0, effectiveWeight: peer.weight, fails: 0, checked: past, accessed: past });
  const primary = peers.filter((p) => !p.backup).map(state);
  const backup = peers.filter((p) => p.backup).map(state);
  if (primary.length === 0) return null;
  const single = primary.length === 1 && backup.length === 0;
  const requests: BalancedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const r = oneRequest(i + 1, times?.[i] ?? 0, { primary, backup, single }, policy);
    if (r === null) return null;
    requests.push(r);
  }
  const failed = requests.filter((r) => !r.ok).length;
  const noLive = requests.find((r) => r.lines.includes(NO_LIVE));
  return { requests, failed, failShare: count ? failed / count : 0, firstNoLiveUpstreams: noLive ? noLive.index : null };
}
