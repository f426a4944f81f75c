/**
 * Checking a destination against an AddressPolicy (address-policy.ts) after resolving it, and connecting to
 * exactly what was checked.
 *
 * Why the connection is pinned: a name checked with one DNS answer and then connected with a second lookup can
 * resolve differently the second time (DNS rebinding: a TTL-0 record that answers a public address to the
 * check and 169.254.169.254 to the connection). So a name is resolved once, here; every address of the answer
 * is decided; and the socket gets a `lookup` function (net.connect's and undici's `connect.lookup` option) that
 * replays that answer instead of asking DNS again. The first address of the answer is the one net.connect
 * would have used (dns.lookup in `verbatim` order, Node's default since v17).
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { nodeDns } from '../probe/node-dns.js';
import type { LookupFunction } from 'node:net';
import { decideAddress, decideName, decideResolved, normalizeHostName, parseIp, type AddressPolicy } from './address-policy.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a host name, in the order the system resolver gives them. */
export type ResolveHost = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolveHost: ResolveHost = (host) =>
  new Promise((resolve, reject) => {
    nodeDns().lookup(host, { all: true, verbatim: true }, (err, addresses) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

export type Destination =
  /** `pinned`: the addresses to connect to; undefined when a name rule allowed the name (resolve it as usual). */
  | { status: 'allowed'; because: string; pinned?: ResolvedAddress[] }
  | { status: 'refused'; because: string }
  /** The name did not resolve (or not within the time given): nothing to decide, nothing to connect to. */
  | { status: 'unresolved'; error: NodeJS.ErrnoException };

/** `host` as in a URL or a target (IPv6 literals with or without brackets). */
export async function checkDestination(host: string, policy: AddressPolicy, resolveHost: ResolveHost, timeoutMs: number): Promise<Destination> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const ip = parseIp(bare);
  if (ip) {
    const v = decideAddress(policy, bare);
    return v.allowed ? { status: 'allowed', because: v.because, pinned: [{ address: bare, family: ip.family }] } : { status: 'refused', because: v.because };
  }
  const byName = decideName(policy, bare);
  if (byName) return byName.allowed ? { status: 'allowed', because: byName.because } : { status: 'refused', because: byName.because };
  let addresses: ResolvedAddress[];
  try {
    addresses = await withTimeout(resolveHost(bare), timeoutMs, bare);
  } catch (e) {
    return { status: 'unresolved', error: e instanceof Error ? e : new Error(String(e)) };
  }
  if (addresses.length === 0) return { status: 'unresolved', error: Object.assign(new Error(`${bare}: no address`), { code: 'ENOTFOUND' }) };
  const v = decideResolved(policy, bare, addresses.map((a) => a.address));
  return v.allowed ? { status: 'allowed', because: v.because, pinned: addresses } : { status: 'refused', because: v.because };
}

/** getaddrinfo's own code for "try again later": the probe and undici classify it as a DNS failure. */
function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no DNS answer for ${host} within ${Math.round(ms)} ms`), { code: 'EAI_AGAIN' })), Math.max(1, ms));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * What the pinned lookup answers for a host name: the checked addresses, an error to replay, or `system` (a
 * name rule allowed the name itself: ask DNS). undefined = never checked, refused (fail closed).
 */
export type PinnedAnswer = ResolvedAddress[] | NodeJS.ErrnoException | 'system' | undefined;

/** A `lookup` for net.connect / tls.connect / undici's connector that answers from the checks, never from DNS. */
export function pinnedLookup(answer: (host: string) => PinnedAnswer): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    const a = answer(normalizeHostName(hostname));
    if (a === 'system') return nodeDns().lookup(hostname, options, callback);
    const fail = (e: NodeJS.ErrnoException) => process.nextTick(() => callback(e, '', 0));
    if (a === undefined) {
      return fail(Object.assign(new Error(`${hostname} was not checked against the address policy: not connecting`), { code: 'ERR_UNCHECKED_DESTINATION' }));
    }
    if (a instanceof Error) return fail(a);
    const wanted = options.family === 4 || options.family === 6 ? a.filter((x) => x.family === options.family) : a;
    if (wanted.length === 0) return fail(Object.assign(new Error(`${hostname}: no IPv${String(options.family)} address`), { code: 'ENOTFOUND' }));
    process.nextTick(() => {
      if (options.all) callback(null, wanted.map((x) => ({ address: x.address, family: x.family })));
      else callback(null, wanted[0].address, wanted[0].family);
    });
  };
}
