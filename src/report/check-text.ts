/**
 * The human report of `tlsdoctor check`: the Nagios/Icinga status line first (plugin output `STATUS: text |
 * perfdata`, Nagios plugin API "Plugin Output"), then a table sorted by urgency, then one detail block per
 * target that is not OK (long output: Nagios shows it under the first line).
 */
import { daysLeftText } from './days-left.js';
import { failureCauseText } from '../check/forecast.js';
import { isSoon } from '../check/thresholds.js';
import type { CheckResult, CheckRun, CheckStatus } from '../check/types.js';

const DAY_S = 86_400;

/** Most urgent first: what needs a person now, then what soon will, then what could not be checked. */
const URGENCY: CheckStatus[] = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'];

/** Table order: urgency, then the earliest expiry, then the id. */
function byUrgency(a: CheckResult, b: CheckResult): number {
  return (
    URGENCY.indexOf(a.status) - URGENCY.indexOf(b.status) ||
    (a.notAfter ?? '9999').localeCompare(b.notAfter ?? '9999') ||
    a.id.localeCompare(b.id)
  );
}

function daysText(seconds: number): string {
  return daysLeftText(seconds * 1000, 1);
}

/** Perfdata label=value;warn;crit (the thresholds in days, as the value). */
function perfdata(run: CheckRun): string {
  const s = run.summary;
  const warn = run.thresholds.warnMs / (DAY_S * 1000);
  const crit = run.thresholds.critMs / (DAY_S * 1000);
  const parts = [`critical=${s.counts.CRITICAL}`, `warning=${s.counts.WARNING}`, `unknown=${s.counts.UNKNOWN}`, `ok=${s.counts.OK}`];
  if (s.minSecondsLeft !== null) parts.push(`min_days_left=${daysText(s.minSecondsLeft)};${warn};${crit}`);
  return parts.join(' ');
}

export function statusLine(run: CheckRun): string {
  const s = run.summary;
  const c = s.counts;
  let text = `${s.status}: ${c.CRITICAL} critical, ${c.WARNING} warning, ${c.UNKNOWN} unknown, ${c.OK} ok of ${s.total} target${s.total === 1 ? '' : 's'}`;
  const soonest = [...run.results]
    .filter((r) => r.notAfter !== null)
    .sort((a, b) => a.notAfter!.localeCompare(b.notAfter!))[0];
  if (soonest && s.minSecondsLeft !== null) {
    text += s.minSecondsLeft < 0 ? `; ${soonest.id} has an expired certificate` : `; earliest expiry in ${daysText(s.minSecondsLeft)} days (${soonest.id})`;
  }
  return `${text} | ${perfdata(run)}`;
}

function nginxCell(r: CheckResult): string {
  if (!r.nginx) return '-';
  if (r.nginx.ok) return 'ok';
  return r.nginx.status === null ? 'no start' : String(r.nginx.status);
}

function daysLeftCell(r: CheckResult): string {
  const all = [...r.path, ...r.clientCerts];
  if (all.length === 0) return '-';
  return daysText(Math.min(...all.map((c) => c.secondsLeft)));
}

/** When nginx first fails (src/check/forecast.ts): `now`, a UTC minute, or `-` (nothing dated / not checked). */
function failsAtCell(r: CheckResult): string {
  const f = r.forecast;
  if (!f?.failsAt) return '-';
  return f.failsBecause?.kind === 'now' ? 'now' : `${f.failsAt.slice(0, 16).replace('T', ' ')}Z`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

function details(r: CheckResult, run: CheckRun): string[] {
  const lines = [`${r.status} ${r.id} (${r.origin}${r.proxySslName !== r.host ? `, proxy_ssl_name ${r.proxySslName}` : ''})`];
  if (r.error) lines.push(`  could not check: ${r.error.code}: ${r.error.message}`);
  if (r.nginx && !r.nginx.ok) {
    lines.push(`  nginx ${r.nginx.status === null ? 'would not start' : `would answer ${r.nginx.status}`}: [${r.nginx.level}] ${r.nginx.error}`);
  }
  for (const c of [...r.path, ...r.clientCerts]) {
    const ms = c.secondsLeft * 1000;
    if (ms >= 0 && !isSoon(c, run.thresholds)) continue;
    const where = c.source === 'client' ? `client certificate #${c.depth}` : `depth ${c.depth} (${c.source})`;
    const when = c.secondsLeft < 0 ? `expired ${daysText(-c.secondsLeft)} days ago` : `expires in ${daysText(c.secondsLeft)} days`;
    lines.push(`  ${where} ${c.subject}: ${when}, notAfter ${c.notAfter}`);
  }
  if (r.reason.length) lines.push(`  reason: ${r.reason.join(', ')}`);
  const f = r.forecast;
  if (f?.failsAt && f.failsBecause && f.failsBecause.kind !== 'now') lines.push(`  nginx fails at ${f.failsAt}: ${failureCauseText(f.failsBecause)}`);
  if ((r.addresses?.length ?? 0) > 1) for (const a of r.addresses!) lines.push(`  address ${a.address}: ${a.status}${a.error ? ` ${a.error}` : ''}`);
  return lines;
}

/** The report in chunks (status line, table, details), written one after the other. */
export function* checkTextChunks(run: CheckRun): Generator<string> {
  const sorted = [...run.results].sort(byUrgency);
  // NAME: what nginx verifies (proxy_ssl_name), part of the target's identity; FAILS AT: the forecast.
  const rows = [['STATUS', 'TARGET', 'NAME', 'DAYS LEFT', 'FAILS AT', 'NGINX', 'REASON']];
  for (const r of sorted) rows.push([r.status, r.id, r.proxySslName, daysLeftCell(r), failsAtCell(r), nginxCell(r), r.reason.join(',') || '-']);
  yield `${statusLine(run)}\n\n`;
  const lines = table(rows);
  for (let i = 0; i < lines.length; i += 512) yield lines.slice(i, i + 512).join('\n') + '\n';
  const bad = sorted.filter((r) => r.status !== 'OK');
  if (bad.length) {
    yield '\n';
    for (const r of bad) yield details(r, run).join('\n') + '\n';
  }
}

export function checkText(run: CheckRun): string {
  return [...checkTextChunks(run)].join('');
}
