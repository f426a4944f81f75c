/**
 * Per-address verdicts and the round-robin prediction (src/nginx/balancing.ts), as text and as the additive JSON
 * fields `addresses` and `balancing` of `probe --json` (schemaVersion unchanged: fields are only added).
 */
import type { BalancedRequest, BalancingPrediction } from '../nginx/balancing.js';
import type { LoggedLine, NextUpstreamPolicy } from '../nginx/location-outcome.js';

/** What one address gets; the shape shared by `probe`, `check`, `serve` and `nginx`. */
export interface AddressLine {
  address: string;
  family: 4 | 6;
  verdict: 'ok' | 'fail';
  status: number | null;
  level: string | null;
  error: string | null;
}

export type Balancing = BalancingPrediction & { policy: NextUpstreamPolicy };

function policyText(p: NextUpstreamPolicy): string {
  const kinds = [p.error ? 'error' : '', p.timeout ? 'timeout' : ''].filter(Boolean).join(' ') || 'off';
  return `proxy_next_upstream ${kinds}${p.tries ? `, proxy_next_upstream_tries ${p.tries}` : ''}`;
}

function lineText(l: LoggedLine): string {
  return `[${l.level}] ${l.error}${l.server ? ` (upstream ${l.server})` : ''}`;
}

function requestText(r: BalancedRequest): string[] {
  const head = `  request ${r.index}: ${r.ok ? `${r.status} from ${r.servedBy}` : `${r.status}`}`;
  return [head, ...r.lines.map((l) => `    ${lineText(l)}`)];
}

/** Requests 1..N: the share that fails, then every request that logs something (the quiet ones are counted). */
export function balancingText(b: Balancing, upstream: string): string[] {
  const n = b.requests.length;
  const out = [`Requests 1..${n} on a fresh nginx through ${upstream} (${policyText(b.policy)}): ${b.failed} of ${n} fail (${Math.round(b.failShare * 100)}%).`];
  if (b.firstNoLiveUpstreams !== null) out.push(`  "no live upstreams" from request ${b.firstNoLiveUpstreams} on, until fail_timeout passes.`);
  const loud = b.requests.filter((r) => r.lines.length > 0 || !r.ok);
  for (const r of loud) out.push(...requestText(r));
  if (loud.length < n) out.push(`  the ${n - loud.length} other request(s) succeed and log nothing.`);
  return out;
}

/** The per-address table: one line per address, the failing ones with what nginx logs. */
export function addressesText(name: string, via: string, list: AddressLine[]): string[] {
  const width = Math.max(...list.map((a) => a.address.length));
  const failing = list.filter((a) => a.verdict === 'fail').length;
  const out = [`${name} resolves to ${list.length} addresses (${via}); nginx uses every one: ${failing} of ${list.length} fail.`];
  for (const a of list) {
    out.push(`  ${a.address.padEnd(width)}  ${a.verdict === 'ok' ? 'OK' : `FAIL ${a.status ?? 'no start'} [${a.level}] ${a.error}`}`);
  }
  return out;
}
