/**
 * The versioned JSON document of `tlsdoctor nginx --json` (docs/nginx-and-explain.md, "JSON"). Each upstream row
 * carries the same `nginx`, `findings` and `fix` fields as `probe --json` (probeDocument), except that `nginx`
 * is what nginx does as configured: with proxy_ssl_verify off, certificate failures proxy with 200, and what
 * would happen with verification on is in `nginxWithVerifyOn`.
 */
import { LINT_CODES } from '../nginx/lints.js';
import { renderLintFinding } from './explain-text.js';
import type { NginxRunReport, NginxUpstreamRow } from './nginx-model.js';
import { probeDocument } from './probe-json.js';
import { TOOL_VERSION } from './version.js';

export const NGINX_SCHEMA_VERSION = 1;

function serverAddress(row: NginxUpstreamRow): string | null {
  const s = row.server;
  if (!s) return null;
  if (s.unix !== undefined) return s.address;
  if (s.port === null) return s.address;
  return `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
}

function rowDocument(row: NginxUpstreamRow): Record<string, unknown> {
  const u = row.upstream;
  const probe = row.report ? probeDocument(row.report) : null;
  const verify = u.settings.verify.value;
  return {
    id: u.id,
    file: u.file,
    line: u.line,
    location: u.location,
    module: u.module,
    directive: u.directive,
    proxyPass: u.pass,
    upstreamBlock: u.upstreamBlock ? { name: u.upstreamBlock.args[0] ?? '', file: u.upstreamBlock.file, line: u.upstreamBlock.line } : null,
    server: serverAddress(row),
    serverDirective: row.server && u.upstreamBlock ? { file: row.server.file, line: row.server.line } : null,
    backup: row.server?.backup ?? false,
    down: row.server?.down ?? false,
    verifiedName: u.verifiedName,
    sni: u.sni,
    settings: u.settings,
    paths: u.paths,
    unresolved: u.unresolved,
    probed: row.report !== null,
    skipped: row.skipped,
    refusesToStart: row.refusesToStart,
    nginx: row.nginx,
    nginxWithVerifyOn: !verify && probe ? probe.nginx : null,
    findings: probe?.findings ?? [],
    fix: probe?.fix ?? null,
    diff: row.diff,
    connection: probe?.connection ?? null,
    presentedChain: probe?.presentedChain ?? [],
    path: probe?.path ?? [],
    verifyErrors: probe?.verifyErrors ?? [],
    trustedCount: row.report?.trust.count ?? null,
    probeCommand: row.probeCommand,
    notes: [...row.notes, ...(row.report?.notes ?? [])],
    // Every address of the server's name (additive, schemaVersion 1): [] when not probed.
    resolvedVia: row.addresses?.via ?? null,
    addresses: row.addresses?.addresses ?? [],
  };
}

export function nginxDocument(r: NginxRunReport): Record<string, unknown> {
  return {
    schemaVersion: NGINX_SCHEMA_VERSION,
    tool: { name: 'tlsdoctor', version: TOOL_VERSION },
    command: 'nginx',
    at: r.at.toISOString(),
    nginxVersion: r.nginxVersion,
    nginxVersionSource: r.nginxVersionSource,
    nginxVersionNote: r.nginxVersionNote,
    source: r.source,
    probed: r.probed,
    refusesToStart: r.refusesToStart,
    lints: r.lints.map((f) => ({
      code: f.code,
      severity: f.severity,
      file: f.file,
      line: f.line,
      refusesToStart: LINT_CODES[f.code].refusesToStart,
      message: renderLintFinding(f),
      evidence: f.evidence,
    })),
    suppressed: (r.suppressed ?? []).map((x) => ({
      code: x.finding.code,
      severity: x.finding.severity,
      file: x.finding.file,
      line: x.finding.line,
      message: renderLintFinding(x.finding),
      justification: x.by.reason,
      suppressedAt: { file: x.by.file, line: x.by.line },
    })),
    suppressions: (r.suppressions ?? []).map((x) => ({ file: x.file, line: x.line, target: x.target, rules: x.rules, reason: x.reason, matched: x.matched })),
    upstreams: r.rows.map(rowDocument),
    locations: r.locations.map((l) => ({
      id: l.upstream.id,
      file: l.upstream.file,
      line: l.upstream.line,
      location: l.upstream.location,
      proxyPass: l.upstream.pass,
      ok: l.outcome.ok,
      status: l.outcome.status,
      lines: l.outcome.lines,
      servedBy: l.outcome.servedBy,
      nextUpstream: l.policy,
      requests: l.requests ?? null,
    })),
    sessionOrder: r.sessionOrder ?? [],
  };
}
