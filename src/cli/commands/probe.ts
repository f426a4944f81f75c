/**
 * `tlsdoctor probe <host:port>`: options → settings and inputs → runProbe → render → exit code.
 */
import { resolve } from 'node:path';
import type { Cert } from '../../certs/cert.js';
import { parseTarget } from '../../probe/parse-target.js';
import { probeDocument } from '../../report/probe-json.js';
import { probeText } from '../../report/probe-text.js';
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { settingsFromOptions, withLocalNginxVersion, type NginxOptionValues } from '../nginx-options.js';
import { fetchPolicyFromOptions, type FetchPolicyOptionValues } from '../fetch-policy-options.js';
import { DEFERRED, readCertFile, readPool, readSystemStore } from '../read-cert-files.js';
import { readClientCertPair } from '../read-client-cert.js';
import { runProbe } from '../run-probe.js';
import { UsageError } from '../usage-error.js';
import { requestPathOption } from '../request-option.js';
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
  request?: boolean;
  requestPath?: string;
}

/** One request after the handshake unless `--no-request`. */
function requestOption(o: ProbeCommandOptions): { path: string } | undefined {
  return o.request === false ? undefined : requestPathOption(o.requestPath ?? '/');
}

export async function loadTrust(files: string[], io: CliIO) {
  const notes: string[] = [];
  if (files.length === 0) {
    const sys = await readSystemStore();
    return { certs: sys.certs, trust: { source: 'system' as const, files: [sys.file], count: sys.certs.length }, notes };
  }
  const certs: Cert[] = [];
  for (const f of files) {
    const r = await readCertFile(f, '--ca', DEFERRED);
    if (r.certs.length === 0) throw new UsageError('INPUT_NOT_CERTIFICATE', `--ca ${f}: holds no certificate`);
    certs.push(...r.certs);
    notes.push(...r.notes);
  }
  void io;
  return { certs, trust: { source: 'bundle' as const, files, count: certs.length }, notes };
}

export function parseAt(text: string | undefined, io: CliIO): Date {
  if (text === undefined) return io.now();
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new UsageError('BAD_TIME', `--at: "${text}" is not an ISO-8601 time (e.g. 2026-11-22T12:00:00Z)`);
  return d;
}

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
  const request = requestOption(o);
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
    log: o.json ? undefined : (line) => io.stderr(`tlsdoctor: ${line}\n`),
    ...(request ? { request } : {}),
  });
  if (o.out && report.fix) {
    const written = writeFixFiles(resolve(io.cwd, o.out), report.fix.files, !!o.force, o.out);
    report.notes.push(`wrote ${written.join(', ')}`);
  }
  io.stdout(o.json ? JSON.stringify(probeDocument(report), null, 2) + '\n' : probeText(report));
  return report.diagnosis.nginx.ok ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
