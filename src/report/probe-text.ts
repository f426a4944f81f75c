/**
 * The one-screen human report: verdict first, then the chain as sent and the trust path, then findings,
 * then the fix. Plain text; no colour codes (it is pasted into tickets).
 */
import { certTimeText } from '../certs/time-text.js';
import type { Finding } from '../diagnosis/codes.js';
import type { PathItem } from '../diagnosis/types.js';
import { findingText } from './finding-text.js';
import type { ProbePhase, ProbeReport, RunCut } from './model.js';
import { fixText } from './fix-text.js';

const SEV: Record<Finding['severity'], string> = { error: 'ERROR', warning: 'WARN ', info: 'info ' };

const PHASE: Record<ProbePhase, string> = {
  'handshake-what-if': 'the what-if handshakes after the failed one',
  'sni-what-if': 'the SNI what-if handshake',
  'aia-fetch': 'the AIA fetch of missing issuers',
  'protocol-what-if': 'the protocol what-if handshakes',
  'closed-loop': 'the closed-loop handshake that verifies the fix',
};

/** What the run's single deadline left out; the verdict above it comes from the first handshake, complete. */
function cutLine(cut: RunCut): string {
  const skipped = cut.skipped.length > 0 ? `; not run: ${cut.skipped.map((p) => PHASE[p]).join(', ')}` : '';
  return `INCOMPLETE  --timeout ran out after ${cut.atMs} ms: ${PHASE[cut.phase]} did not finish${skipped}. The verdict above, from the first handshake, stands.`;
}

function short(sha: string): string {
  return sha.slice(0, 16);
}

function date(iso: string | Date): string {
  return (typeof iso === 'string' ? iso : certTimeText(iso)).slice(0, 10);
}

function sourceLabel(p: PathItem): string {
  switch (p.ref.source) {
    case 'sent':
      return `sent #${p.ref.index}`;
    case 'bundle':
      return 'from bundle';
    case 'pool':
      return 'from --intermediates';
    case 'fetched':
      return 'fetched via AIA';
    default:
      return p.ref.source;
  }
}

/**
 * The probe's notice when the Certificate message held more certificates than it records (PROBE_LIMITS
 * .maxCertificates, src/probe/probe.ts); it is in connection.error, alone or after "(also: ...)".
 */
const TRUNCATED = /server sent (\d+) certificates; only the first (\d+) were recorded/;

/**
 * The issuer missing above the top of the path: from the finding about that certificate. Not simply the first
 * MISSING_INTERMEDIATE: when AIA (or --intermediates) supplied some levels, each supplied intermediate has its
 * own MISSING_INTERMEDIATE naming itself, and the one still missing is in the UNKNOWN_CA about the top.
 */
function missingIssuerOf(findings: Finding[], top: PathItem): string | undefined {
  const f = findings.find(
    (x) =>
      (x.code === 'MISSING_INTERMEDIATE' || x.code === 'UNKNOWN_CA' || x.code === 'PARTIAL_CHAIN_BUNDLE') &&
      x.cert?.sha256 === top.ref.sha256 &&
      x.evidence.missingIssuer !== top.ref.subject,
  );
  return f?.evidence.missingIssuer ? String(f.evidence.missingIssuer) : undefined;
}

export function probeText(r: ProbeReport): string {
  const d = r.diagnosis;
  const lines: string[] = [];
  const where = r.target ? `${r.target.host.includes(':') ? `[${r.target.host}]` : r.target.host}:${r.target.port}` : 'the given chain';
  if (d.nginx.ok) {
    lines.push(`OK  nginx would verify ${where} and proxy the request.`);
  } else {
    const status = d.nginx.status === null ? 'nginx would not start' : `nginx would answer ${d.nginx.status}`;
    if (d.nginx.answeredBy === 'upstream') {
      // The upstream refused the request after the handshake: nginx passes its answer on (and may log why).
      lines.push(`FAIL  the upstream's answer (${d.nginx.status}) would pass through nginx for ${where}; ${d.nginx.error ? 'nginx would log:' : 'nginx logs nothing.'}`);
      if (d.nginx.error) lines.push(`  [${d.nginx.level}] ${d.nginx.error}`);
    } else {
      lines.push(`FAIL  ${status} for ${where}. It would log:`);
      lines.push(`  [${d.nginx.level}] ${d.nginx.error}`);
    }
  }
  if (r.cut) lines.push(cutLine(r.cut));
  const s = r.settings;
  const o = r.observation;
  const conn = o
    ? [
        o.protocol ?? o.outcome,
        o.cipher,
        o.sni ? `SNI ${o.sni}` : 'no SNI',
        o.clientCertRequested
          ? `client certificate requested${o.acceptableCaNames.length ? ` (accepted CAs: ${o.acceptableCaNames.join('; ')})` : ''}${o.clientCertSent ? ', sent' : ', none sent'}`
          : undefined,
      ]
        .filter(Boolean)
        .join(', ')
    : 'offline';
  lines.push('');
  lines.push(
    `As nginx ${s.nginxVersion}${s.nginxVersionSource && s.nginxVersionSource !== '--nginx-version' ? ` (${s.nginxVersionSource === 'default' ? 'default; --nginx-version to change' : `from ${s.nginxVersionSource}`})` : ''}: proxy_ssl_name ${s.proxySslName}, proxy_ssl_server_name ${s.proxySslServerName ? 'on' : 'off'}, ` +
      `proxy_ssl_verify_depth ${s.proxySslVerifyDepth}, security level ${s.opensslSeclevel}; ${conn}.`,
  );
  if (o?.response) {
    lines.push(`Request: GET ${o.request?.path ?? '/'} (Host ${o.request?.host ?? ''}): ${o.response.statusLine ?? `no status line (${o.response.missing})`}.`);
  }
  // Only what node's OpenSSL could not reproduce (the first entry, the OpenSSL in use, is in the JSON).
  for (const d of r.client?.differences.slice(1) ?? []) lines.push(`Not reproduced: ${d}.`);
  lines.push(
    `Trust: ${r.trust.source === 'system' ? `system CA store (${r.trust.count} certs) — nginx has no default, see below` : `${r.trust.files.join(', ')} (${r.trust.count} certs)`}.`,
  );
  if (r.sent.length > 0) {
    lines.push('');
    const truncated = o?.error && TRUNCATED.exec(o.error.message);
    // A what-if's chain is not what nginx receives as configured: the heading says so (the note below says which).
    const whatIf = r.presentedBy && r.presentedBy !== 'handshake' ? ' to a what-if handshake, not to nginx\'s' : '';
    lines.push(`Chain as sent${whatIf} (${r.sent.length}${truncated ? ` recorded; the server sent ${truncated[1]}, only the first ${truncated[2]} were kept` : ''}):`);
    r.sent.forEach((c, i) => {
      lines.push(`  #${i} ${c.subject}`);
      lines.push(`      issuer ${c.issuer}; ${date(c.notBefore)}..${date(c.notAfter)}; sha256 ${short(c.sha256)}`);
    });
    lines.push('');
    // A protocol what-if's chain is not diagnosed (run-probe.ts whatIfChain: only the plan judges it), so no path.
    if (d.fullPath.length === 0) lines.push("Trust path: none judged here (nginx's own handshake got no certificate); the fix below was built from this chain.");
    else lines.push(`Trust path${d.anchored ? '' : ' (incomplete)'}:`);
    d.fullPath.forEach((p, depth) => {
      const indent = '  ' + '   '.repeat(depth) + (depth > 0 ? '└─ ' : '');
      lines.push(`${indent}${p.ref.subject}  [${sourceLabel(p)}${p.selfSigned ? ', self-signed' : ''}]`);
    });
    if (!d.anchored) {
      const last = d.fullPath[d.fullPath.length - 1];
      if (last && !last.selfSigned) {
        const issuer = missingIssuerOf(d.findings, last);
        lines.push(`${'  ' + '   '.repeat(d.fullPath.length) + '└─ '}?? ${issuer ?? 'issuer'}  [not sent, not in bundle]`);
      } else if (last) {
        lines.push(`${'  ' + '   '.repeat(d.fullPath.length)}(not in the trusted bundle)`);
      }
    }
  }
  if (d.findings.length > 0) {
    lines.push('');
    lines.push('Findings:');
    for (const f of d.findings) {
      const who = f.cert ? ` [${f.cert.index !== undefined ? `#${f.cert.index} ` : ''}${f.cert.subject}]` : '';
      lines.push(`  ${SEV[f.severity]} ${f.code}${who}`);
      lines.push(`        ${findingText(f)}`);
    }
  }
  for (const f of r.fetches) lines.push(`  fetched ${f.url}: ${f.ok ? '' : 'failed: '}${f.detail}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.fix) {
    lines.push('');
    lines.push(...fixText(r.fix));
  }
  return lines.join('\n') + '\n';
}
