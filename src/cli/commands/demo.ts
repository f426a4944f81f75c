/**
 * `tlsdoctor demo`: the main job on a built-in default. Starts broken upstreams on 127.0.0.1 from the committed
 * fixtures, probes each exactly as `tlsdoctor probe` would, prints the diagnoses, stops them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Cert } from '../../certs/cert.js';
import { loadDemoScenarios, startDemoUpstream, type DemoScenario } from '../../demo/demo-upstreams.js';
import { PKI_DIR } from '../../demo/fixtures-dir.js';
import { defaultSettings } from '../../nginx/defaults.js';
import type { TlsProtocol } from '../../probe/types.js';
import { findingText } from '../../report/finding-text.js';
import { probeDocument } from '../../report/probe-json.js';
import type { ProbeReport } from '../../report/model.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { resolveModelledVersion } from '../nginx-options.js';
import { readCertFile } from '../read-cert-files.js';
import { runProbe } from '../run-probe.js';
import { UsageError } from '../usage-error.js';

/** The scenarios shown by default: the common outages, one each. */
export const DEMO_IDS = [
  'healthy',
  'leaf-only-sent',
  'wrong-ca-bundle',
  'root-sent-untrusted',
  'self-signed-leaf',
  'expired-intermediate',
  'too-deep',
  'name-mismatch-ip',
  'sni-required',
  'weak-key-rsa1024',
  'plain-http',
  'refused',
];

function command(s: DemoScenario, port: number): string {
  const parts = [`tlsdoctor probe 127.0.0.1:${port}`, ...s.trusted.map((t) => `--ca certs-fixtures/pki/${t}`), '--intermediates certs-fixtures/pki'];
  if (s.proxySslName !== '127.0.0.1') parts.push(`--proxy-ssl-name ${s.proxySslName}`);
  if (s.sni) parts.push('--proxy-ssl-server-name on');
  if (s.depth !== 1) parts.push(`--proxy-ssl-verify-depth ${s.depth}`);
  return parts.join(' ');
}

function summary(s: DemoScenario, port: number, r: ProbeReport): string {
  const d = r.diagnosis;
  const lines = [`── ${s.id}: ${s.description}`, `   $ ${command(s, port)}`];
  lines.push(d.nginx.ok ? '   OK    nginx would verify and proxy' : `   FAIL  nginx ${d.nginx.status ?? 'would not start'}: [${d.nginx.level}] ${d.nginx.error}`);
  for (const f of d.findings) lines.push(`   ${f.severity === 'error' ? 'ERROR' : f.severity === 'warning' ? 'WARN ' : 'info '} ${f.code}: ${findingText(f)}`);
  const fix = r.fix;
  if (fix && !d.nginx.ok) {
    if (fix.upstreamChanges[0]) lines.push(`   fix (upstream): ${fix.upstreamChanges[0]}`);
    if (fix.nginxFixable) {
      const extra = fix.directives.filter((x) => !/^proxy_ssl_(verify on|trusted_certificate)/.test(x.line)).map((x) => x.line);
      lines.push(`   fix (nginx): proxy_ssl_verify on; proxy_ssl_trusted_certificate trusted-ca.pem;${extra.length ? ' ' + extra.join(' ') : ''}  ${fix.verified === true ? '[verified by a second handshake]' : fix.verified === false ? '[NOT verified]' : ''}`);
    } else if (fix.reason) {
      lines.push(`   no nginx-side fix: ${fix.reason}`);
    }
  }
  return lines.join('\n') + '\n\n';
}

/** The fixture CA certificates (roots and intermediates): what a folder of internal CAs looks like. */
async function demoPool(): Promise<{ cert: Cert; origin: string }[]> {
  const out: { cert: Cert; origin: string }[] = [];
  for (const f of readdirSync(PKI_DIR).sort()) {
    if (!f.endsWith('.pem') || f.endsWith('.key.pem') || f.startsWith('bundle-')) continue;
    const { certs } = await readCertFile(join(PKI_DIR, f), '--intermediates');
    for (const cert of certs) if (cert.basicConstraints?.ca) out.push({ cert, origin: `certs-fixtures/pki/${f}` });
  }
  return out;
}

export async function demoCommand(o: { json?: boolean; only?: string; nginxVersion?: string }, io: CliIO): Promise<number> {
  const all = loadDemoScenarios();
  const ids = o.only ? o.only.split(',').map((x) => x.trim()).filter(Boolean) : DEMO_IDS;
  const chosen = ids.map((id) => {
    const s = all.find((x) => x.id === id);
    if (!s) throw new UsageError('BAD_SCENARIO', `--only: unknown scenario "${id}" (known: ${all.map((x) => x.id).join(', ')})`);
    return s;
  });
  // The version probe would model (flag, local nginx, default), so that demo and probe agree.
  const modelled = await resolveModelledVersion(o.nginxVersion, io.env);
  if (modelled.warning) io.stderr(`tlsdoctor: warning: ${modelled.warning}\n`);
  if (!o.json) {
    io.stdout(
      `tlsdoctor demo: ${chosen.length} upstreams on 127.0.0.1, each probed as nginx would reach it. The fixture CAs\n` +
        `(certs-fixtures/pki) serve as the --intermediates pool that missing certificates are looked up in.\n` +
        `Predicting as nginx ${modelled.version} (${modelled.source === 'default' ? 'default; --nginx-version to change' : `from ${modelled.source}`}).\n\n`,
    );
  }
  const pool = await demoPool();
  for (const s of chosen) {
    const upstream = await startDemoUpstream(s);
    try {
      const trusted: Cert[] = [];
      for (const t of s.trusted) trusted.push(...(await readCertFile(join(PKI_DIR, t), '--ca')).certs);
      const settings = {
        ...defaultSettings('127.0.0.1', modelled.version),
        nginxVersionSource: modelled.source,
        proxySslName: s.proxySslName,
        proxySslServerName: s.sni,
        proxySslVerifyDepth: s.depth,
        ...(s.proxySslProtocols ? { proxySslProtocols: s.proxySslProtocols as TlsProtocol[] } : {}),
      };
      const report = await runProbe({
        input: `127.0.0.1:${upstream.port}`,
        host: '127.0.0.1',
        port: upstream.port,
        settings,
        trusted,
        trust: { source: 'bundle', files: s.trusted.map((t) => `certs-fixtures/pki/${t}`), count: trusted.length },
        pool,
        timeoutMs: s.server === 'timeout' ? 1000 : 5000,
        fetch: false,
        at: io.now(),
        installPath: '/etc/nginx/tls/trusted-ca.pem',
        notes: [],
      });
      io.stdout(o.json ? JSON.stringify({ scenario: s.id, ...probeDocument(report) }) + '\n' : summary(s, upstream.port, report));
    } finally {
      await upstream.close();
    }
  }
  if (!o.json) io.stdout('Full report for one upstream: tlsdoctor probe HOST:PORT --ca BUNDLE [--out DIR]   (tlsdoctor probe --help)\n');
  return EXIT.OK;
}
