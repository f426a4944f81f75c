/**
 * The `nginx` command's text for every address and every request: per-address verdicts of each server line whose
 * name has several addresses, requests 1..N through each location (only when some request logs or fails), and
 * the locations whose verdict depends on request order through nginx's shared session cache.
 */
import type { SessionOrderEffect } from '../nginx/session-reuse.js';
import type { SessionOrderGroup } from './addresses-model.js';
import { addressesText, balancingText } from './addresses-text.js';
import type { NginxLocationRow, NginxUpstreamRow } from './nginx-model.js';

export function fleetLocationLines(l: NginxLocationRow, rows: NginxUpstreamRow[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const a = row.addresses;
    if (!a || a.addresses.length < 2 || !row.server) continue;
    out.push(...addressesText(`  server ${row.server.address}`, a.via === 'resolver' ? 'asked the resolver' : 'system resolver', a.addresses).map((x) => `  ${x}`));
  }
  const b = l.requests;
  if (b && b.requests.some((r) => r.lines.length > 0 || !r.ok) && (rows.length > 1 || out.length > 0)) {
    out.push(...balancingText(b, `${l.upstream.directive} ${l.upstream.pass}`).map((x) => `  ${x}`));
  }
  return out;
}

function effectLine(e: SessionOrderEffect): string {
  const how = e.gets.ok ? `${e.gets.status} (its own verdict would be ${e.fresh.status}: ${e.fresh.error})` : `${e.gets.status} (${e.gets.error})`;
  const lasts = e.lasts === 'until-session-expires' ? 'until the session expires' : 'on the next request (TLS 1.3: a ticket is used once)';
  return `    after a request through ${e.first}, ${e.then} gets ${how} ${lasts}`;
}

export function sessionOrderLines(groups: SessionOrderGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    out.push('', `Request order decides (shared SSL session of upstream server ${g.server}, proxy_ssl_session_reuse on):`);
    for (const e of g.effects) out.push(effectLine(e));
    const proof = g.remaining.length === 0 ? 'then no order changes any verdict (modelled)' : `${g.remaining.length} order effect(s) remain`;
    out.push(`  fix: proxy_ssl_session_reuse off; in ${g.reuseOff.join(', ')} (or the same trust in every location): ${proof}.`);
  }
  return out;
}
