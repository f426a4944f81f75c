/**
 * Every address nginx would use for a name. nginx resolves a `proxy_pass`/`server` name once, at start-up, with
 * getaddrinfo(AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG) and keeps *every* A/AAAA answer as a peer, in the order
 * getaddrinfo returned them (`ngx_inet_resolve_host`, src/core/ngx_inet.c; `ngx_http_upstream_server` then adds
 * one round-robin peer per address). A `resolver` directive (and `server ... resolve`) asks a DNS server instead:
 * `ngx_resolve_name` keeps the A answers, then the AAAA ones (`ipv6=on`, the default).
 *
 * Two ways here: the system resolver (`dns.lookup` with `all: true`, the same getaddrinfo call, in its order:
 * Node 20's `verbatim` default), or `--resolver ADDR[:PORT]` (one DNS server over UDP, A then AAAA, as nginx's own
 * resolver). An IP literal is one address and resolves nothing: the single-address path costs no lookup.
 */
import { nodeDns } from './node-dns.js';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A name that did not resolve: nginx refuses to start ("host not found in upstream"). */
export interface ResolveFailure {
  /** `ENOTFOUND`, `ETIMEOUT`, `ECONNREFUSED` (dns module codes). */
  code: string;
  message: string;
}

export type ResolveResult =
  | { ok: true; addresses: ResolvedAddress[]; via: 'literal' | 'system' | 'resolver' }
  | { ok: false; error: ResolveFailure; via: 'system' | 'resolver' };

/** `getaddrinfo` as dns.lookup exposes it; injectable so tests of the system path never leave the machine. */
export type LookupAll = (host: string) => Promise<{ address: string; family: number }[]>;

export interface ResolveOptions {
  /** A DNS server (`127.0.0.1:5353`, `[::1]:53`, `10.0.0.2`) to ask instead of the system resolver. */
  resolver?: string;
  /** Replaces the system resolver (tests). */
  lookup?: LookupAll;
  /** Bound for the whole resolution. */
  timeoutMs: number;
}

/** The bound on answers kept per name: a hostile zone cannot make us probe thousands of addresses. */
export const MAX_ADDRESSES = 32;

const systemLookup: LookupAll = (host) => nodeDns().promises.lookup(host, { all: true, hints: nodeDns().ADDRCONFIG });

function family(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** One address per answer, in order, duplicates dropped (getaddrinfo lists an address once per socket type). */
function distinct(list: { address: string; family: number }[]): ResolvedAddress[] {
  const seen = new Set<string>();
  const out: ResolvedAddress[] = [];
  for (const a of list) {
    if (seen.has(a.address) || isIP(a.address) === 0) continue;
    seen.add(a.address);
    out.push({ address: a.address, family: family(a.address) });
  }
  return out.slice(0, MAX_ADDRESSES);
}

function failure(e: unknown): ResolveFailure {
  const err = e as NodeJS.ErrnoException;
  return { code: err.code ?? 'EDNS', message: err.message };
}

function withTimeout<T>(p: Promise<T>, ms: number, cancel: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancel();
      reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEOUT' }));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A (then AAAA) from one DNS server; a family without records (ENODATA/ENOTFOUND) is just empty. */
async function askServer(host: string, server: string, timeoutMs: number): Promise<ResolvedAddress[]> {
  const r = new (nodeDns().promises.Resolver)({ timeout: Math.max(1, timeoutMs), tries: 1 });
  r.setServers([server]);
  const empty = (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENODATA' || e.code === 'ENOTFOUND') return [] as string[];
    throw e;
  };
  const [v4, v6] = await withTimeout(Promise.all([r.resolve4(host).catch(empty), r.resolve6(host).catch(empty)]), timeoutMs, () => r.cancel());
  if (v4.length + v6.length === 0) throw Object.assign(new Error(`${host}: no A or AAAA record at ${server}`), { code: 'ENOTFOUND' });
  return distinct([...v4.map((address) => ({ address, family: 4 })), ...v6.map((address) => ({ address, family: 6 }))]);
}

/** Every address of `host` (no brackets), in nginx's order. */
export async function resolveAddresses(host: string, o: ResolveOptions): Promise<ResolveResult> {
  if (isIP(host) !== 0) return { ok: true, addresses: [{ address: host, family: family(host) }], via: 'literal' };
  if (o.resolver !== undefined) {
    try {
      return { ok: true, addresses: await askServer(host, o.resolver, o.timeoutMs), via: 'resolver' };
    } catch (e) {
      return { ok: false, error: failure(e), via: 'resolver' };
    }
  }
  try {
    const list = distinct(await withTimeout((o.lookup ?? systemLookup)(host), o.timeoutMs, () => {}));
    if (list.length === 0) return { ok: false, error: { code: 'ENOTFOUND', message: `${host}: no address` }, via: 'system' };
    return { ok: true, addresses: list, via: 'system' };
  } catch (e) {
    return { ok: false, error: failure(e), via: 'system' };
  }
}

/**
 * `--resolver` as dns.Resolver#setServers takes it: `IP`, `IP:PORT`, `[IPv6]:PORT`. Null when it is not one.
 * Names are refused: resolving the resolver would need a resolver.
 */
export function parseResolverAddress(text: string): string | null {
  const t = text.trim();
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(t);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(t);
  const bare6 = isIP(t) === 6 ? t : null;
  const host = v6?.[1] ?? v4?.[1] ?? bare6;
  const port = v6?.[2] ?? v4?.[2];
  if (!host || isIP(host) === 0) return null;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  const p = port ?? '53';
  return isIP(host) === 6 ? `[${host}]:${p}` : `${host}:${p}`;
}
