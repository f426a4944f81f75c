/**
 * nginx's per-peer SSL session cache across locations that reach the same upstream server: when a request's
 * verdict depends on which location was requested before, and what makes it stop.
 *
 * Mechanics (nginx 1.24 src/http/ngx_http_upstream.c, ngx_http_upstream_round_robin.c; measured on Debian's
 * 1.22.1 with OpenSSL 3.0, test/nginx-real/session-reuse.test.ts):
 * - With `proxy_ssl_session_reuse on` (the default) `ngx_http_upstream_ssl_init_connection` calls the peer's
 *   `set_session` before the handshake (resume the session the peer holds, whichever location stored it) and sets
 *   `save_session`, which `ngx_ssl_new_client_session` calls when OpenSSL hands over a new session. The session is
 *   kept per round-robin peer (`ngx_http_upstream_save_round_robin_peer_session`), and peers are shared by every
 *   location whose `proxy_pass` names the same upstream block (or the same implicit `host:port`).
 * - OpenSSL keeps the verify result in the session: after a resumed handshake `SSL_get_verify_result` returns the
 *   stored result of the handshake that created it, computed against *that* location's trusted certificates (none
 *   at all when its `proxy_ssl_verify` is off: nginx loads the bundle only when verification is on), and
 *   `ngx_http_upstream_ssl_handshake` judges it as its own. The name check (`ngx_ssl_check_host`) is redone with
 *   the resuming location's name.
 * - TLS 1.2 and older: the session arrives with the handshake, before nginx checks the verify result, so a
 *   location whose verification fails stores it too. A resumed handshake stores nothing new: the session stays
 *   until it expires (the upstream's session lifetime) or the upstream refuses to resume it.
 * - TLS 1.3: the session arrives in a NewSessionTicket after the handshake, read only by a request that passed
 *   nginx's checks; OpenSSL's client uses a ticket once, and a request that fails after resuming stores none. So
 *   a failing location poisons nothing, but a working one (or one with verification off, whose result is made
 *   against no bundle) hands its result to the next request of the others.
 * Setting `proxy_ssl_session_reuse off` in a location stops both its storing and its resuming.
 */
import { errorText } from '../chain/error-text.js';
import type { NginxOutcome } from '../diagnosis/types.js';

export interface SessionLocation {
  /** `/partial/` (or `file:line` for a server-level pass). */
  location: string;
  /** proxy_ssl_session_reuse. */
  reuse: boolean;
  /** proxy_ssl_verify. */
  verify: boolean;
  /** What a request through it gets after a full handshake (verify off already applied). */
  fresh: NginxOutcome;
  /**
   * The X509 verify result its full handshake stores in the session: against its bundle when verify is on, against
   * an empty store when off. null: no handshake completes (nothing is stored, nothing resumed).
   */
  storedVerifyCode: number | null;
  /** X509_check_host(leaf, its proxy_ssl_name) holds. */
  nameOk: boolean;
  /** The protocol its handshake negotiates. */
  protocol: string | null;
  /** Its proxy_ssl_name, for the mismatch line. */
  name: string;
}

export interface SessionOrderEffect {
  /** The location requested first: its full handshake stores the session. */
  first: string;
  /** The location requested next: it resumes that session. */
  then: string;
  /** What `then` gets after `first`, instead of `fresh`. */
  gets: NginxOutcome;
  fresh: NginxOutcome;
  /**
   * How long: every later request until the session expires (TLS 1.2), or certainly the next request (TLS 1.3;
   * longer when the upstream issues a new ticket on a resumed connection).
   */
  lasts: 'until-session-expires' | 'next-request';
  /** `harmful`: a location that works gets 502; `hides`: a location that should fail answers 200. */
  kind: 'harmful' | 'hides';
}

/** ngx_http_upstream_ssl_handshake's line for a verify result (X509_verify_cert_error_string: src/chain/error-text.ts). */
function verifyLine(code: number): string {
  return `upstream SSL certificate verify error: (${code}:${errorText(code)}) while SSL handshaking to upstream`;
}

/** Does `loc`'s full handshake leave a session that the next request can resume? */
function stores(loc: SessionLocation): boolean {
  if (!loc.reuse || loc.storedVerifyCode === null) return false;
  // TLS 1.3: the ticket is read only by a request that passed nginx's checks.
  if (loc.protocol === 'TLSv1.3') return loc.fresh.ok;
  return true;
}

/** What `then` gets when it resumes a session whose stored verify result is `code`. */
function resumed(code: number, then: SessionLocation): NginxOutcome {
  if (then.verify && code !== 0) {
    return { ok: false, status: 502, level: 'error', error: verifyLine(code), verifyCode: code, stage: 'verify' };
  }
  if (then.verify && !then.nameOk) {
    return { ok: false, status: 502, level: 'error', error: `upstream SSL certificate does not match "${then.name}" while SSL handshaking to upstream`, verifyCode: 0, stage: 'name' };
  }
  // Past the checks: the request goes on as after its own handshake, unless its own failure was a certificate one.
  if (then.fresh.stage === 'verify' || then.fresh.stage === 'name') return { ok: true, status: 200, level: null, error: null, verifyCode: code, stage: 'ok' };
  return then.fresh;
}

interface CachedSession {
  code: number;
  protocol: string | null;
}

/**
 * Requests through `order` (location names, each once or more) on a fresh nginx, one after the other: what each
 * gets, following the peer's cached session.
 */
export function predictSequence(locations: SessionLocation[], order: string[]): NginxOutcome[] {
  const byName = new Map(locations.map((l) => [l.location, l]));
  let session: CachedSession | null = null;
  return order.map((name) => {
    const l = byName.get(name);
    if (!l) throw new Error(`unknown location ${name}`);
    if (l.reuse && session !== null && l.storedVerifyCode !== null) {
      const got = resumed(session.code, l);
      // TLS 1.3: OpenSSL's client spends the ticket. Whether a resumed connection brings a new one is the
      // upstream's choice (measured: `openssl s_server` sends one, Node's TLS server none): the model assumes none,
      // so a TLS 1.3 order effect is certain for the next request only.
      if (session.protocol === 'TLSv1.3') session = null;
      return got;
    }
    if (stores(l)) session = { code: l.storedVerifyCode!, protocol: l.protocol };
    return l.fresh;
  });
}

function same(a: NginxOutcome, b: NginxOutcome): boolean {
  return a.ok === b.ok && a.status === b.status && a.error === b.error;
}

/** Every ordered pair of locations sharing the peer whose second verdict changes with the order. */
export function sessionOrderEffects(locations: SessionLocation[]): SessionOrderEffect[] {
  const out: SessionOrderEffect[] = [];
  for (const first of locations) {
    for (const then of locations) {
      if (then === first) continue;
      const [, gets, after] = predictSequence(locations, [first.location, then.location, then.location]);
      if (same(gets, then.fresh)) continue;
      const lasts = same(after, then.fresh) ? 'next-request' : 'until-session-expires';
      out.push({ first: first.location, then: then.location, gets, fresh: then.fresh, lasts, kind: gets.ok ? 'hides' : 'harmful' });
    }
  }
  return out;
}

/**
 * The fewest locations to set `proxy_ssl_session_reuse off` in so that no order effect remains (a vertex cover
 * of the effects, greedy, preferring the location whose own verdict fails: the "laxer" one), and the effects
 * left after that fix (empty when it works; the proof).
 */
export function sessionReuseFix(locations: SessionLocation[]): { reuseOff: string[]; remaining: SessionOrderEffect[] } {
  let effects = sessionOrderEffects(locations);
  const off = new Set<string>();
  while (effects.length > 0) {
    const degree = new Map<string, number>();
    for (const e of effects) for (const l of [e.first, e.then]) degree.set(l, (degree.get(l) ?? 0) + 1);
    const failing = new Set(locations.filter((l) => !l.fresh.ok).map((l) => l.location));
    const pick = [...degree.entries()].sort((a, b) => b[1] - a[1] || Number(failing.has(b[0])) - Number(failing.has(a[0])))[0][0];
    off.add(pick);
    effects = effects.filter((e) => e.first !== pick && e.then !== pick);
  }
  const fixed = locations.map((l) => (off.has(l.location) ? { ...l, reuse: false } : l));
  return { reuseOff: [...off], remaining: sessionOrderEffects(fixed) };
}
