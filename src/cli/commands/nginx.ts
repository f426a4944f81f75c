/**
 * `tlsdoctor nginx [FILE | -]`: read nginx's configuration, lint it (no network), then probe every server of
 * every TLS pass directive with exactly the settings nginx uses there, and say what a request to each location
 * gets, why, and the minimal diff that fixes it.
 *
 * Acquire (config files, bundles, client certificates, handshakes) happens here; the judging is in src/nginx,
 * src/diagnosis and src/remediation.
 */
import { seclevelOf } from '../../nginx/client-model.js';
import { dirname } from 'node:path';
import type { Cert } from '../../certs/cert.js';
import { readCertificateBlobs } from '../../certs/load.js';
import { parseCertificate } from '../../certs/parse.js';
import { indexConfig, type ConfigIndex } from '../../nginx/config-index.js';
import { DEFAULT_NGINX_VERSION, DEFAULT_OPENSSL_SECLEVEL, parseVersion, type NginxSettings } from '../../nginx/defaults.js';
import { computeEffectiveSettings, type UpstreamServer, type UpstreamTls } from '../../nginx/effective-settings.js';
import { shellQuote } from '../../nginx/explain.js';
import { LINT_CODES, lintNginxConfig, type LintFileAccess } from '../../nginx/lints.js';
import { nextUpstreamPolicy, outcomeWithVerify, predictLocation, type ServerVerdict } from '../../nginx/location-outcome.js';
import type { TlsProtocol } from '../../probe/types.js';
import { configDeadEndText } from '../../remediation/dead-ends.js';
import type { NginxOutcome } from '../../diagnosis/types.js';
import { clientCertEmerg } from '../../nginx/client-cert-emerg.js';
import { locationDiff } from '../../remediation/location-diff.js';
import type { NginxLocationRow, NginxRunReport, NginxUpstreamRow } from '../../report/nginx-model.js';
import { nginxDocument } from '../../report/nginx-json.js';
import { nginxText } from '../../report/nginx-text.js';
import { parseDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { resolveNginxCommandVersion } from '../nginx-command-version.js';
import { loadNginxConfig } from '../read-nginx-config.js';
import { readCertFile } from '../read-cert-files.js';
import { fetchPolicyFromOptions, type FetchPolicyOptionValues } from '../fetch-policy-options.js';
import { checkClientCert } from '../read-client-cert.js';
import { CAP, readInputFile } from '../read-input.js';
import { runProbe } from '../run-probe.js';
import { UsageError } from '../usage-error.js';

export interface NginxCommandOptions extends FetchPolicyOptionValues {
  nginxVersion?: string;
  /** `nginx -V` output of the nginx whose configuration this is (version, OpenSSL). */
  nginxBuild?: string;
  opensslSeclevel: string;
  json?: boolean;
  timeout: string;
  concurrency: string;
  probe: boolean;
  fetch: boolean;
}

const PEM_CERT = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/;

// -----------------------------------------------------------------------------------------------------------
// Files nginx reads at start-up

/** A file nginx reads at start-up, bounded like every input (read-input.ts); the reason when it cannot be read. */
function readStartupFile(path: string, directive: string): { bytes: Uint8Array } | { reason: string } {
  try {
    return { bytes: readInputFile(path, { label: directive, cap: CAP.certificate, expected: 'a PEM file' }) };
  } catch (e) {
    // The reason alone (`no such file`, `not a regular file (FIFO)`): callers name the directive and path.
    if (e instanceof UsageError) return { reason: e.message.replace(`${directive} ${path}: `, '') };
    throw e;
  }
}

function readBytes(path: string): Uint8Array | null {
  const r = readStartupFile(path, 'file');
  return 'bytes' in r ? r.bytes : null;
}

/** A bundle holds a trust anchor for OpenSSL: a self-signed certificate (no partial chains in nginx). */
function holdsRoot(bytes: Uint8Array): boolean {
  try {
    return readCertificateBlobs(bytes, 'bundle').ders.some((der) => {
      try {
        return parseCertificate(der).selfSigned;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

const lintFiles: LintFileAccess = { readFile: readBytes, holdsRoot };

interface Bundle {
  certs: Cert[];
  notes: string[];
}

/**
 * The certificates nginx loads from proxy_ssl_trusted_certificate: PEM only (X509_load_cert_crl_file with
 * X509_FILETYPE_PEM). A missing or PEM-less file is a lint (TRUSTED_FILE_MISSING/_EMPTY); here it is an empty
 * bundle, so the probe still says what the upstream presents and which bundle it needs.
 */
async function loadBundle(path: string, directive: string): Promise<Bundle> {
  const read = readStartupFile(path, directive);
  if ('reason' in read) return { certs: [], notes: [`${directive} ${path} cannot be read (${read.reason}): judged with an empty bundle`] };
  const bytes = read.bytes;
  if (!PEM_CERT.test(Buffer.from(bytes).toString('latin1'))) {
    return { certs: [], notes: [`${directive} ${path} holds no PEM certificate nginx can load: judged with an empty bundle`] };
  }
  try {
    const r = await readCertFile(path, directive);
    return { certs: r.certs, notes: r.notes };
  } catch (e) {
    return { certs: [], notes: [`${directive} ${path}: ${(e as Error).message}; judged with an empty bundle`] };
  }
}

interface ClientCertRead {
  pair?: { cert: string; key: string };
  /** nginx refuses to start: the [emerg] message it logs. */
  emerg?: string;
  note?: string;
}

/** `*_ssl_password_file` in effect at the pass directive (a block's own directive, innermost first). */
function passwordFileOf(index: ConfigIndex, u: UpstreamTls, prefix: string): boolean {
  const ancestors = index.find(u.directive, u.file, u.line)?.ancestors ?? [];
  return ancestors.some((a) => (a.block ?? []).some((d) => d.name === `${prefix}_ssl_password_file`));
}

/**
 * The client certificate nginx loads at start-up (ngx_ssl_certificate): a pair it cannot load makes nginx refuse
 * to start, with the [emerg] line of src/nginx/client-cert-emerg.ts.
 */
async function readClientCert(u: UpstreamTls, index: ConfigIndex): Promise<ClientCertRead> {
  const cert = u.paths.certificate;
  const key = u.paths.certificateKey;
  if (cert === null || cert === '') return {};
  if (cert.includes('$') || (key ?? '').includes('$')) {
    return { note: `the client certificate ${cert} depends on variables: probed without one` };
  }
  const prefix = u.module === 'stream' ? 'proxy' : u.module;
  // `data:PEM` values (ngx_ssl_load_certificate{,_key}, nginx 1.15.10+) are not files: their key must never be
  // echoed into a message, and tlsdoctor does not read them.
  if (cert.startsWith('data:') || (key ?? '').startsWith('data:')) {
    return { note: `the client certificate or key is given inline (data:): probed without it` };
  }
  // ngx_http_proxy_set_ssl (and grpc_/uwsgi_): the certificate as written, not its full path.
  if (key === null) return { emerg: `no "${prefix}_ssl_certificate_key" is defined for certificate "${u.settings.certificate.value ?? cert}"` };
  const r = await checkClientCert(cert, key, { cert: `${prefix}_ssl_certificate`, key: `${prefix}_ssl_certificate_key` });
  if (r.ok) return { pair: { cert: r.material.cert, key: r.material.key } };
  if (r.problem.kind === 'key-encrypted' && passwordFileOf(index, u, prefix)) {
    // nginx decrypts it with the pass phrases of the file; tlsdoctor has no pass phrase support.
    return { note: `${prefix}_ssl_certificate_key ${key} is encrypted (${prefix}_ssl_password_file): probed without the client certificate` };
  }
  return { emerg: clientCertEmerg(r.problem) };
}

/** nginx does not start: no request is answered, by this location or any other (status null, [emerg]). */
function refusalOutcome(emerg: string): NginxOutcome {
  return { ok: false, status: null, level: 'emerg', error: emerg, verifyCode: null, stage: 'config' };
}

// -----------------------------------------------------------------------------------------------------------
// Settings

/**
 * `@SECLEVEL=N` in *_ssl_ciphers, or in a CipherString conf command (applied last), overrides the build's default
 * security level; the last one wins, as SSL_CTX_set_cipher_list applies them (client-model.ts).
 */
function seclevelFor(u: UpstreamTls, fallback: number): number {
  const strings = [u.settings.ciphers.value, ...u.settings.confCommands.value.filter(([n]) => n.toLowerCase() === 'cipherstring').map(([, v]) => v)];
  return seclevelOf(strings.join(':'), fallback);
}

/** The probe's model of nginx for this upstream: exactly the effective settings. */
export function settingsForUpstream(u: UpstreamTls, nginxVersion: string, seclevel: number): NginxSettings {
  const s = u.settings;
  return {
    proxySslName: u.verifiedName ?? '',
    proxySslServerName: s.serverName.value,
    proxySslVerifyDepth: s.verifyDepth.value,
    proxySslProtocols: s.protocols.value.filter((p): p is TlsProtocol => p.startsWith('TLS')),
    ...(u.paths.certificate && u.paths.certificateKey
      ? { proxySslCertificate: u.paths.certificate, proxySslCertificateKey: u.paths.certificateKey }
      : {}),
    nginxVersion,
    opensslSeclevel: seclevelFor(u, seclevel),
    // The handshake runs with nginx's client for this location: its cipher list and conf commands (client-model.ts).
    ...(s.ciphers.source ? { proxySslCiphers: s.ciphers.value } : {}),
    ...(s.confCommands.value.length > 0 ? { proxySslConfCommands: s.confCommands.value.map(([name, value]) => ({ name, value })) } : {}),
  };
}

function target(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The `tlsdoctor probe` command with the same settings (for --out files, or to rerun one upstream). */
function probeCommandFor(u: UpstreamTls, server: UpstreamServer, settings: NginxSettings, explicitProtocols: boolean): string {
  const argv = ['tlsdoctor', 'probe', target(server.host, server.port!)];
  if (u.paths.trustedCertificate) argv.push('--ca', u.paths.trustedCertificate);
  argv.push('--proxy-ssl-name', settings.proxySslName);
  if (settings.proxySslServerName) argv.push('--proxy-ssl-server-name', 'on');
  if (settings.proxySslVerifyDepth !== 1) argv.push('--proxy-ssl-verify-depth', String(settings.proxySslVerifyDepth));
  if (explicitProtocols) argv.push('--proxy-ssl-protocols', settings.proxySslProtocols.join(' '));
  if (settings.proxySslCiphers) argv.push('--proxy-ssl-ciphers', settings.proxySslCiphers);
  for (const c of settings.proxySslConfCommands ?? []) argv.push('--proxy-ssl-conf-command', `${c.name} ${c.value}`);
  if (settings.proxySslCertificate && settings.proxySslCertificateKey) {
    argv.push('--proxy-ssl-certificate', settings.proxySslCertificate, '--proxy-ssl-certificate-key', settings.proxySslCertificateKey);
  }
  argv.push('--nginx-version', settings.nginxVersion);
  if (settings.opensslSeclevel !== DEFAULT_OPENSSL_SECLEVEL) argv.push('--openssl-seclevel', String(settings.opensslSeclevel));
  return argv.map(shellQuote).join(' ');
}

/** Where a new CA bundle for this upstream goes: next to the current one, else in the conf prefix. */
function installPathFor(u: UpstreamTls, confPrefix: string): string {
  const dir = u.paths.trustedCertificate ? dirname(u.paths.trustedCertificate) : confPrefix.replace(/\/$/, '') || '.';
  const label = (u.upstreamBlock?.args[0] ?? u.verifiedName ?? u.servers[0]?.host ?? 'upstream').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${dir}/trusted-ca-${label}.pem`;
}

/** Sentences for the plan's dead ends, from the configuration (remediation/dead-ends.ts). */
function configDeadEnds(u: UpstreamTls): string[] {
  const out: string[] = [];
  const v = u.settings.verify;
  if (!v.value) out.push(configDeadEndText('verify-off', v.source ? `${v.source.file}:${v.source.line}` : 'the default'));
  const client = u.clientSideTrustedCertificate;
  if (u.settings.trustedCertificate.value === null && client.value !== null && client.source) {
    out.push(configDeadEndText('client-side-trusted-certificate', `${client.source.file}:${client.source.line}`));
  }
  return out;
}

// -----------------------------------------------------------------------------------------------------------

/** Runs `fn` over `items` with at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function parseConcurrency(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 256) {
    throw new UsageError('BAD_NUMBER', `--concurrency: "${text}" is not a whole number between 1 and 256`);
  }
  return Number(text);
}

/** `max_fails=N` of an upstream block's server line (effective-settings keeps only the parameters it models). */
function maxFailsOf(index: ConfigIndex, s: UpstreamServer): number | undefined {
  const d = index.find('server', s.file, s.line)?.node;
  const arg = d?.args.find((a) => a.startsWith('max_fails='));
  return arg && /^\d+$/.test(arg.slice(10)) ? Number(arg.slice(10)) : undefined;
}

interface Task {
  upstream: UpstreamTls;
  server: UpstreamServer | null;
}

export async function nginxCommand(file: string | undefined, o: NginxCommandOptions, io: CliIO): Promise<number> {
  const timeoutMs = parseDuration(o.timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout must be positive');
  const concurrency = parseConcurrency(o.concurrency);
  const seclevelText = o.opensslSeclevel.trim();
  if (!/^[0-5]$/.test(seclevelText)) throw new UsageError('BAD_NUMBER', `--openssl-seclevel: "${o.opensslSeclevel}" is not 0..5`);
  const seclevel = Number(seclevelText);
  const fetchPolicy = fetchPolicyFromOptions(o, io);

  const loaded = await loadNginxConfig(file, io);
  const { version: nginxVersion, source: nginxVersionSource, note: nginxVersionNote } = await resolveNginxCommandVersion(o, loaded, io);
  const parsed = loaded.parsed;
  const effective = computeEffectiveSettings(parsed, { nginxVersion });
  const lints = lintNginxConfig(effective, lintFiles);
  const index: ConfigIndex = indexConfig(parsed);
  const at = io.now();

  // One task per server of each pass directive; unresolved targets get one row saying so.
  const tasks: Task[] = [];
  for (const u of effective.upstreams) {
    if (u.servers.length === 0) tasks.push({ upstream: u, server: null });
    for (const s of u.servers) tasks.push({ upstream: u, server: s });
  }

  const bundles = new Map<string, Promise<Bundle>>();
  const bundleFor = (path: string, directive: string) => {
    let b = bundles.get(path);
    if (!b) bundles.set(path, (b = loadBundle(path, directive)));
    return b;
  };
  // Locations that reach the same server with the same settings share one probe.
  const probes = new Map<string, Promise<NginxUpstreamRow['report']>>();

  const runTask = async (t: Task): Promise<NginxUpstreamRow> => {
    const u = t.upstream;
    const row: NginxUpstreamRow = { upstream: u, server: t.server, skipped: null, refusesToStart: false, report: null, nginx: null, diff: null, probeCommand: null, notes: [] };
    const s = t.server;
    if (s === null || u.verifiedName === null) {
      const vars = u.unresolved.flatMap((v) => v.variables.map((x) => `$${x}`));
      row.skipped = `depends on ${[...new Set(vars)].join(', ') || 'variables'}, known only per request`;
      return row;
    }
    if (s.down) return { ...row, skipped: 'marked down: nginx never sends requests to it' };
    if (s.unix !== undefined) return { ...row, skipped: `unix socket ${s.unix}: not probed` };
    if (s.port === null) return { ...row, skipped: 'no port: nginx refuses to start ("no port in upstream")' };
    if (s.portDefaulted && u.upstreamBlock) row.notes.push(`no port in the server line: nginx uses ${s.port}, not 443`);
    if (s.resolve) row.notes.push('resolve: nginx re-resolves this name at run time; probed at its current address');
    const client = await readClientCert(u, index);
    if (client.emerg) {
      const skipped = 'nginx refuses to start: it cannot load the client certificate (see its [emerg] line)';
      return { ...row, skipped, refusesToStart: true, nginx: refusalOutcome(client.emerg) };
    }
    if (client.note) row.notes.push(client.note);
    const settings = settingsForUpstream(u, nginxVersion, seclevel);
    if (settings.proxySslProtocols.length === 0) {
      return { ...row, skipped: `${u.settings.protocols.source?.directive ?? 'proxy_ssl_protocols'} enables no TLS version: every handshake fails` };
    }
    if (client.pair === undefined) {
      delete settings.proxySslCertificate;
      delete settings.proxySslCertificateKey;
    }
    row.probeCommand = probeCommandFor(u, s, settings, u.settings.protocols.source !== null);
    if (!o.probe) return { ...row, skipped: '--no-probe' };

    const trustPath = u.paths.trustedCertificate;
    const bundle = trustPath ? await bundleFor(trustPath, u.settings.trustedCertificate.source?.directive ?? 'proxy_ssl_trusted_certificate') : { certs: [], notes: [] };
    const installPath = installPathFor(u, parsed.confPrefix);
    const key = JSON.stringify([s.host, s.port, settings, trustPath, installPath, u.paths.certificate, u.paths.certificateKey]);
    let pending = probes.get(key);
    if (!pending) {
      pending = runProbe({
        input: target(s.host, s.port),
        host: s.host,
        port: s.port,
        settings,
        trusted: bundle.certs,
        // nginx never uses the system store: without a bundle it has none (lint VERIFY_WITHOUT_TRUSTED_FILE).
        trust: { source: 'bundle', files: trustPath ? [trustPath] : [], count: bundle.certs.length },
        pool: [],
        clientCert: client.pair,
        timeoutMs,
        fetch: o.fetch,
        fetchPolicy,
        at,
        installPath,
        notes: [...bundle.notes],
      });
      probes.set(key, pending);
    }
    // A shared probe: copy what this row changes (dead ends differ per location).
    const shared = await pending;
    const report = shared && { ...shared, notes: [...shared.notes], fix: shared.fix && { ...shared.fix, deadEnds: [...shared.fix.deadEnds] } };
    if (report?.fix) report.fix.deadEnds = [...new Set([...report.fix.deadEnds, ...configDeadEnds(u)])];
    row.report = report;
    if (report) {
      row.nginx = outcomeWithVerify(report.diagnosis.nginx, u.settings.verify.value);
      if (report.fix) row.diff = locationDiff({ upstream: u, index, plan: report.fix, installPath });
    }
    return row;
  };

  let internal = false;
  const rows = await mapLimit(tasks, concurrency, async (t) => {
    try {
      return await runTask(t);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      internal = true;
      const row: NginxUpstreamRow = { upstream: t.upstream, server: t.server, skipped: `internal error while probing: ${(e as Error).message}`, refusesToStart: false, report: null, nginx: null, diff: null, probeCommand: null, notes: [] };
      return row;
    }
  });

  const locations: NginxLocationRow[] = effective.upstreams.map((u) => {
    const mine = rows.filter((r) => r.upstream === u);
    const verdicts: ServerVerdict[] = mine.map((r) => ({
      address: r.server ? (r.server.port === null ? r.server.address : target(r.server.host, r.server.port)) : u.pass,
      backup: r.server?.backup ?? false,
      down: r.server?.down ?? false,
      weight: r.server?.weight,
      maxFails: r.server && u.upstreamBlock ? maxFailsOf(index, r.server) : undefined,
      outcome: r.nginx,
    }));
    const pass = index.find(u.directive, u.file, u.line);
    const policy = nextUpstreamPolicy(pass ? pass.ancestors : [], u.module);
    return { upstream: u, outcome: predictLocation(verdicts, policy), policy };
  });

  const report: NginxRunReport = {
    at,
    nginxVersion,
    nginxVersionSource,
    nginxVersionNote,
    source: { kind: loaded.kind, main: parsed.main, files: parsed.files },
    lints,
    refusesToStart: lints.some((l) => LINT_CODES[l.code].refusesToStart) || rows.some((r) => r.refusesToStart),
    rows,
    locations,
    probed: o.probe,
  };
  io.stdout(o.json ? JSON.stringify(nginxDocument(report), null, 2) + '\n' : nginxText(report));
  if (internal) return EXIT.INTERNAL;
  const failing = rows.some((r) => r.nginx !== null && !r.nginx.ok);
  return failing || report.refusesToStart ? EXIT.NGINX_WOULD_FAIL : EXIT.OK;
}
