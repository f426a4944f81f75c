/**
 * The pre-deploy check (`tlsdoctor verify --nginx-config CONF`): before a rollout, would every location that uses
 * the changed thing still verify?
 *
 * - A new upstream chain (`--chain NEW.pem`): judged offline, with each selected location's effective settings
 *   (proxy_ssl_name, verify depth, its own proxy_ssl_trusted_certificate, proxy_ssl_verify), exactly as nginx
 *   would judge it once the upstream serves it. Selected: the locations with a server `--upstream HOST:PORT` (or
 *   the upstream block / $proxy_host `--upstream NAME`); without --upstream, the locations whose
 *   proxy_ssl_name the new leaf is issued for.
 * - A new bundle (`--ca NEW-BUNDLE.pem`): the live upstreams of every location whose
 *   proxy_ssl_trusted_certificate is the file the new bundle replaces (`--replaces PATH`; default: the --ca file's
 *   own path, for a bundle already edited in place but not reloaded yet) are probed, with the new bundle in place
 *   of that file. nginx reads the bundle only at start-up (ngx_ssl_trusted_certificate), so this is what the
 *   next reload does. Only locations naming that path change: the others keep their own file.
 * Both: the new chain judged with the new bundle in place of the replaced file.
 */
import { resolve } from 'node:path';
import type { Cert } from '../certs/cert.js';
import { hostMatches } from '../certs/host-match.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { NginxOutcome } from '../diagnosis/types.js';
import type { UpstreamTls } from '../nginx/effective-settings.js';
import { outcomeWithVerify } from '../nginx/location-outcome.js';
import { parseTarget } from '../probe/parse-target.js';
import type { PredeployReport, PredeployRow } from '../report/predeploy-model.js';
import { offlineObservation } from './offline-observation.js';
import type { CliIO } from './io.js';
import { loadBundle, loadEffectiveConfig, runNginxChecks, settingsForUpstream, type Bundle, type LoadedEffectiveConfig, type NginxRunOptions } from './run-nginx.js';
import { UsageError } from './usage-error.js';

export interface PredeployOptions extends NginxRunOptions {
  configFile: string;
  /** The new chain, leaf first (already read), and its file name. */
  chain?: { file: string; certs: Cert[] };
  /** The new bundle's file (PEM, as nginx loads it). */
  ca?: string;
  /** The configured proxy_ssl_trusted_certificate path the new bundle replaces (default: `ca` itself). */
  replaces?: string;
  /** `HOST:PORT` of a server, or an upstream block's name / $proxy_host. */
  upstream?: string;
  warnDays: number;
  /** Validity is judged at this time (--at; default now). */
  at: Date;
}

function hostPort(host: string, port: number | null): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? ''}`;
}

/** `--upstream`: a server address (host:port, [v6]:port) of the location, or its upstream block / $proxy_host. */
export function proxiesTo(u: UpstreamTls, upstream: string): boolean {
  const want = upstream.trim().toLowerCase();
  if (u.upstreamBlock?.args[0]?.toLowerCase() === want || u.upstreamHost?.toLowerCase() === want) return true;
  let t: { host: string; port: number };
  try {
    t = parseTarget(upstream);
  } catch {
    return false;
  }
  const key = hostPort(t.host.toLowerCase(), t.port);
  return u.servers.some((s) => s.port !== null && hostPort(s.host.toLowerCase(), s.port) === key);
}

function locationList(cfg: LoadedEffectiveConfig): string {
  const names = cfg.effective.upstreams.map((u) => `${u.pass} (${u.file}:${u.line})`);
  return names.length ? names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '') : 'none';
}

/** The locations a new chain is judged against (module comment); a usage error when there are none. */
function chainLocations(cfg: LoadedEffectiveConfig, o: PredeployOptions, leaf: Cert): UpstreamTls[] {
  if (o.upstream !== undefined) {
    const hit = cfg.effective.upstreams.filter((u) => proxiesTo(u, o.upstream!));
    if (hit.length === 0) {
      throw new UsageError('NO_SUCH_UPSTREAM', `--upstream ${o.upstream}: no TLS location of ${o.configFile} proxies to it (TLS pass directives: ${locationList(cfg)})`);
    }
    return hit;
  }
  const hit = cfg.effective.upstreams.filter((u) => u.verifiedName !== null && hostMatches(leaf, u.verifiedName));
  if (hit.length === 0) {
    throw new UsageError(
      'NO_SUCH_UPSTREAM',
      `--chain ${o.chain!.file}: no TLS location of ${o.configFile} checks a name this certificate is issued for: name the upstream with --upstream HOST:PORT (TLS pass directives: ${locationList(cfg)})`,
    );
  }
  return hit;
}

/** The locations whose bundle the new one replaces; a usage error (with the configured paths) when none. */
function bundleLocations(cfg: LoadedEffectiveConfig, o: PredeployOptions, replaced: string): UpstreamTls[] {
  const hit = cfg.effective.upstreams.filter((u) => u.paths.trustedCertificate !== null && resolve(u.paths.trustedCertificate) === replaced);
  if (hit.length > 0) return hit;
  const paths = [...new Set(cfg.effective.upstreams.map((u) => u.paths.trustedCertificate).filter((p): p is string => p !== null))];
  const option = o.replaces !== undefined ? `--replaces ${o.replaces}` : `--ca ${o.ca}`;
  throw new UsageError(
    'NO_SUCH_BUNDLE',
    `${option}: no location of ${o.configFile} uses ${replaced} as proxy_ssl_trusted_certificate ` +
      `(configured: ${paths.join(', ') || 'none'}); name the file the new bundle replaces with --replaces PATH`,
  );
}

function firstLine(o: NginxOutcome | null): string | null {
  return o && !o.ok && o.error ? `[${o.level}] ${o.error}` : null;
}

/** A new chain against one location: the offline judgement with that location's settings and bundle. */
async function judgeChain(cfg: LoadedEffectiveConfig, o: PredeployOptions, u: UpstreamTls, bundleOf: (path: string) => Promise<Bundle>): Promise<PredeployRow> {
  const row: PredeployRow = { upstream: u, server: o.upstream ?? null, ok: null, status: null, line: null, codes: [], skipped: null, notes: [] };
  if (u.verifiedName === null) return { ...row, skipped: 'proxy_ssl_name depends on variables known only per request' };
  const settings = settingsForUpstream(u, cfg.nginxVersion, o.seclevel);
  const path = u.paths.trustedCertificate;
  const bundle = path ? await bundleOf(path) : { certs: [], notes: ['no proxy_ssl_trusted_certificate: nginx verifies against an empty store'] };
  const sent = o.chain!.certs;
  const d = diagnose({ observation: offlineObservation(sent, settings.proxySslProtocols), sent, trusted: bundle.certs, trustSource: 'bundle', candidates: [], settings, at: o.at, warnDays: o.warnDays });
  const outcome = outcomeWithVerify(d.nginx, u.settings.verify.value);
  return { ...row, ok: outcome.ok, status: outcome.status, line: firstLine(outcome), codes: d.findings.map((f) => f.code), notes: bundle.notes };
}

export async function runPredeploy(o: PredeployOptions, io: CliIO): Promise<PredeployReport> {
  const cfg = await loadEffectiveConfig(o.configFile, o, io);
  const replaced = o.ca !== undefined ? resolve(io.cwd, o.replaces ?? o.ca) : undefined;
  const newBundle = o.ca !== undefined ? await loadBundle(resolve(io.cwd, o.ca), '--ca') : undefined;
  if (newBundle && newBundle.certs.length === 0) {
    throw new UsageError('INPUT_NOT_CERTIFICATE', `--ca ${o.ca}: holds no PEM certificate nginx can load (${newBundle.notes.join('; ')})`);
  }
  const base = { mode: o.chain ? ('chain' as const) : ('bundle' as const), chainFile: o.chain?.file ?? null, bundleFile: o.ca ?? null, replaces: replaced ?? null, upstream: o.upstream ?? null, nginxVersion: cfg.nginxVersion, nginxVersionSource: cfg.nginxVersionSource, config: cfg.loaded.parsed.main };

  if (o.chain) {
    const leaf = o.chain.certs[0];
    const locations = chainLocations(cfg, o, leaf);
    const bundles = new Map<string, Promise<Bundle>>();
    const bundleOf = (path: string): Promise<Bundle> => {
      if (newBundle && replaced === resolve(path)) return Promise.resolve(newBundle);
      let b = bundles.get(path);
      if (!b) bundles.set(path, (b = loadBundle(path, 'proxy_ssl_trusted_certificate')));
      return b;
    };
    const rows: PredeployRow[] = [];
    for (const u of locations) rows.push(await judgeChain(cfg, o, u, bundleOf));
    return { ...base, rows };
  }

  const locations = bundleLocations(cfg, o, replaced!);
  const selected = new Set(locations);
  const run = await runNginxChecks(cfg, { ...o, bundleOverride: { path: replaced!, bundle: newBundle! }, only: (u) => selected.has(u) }, io);
  const rows: PredeployRow[] = run.report.locations.map((l) => {
    const servers = run.report.rows.filter((r) => r.upstream === l.upstream);
    const skipped = servers.find((r) => r.skipped !== null)?.skipped ?? null;
    const codes = [...new Set(servers.flatMap((r) => r.report?.diagnosis.findings.map((f) => f.code) ?? []))];
    const first = l.outcome.lines[0];
    return {
      upstream: l.upstream,
      server: servers.map((r) => (r.server && r.server.port !== null ? hostPort(r.server.host, r.server.port) : l.upstream.pass)).join(' '),
      ok: l.outcome.ok,
      status: l.outcome.status,
      line: l.outcome.ok === false && first ? `[${first.level}] ${first.error}` : null,
      codes,
      skipped: l.outcome.ok === null ? skipped : null,
      notes: [...new Set(servers.flatMap((r) => [...r.notes, ...(r.report?.notes ?? [])]))],
    };
  });
  return { ...base, rows };
}
