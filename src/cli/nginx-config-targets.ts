/**
 * The I/O of `check --nginx-config` and `serve --nginx-config`: read nginx's configuration (run-nginx.ts
 * loadEffectiveConfig: a file, `-` for `nginx -T` output, or `nginx -T` itself), turn every TLS upstream into a
 * target with its location's settings (src/check/nginx-targets.ts), and read the files nginx loads for them
 * (bundles, client certificates, CRLs) into `file` targets (src/check/file-targets.ts).
 */
import { readCrlFile } from '../certs/crl.js';
import type { CheckDeps, TrustSet } from '../check/check-target.js';
import type { FileTargetSource } from '../check/exporter.js';
import { fileResult, type LoadedFile } from '../check/file-targets.js';
import { nginxTargets, type SkippedUpstream } from '../check/nginx-targets.js';
import type { CheckResult, CheckTarget, CheckThresholds } from '../check/types.js';
import { DEFAULT_OPENSSL_SECLEVEL } from '../nginx/defaults.js';
import type { UpstreamTls } from '../nginx/effective-settings.js';
import type { CliIO } from './io.js';
import { readCertFile } from './read-cert-files.js';
import { CAP, readInputFile } from './read-input.js';
import { loadEffectiveConfig, settingsForUpstream } from './run-nginx.js';
import { UsageError } from './usage-error.js';

export interface NginxConfigTargetsOptions {
  nginxVersion?: string;
  opensslSeclevel?: string;
  timeoutMs: number;
}

export interface NginxConfigTargets {
  targets: CheckTarget[];
  skipped: SkippedUpstream[];
  /** The files nginx loads, read now; fileResults() judges them at a given time. */
  files: LoadedFile[];
  nginxVersion: string;
  nginxVersionSource: string;
  /** The files whose change means "read the configuration again" (serve). */
  configFiles: string[];
}

/** nginx never falls back to the system store for upstreams: no proxy_ssl_trusted_certificate = no anchor. */
const NO_BUNDLE: TrustSet = { certs: [], trust: { source: 'bundle', files: [], count: 0 }, notes: ['no proxy_ssl_trusted_certificate: nginx has no anchor to verify with'] };

/** The check's file I/O for targets from a configuration: an empty bundle list is nginx's empty store. */
export function nginxTrustDeps(deps: CheckDeps): CheckDeps {
  return { ...deps, loadTrust: (files) => (files.length === 0 ? Promise.resolve(NO_BUNDLE) : deps.loadTrust(files)) };
}

/** A client certificate pair nginx loads from files (not `data:`, no variables: those are probed without one, as `nginx` does). */
function clientCertOf(u: UpstreamTls): { certFile: string; keyFile: string } | undefined {
  const cert = u.paths.certificate;
  const key = u.paths.certificateKey;
  if (!cert || !key || cert.includes('$') || key.includes('$') || cert.startsWith('data:') || key.startsWith('data:')) return undefined;
  return { certFile: cert, keyFile: key };
}

function errorOf(e: unknown): { code: string; message: string } {
  const code = (e as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'FILE_UNREADABLE', message: (e as Error).message };
}

/** Read one file nginx loads (bounded, like every input); a failure is the file target's UNKNOWN, not an exception. */
export async function loadFile(f: NginxConfigTargetsFile): Promise<LoadedFile> {
  const base: LoadedFile = { ...f, certs: [], crls: [] };
  try {
    if (f.role === 'crl') {
      const text = readInputFile(f.path, { label: 'proxy_ssl_crl', cap: CAP.certificate, expected: 'a PEM CRL file' }).toString('latin1');
      return { ...base, crls: readCrlFile(text, f.path) };
    }
    const label = f.role === 'client-certificate' ? 'proxy_ssl_certificate' : 'proxy_ssl_trusted_certificate';
    const r = await readCertFile(f.path, label);
    return { ...base, certs: r.certs.map((c) => ({ subject: c.subject, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter })) };
  } catch (e) {
    return { ...base, error: errorOf(e) };
  }
}

type NginxConfigTargetsFile = { path: string; role: LoadedFile['role']; users: string[] };

export async function readNginxConfigTargets(file: string | undefined, o: NginxConfigTargetsOptions, io: CliIO): Promise<NginxConfigTargets> {
  const cfg = await loadEffectiveConfig(file, { nginxVersion: o.nginxVersion }, io);
  const seclevel = o.opensslSeclevel !== undefined ? Number(o.opensslSeclevel) : DEFAULT_OPENSSL_SECLEVEL;
  if (!Number.isInteger(seclevel) || seclevel < 0 || seclevel > 5) throw new UsageError('BAD_NUMBER', `--openssl-seclevel: "${o.opensslSeclevel}" is not 0..5`);
  const mapped = nginxTargets(cfg.effective.upstreams, {
    settingsOf: (u) => settingsForUpstream(u, cfg.nginxVersion, seclevel),
    clientCertOf,
    timeoutMs: o.timeoutMs,
  });
  const files = await Promise.all(mapped.files.map(loadFile));
  // The targets' CRLs: the earliest nextUpdate of the file (every CRL in it is loaded).
  const crlDates = new Map(files.filter((f) => f.role === 'crl').map((f) => [f.path, f.crls]));
  for (const t of mapped.targets) {
    for (const c of t.crls ?? []) {
      const next = (crlDates.get(c.file) ?? []).flatMap((x) => (x.nextUpdate ? [x.nextUpdate.getTime()] : [])).sort((a, b) => a - b)[0];
      c.nextUpdate = next !== undefined ? new Date(next).toISOString() : null;
    }
  }
  return {
    targets: mapped.targets,
    skipped: mapped.skipped,
    files,
    nginxVersion: cfg.nginxVersion,
    nginxVersionSource: cfg.nginxVersionSource,
    configFiles: cfg.loaded.kind === 'file' ? cfg.loaded.parsed.files : [],
  };
}

/** The `file` targets of `serve`: each scrape reads the file again (a renewed certificate is seen without a reload). */
export function fileTargetSources(files: LoadedFile[]): FileTargetSource[] {
  return files.map((f) => ({
    id: `file:${f.path}`,
    labels: { kind: 'file', role: f.role },
    check: async (at, thresholds) => fileResult(await loadFile(f), at, thresholds),
  }));
}

/** The `file` targets at the run's time. */
export function fileResults(files: LoadedFile[], at: Date, thresholds: CheckThresholds): CheckResult[] {
  return files.map((f) => fileResult(f, at, thresholds));
}
