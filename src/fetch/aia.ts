/**
 * Fetching a missing issuer from an AIA caIssuers URL (RFC 5280 §4.2.2.1), for issue 3.
 *
 * nginx itself never does this: OpenSSL's `X509_verify_cert` only uses what the server sent and what
 * `proxy_ssl_trusted_certificate` holds. tlsdoctor fetches to *propose* the missing intermediate (and the root
 * it chains to) for the bundle; every fetched certificate is a candidate the chain stage judges, never trusted
 * because of where it came from.
 *
 * The URL comes from a certificate the upstream chose, so the fetch is bounded as hostile input:
 * http: and https: only (RFC 5280 also allows ldap:, which we skip), every redirect hop re-checked and counted,
 * one deadline for connect + headers + body of every hop, the body size counted while streaming
 * (Content-Length is only used to refuse early, never trusted to accept), and the body must parse as a DER
 * certificate or a PKCS#7 certs-only SignedData (`application/pkix-cert` / `application/pkcs7-mime`, RFC 5280
 * §4.2.2.1; PEM is accepted too because some CAs serve it). Remote misbehaviour is a result (`ok: false`),
 * never an exception.
 *
 * The caller's duty (this module prints nothing): tlsdoctor must tell the user, on stderr and in the report,
 * every URL it fetched (`url`, `finalUrl` after redirects), what came back (certificates, bytes, time) or why
 * not (`reason`, `detail`); `fetches` in `chaseIssuers`'s result lists every attempt in order for that.
 * `--no-fetch` means not calling this at all. `allowHosts` lets tests and callers restrict where requests go;
 * it sees the URL's host name (`URL.hostname`, IPv6 literals in brackets), not the address DNS resolves it to.
 * `addressPolicy` is decided after resolution, for the first URL and every redirect, and the connection is
 * pinned to the addresses decided (destination.ts): by default link-local and cloud metadata addresses are
 * refused (address-policy.ts BUILTIN_FETCH_DENY), so a certificate cannot make tlsdoctor read credentials.
 *
 * undici is imported lazily (undici-pieces.ts): it must stay off the probe's start-up path.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { InputError, oneLine } from '../certs/input-error.js';
import { readCertificateBlobsAsync } from '../certs/load.js';
import type { LookupFunction } from 'node:net';
import type { buildConnector } from 'undici';
import { fetchPolicy, normalizeHostName, type AddressPolicy } from './address-policy.js';
import { checkDestination, pinnedLookup, systemResolveHost, type PinnedAnswer, type ResolveHost } from './destination.js';
import { loadUndici } from './undici-pieces.js';

export interface FetchCaIssuersOptions {
  /** One deadline for the whole fetch: every redirect hop's connect, headers and body. */
  timeoutMs: number;
  /** Largest body accepted, counted as it streams. */
  maxBytes: number;
  /** Redirects followed at most (0 = none). */
  maxRedirects: number;
  /** Called with `URL.hostname` of the first URL and of every redirect target; false = `blocked`. */
  allowHosts?: (host: string) => boolean;
  /** Where requests may go, decided on resolved addresses; default `fetchPolicy()` (link-local, metadata refused). */
  addressPolicy?: AddressPolicy;
  /** The resolver the policy decides on (tests inject a stub); connections go to the addresses it returned. */
  resolveHost?: ResolveHost;
  /** Told of every destination the policy refuses, before anything is sent (the CLI prints it on stderr). */
  onRefused?: (url: string, because: string) => void;
  /**
   * Builds the socket opener from the pinned lookup (tests: to see what is connected to, and prove that a refused
   * URL never is); default: undici's connector with that lookup.
   */
  connect?: (lookup: LookupFunction) => buildConnector.connector;
}

export type FetchFailureReason =
  | 'scheme'
  | 'timeout'
  | 'too-large'
  | 'http-status'
  | 'too-many-redirects'
  | 'network'
  | 'not-certificate'
  | 'blocked';

export interface FetchCaIssuersSuccess {
  ok: true;
  url: string;
  /** The URL the certificates finally came from, after redirects. */
  finalUrl: string;
  /** DER certificates, in the order the body held them. */
  ders: Uint8Array[];
  contentType?: string;
  bytes: number;
  ms: number;
}

export interface FetchCaIssuersFailure {
  ok: false;
  url: string;
  reason: FetchFailureReason;
  /** One line for the user, naming the URL that failed (never quoting the body). */
  detail: string;
  ms: number;
}

export type FetchCaIssuersResult = FetchCaIssuersSuccess | FetchCaIssuersFailure;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchCaIssuers(url: string, opts: FetchCaIssuersOptions): Promise<FetchCaIssuersResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const fail = (reason: FetchFailureReason, detail: string): FetchCaIssuersFailure => ({ ok: false, url, reason, detail: oneLine(detail, 500), ms: ms() });

  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return fail('scheme', `not a valid absolute URL: ${url}`);
  }
  const refused = refuse(current, opts);
  if (refused) return fail(refused.reason, refused.detail);
  const pins = new Map<string, PinnedAnswer>();
  const admit = admitter(opts, pins, () => opts.timeoutMs - ms());
  const notAdmitted = await admit(current);
  if (notAdmitted) return fail(notAdmitted.reason, notAdmitted.detail);

  const undici = await loadUndici();
  // A private agent: nothing shared with other requests, and destroyed at the end so no keep-alive socket
  // outlives the fetch (and keeps the CLI's event loop busy). Its lookup answers from `pins` only.
  const lookup = pinnedLookup((host) => pins.get(host));
  const connect = opts.connect ? opts.connect(lookup) : undici.buildConnector({ timeout: opts.timeoutMs, lookup });
  const agent = new undici.Agent({ connect, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, Math.max(1, opts.timeoutMs - ms())); // the address check's DNS time counts
  const visited = new Set([current.href]);
  let redirects = 0;
  try {
    for (;;) {
      const res = await undici.request(agent, current, {
        method: 'GET',
        signal: controller.signal,
        headers: {
          accept: 'application/pkix-cert, application/pkcs7-mime, application/x-x509-ca-cert, */*;q=0.1',
          // undici.request does not decompress: ask for the bytes as they are.
          'accept-encoding': 'identity',
          'user-agent': 'tlsdoctor (AIA caIssuers fetch)',
        },
      });
      const status = res.statusCode;
      if (REDIRECTS.has(status)) {
        discard(res.body);
        const location = first(res.headers.location);
        if (location === undefined) return fail('http-status', `HTTP ${status} without a Location header from ${current.href}`);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          return fail('scheme', `redirect from ${current.href} to an invalid URL`);
        }
        const bad = refuse(next, opts) ?? (await admit(next));
        if (bad) return fail(bad.reason, `redirect from ${current.href}: ${bad.detail}`);
        if (visited.has(next.href)) return fail('too-many-redirects', `redirect loop: ${current.href} -> ${next.href}`);
        if (++redirects > opts.maxRedirects) {
          return fail('too-many-redirects', `more than ${opts.maxRedirects} redirects (the last from ${current.href} to ${next.href})`);
        }
        visited.add(next.href);
        current = next;
        continue;
      }
      if (status < 200 || status > 299) {
        discard(res.body);
        return fail('http-status', `HTTP ${status} from ${current.href}`);
      }
      const declared = Number(first(res.headers['content-length']));
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        discard(res.body);
        return fail('too-large', `${current.href} announces ${declared} bytes, more than the ${opts.maxBytes}-byte limit`);
      }
      const body = await readCapped(res.body, opts.maxBytes);
      if (body === undefined) return fail('too-large', `${current.href} sent more than ${opts.maxBytes} bytes (stopped reading)`);
      let ders: Uint8Array[];
      try {
        ders = (await readCertificateBlobsAsync(body, current.href, { maxBytes: opts.maxBytes })).ders;
      } catch (err) {
        // InputError is the expected case; anything else from the loader on remote bytes is still the body's fault.
        return fail('not-certificate', err instanceof InputError ? err.message : `${current.href}: ${String(err)}`);
      }
      const contentType = first(res.headers['content-type']);
      return { ok: true, url, finalUrl: current.href, ders, ...(contentType ? { contentType } : {}), bytes: body.length, ms: ms() };
    }
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (timedOut || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return fail('timeout', `no complete answer from ${current.href} within ${opts.timeoutMs} ms`);
    }
    const message = err instanceof Error ? err.message : String(err);
    const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
    const why = [typeof code === 'string' ? code : undefined, message, typeof cause?.message === 'string' ? cause.message : undefined]
      .filter((s) => s !== undefined && s !== '')
      .join(': ');
    return fail('network', `${current.href}: ${why}`);
  } finally {
    clearTimeout(timer);
    await agent.destroy().catch(() => undefined);
  }
}

/** Why a URL may not be requested, or undefined. */
function refuse(u: URL, opts: FetchCaIssuersOptions): { reason: FetchFailureReason; detail: string } | undefined {
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return { reason: 'scheme', detail: `${u.protocol} URLs are not fetched (only http: and https:): ${u.href}` };
  }
  if (opts.allowHosts && !opts.allowHosts(u.hostname)) return { reason: 'blocked', detail: `host ${u.hostname} is not allowed: ${u.href}` };
  return undefined;
}

/**
 * Resolves and decides a URL's host against the address policy, recording the answer the connection will use.
 * A refusal is `blocked` (and told to `onRefused`); a name that does not resolve fails as the request would.
 */
function admitter(opts: FetchCaIssuersOptions, pins: Map<string, PinnedAnswer>, left: () => number) {
  const policy = opts.addressPolicy ?? fetchPolicy();
  const resolveHost = opts.resolveHost ?? systemResolveHost;
  return async (u: URL): Promise<{ reason: FetchFailureReason; detail: string } | undefined> => {
    const d = await checkDestination(u.hostname, policy, resolveHost, left());
    const host = normalizeHostName(u.hostname.replace(/^\[(.*)\]$/, '$1'));
    if (d.status === 'refused') {
      opts.onRefused?.(u.href, d.because);
      return { reason: 'blocked', detail: `${d.because}: ${u.href}` };
    }
    if (d.status === 'unresolved') {
      const code = d.error.code ?? 'ENOTFOUND';
      if (code === 'EAI_AGAIN' && left() <= 0) return { reason: 'timeout', detail: `no complete answer from ${u.href} within ${opts.timeoutMs} ms` };
      return { reason: 'network', detail: `${u.href}: ${code}: ${d.error.message}` };
    }
    pins.set(host, d.pinned ?? 'system');
    return undefined;
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Drop a body we will not read; the agent is destroyed afterwards anyway. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** The whole body, or undefined as soon as it passes `max` bytes (the stream is then destroyed). */
async function readCapped(body: AsyncIterable<Uint8Array> & { destroy(): void }, max: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) {
      discard(body as unknown as NodeJS.ReadableStream & { destroy(): void });
      return undefined;
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

// --- chasing upwards -------------------------------------------------------------------------------------------

export interface ChaseOptions extends FetchCaIssuersOptions {
  /** Levels climbed at most (one level = one certificate's caIssuers URLs). Default and ceiling: 4. */
  maxHops?: number;
  /** Self-signed test; default: node:crypto's OpenSSL `X509_check_issued(c, c)` plus the signature with its own key. */
  selfSigned?: (der: Uint8Array) => boolean;
  /** `issuer` issued `child`; default: node:crypto `checkIssued` (OpenSSL `X509_check_issued`: names, AKID, keyUsage). */
  issuedBy?: (child: Uint8Array, issuer: Uint8Array) => boolean;
}

export interface ChasedCert {
  der: Uint8Array;
  sha256: string;
  /** The caIssuers URL it was fetched for, and where it came from after redirects. */
  url: string;
  finalUrl: string;
  /** 1 = fetched for the starting certificate, 2 = for that one's issuer, ... */
  hop: number;
}

export type ChaseStop = 'self-signed' | 'no-aia' | 'max-hops' | 'loop' | 'fetch-failed';

export interface ChaseResult {
  /** Every distinct certificate fetched, in fetch order. Candidates only: the chain stage decides. */
  certs: ChasedCert[];
  /** Every fetch attempted, in order, successful or not: what the caller must report. */
  fetches: FetchCaIssuersResult[];
  stop: ChaseStop;
  detail: string;
}

const MAX_HOPS = 4;
/** A certificate may list several caIssuers URLs (alternates): try at most this many per level, in order. */
const MAX_ALTERNATIVES = 3;

/**
 * Follows caIssuers from `start` upwards: fetch, then climb from each fetched certificate that is neither
 * self-signed nor issued by a certificate already held, until a self-signed certificate, no more URLs, a
 * loop (a URL or a certificate seen twice) or `maxHops`. At most `maxHops × 3` fetches, each bounded by
 * `timeoutMs`. `aiaOf` reads a certificate's caIssuers URLs (the caller passes the parser's `aia.caIssuers`);
 * it may throw on a certificate it cannot parse, which then counts as having none.
 * `start.der`, when given, is the certificate whose issuer is missing: a fetch returning it again is a loop.
 */
export async function chaseIssuers(
  start: { aiaUrls: string[]; der?: Uint8Array },
  aiaOf: (der: Uint8Array) => string[],
  opts: ChaseOptions,
): Promise<ChaseResult> {
  const maxHops = Math.min(opts.maxHops ?? MAX_HOPS, MAX_HOPS);
  const selfSigned = opts.selfSigned ?? defaultSelfSigned;
  const issuedBy = opts.issuedBy ?? defaultIssuedBy;
  const certs: ChasedCert[] = [];
  const fetches: FetchCaIssuersResult[] = [];
  const held = new Map<string, Uint8Array>();
  if (start.der) held.set(sha256(start.der), start.der);
  const seenUrls = new Set<string>();
  const done = (stop: ChaseStop, detail: string): ChaseResult => ({ certs, fetches, stop, detail: oneLine(detail, 500) });

  let urls = start.aiaUrls;
  let from = 'the starting certificate';
  for (let hop = 1; ; hop++) {
    if (urls.length === 0) return done('no-aia', `${from} has no caIssuers URL`);
    const fresh = [...new Set(urls)].filter((u) => !seenUrls.has(u));
    if (fresh.length === 0) return done('loop', `${from} points back to an already fetched URL: ${urls[0]}`);
    if (hop > maxHops) return done('max-hops', `stopped after ${maxHops} levels; ${from} points further up to ${fresh[0]}`);

    let got: FetchCaIssuersSuccess | undefined;
    for (const u of fresh.slice(0, MAX_ALTERNATIVES)) {
      seenUrls.add(u);
      const r = await fetchCaIssuers(u, opts);
      fetches.push(r);
      if (r.ok) {
        got = r;
        seenUrls.add(r.finalUrl);
        break;
      }
    }
    if (got === undefined) {
      const last = fetches[fetches.length - 1] as FetchCaIssuersFailure;
      return done('fetch-failed', `no caIssuers URL of ${from} worked; last: ${last.reason}: ${last.detail}`);
    }

    const added: Uint8Array[] = [];
    for (const der of got.ders) {
      const h = sha256(der);
      if (held.has(h)) continue;
      held.set(h, der);
      added.push(der);
      certs.push({ der, sha256: h, url: got.url, finalUrl: got.finalUrl, hop });
    }
    if (added.length === 0) return done('loop', `${got.finalUrl} returned only certificates already held`);

    const all = [...held.values()];
    const tops = added.filter((c) => !selfSigned(c) && !all.some((o) => o !== c && issuedBy(c, o)));
    if (tops.length === 0) {
      const root = added.find(selfSigned);
      if (root !== undefined) return done('self-signed', `reached the self-signed certificate ${sha256(root)} from ${got.finalUrl}`);
      return done('loop', `the issuers of the certificates from ${got.finalUrl} are already held`);
    }
    urls = tops.flatMap((c) => {
      try {
        return aiaOf(c);
      } catch {
        return [];
      }
    });
    from = `the certificate ${sha256(tops[0]).slice(0, 16)}... from ${got.finalUrl}`;
  }
}

function sha256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

const natives = new WeakMap<Uint8Array, X509Certificate | null>();

function native(der: Uint8Array): X509Certificate | undefined {
  let x = natives.get(der);
  if (x === undefined) {
    try {
      x = new X509Certificate(der);
    } catch {
      x = null; // OpenSSL rejects it: the parser will report it; here it just cannot climb.
    }
    natives.set(der, x);
  }
  return x ?? undefined;
}

function defaultSelfSigned(der: Uint8Array): boolean {
  const x = native(der);
  return x !== undefined && x.checkIssued(x) && x.verify(x.publicKey);
}

function defaultIssuedBy(child: Uint8Array, issuer: Uint8Array): boolean {
  const c = native(child);
  const i = native(issuer);
  return c !== undefined && i !== undefined && c.checkIssued(i);
}
