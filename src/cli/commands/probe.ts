/**
 * `tlsdoctor probe <host:port>`: options → settings and inputs → runProbe → render → exit code.
 */
import { resolve } from 'node:path';
import { parseTarget } from '../../probe/parse-target.js';
import { placeTrustedFile } from '../../remediation/install-path.js';
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
import { runProbeAddresses } from '../run-probe-addresses.js';
import { addressesDocument, addressesTextFor, parseResolverOption } from '../probe-addresses-output.js';
import { stopOnSignals, watchLoop } from '../watch.js';
import { briefVerdict, probeBrief } from '../../report/probe-brief.js';
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
  allowRootChange?: boolean;
  resolver?: string;
  /** One line (probe-brief.ts) instead of the report. */
  brief?: boolean;
  /** The presented chain as PEM instead of the report. */
  pem?: boolean;
  /** `--watch` alone is `true`; `--watch 10s` the interval. */
  watch?: string | boolean;
  watchCount?: string;
  request?: boolean;
  requestPath?: string;
}

/** One request after the handshake unless `--no-request`. */
function requestOption(o: ProbeCommandOptions): { path: string } | undefined {
  return o.request === false ? undefined : requestPathOption(o.requestPath ?? '/');
}

const WATCH_DEFAULT = '30s';

/** The output options that exclude each other, checked before any connection. */
function checkOutputOptions(o: ProbeCommandOptions): void {
  const modes = [o.json && '--json', o.brief && '--brief', o.pem && '--pem'].filter(Boolean);
  if (modes.length > 1) throw new UsageError('BAD_USAGE', `${modes.join(' and ')}: choose one output`);
  if (o.watch !== undefined && (o.json || o.pem || o.out)) {
    throw new UsageError('BAD_USAGE', `--watch prints one line per probe: not with ${o.json ? '--json' : o.pem ? '--pem' : '--out'}`);
  }
  if (o.watchCount !== undefined && o.watch === undefined) throw new UsageError('BAD_USAGE', '--watch-count needs --watch');
}

function watchCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError('BAD_NUMBER', `--watch-count: "${text}" is not a whole number >= 1`);
  return Number(text);
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
  checkOutputOptions(o);
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
  const resolver = parseResolverOption(o.resolver);
  const intervalMs = o.watch === undefined ? 0 : parseDuration(typeof o.watch === 'string' ? o.watch : WATCH_DEFAULT, '--watch');
  if (o.watch !== undefined && intervalMs <= 0) throw new UsageError('BAD_DURATION', '--watch: the interval must be positive');
  const count = watchCount(o.watchCount);
  const once = () => runProbeAddresses({
    resolver,
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
    log: o.json || o.brief || o.watch !== undefined ? undefined : (line) => io.stderr(`tlsdoctor: ${line}\n`),
    // Each run judges validity at its own time when watching (unless --at fixes it).
    ...(o.watch !== undefined && o.at === undefined ? { at: io.now() } : {}),
    ...(request ? { request } : {}),
  });
  if (o.watch !== undefined) {
    const stop = stopOnSignals();
    try {
      const last = await watchLoop({ intervalMs, count, run: async () => (await once()).report, verdict: briefVerdict, line: probeBrief, io, signal: stop.signal });
      return last === 'OK' ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
    } finally {
      stop.release();
    }
  }
  const { report, addresses } = await once();
  if (report.fix) {
    const currentBundles = trust.source === 'bundle' ? o.ca.map((f) => resolve(io.cwd, f)) : [];
    report.fix = placeTrustedFile(report.fix, { currentBundles, placed: o.out ? 'written' : o.installPath ? 'install-path' : null });
  }
  if (o.out && report.fix) {
    const written = writeFixFiles(resolve(io.cwd, o.out), report.fix.files, !!o.force, o.out);
    report.notes.push(`wrote ${written.join(', ')}`);
  }
  if (o.pem) {
    const chain = report.fix?.files.find((f) => f.name === 'presented-chain.pem');
    if (chain) io.stdout(chain.content.endsWith('\n') ? chain.content : `${chain.content}\n`);
    else io.stderr(`tlsdoctor: ${probeBrief(report)}: no certificate was presented\n`);
  } else if (o.brief) io.stdout(`${probeBrief(report)}\n`);
  else if (o.json) io.stdout(JSON.stringify({ ...probeDocument(report), ...addressesDocument(addresses) }, null, 2) + '\n');
  else io.stdout(probeText(report) + addressesTextFor(target.host, target.port, addresses));
  // One failing address is a share of nginx's requests failing (round robin over every address).
  const anyFails = addresses.addresses.some((a) => a.verdict === 'fail');
  return report.diagnosis.nginx.ok && !anyFails ? EXIT.OK : EXIT.NGINX_WOULD_FAIL;
}
