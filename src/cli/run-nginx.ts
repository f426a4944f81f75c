/**
 * The `tlsdoctor nginx` pipeline: acquire (config files, bundles, client certificates, handshakes), then analyse
 * (lints, per-server diagnosis, per-location prediction, the fix as a diff). The command (commands/nginx.ts)
 * parses options and renders; the pre-deploy check (`verify --nginx-config`, run-predeploy.ts) reuses the steps.
 *
 * The judging is in src/nginx, src/diagnosis and src/remediation; this file does the I/O around it.
 */
import { dirname, normalize } from 'node:path';
import type { Cert } from '../certs/cert.js';
import { readCertificateBlobs } from '../certs/load.js';
import { parseCertificate } from '../certs/parse.js';
import { indexConfig, type ConfigIndex } from '../nginx/config-index.js';
import { DEFAULT_OPENSSL_SECLEVEL, type NginxSettings } from '../nginx/defaults.js';
import { computeEffectiveSettings, type EffectiveSettings, type UpstreamServer, type UpstreamTls } from '../nginx/effective-settings.js';
import { shellQuote } from '../nginx/explain.js';
import { LINT_CODES, lintNginxConfig, type LintFileAccess } from '../nginx/lints.js';
import { nextUpstreamPolicy, outcomeWithVerify, predictLocation, type ServerVerdict } from '../nginx/location-outcome.js';
import type { TlsProtocol } from '../probe/types.js';
import { configDeadEndText } from '../remediation/dead-ends.js';
import type { NginxOutcome } from '../diagnosis/types.js';
import { clientCertEmerg } from '../nginx/client-cert-emerg.js';
import { locationDiff } from '../remediation/location-diff.js';
import type { NginxLocationRow, NginxRunReport, NginxUpstreamRow } from '../report/nginx-model.js';
import type { FetchPolicyOptions } from './fetch-policy-options.js';
import type { CliIO } from './io.js';
import { resolveNginxCommandVersion } from './nginx-command-version.js';
import { loadNginxConfig, type LoadedNginxConfig } from './read-nginx-config.js';
import { readCertFile } from './read-cert-files.js';
import { checkClientCert } from './read-client-cert.js';
import { CAP, readInputFile } from './read-input.js';
import { seclevelOf } from '../nginx/client-model.js';
import { addressFails, locationRequests, perAddress, sessionOrderGroups } from './nginx-fleet.js';
import { runProbeAddresses } from './run-probe-addresses.js';
import { configResolver } from './config-resolver.js';
import { applyInlineSuppressions, bundleFacts, type LintGateOptions } from './lint-gate.js';
import { UsageError } from './usage-error.js';

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

const lintFiles: LintFileAccess = { readFile: readBytes, holdsRoot, certificates: bundleFacts };

export interface Bundle {
  certs: Cert[];
  notes: string[];
}

/**
 * The certificates nginx loads from proxy_ssl_trusted_certificate: PEM only (X509_load_cert_crl_file with
 * X509_FILETYPE_PEM). A missing or PEM-less file is a lint (TRUSTED_FILE_MISSING/_EMPTY); here it is an empty
 * bundle, so the probe still says what the upstream presents and which bundle it needs.
 */
export async function loadBundle(path: string, directive: string): Promise<Bundle> {
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
  // Folded (`front/..` removed): this is a path tlsdoctor proposes, not one the configuration already names.
  const dir = normalize(u.paths.trustedCertificate ? dirname(u.paths.trustedCertificate) : confPrefix.replace(/\/$/, '') || '.');
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

/** `max_fails=N` of an upstream block's server line (effective-settings keeps only the parameters it models). */
function maxFailsOf(index: ConfigIndex, s: UpstreamServer): number | undefined {
  const d = index.find('server', s.file, s.line)?.node;
  const arg = d?.args.find((a) => a.startsWith('max_fails='));
  return arg && /^\d+$/.test(arg.slice(10)) ? Number(arg.slice(10)) : undefined;
}

// -----------------------------------------------------------------------------------------------------------
// The pipeline

export interface NginxRunOptions {
  nginxVersion?: string;
  /** `nginx -V` output of the nginx whose configuration this is (version, OpenSSL). */
  nginxBuild?: string;
  seclevel: number;
  timeoutMs: number;
  concurrency: number;
  probe: boolean;
  fetch: boolean;
  fetchPolicy: FetchPolicyOptions;
  /** Pre-deploy check: the certificates of a new bundle, judged in place of the file at `path` (absolute). */
  bundleOverride?: { path: string; bundle: Bundle };
  /** Only these pass directives are probed and predicted (pre-deploy check: one upstream, one bundle). */
  only?: (u: UpstreamTls) => boolean;
  /** Candidate CA certificates not trusted yet (--intermediates): the plan may anchor on them. */
  pool?: { cert: Cert; origin: string }[];
  /** The fix may anchor on a root older than the user's (--allow-root-change). */
  allowRootChange?: boolean;
  /** `--resolver`: resolve upstream names there instead of the system resolver (and of the config's `resolver`). */
  resolver?: import('./run-probe-addresses.js').AddressesRunOptions['resolver'];
  /** The CI gate's anchor-expiry window (--warn); default: the lints' own. */
  warnMs?: LintGateOptions['warnMs'];
}

/** The configuration read and its effective settings: what every pipeline over a configuration starts from. */
export interface LoadedEffectiveConfig {
  loaded: LoadedNginxConfig;
  nginxVersion: string;
  nginxVersionSource: NginxRunReport['nginxVersionSource'];
  nginxVersionNote: string | null;
  effective: EffectiveSettings;
  index: ConfigIndex;
}

export async function loadEffectiveConfig(file: string | undefined, o: Pick<NginxRunOptions, 'nginxVersion' | 'nginxBuild'>, io: CliIO): Promise<LoadedEffectiveConfig> {
  const loaded = await loadNginxConfig(file, io);
  const { version, source, note } = await resolveNginxCommandVersion(o, loaded, io);
  const effective = computeEffectiveSettings(loaded.parsed, { nginxVersion: version });
  return { loaded, nginxVersion: version, nginxVersionSource: source, nginxVersionNote: note, effective, index: indexConfig(loaded.parsed) };
}

interface Task {
  upstream: UpstreamTls;
  server: UpstreamServer | null;
}

/** State shared by the tasks of one run: bundles read once, probes shared by locations with the same settings. */
interface RunContext {
  o: NginxRunOptions;
  cfg: LoadedEffectiveConfig;
  at: Date;
  bundles: Map<string, Promise<Bundle>>;
  probes: Map<string, ReturnType<typeof runProbeAddresses>>;
}

function emptyRow(t: Task): NginxUpstreamRow {
  return { upstream: t.upstream, server: t.server, skipped: null, refusesToStart: false, report: null, nginx: null, diff: null, probeCommand: null, notes: [] };
}

function bundleFor(ctx: RunContext, path: string, directive: string): Promise<Bundle> {
  const override = ctx.o.bundleOverride;
  if (override && override.path === path) return Promise.resolve(override.bundle);
  let b = ctx.bundles.get(path);
  if (!b) ctx.bundles.set(path, (b = loadBundle(path, directive)));
  return b;
}

/** Why a server is not probed, before any file is read (variables, `down`, unix sockets, no port); else null. */
function skipReason(t: Task, row: NginxUpstreamRow): string | null {
  const u = t.upstream;
  const s = t.server;
  if (s === null || u.verifiedName === null) {
    const vars = u.unresolved.flatMap((v) => v.variables.map((x) => `$${x}`));
    return `depends on ${[...new Set(vars)].join(', ') || 'variables'}, known only per request`;
  }
  if (s.down) return 'marked down: nginx never sends requests to it';
  if (s.unix !== undefined) return `unix socket ${s.unix}: not probed`;
  if (s.port === null) return 'no port: nginx refuses to start ("no port in upstream")';
  if (s.portDefaulted && u.upstreamBlock) row.notes.push(`no port in the server line: nginx uses ${s.port}, not 443`);
  if (s.resolve) row.notes.push('resolve: nginx re-resolves this name at run time; probed at every current address');
  return null;
}

/**
 * The certificates of the configuration's other proxy_ssl_trusted_certificate files: roots the user already
 * trusts elsewhere, which the path search prefers over unknown ones (issue: cross-signed chains).
 */
async function otherBundlesFor(ctx: RunContext, own: string | null | undefined): Promise<{ cert: Cert; origin: string }[]> {
  const out: { cert: Cert; origin: string }[] = [];
  const seen = new Set<string>();
  for (const u of ctx.cfg.effective.upstreams) {
    const path = u.paths.trustedCertificate;
    if (!path || path === own || seen.has(path)) continue;
    seen.add(path);
    const bundle = await bundleFor(ctx, path, u.settings.trustedCertificate.source?.directive ?? 'proxy_ssl_trusted_certificate');
    out.push(...bundle.certs.map((cert) => ({ cert, origin: path })));
  }
  return out;
}

/** The probe of one server with exactly the location's settings; locations with the same settings share it. */
async function probeServer(
  ctx: RunContext,
  u: UpstreamTls,
  s: UpstreamServer & { port: number },
  settings: NginxSettings,
  clientCert: ClientCertRead['pair'],
): Promise<Pick<NginxUpstreamRow, 'report' | 'addresses'>> {
  const trustPath = u.paths.trustedCertificate;
  const bundle = trustPath ? await bundleFor(ctx, trustPath, u.settings.trustedCertificate.source?.directive ?? 'proxy_ssl_trusted_certificate') : { certs: [], notes: [] };
  const installPath = installPathFor(u, ctx.cfg.effective.confPrefix);
  const otherBundles = await otherBundlesFor(ctx, trustPath);
  const key = JSON.stringify([s.host, s.port, settings, trustPath, installPath, u.paths.certificate, u.paths.certificateKey]);
  let pending = ctx.probes.get(key);
  if (!pending) {
    pending = runProbeAddresses({
      resolver: ctx.o.resolver ?? (s.resolve ? configResolver(ctx.cfg.index, u) : undefined),
      input: target(s.host, s.port),
      host: s.host,
      port: s.port,
      settings,
      trusted: bundle.certs,
      // nginx never uses the system store: without a bundle it has none (lint VERIFY_WITHOUT_TRUSTED_FILE).
      trust: { source: 'bundle', files: trustPath ? [trustPath] : [], count: bundle.certs.length },
      pool: ctx.o.pool ?? [],
      clientCert,
      timeoutMs: ctx.o.timeoutMs,
      fetch: ctx.o.fetch,
      fetchPolicy: ctx.o.fetchPolicy,
      at: ctx.at,
      installPath,
      notes: [...bundle.notes],
      allowRootChange: !!ctx.o.allowRootChange,
      otherBundles,
    });
    ctx.probes.set(key, pending);
  }
  // A shared probe: copy what this row changes (dead ends differ per location).
  const { report: shared, addresses } = await pending;
  const report = shared && { ...shared, notes: [...shared.notes], fix: shared.fix && { ...shared.fix, deadEnds: [...shared.fix.deadEnds] } };
  if (report?.fix) report.fix.deadEnds = [...new Set([...report.fix.deadEnds, ...configDeadEnds(u)])];
  return { report, addresses };
}

async function runTask(ctx: RunContext, t: Task): Promise<NginxUpstreamRow> {
  const u = t.upstream;
  const row = emptyRow(t);
  const skipped = skipReason(t, row);
  if (skipped !== null) return { ...row, skipped };
  const s = t.server as UpstreamServer & { port: number };
  const client = await readClientCert(u, ctx.cfg.index);
  if (client.emerg) {
    const why = 'nginx refuses to start: it cannot load the client certificate (see its [emerg] line)';
    return { ...row, skipped: why, refusesToStart: true, nginx: refusalOutcome(client.emerg) };
  }
  if (client.note) row.notes.push(client.note);
  const settings = settingsForUpstream(u, ctx.cfg.nginxVersion, ctx.o.seclevel);
  if (settings.proxySslProtocols.length === 0) {
    return { ...row, skipped: `${u.settings.protocols.source?.directive ?? 'proxy_ssl_protocols'} enables no TLS version: every handshake fails` };
  }
  if (client.pair === undefined) {
    delete settings.proxySslCertificate;
    delete settings.proxySslCertificateKey;
  }
  row.probeCommand = probeCommandFor(u, s, settings, u.settings.protocols.source !== null);
  if (!ctx.o.probe) return { ...row, skipped: '--no-probe' };
  const { report, addresses } = await probeServer(ctx, u, s, settings, client.pair);
  row.report = report;
  row.addresses = addresses;
  if (report) {
    row.nginx = outcomeWithVerify(report.diagnosis.nginx, u.settings.verify.value);
    if (report.fix) row.diff = locationDiff({ upstream: u, index: ctx.cfg.index, plan: report.fix, installPath: installPathFor(u, ctx.cfg.effective.confPrefix) });
  }
  return row;
}

/** What a request to each location gets, from its servers' verdicts and its proxy_next_upstream policy. */
function predictLocations(upstreams: UpstreamTls[], rows: NginxUpstreamRow[], index: ConfigIndex, probed: boolean): NginxLocationRow[] {
  return upstreams.map((u) => {
    const mine = rows.filter((r) => r.upstream === u);
    const verdicts: ServerVerdict[] = mine.flatMap((r) =>
      perAddress(r, {
        address: r.server ? (r.server.port === null ? r.server.address : target(r.server.host, r.server.port)) : u.pass,
        backup: r.server?.backup ?? false,
        down: r.server?.down ?? false,
        weight: r.server?.weight,
        maxFails: r.server && u.upstreamBlock ? maxFailsOf(index, r.server) : undefined,
        outcome: r.nginx,
      }),
    );
    const pass = index.find(u.directive, u.file, u.line);
    const policy = nextUpstreamPolicy(pass ? pass.ancestors : [], u.module);
    return { upstream: u, outcome: predictLocation(verdicts, policy), policy, requests: probed ? locationRequests(mine, index, policy) : null };
  });
}

/** X509_check_issued(issuer, subject) == X509_V_OK; a certificate OpenSSL refuses issues nothing. */
function issues(issuer: Cert, subject: Cert): boolean {
  try {
    return subject.native.checkIssued(issuer.native);
  } catch {
    return false;
  }
}

/**
 * A chain that stops below its root in one location's bundle may be anchored by another bundle of the same
 * configuration (the root is in corp-roots.pem, this location names legacy-roots.pem): say which, and where it is
 * used, instead of sending the user to look for a root the configuration already has.
 */
async function suggestOtherBundles(ctx: RunContext, rows: NginxUpstreamRow[]): Promise<void> {
  const paths = new Map<string, UpstreamTls>();
  for (const u of ctx.cfg.effective.upstreams) if (u.paths.trustedCertificate && !paths.has(u.paths.trustedCertificate)) paths.set(u.paths.trustedCertificate, u);
  for (const row of rows) {
    const d = row.report?.diagnosis;
    const top = d?.fullPath[d.fullPath.length - 1];
    if (!row.report || !d || d.anchored || !top) continue;
    const topCert = row.report.sent.find((c) => c.sha256 === top.ref.sha256);
    if (!topCert) continue;
    for (const [path, user] of paths) {
      if (path === row.upstream.paths.trustedCertificate) continue;
      const bundle = await bundleFor(ctx, path, user.settings.trustedCertificate.source?.directive ?? 'proxy_ssl_trusted_certificate');
      const anchor = bundle.certs.find((c) => c.sha256 === topCert.sha256 || issues(c, topCert));
      if (!anchor) continue;
      const own = row.upstream.paths.trustedCertificate;
      row.notes.push(
        `${path}, the proxy_ssl_trusted_certificate of ${user.pass} (${user.file}:${user.line}), holds "${anchor.subject}", which this chain needs: ` +
          (own ? `use that file here, or add that certificate to ${own}` : 'name that file here with proxy_ssl_trusted_certificate'),
      );
      break;
    }
  }
}

export interface NginxRun {
  report: NginxRunReport;
  /** The lints after inline suppressions (`# tlsdoctor: allow ...`), for the CI gate's formats. */
  gate: ReturnType<typeof applyInlineSuppressions>;
  /** A task failed unexpectedly (its row says so): exit 3. */
  internal: boolean;
}

/** Lint, probe every server of every selected TLS pass directive, predict every location. */
export async function runNginxChecks(cfg: LoadedEffectiveConfig, o: NginxRunOptions, io: CliIO): Promise<NginxRun> {
  const { effective, loaded } = cfg;
  const at = io.now();
  const gate = applyInlineSuppressions(lintNginxConfig(effective, lintFiles, { at, warnMs: o.warnMs }), loaded.texts);
  const lints = gate.findings;
  const ctx: RunContext = { o, cfg, at, bundles: new Map(), probes: new Map() };
  const upstreams = o.only ? effective.upstreams.filter(o.only) : effective.upstreams;

  // One task per server of each pass directive; unresolved targets get one row saying so.
  const tasks: Task[] = [];
  for (const u of upstreams) {
    if (u.servers.length === 0) tasks.push({ upstream: u, server: null });
    for (const s of u.servers) tasks.push({ upstream: u, server: s });
  }

  let internal = false;
  const rows = await mapLimit(tasks, o.concurrency, async (t) => {
    try {
      return await runTask(ctx, t);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      internal = true;
      return { ...emptyRow(t), skipped: `internal error while probing: ${(e as Error).message}` };
    }
  });

  if (o.probe) await suggestOtherBundles(ctx, rows);

  const report: NginxRunReport = {
    at: ctx.at,
    nginxVersion: cfg.nginxVersion,
    nginxVersionSource: cfg.nginxVersionSource,
    nginxVersionNote: cfg.nginxVersionNote,
    source: { kind: loaded.kind, main: loaded.parsed.main, files: loaded.parsed.files },
    lints,
    suppressed: gate.suppressed,
    suppressions: gate.suppressions,
    // A suppression does not make nginx start: a refusing finding counts even when suppressed.
    refusesToStart: [...lints, ...gate.suppressed.map((x) => x.finding)].some((l) => LINT_CODES[l.code].refusesToStart) || rows.some((r) => r.refusesToStart),
    rows,
    locations: predictLocations(upstreams, rows, cfg.index, o.probe),
    probed: o.probe,
    sessionOrder: sessionOrderGroups(rows),
  };
  return { report, gate, internal };
}

/** `tlsdoctor nginx`'s whole pipeline: read the configuration, then runNginxChecks. */
export async function runNginx(file: string | undefined, o: NginxRunOptions, io: CliIO): Promise<NginxRun> {
  return runNginxChecks(await loadEffectiveConfig(file, o, io), o, io);
}
