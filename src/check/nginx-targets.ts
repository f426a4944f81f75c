/**
 * `check --nginx-config` / `serve --nginx-config`: the targets of a monitoring run taken from nginx's own
 * configuration, each with its location's effective settings (src/nginx/effective-settings.ts), so what is
 * monitored is what nginx does and not a second list that drifts from it. Pure: the effective settings in,
 * CheckTargets out; the caller reads the files and converts settings (run-nginx.ts settingsForUpstream).
 *
 * One target per server of each TLS pass directive (a `server` line of an upstream block, or the pass target),
 * labelled with where it comes from: `server_name` (the first name of the enclosing server block), `location`,
 * `config` (`file:line` of the pass directive) and `upstream` (the upstream block's name, when there is one).
 * Locations that reach the same server with the same settings are one target (nginx behaves the same for them):
 * the first in configuration order gives the labels, `origin` lists every pass directive.
 */
import type { NginxSettings } from '../nginx/defaults.js';
import type { UpstreamServer, UpstreamTls } from '../nginx/effective-settings.js';
import { targetIdFor } from './targets-file.js';
import type { CheckTarget, TargetSpec } from './types.js';

export interface NginxTargetsOptions {
  /** The probe's model of nginx for one pass directive (run-nginx.ts settingsForUpstream). */
  settingsOf(u: UpstreamTls): NginxSettings;
  /** The client certificate pair nginx loads, when it can be used (files, no variables, no data:). */
  clientCertOf(u: UpstreamTls): { certFile: string; keyFile: string } | undefined;
  timeoutMs: number;
}

/** A pass directive or server nginx would use that cannot be monitored as a TLS target, and why. */
export interface SkippedUpstream {
  where: string;
  why: string;
}

export interface NginxTargets {
  targets: CheckTarget[];
  skipped: SkippedUpstream[];
  /** Files nginx loads for these targets (absolute): bundles, client certificates, CRLs; each checked as a `file` target. */
  files: { path: string; role: 'trusted-certificate' | 'client-certificate' | 'crl'; users: string[] }[];
}

/** Why nginx's behaviour for this server cannot be checked by a handshake, or null. Mirrors run-nginx.ts skipReason. */
function skipReason(u: UpstreamTls, s: UpstreamServer | null): string | null {
  if (s === null || u.verifiedName === null) return 'depends on variables known only per request';
  if (!u.settings.verify.value) return 'proxy_ssl_verify is off: nginx accepts any certificate, nothing to forecast';
  if (s.down) return 'marked down: nginx never sends requests to it';
  if (s.unix !== undefined) return `unix socket ${s.unix}`;
  if (s.port === null) return 'no port: nginx refuses to start ("no port in upstream")';
  return null;
}

function labelsOf(u: UpstreamTls): Record<string, string> {
  return {
    server_name: u.server?.serverName[0] ?? '',
    location: u.location ?? '',
    config: `${u.file}:${u.line}`,
    ...(u.upstreamBlock ? { upstream: u.upstreamBlock.args[0] ?? '' } : {}),
  };
}

/** Everything that makes nginx behave differently towards one server: equal keys are one target. */
function behaviourKey(s: UpstreamServer, settings: NginxSettings, u: UpstreamTls, client: unknown): string {
  return JSON.stringify([s.host, s.port, settings, u.paths.trustedCertificate, client ?? null, u.paths.crl]);
}

function addFile(files: NginxTargets['files'], path: string | null, role: NginxTargets['files'][number]['role'], user: string): void {
  if (!path) return;
  const known = files.find((f) => f.path === path && f.role === role);
  if (known) {
    if (!known.users.includes(user)) known.users.push(user);
  } else files.push({ path, role, users: [user] });
}

export function nginxTargets(upstreams: UpstreamTls[], o: NginxTargetsOptions): NginxTargets {
  const out: NginxTargets = { targets: [], skipped: [], files: [] };
  const byKey = new Map<string, NginxTargets['targets'][number]>();
  const idCount = new Map<string, number>();
  for (const u of upstreams) {
    for (const s of u.servers.length ? u.servers : [null]) {
      const where = `${u.file}:${u.line}`;
      const why = skipReason(u, s);
      if (why !== null || s === null) {
        out.skipped.push({ where: s ? `${where} (${s.address})` : where, why: why ?? 'no server' });
        continue;
      }
      const settings = o.settingsOf(u);
      const clientCert = o.clientCertOf(u);
      addFile(out.files, u.paths.trustedCertificate, 'trusted-certificate', where);
      addFile(out.files, clientCert?.certFile ?? null, 'client-certificate', where);
      addFile(out.files, u.paths.crl, 'crl', where);
      const key = behaviourKey(s, settings, u, clientCert);
      const same = byKey.get(key);
      if (same) {
        same.spec.origin += `, ${where}`;
        continue;
      }
      const port = s.port as number;
      const base = targetIdFor(s.host, port, settings.proxySslName);
      const n = (idCount.get(base) ?? 0) + 1;
      idCount.set(base, n);
      const spec: TargetSpec = { input: s.address, host: s.host, port, origin: where, labels: labelsOf(u) };
      const target = {
        // A second behaviour towards the same server and name (another bundle, depth...): the pass directive
        // that configures it names it, so the id does not depend on the order of unrelated lines.
        id: n === 1 ? base : `${base}#${where}`,
        spec,
        settings,
        caFiles: u.paths.trustedCertificate ? [u.paths.trustedCertificate] : [],
        ...(clientCert ? { clientCert } : {}),
        timeoutMs: o.timeoutMs,
        // nextUpdate is filled in by whoever reads the file (the CLI).
        ...(u.paths.crl ? { crls: [{ file: u.paths.crl, nextUpdate: null }] } : {}),
      };
      byKey.set(key, target);
      out.targets.push(target);
    }
  }
  return out;
}
