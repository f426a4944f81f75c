/**
 * `check` and `serve` over every address of a target's name, as nginx uses them (src/probe/resolve-addresses.ts):
 * one checkTarget() per address, in parallel within the target's budget, pinned to that address; the target's
 * result is its most urgent address's (src/check/status.ts URGENCY), with every address's verdict in `addresses`.
 * An IP literal, or a name with one address, is one check as before: no extra handshake.
 */
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { pinnedLookup } from '../fetch/destination.js';
import { resolveAddresses, type ResolvedAddress, type ResolveResult } from '../probe/resolve-addresses.js';
import { checkTarget } from './check-target.js';
import { URGENCY } from './status.js';
import type { CheckResult, CheckTarget } from './types.js';

export interface CheckAddressesOptions {
  /** `--resolver ADDR`: the DNS server to ask instead of the system resolver. */
  resolver?: string;
  /** The per-address check (tests replace it). */
  check?: typeof checkTarget;
}

/** The share of a target's budget its name's resolution may take; the handshakes get the rest. */
const RESOLVE_SHARE = 0.4;

/** The addresses a pinned lookup (serve --allow-targets) allows, asked with `all: true`: nothing leaves the process. */
function fromPinned(lookup: LookupFunction, host: string): Promise<ResolveResult> {
  return new Promise((resolve) => {
    lookup(host, { all: true }, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[]) => {
      if (err) return resolve({ ok: false, error: { code: err.code ?? 'ENOTFOUND', message: err.message }, via: 'system' });
      const list = (Array.isArray(address) ? address : [{ address, family: address.includes(':') ? 6 : 4 }]).map(
        (a): ResolvedAddress => ({ address: a.address, family: a.family === 6 ? 6 : 4 }),
      );
      resolve({ ok: true, addresses: list, via: 'system' });
    });
  });
}

function verdictOf(a: ResolvedAddress, r: CheckResult): NonNullable<CheckResult['addresses']>[number] {
  return {
    address: a.address,
    family: a.family,
    verdict: r.nginx?.ok ? 'ok' : 'fail',
    status: r.status,
    error: r.nginx && !r.nginx.ok ? r.nginx.error : (r.error?.message ?? null),
  };
}

/**
 * `r` with `fields` set, in place. `r` is this call's own (check() made it for this call; nobody else holds it yet).
 * Not `{ ...r, ...fields }`: that copy gave every result a hidden class of its own (a V8 Map and DescriptorArray,
 * ~650 bytes: 6.8 MB over the 10,000 results of bench/check-bench.mjs, heap snapshot after gc), and a copy made key
 * by key (`Object.assign({}, r, fields)`) turned each result into a dictionary (~760 bytes of properties). Setting
 * the keys on `r` follows one transition that all results share. Results are held until the report is written:
 * they are what a fleet run retains.
 */
function completed(r: CheckResult, fields: Partial<CheckResult>): CheckResult {
  return Object.assign(r, fields);
}

/** checkTarget's signature, over every address. */
export function checkAddresses(o: CheckAddressesOptions = {}): typeof checkTarget {
  const check = o.check ?? checkTarget;
  return async (t, at, thresholds, deps) => {
    const started = performance.now();
    const host = t.spec.host;
    const budget = Math.max(1, Math.round(t.timeoutMs * RESOLVE_SHARE));
    const resolved = t.lookup ? await fromPinned(t.lookup, host) : await resolveAddresses(host, { resolver: o.resolver, timeoutMs: budget });
    if (!resolved.ok) {
      // The check reports the failure as it always did (DNS_FAILURE), without asking another resolver.
      const err = Object.assign(new Error(resolved.error.message), { code: resolved.error.code });
      return completed(await check({ ...t, lookup: pinnedLookup(() => err) }, at, thresholds, deps), { addresses: [] });
    }
    const left = Math.max(1, t.timeoutMs - Math.round(performance.now() - started));
    const one = (a: ResolvedAddress) => ({ ...t, timeoutMs: left, ...(resolved.via === 'literal' ? {} : { lookup: pinnedLookup(() => [a]) }) });
    const results = await Promise.all(resolved.addresses.map((a) => check(one(a), at, thresholds, deps)));
    const addresses = resolved.addresses.map((a, i) => verdictOf(a, results[i]));
    if (results.length === 1) return completed(results[0], { addresses: deps.memo ? deps.memo.addresses(addresses) : addresses });
    const worst = results.reduce((w, r) => (URGENCY.indexOf(r.status) < URGENCY.indexOf(w.status) ? r : w));
    const failing = addresses.filter((a) => a.verdict === 'fail').length;
    const notAfters = results.map((r) => r.notAfter).filter((x): x is string => x !== null).sort();
    // The target fails when its first address does (nginx then fails that share of requests).
    const forecasts = results.map((r) => r.forecast).filter((f) => f?.failsAt).sort((a, b) => a!.failsAt!.localeCompare(b!.failsAt!));
    return completed(worst, {
      reason: [...new Set(results.flatMap((r) => r.reason))],
      notAfter: notAfters[0] ?? null,
      ...(forecasts[0] ? { forecast: forecasts[0] } : {}),
      durationMs: Math.round(performance.now() - started),
      notes: [...worst.notes, `${host} has ${results.length} addresses, ${failing} failing; this result is the most urgent one's`],
      addresses,
    });
  };
}
