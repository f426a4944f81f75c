/**
 * `probe --brief`: one line per target, monitoring-plugin style (Nagios plugin API "Plugin Output": status word
 * first, then text), for a terminal full of targets, a chat message or `--watch`.
 *   OK 10.0.2.88:8443 - nginx verifies and proxies; earliest expiry 2026-03-01 (86 days)
 *   FAIL 10.0.2.88:8443 - 502 [error] upstream SSL certificate verify error: (20:...) ... (MISSING_INTERMEDIATE)
 */
import { daysLeft } from './days-left.js';
import type { ProbeReport } from './model.js';

export function briefVerdict(r: ProbeReport): 'OK' | 'FAIL' {
  return r.diagnosis.nginx.ok ? 'OK' : 'FAIL';
}

function where(r: ProbeReport): string {
  if (!r.target) return 'the given chain';
  return `${r.target.host.includes(':') ? `[${r.target.host}]` : r.target.host}:${r.target.port}`;
}

export function probeBrief(r: ProbeReport): string {
  const d = r.diagnosis;
  const codes = [...new Set(d.findings.filter((f) => f.severity !== 'info').map((f) => f.code))];
  const tail = codes.length ? ` (${codes.join(', ')})` : '';
  if (d.nginx.ok) {
    const exp = d.earliestNotAfter;
    const expiry = exp ? `; earliest expiry ${exp.slice(0, 10)} (${daysLeft(Date.parse(exp) - r.at.getTime())} days)` : '';
    return `OK ${where(r)} - nginx verifies and proxies${expiry}${tail}`;
  }
  const status = d.nginx.status === null ? 'nginx does not start' : String(d.nginx.status);
  return `FAIL ${where(r)} - ${status} [${d.nginx.level}] ${d.nginx.error}${tail}`;
}
