/**
 * The pre-deploy check as text: what was judged against what, one table row per location (where, upstream,
 * verdict, the line nginx would log), then the count that decides the exit code.
 */
import { blockLabel } from './location-label.js';
import type { PredeployReport, PredeployRow } from './predeploy-model.js';
import { textTable } from './summary-table.js';
import { TOOL_VERSION } from './version.js';

function verdict(r: PredeployRow): string {
  if (r.ok === null) return '?';
  if (r.ok) return 'OK';
  return r.status === null ? 'FAIL (nginx does not start)' : `FAIL ${r.status}`;
}

function what(r: PredeployReport): string {
  const chain = r.chainFile ? `the new chain ${r.chainFile}` : null;
  const bundle = r.bundleFile ? `the new bundle ${r.bundleFile} in place of ${r.replaces}` : null;
  return [chain, bundle].filter(Boolean).join(' with ');
}

export function predeployText(r: PredeployReport): string {
  const out: string[] = [];
  out.push(`Pre-deploy check: ${what(r)}; nginx configuration ${r.config}; modelled as nginx ${r.nginxVersion} (${r.nginxVersionSource}).`);
  out.push(
    r.mode === 'chain'
      ? `Locations that ${r.upstream ? `proxy to ${r.upstream}` : 'check a name the new certificate is issued for'}, each with its own settings:`
      : 'Locations whose proxy_ssl_trusted_certificate is that file, probed live with the new bundle:',
  );
  const rows = r.rows.map((x) => [`${x.upstream.file}:${x.upstream.line}`, blockLabel(x.upstream), x.server ?? x.upstream.pass, verdict(x), x.line ?? x.skipped ?? '']);
  out.push(...textTable(['WHERE', 'BLOCK', 'UPSTREAM', 'VERDICT', 'NGINX WOULD LOG'], rows));
  const notes = [...new Set(r.rows.flatMap((x) => x.notes))];
  for (const n of notes) out.push(`note: ${n}`);
  const failing = r.rows.filter((x) => x.ok === false).length;
  const unknown = r.rows.filter((x) => x.ok === null).length;
  const after = r.mode === 'chain' ? 'once the upstream serves this chain' : 'once nginx is reloaded with this bundle';
  out.push(
    failing > 0
      ? `Result: ${failing} of ${r.rows.length} location${r.rows.length === 1 ? '' : 's'} would fail ${after}: do not deploy it as is.`
      : unknown > 0
        ? `Result: ${unknown} of ${r.rows.length} location${r.rows.length === 1 ? '' : 's'} could not be judged (see above); the others still verify ${after}.`
        : `Result: every location (${r.rows.length}) still verifies ${after}.`,
  );
  return out.join('\n') + '\n';
}

export const PREDEPLOY_SCHEMA_VERSION = 1;

/** The versioned JSON document of the pre-deploy check. */
export function predeployDocument(r: PredeployReport): Record<string, unknown> {
  return {
    schemaVersion: PREDEPLOY_SCHEMA_VERSION,
    tool: { name: 'tlsdoctor', version: TOOL_VERSION },
    command: 'verify --nginx-config',
    mode: r.mode,
    chain: r.chainFile,
    bundle: r.bundleFile,
    replaces: r.replaces,
    upstream: r.upstream,
    nginxVersion: r.nginxVersion,
    config: r.config,
    ok: r.rows.every((x) => x.ok === true),
    locations: r.rows.map((x) => ({
      id: x.upstream.id,
      file: x.upstream.file,
      line: x.upstream.line,
      location: x.upstream.location,
      proxyPass: x.upstream.pass,
      server: x.server,
      ok: x.ok,
      status: x.status,
      logLine: x.line,
      codes: x.codes,
      skipped: x.skipped,
    })),
  };
}
