/**
 * `tlsdoctor probe <host:port>`: options → settings and inputs → runProbe → render → exit code.
 */
import { resolve } from 'node:path';
import { parseTarget } from '../../probe/parse-target.js';
import { probeDocument } from '../../report/probe-json.js';
import { probeText } from '../../report/probe-text.js';
import { parseAt } from '../at-option.js';
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { settingsFromOptions, withLocalNginxVersion, type NginxOptionValues } from '../nginx-options.js';
import { fetchPolicyFromOptions, type FetchPolicyOptionValues } from '../fetch-policy-options.js';
import { loadTrust, readPool } from '../read-cert-files.js';
import { readClientCertPair } from '../read-client-cert.js';
import { runProbe } from '../run-probe.js';
import { UsageError } from '../usage-error.js';
import { writeFixFiles } from '../write-files.js';

export interface ProbeCommandOptions extends NginxOptionValues, FetchPolicyOptionValues {
  ca: string[];
  intermediates: string[];
  timeout: string;
  json?: boolean;
  out?: string;
  force?: boolean;
  installPath?: string;
  fetch: boolean;
  at?: string;
  warn?: string;
  allowRootChange?: boolean;
}

// Shared with verify, inspect, check and serve; they live apart from the probe so that those commands do not load
// the probe's modules (node:tls, the AIA fetcher) at start-up.
export { loadTrust } from '../read-cert-files.js';
export { parseAt } from '../at-option.js';
async function readClientCert(o: ProbeCommandOptions): Promise<{ cert: string; key: string } | undefined> {
  if (!o.proxySslCertificate || !o.proxySslCertificateKey) return undefined;
  const m = await readClientCertPair(o.proxySslCertificate, o.proxySslCertificateKey, {
    cert: '--proxy-ssl-certificate',
    key: '--proxy-ssl-certificate-key',
  });
  return { cert: m.cert, key: m.key };
}

export async function probeCommand(targetText: string, o: ProbeCommandOptions, io: CliIO): Promise<number> {
  const target = parseTarget(targetText);
  const settings = settingsFromOptions(await withLocalNginxVersion(o, io.env, (m) => io.stderr(`tlsdoctor: warning: ${m}\n`)), target.host);
  const timeoutMs = parseDuration(o.timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout must be positive');
  const at = parseAt(o.at, io);
  const fetchPolicy = fetchPolicyFromOptions(o, io);
  const { certs: trusted, trust, notes } = await loadTrust(o.ca, io);
  const pool = o.intermediates.length > 0 ? await readPool(o.intermediates, '--intermediates') : { certs: [], notes: [] };
  const clientCert = await readClientCert(o);
  const installPath = o.installPath ?? resolve(io.cwd, o.out ?? '.', 'trusted-ca.pem');
  const report = await runProbe({
    input: targetText,
    host: target.host,
    port: target.port,
    settings,
    trusted,
    trust,
    pool: pool.certs,
    clientCert,
    timeoutMs,
    fetch: o.fetch,
    fetchPolicy,
    at,
    installPath,
    warnDays: parseDuration(o.warn ?? '30d', '--warn', 'd') / 86_400_000,
    notes: [...notes, ...pool.notes],
    allowRootChange: !!o.allowRootChange,
    log: o.json ? undefined : (line) => io.stderr(`tlsdoctor: ${line}\n`),
  });
  if (o.out && report.fix) {
    const written = writeFixFiles(resolve(io.cwd, o.out), report.fix.files, !!o.force, o.out);
    report.notes.push(`wrote ${written.join(', ')}`);
  }
  io.stdout(o.json ? JSON.stringify(probeDocument(report), null, 2) + '\n' : probeText(report));
  return report.diagnosis.nginx.ok ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
