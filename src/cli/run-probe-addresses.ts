/**
 * `probe` over every address of the target, as nginx uses them: nginx resolves `proxy_pass https://name:port` at
 * start-up and round-robins over every A/AAAA answer (src/probe/resolve-addresses.ts), so one bad node among three
 * is a third of the connections. Each address gets the whole `runProbe` pipeline with the name pinned to it (the
 * certificate, SNI and name check stay those of the name); the report of the first failing address (else the
 * first) is the command's report as before, every address gets a verdict, and src/nginx/balancing.ts predicts
 * requests 1..N.
 *
 * A name with one address, or an IP literal, costs exactly what it cost before: one pipeline, no extra handshake.
 */
import type { NginxOutcome } from '../diagnosis/types.js';
import { pinnedLookup } from '../fetch/destination.js';
import { predictRequests } from '../nginx/balancing.js';
import type { NextUpstreamPolicy } from '../nginx/location-outcome.js';
import { monotonicMs } from '../probe/monotonic-ms.js';
import { resolveAddresses, type ResolvedAddress } from '../probe/resolve-addresses.js';
import type { AddressVerdict, AddressesReport } from '../report/addresses-model.js';
import type { ProbeReport } from '../report/model.js';
import { runProbe, type ProbeRunOptions } from './run-probe.js';

export type { AddressVerdict, AddressesReport } from '../report/addresses-model.js';

export interface AddressesRunOptions extends ProbeRunOptions {
  /** `--resolver ADDR`: a DNS server to ask instead of the system resolver. */
  resolver?: string;
  /** Replaces the system resolver (tests). */
  lookupAll?: import('../probe/resolve-addresses.js').LookupAll;
  /** How many requests to predict; default 2 rounds over the addresses, at least 6. */
  requests?: number;
}

/** nginx's defaults for the implicit upstream of `proxy_pass https://name:port` (ngx_http_upstream_add). */
const IMPLICIT_PEER = { weight: 1, maxFails: 1, failTimeoutS: 10, backup: false, down: false };
const DEFAULT_POLICY: NextUpstreamPolicy = { error: true, timeout: true, tries: 0, source: null };

function target(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** The verdict back as the NginxOutcome it was made from. */
export function outcomeOf(a: AddressVerdict): NginxOutcome {
  return { ok: a.verdict === 'ok', status: a.status, level: a.level, error: a.error, verifyCode: a.verifyCode, stage: a.stage };
}

export function addressVerdict(a: ResolvedAddress, r: ProbeReport): AddressVerdict {
  const n = r.diagnosis.nginx;
  return {
    address: a.address,
    family: a.family,
    verdict: n.ok ? 'ok' : 'fail',
    status: n.status,
    level: n.level,
    error: n.error,
    verifyCode: n.verifyCode,
    stage: n.stage,
    leafSha256: r.sent[0]?.sha256 ?? null,
  };
}

/** Requests 1..N through an implicit upstream whose peers are these addresses. */
export function balancingFor(addresses: AddressVerdict[], reports: ProbeReport[], port: number, host: string, count?: number) {
  const peers = addresses.map((a, i) => ({ ...IMPLICIT_PEER, address: target(a.address, port), server: target(host, port), outcome: reports[i].diagnosis.nginx }));
  const n = count ?? Math.max(6, addresses.length * 2);
  const p = predictRequests(peers, DEFAULT_POLICY, n);
  return p && { ...p, policy: DEFAULT_POLICY };
}

/** Every address of `o.host`, probed in parallel within the run's budget; the first failing one's report in front. */
export async function runProbeAddresses(o: AddressesRunOptions): Promise<{ report: ProbeReport; addresses: AddressesReport }> {
  // One budget for the run (--timeout): resolution draws on it, as DNS did inside the handshake's deadline before.
  const started = monotonicMs();
  const resolved = await resolveAddresses(o.host, { resolver: o.resolver, lookup: o.lookupAll, timeoutMs: o.timeoutMs });
  o = { ...o, timeoutMs: Math.max(1, o.timeoutMs - Math.round(monotonicMs() - started)) };
  if (!resolved.ok) {
    // The probe reports it as it always did (DNS_FAILURE), without asking any other resolver again.
    const err = Object.assign(new Error(resolved.error.message), { code: resolved.error.code });
    const report = await runProbe({ ...o, lookup: pinnedLookup(() => err) });
    return { report, addresses: { via: resolved.via, addresses: [], balancing: null, resolveError: resolved.error } };
  }
  const list = resolved.addresses;
  const pin = (a: ResolvedAddress) => (resolved.via === 'literal' && !o.lookup ? {} : { lookup: pinnedLookup(() => [a]) });
  const reports = await Promise.all(list.map((a, i) => runProbe({ ...o, ...pin(a), ...(i > 0 ? { log: undefined } : {}) })));
  const addresses = list.map((a, i) => addressVerdict(a, reports[i]));
  // The detailed report (findings, fix) is the first failing address's: that is the node to fix.
  const front = Math.max(0, addresses.findIndex((a) => a.verdict === 'fail'));
  const report = reports[front];
  if (list.length > 1) report.notes.push(`${o.host} has ${list.length} addresses; this report is for ${list[front].address} (every address: see addresses)`);
  const differ = new Set(addresses.map((a) => a.leafSha256)).size > 1;
  if (differ) report.notes.push('the addresses of this name present different certificates: each is judged on its own (see addresses)');
  return {
    report,
    addresses: {
      via: resolved.via,
      addresses,
      balancing: list.length > 1 ? balancingFor(addresses, reports, o.port, o.host, o.requests) : null,
      resolveError: null,
    },
  };
}
