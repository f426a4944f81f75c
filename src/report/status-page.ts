/**
 * The status page of `tlsdoctor serve` (GET /), pure: the latest result of every listed target and the time in,
 * one HTML document out. A table sorted by urgency (status, cause, per-address verdicts, when it fails) and the
 * expiry timeline (status-timeline.ts, inline SVG).
 *
 * No script, no external asset, no style attribute: the only style is the <style> element, whose hash the
 * Content-Security-Policy allows (src/check/status-page-response.ts), so the page is the same with JavaScript off,
 * and a string that slipped through escaping could neither run nor load anything. Every string from a
 * certificate, a server or a targets file is hostile (a subject `CN=<script>...`) and goes through htmlText().
 * A status is always a word as well as a colour (WCAG 2.1 SC 1.4.1, "Use of Color").
 */
import type { CheckResult } from '../check/types.js';
import { daysLeftText } from './days-left.js';
import { escapeHtml, htmlText } from './html-escape.js';
import { sortedRows, type Failure, type StatusEntry, type StatusRow } from './status-order.js';
import { timelineSvg } from './status-timeline.js';

export interface StatusPageInput {
  entries: StatusEntry[];
  now: Date;
  /** Seconds between scheduled check rounds: the page reloads itself that often (meta refresh, no script). */
  refreshSeconds?: number;
  /** Plain text shown at the end (the exporter's endpoints). */
  help?: string;
}

export const STATUS_PAGE_CSS = [
  'body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}',
  'table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}',
  'thead th{background:#eee}tbody th{font-weight:normal}code{overflow-wrap:anywhere}ul{margin:0;padding-left:1.1em}.muted{color:#555}',
  '.s-critical{background:#fde0e0}.s-unknown{background:#ececec}.s-warning{background:#fff1cc}.s-ok{background:#e3f5e1}',
  'td.status{font-weight:bold;white-space:nowrap}svg{max-width:100%;height:auto;font-size:12px}',
  'svg .grid{stroke:#bbb}svg .now{stroke:#1b1b1b}svg .mark-critical,svg .mark-unknown{fill:#b71c1c}svg .mark-warning{fill:#8a5300}svg .mark-ok{fill:#1b5e20}',
  'pre{background:#f6f6f6;padding:.5em;overflow-x:auto}',
].join('\n');

function utcText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function targetCell(e: StatusEntry): string {
  const r = e.result;
  const parts = [`<strong>${htmlText(e.id)}</strong>`];
  if (r && r.proxySslName !== r.host) parts.push(`<br><span class="muted">proxy_ssl_name ${htmlText(r.proxySslName)}</span>`);
  if (r) parts.push(`<br><span class="muted">${htmlText(r.origin)}</span>`);
  return parts.join('');
}

function causeCell(r: CheckResult | undefined): string {
  if (!r) return '<span class="muted">not checked yet</span>';
  const parts: string[] = [];
  if (r.error) parts.push(`could not check: <code>${htmlText(r.error.code)}</code> ${htmlText(r.error.message)}`);
  if (r.nginx && !r.nginx.ok) {
    const what = r.nginx.status === null ? 'nginx would not start' : `nginx answers ${r.nginx.status}`;
    parts.push(`${what}: <code>[${htmlText(r.nginx.level ?? 'error')}] ${htmlText(r.nginx.error ?? '')}</code>`);
  }
  const codes = r.reason.filter((c) => c !== r.error?.code);
  if (codes.length) parts.push(`reason: ${codes.map((c) => `<code>${htmlText(c)}</code>`).join(', ')}`);
  return parts.length ? parts.join('<br>') : 'nginx proxies';
}

function addressesCell(r: CheckResult | undefined): string {
  if (!r?.addresses?.length) return '<span class="muted">—</span>';
  const items = r.addresses.map((a) => {
    const why = a.error ? `: ${htmlText(a.error)}` : '';
    return `<li><code>${htmlText(a.address)}</code> ${a.verdict === 'ok' ? 'ok' : '<strong>fails</strong>'} (${htmlText(a.status)})${why}</li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

function failsCell(f: Failure | undefined, now: Date): string {
  if (!f) return '<span class="muted">unknown</span>';
  const why = `<br><span class="muted">${htmlText(f.because)}${f.from === 'forecast' ? ' (forecast)' : ''}</span>`;
  // Failing now by nginx's own verdict: the Cause column already holds the error line.
  if (f.from === 'nginx') return '<strong>now</strong>';
  if (f.failingNow) return `<strong>now</strong>${why}`;
  return `${utcText(f.atMs)} (in ${daysLeftText(f.atMs - now.getTime(), 1)} days)${why}`;
}

function checkedCell(e: StatusEntry, now: Date): string {
  if (!e.checkedAt) return '<span class="muted">—</span>';
  const ago = Math.max(0, Math.round((now.getTime() - e.checkedAt.getTime()) / 1000));
  return `${utcText(e.checkedAt.getTime())}<br><span class="muted">${ago} s ago</span>`;
}

function tableOf(rows: StatusRow[], now: Date): string {
  const head = ['Status', 'Target', 'Cause', 'Addresses', 'Fails', 'Checked'].map((t) => `<th scope="col">${t}</th>`).join('');
  const body = rows.map((r) => {
    const cells = [
      `<td class="status">${r.status}</td>`,
      `<th scope="row">${targetCell(r.entry)}</th>`,
      `<td>${causeCell(r.entry.result)}</td>`,
      `<td>${addressesCell(r.entry.result)}</td>`,
      `<td>${failsCell(r.failure, now)}</td>`,
      `<td>${checkedCell(r.entry, now)}</td>`,
    ];
    return `<tr class="s-${r.status.toLowerCase()}" data-target="${escapeHtml(r.entry.id)}">${cells.join('')}</tr>`;
  });
  return [
    '<table id="targets">',
    '<caption>Most urgent first: CRITICAL and UNKNOWN, then WARNING, then OK; within each, the soonest failure first</caption>',
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body.join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}

function countsText(rows: StatusRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const parts = ['CRITICAL', 'UNKNOWN', 'WARNING', 'OK', 'PENDING'].filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  return `${rows.length} target${rows.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function renderStatusPage(input: StatusPageInput): string {
  const { now } = input;
  const rows = sortedRows(input.entries, now);
  const main =
    rows.length === 0
      ? '<p>No targets are listed: start <code>tlsdoctor serve</code> with <code>--targets FILE</code> to see them here.</p>'
      : [`<p>${escapeHtml(countsText(rows))}. Generated ${utcText(now.getTime())}.</p>`, tableOf(rows, now), '<h2>Expiry timeline</h2>', timelineSvg(rows, now)].join('\n');
  const refresh = input.refreshSeconds && input.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${Math.max(1, Math.round(input.refreshSeconds))}">` : '';
  // The title carries the worst status, so a browser tab or a bookmark list shows it.
  const title = rows.length ? `tlsdoctor: ${rows[0].status}, ${countsText(rows)}` : 'tlsdoctor';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    refresh,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STATUS_PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>tlsdoctor: TLS upstreams as nginx sees them</h1>',
    main,
    input.help ? `<h2>Endpoints</h2>\n<pre>${htmlText(input.help, 10_000)}</pre>` : '',
    '</body>',
    '</html>',
    '',
  ]
    .filter((l, i, all) => l !== '' || i === all.length - 1)
    .join('\n');
}
