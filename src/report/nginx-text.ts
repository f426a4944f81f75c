/**
 * `tlsdoctor nginx` as text: the network-free lints first, then one block per location — where it is, what a
 * request gets and the exact line nginx logs, then per upstream server the findings and the fix as a diff
 * against the location block. Plain text, no colour (it is pasted into tickets).
 */
import { posix } from 'node:path';
import type { NginxOutcome } from '../diagnosis/types.js';
import { opensslFingerprint } from '../remediation/fingerprint.js';
import { isEmptyDiff, type LocationDiff } from '../remediation/location-diff.js';
import type { FixPlan } from '../remediation/types.js';
import { fleetLocationLines, sessionOrderLines } from './fleet-text.js';
import { renderLintFinding } from './explain-text.js';
import { blockLabel } from './location-label.js';
import { textTable } from './summary-table.js';
import { findingText } from './finding-text.js';
import type { NginxLocationRow, NginxRunReport, NginxUpstreamRow } from './nginx-model.js';
import { suppressionLines } from './suppression-text.js';

const SEV = { error: 'ERROR', warning: 'WARN ', info: 'info ' } as const;

function outcomeLine(o: NginxOutcome): string {
  if (o.ok) return `OK  nginx proxies the request (${o.status})`;
  if (o.status === null) return `FAIL  nginx does not start: [${o.level}] ${o.error}`;
  return `FAIL  ${o.status}: [${o.level}] ${o.error}`;
}

function serverAddress(row: NginxUpstreamRow): string {
  const s = row.server;
  if (!s) return '(unresolved)';
  if (s.port === null) return s.address;
  return `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
}

/**
 * A configured path as shown: `..` and `.` folded (`/etc/nginx/front/../corp-roots.pem` is shown as
 * `/etc/nginx/corp-roots.pem`), with the path as nginx opens it after it when they differ. nginx does not fold it
 * (ngx_conf_full_name only prefixes), and the kernel resolves `front/..` only when `front` exists, so the written
 * form stays visible.
 */
function displayPath(path: string): string {
  const folded = posix.normalize(path);
  return folded === path ? path : `${folded} (as written: ${path})`;
}

function settingsLine(row: NginxUpstreamRow): string {
  const u = row.upstream;
  const s = u.settings;
  const p = u.module === 'stream' ? 'proxy' : u.module;
  const parts = [
    `${p}_ssl_verify ${s.verify.value ? 'on' : 'off'}`,
    `name ${u.verifiedName ?? '(unresolved)'}`,
    u.sni ? `SNI ${u.sni}` : 'no SNI',
    `depth ${s.verifyDepth.value}`,
    s.protocols.value.join(' '),
    `trusted ${u.paths.trustedCertificate ? displayPath(u.paths.trustedCertificate) : '(none)'}${row.report ? ` (${row.report.trust.count} certs)` : ''}`,
  ];
  if (u.paths.certificate) parts.push(`client certificate ${u.paths.certificate}`);
  return parts.join(', ');
}

function diffLines(d: LocationDiff, plan: FixPlan, indent: string): string[] {
  const out: string[] = [];
  const args = d.block.args.length ? ` ${d.block.args.join(' ')}` : '';
  out.push(`${indent}in ${d.block.name}${args} at ${d.block.file}:${d.block.line}:`);
  for (const o of d.overrides) out.push(`${indent}  # overrides ${o.text} inherited from ${o.level} level at ${o.file}:${o.line}`);
  for (const r of d.remove) out.push(`${indent}  - ${r.text}    # ${r.file}:${r.line}`);
  for (const a of d.add) out.push(`${indent}  + ${a.text}`);
  if (d.newTrustedFile) {
    const bundle = plan.files.find((f) => f.name === 'trusted-ca.pem');
    if (bundle) {
      out.push(`${indent}  and create ${d.newTrustedFile} holding:`);
      for (const t of plan.trust) {
        out.push(`${indent}    ${t.role}: ${t.subject}`);
        out.push(`${indent}      SHA-256 ${opensslFingerprint(t.sha256)}${t.newlyTrusted ? '  NEW: check it out of band before trusting it' : ''}`);
        if (t.warning) out.push(`${indent}      WARNING: ${t.warning}`);
      }
    } else {
      out.push(`${indent}  and put the upstream's root CA certificate in ${d.newTrustedFile} (no certificate was seen to build it from)`);
    }
  }
  return out;
}

function fixLines(row: NginxUpstreamRow, indent: string): string[] {
  const plan = row.report?.fix;
  if (!plan) return [];
  const out: string[] = [];
  const verifyOff = !row.upstream.settings.verify.value;
  if (plan.alreadyOk && !verifyOff) return out;
  out.push(`${indent}Fix:`);
  if (plan.upstreamChanges.length > 0) {
    out.push(`${indent}  On the upstream${plan.nginxFixable ? ' (the durable fix)' : ' (the only fix)'}:`);
    for (const c of plan.upstreamChanges) out.push(`${indent}    - ${c}`);
  }
  if (row.diff && !isEmptyDiff(row.diff)) {
    out.push(`${indent}  ${plan.nginxFixable ? 'nginx side' : 'nginx side, once the upstream is fixed'}:`);
    out.push(...diffLines(row.diff, plan, `${indent}    `));
  }
  if (plan.manual?.length) {
    out.push(`${indent}  By hand:`);
    for (const m of plan.manual) out.push(`${indent}    - ${m}`);
  }
  if (plan.verified === true) out.push(`${indent}  fix verified: yes (a second handshake judged with these settings: nginx would verify and proxy)`);
  else if (plan.verified === false) out.push(`${indent}  fix verified: no (nginx would still log: ${plan.verifyError ?? 'an error'})`);
  else if (plan.alreadyOk) out.push(`${indent}  fix verified: yes (verification on with these settings succeeds)`);
  if (row.diff?.newTrustedFile && row.probeCommand) out.push(`${indent}  files (the CA bundle, the snippet): ${row.probeCommand} --out DIR --install-path ${row.diff.newTrustedFile}`);
  for (const d of plan.deadEnds) out.push(`${indent}  - ${d}`);
  return out;
}

function rowLines(row: NginxUpstreamRow, single: boolean): string[] {
  const out: string[] = [];
  const indent = '  ';
  const role = row.server?.backup ? ' (backup)' : row.server?.down ? ' (down)' : '';
  const from = row.server && row.upstream.upstreamBlock ? ` (${row.server.file}:${row.server.line})` : '';
  out.push(`${indent}server ${serverAddress(row)}${role}${from}`);
  if (row.probeCommand !== null) out.push(`${indent}  as nginx: ${settingsLine(row)}`);
  if (row.skipped !== null) {
    out.push(`${indent}  not probed: ${row.skipped}`);
    return out;
  }
  if (!row.report || !row.nginx) return out;
  if (!single) out.push(`${indent}  ${outcomeLine(row.nginx)}`);
  if (!row.upstream.settings.verify.value) {
    const on = row.report.diagnosis.nginx;
    out.push(`${indent}  with proxy_ssl_verify on: ${on.ok ? 'OK, it would verify' : outcomeLine(on).replace(/^FAIL {2}/, 'FAIL ')}`);
  }
  const findings = row.report.diagnosis.findings;
  if (findings.length > 0) {
    out.push(`${indent}  Findings:`);
    for (const f of findings) {
      const who = f.cert ? ` [${f.cert.index !== undefined ? `#${f.cert.index} ` : ''}${f.cert.subject}]` : '';
      out.push(`${indent}    ${SEV[f.severity]} ${f.code}${who}: ${findingText(f)}`);
    }
  }
  for (const n of [...row.notes, ...row.report.notes]) out.push(`${indent}  note: ${n}`);
  out.push(...fixLines(row, `${indent}  `));
  return out;
}

/**
 * nginx refuses to start (a lint, or a client certificate it cannot load): no request reaches any location, so
 * clients get a refused connection and nothing is logged per request (ngx_init_cycle fails before listening).
 */
const NOT_STARTED = '  FAIL  nginx does not start: clients get connection refused (nothing is logged per request)';

function locationHeader(l: NginxLocationRow, refusesToStart: boolean): string[] {
  const u = l.upstream;
  const out = [`${u.file}:${u.line}  ${blockLabel(u)}  ${u.directive} ${u.pass}`];
  const o = l.outcome;
  // nginx that refuses to start answers no request: clients get connection refused and nothing is logged per
  // request (the [emerg] is logged once, at start-up), whatever the probe says this location would do.
  if (refusesToStart) {
    out.push(NOT_STARTED);
    if (o.ok === false && o.status !== null) out.push(`    once it starts, clients get ${o.status}${o.lines.length ? '; nginx logs:' : ''}`);
    else if (o.ok) out.push('    once it starts, nginx proxies the request');
  } else if (o.ok === null) out.push('  ?  not predicted: a server was not probed (see below)');
  else if (o.ok) {
    out.push(`  OK  nginx proxies the request (${o.status})${o.lines.length ? ' after retrying the next server' : ''}`);
  } else if (o.status === null) out.push('  FAIL  nginx does not start:');
  else out.push(`  FAIL  clients get ${o.status}${o.lines.length ? '; nginx logs:' : ' (no live upstream server)'}`);
  for (const line of o.lines) out.push(`    [${line.level}] ${line.error}${u.servers.length > 1 ? `  (upstream ${line.server})` : ''}`);
  if (o.ok && o.lines.length && !refusesToStart) out.push('    (it logs the lines above, then proxy_next_upstream tries the next server)');
  return out;
}

function verdictCell(l: NginxLocationRow, refusesToStart: boolean): string {
  const o = l.outcome;
  if (refusesToStart || (o.ok === false && o.status === null)) return 'NO START';
  if (o.ok === null) return '?';
  return o.ok ? 'OK' : `FAIL ${o.status}`;
}

/** The cause column: the error findings of the location's servers, else what stopped the prediction. */
function causeCell(l: NginxLocationRow, rows: NginxUpstreamRow[]): string {
  const mine = rows.filter((x) => x.upstream === l.upstream);
  const codes: string[] = [...new Set(mine.flatMap((x) => x.report?.diagnosis.findings.filter((f) => f.severity === 'error').map((f) => f.code) ?? []))];
  if (!l.upstream.settings.verify.value) codes.unshift('PROXY_SSL_VERIFY_OFF');
  if (codes.length > 0) return codes.join(', ');
  const skipped = mine.find((x) => x.skipped !== null)?.skipped;
  if (skipped) return `not probed: ${skipped}`;
  return l.outcome.ok === false ? l.outcome.lines[0]?.error ?? '' : '-';
}

/** One row per location: where, upstream, verdict, cause — the whole picture before the details. */
function summaryTable(r: NginxRunReport, locations: NginxLocationRow[]): string[] {
  const rows = locations.map((l) => [`${l.upstream.file}:${l.upstream.line}`, blockLabel(l.upstream), l.upstream.pass, verdictCell(l, r.refusesToStart), causeCell(l, r.rows)]);
  return textTable(['WHERE', 'BLOCK', 'UPSTREAM', 'VERDICT', 'CAUSE'], rows);
}

export interface NginxTextOptions {
  /** Only the locations that fail (or are not predicted): the summary says how many OK ones are left out. */
  onlyFailing?: boolean;
}

export function nginxText(r: NginxRunReport, opts: NginxTextOptions = {}): string {
  const out: string[] = [];
  const included = r.source.files.length - 1;
  const from = r.source.kind === 'nginx -T' ? 'nginx -T' : r.source.kind === 'stdin' ? 'standard input' : r.source.main;
  out.push(`nginx configuration: ${from}${included > 0 ? ` (+${included} included file${included === 1 ? '' : 's'})` : ''}; modelled as nginx ${r.nginxVersion} (${r.nginxVersionSource}).`);
  if (r.nginxVersionNote) out.push(`Note: ${r.nginxVersionNote}`);
  const probed = r.rows.filter((x) => x.report !== null);
  const failing = probed.filter((x) => x.nginx && !x.nginx.ok);
  out.push(
    `${r.locations.length} TLS upstream use${r.locations.length === 1 ? '' : 's'}; ${probed.length} server probe${probed.length === 1 ? '' : 's'}` +
      (r.probed ? `, ${failing.length} failing.` : ' (--no-probe).'),
  );
  if (r.refusesToStart) out.push('nginx refuses to start with this configuration (see the errors below).');
  if (r.lints.length > 0) {
    out.push('');
    out.push('Configuration checks (no network):');
    for (const f of r.lints) out.push(`  ${renderLintFinding(f)}`);
  }
  const shown = opts.onlyFailing ? r.locations.filter((l) => l.outcome.ok !== true || r.refusesToStart) : r.locations;
  if (r.locations.length > 0 && r.probed) {
    out.push('');
    out.push(...summaryTable(r, shown));
    if (shown.length < r.locations.length) out.push(`  (${r.locations.length - shown.length} location${r.locations.length - shown.length === 1 ? '' : 's'} OK, not shown: --only-failing)`);
  }
  out.push(...suppressionLines(r));
  for (const l of shown) {
    out.push('');
    out.push(...locationHeader(l, r.refusesToStart));
    const rows = r.rows.filter((x) => x.upstream === l.upstream);
    for (const row of rows) out.push(...rowLines(row, rows.length === 1));
    out.push(...fleetLocationLines(l, rows));
  }
  out.push(...sessionOrderLines(r.sessionOrder ?? []));
  if (r.locations.length === 0) {
    out.push('');
    out.push('No proxy_pass https:// (grpcs://, suwsgi://, stream proxy_ssl on) found: nothing to probe.');
  }
  return out.join('\n') + '\n';
}
