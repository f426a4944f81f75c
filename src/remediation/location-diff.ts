/**
 * The fix plan as a minimal diff against the block that holds the pass directive: which `*_ssl_*` lines to
 * remove (with their file:line) and which to add, and which inherited directives the added lines override.
 *
 * Why edit the innermost block and not the server/http level where an inherited value lives: a directive set at
 * an inner level replaces the outer value for that block only (ngx_http_proxy_merge_loc_conf), so the change
 * cannot break other locations that inherit the same value. The inherited lines are named so the user can move
 * the change outward if every location needs it.
 * nginx refuses a directive set twice in one block ("is duplicate"), so a value already set in this block is
 * removed before the new one is added. `*_ssl_*` directives are not allowed in `if`: the block is the innermost
 * `location` (for stream, the `server`).
 */
import type { Directive } from '../nginx/parse-config.js';
import type { ConfigIndex } from '../nginx/config-index.js';
import type { SettingLevel, Sourced, UpstreamTls } from '../nginx/effective-settings.js';
import { nginxArg } from './snippet.js';
import type { FixPlan } from './types.js';

export interface DiffRemove {
  directive: string;
  /** The line as it stands (reconstructed from the parsed tokens). */
  text: string;
  file: string;
  line: number;
}

export interface DiffAdd {
  directive: string;
  text: string;
  /** Why (from the fix plan). */
  why: string;
}

export interface DiffOverride {
  directive: string;
  text: string;
  file: string;
  line: number;
  level: SettingLevel;
}

export interface LocationDiff {
  /** The block the lines go into. */
  block: { name: string; args: string[]; file: string; line: number };
  remove: DiffRemove[];
  add: DiffAdd[];
  /** Inherited directives (server/http/outer location) that the added lines override for this block. */
  overrides: DiffOverride[];
  /** A CA bundle file the plan asks to create (the trusted certificates are in plan.files, trusted-ca.pem). */
  newTrustedFile: string | null;
}

/** A directive as one line of configuration, arguments quoted where nginx's tokenizer needs it. */
export function directiveText(d: Pick<Directive, 'name' | 'args'>): string {
  return [d.name, ...d.args.map(nginxArg)].join(' ') + ';';
}

export interface LocationDiffParams {
  upstream: UpstreamTls;
  index: ConfigIndex;
  plan: FixPlan;
  /** Where the plan's trusted-ca.pem is to be installed (used when the current bundle lacks a needed certificate). */
  installPath: string;
}

interface Target {
  suffix: string;
  /** The directive's arguments in the fixed configuration. */
  args: string[];
  /** Whether the current effective value already equals the target. */
  same: boolean;
  source: Sourced<unknown>['source'];
}

function blockOf(u: UpstreamTls, index: ConfigIndex): Directive | null {
  const loc = [...u.blocks].reverse().find((b) => b.name === 'location');
  if (loc) return index.find('location', loc.file, loc.line)?.node ?? null;
  if (u.server) return index.find('server', u.server.file, u.server.line)?.node ?? null;
  return null;
}

/** Whether the plan keeps the current bundle: it trusts nothing the bundle does not already hold. */
export function keepsCurrentBundle(plan: FixPlan, u: UpstreamTls): boolean {
  if (u.paths.trustedCertificate === null) return false;
  if (!plan.files.some((f) => f.name === 'trusted-ca.pem')) return true;
  return plan.trust.length > 0 && plan.trust.every((t) => !t.newlyTrusted);
}

/** Null when the pass directive's block cannot be found (it always can for a config parsed by parseConfigFile). */
export function locationDiff(p: LocationDiffParams): LocationDiff | null {
  const { upstream: u, plan } = p;
  const block = blockOf(u, p.index);
  if (!block) return null;
  const prefix = u.module === 'stream' ? 'proxy' : u.module;
  const s = u.settings;
  const a = plan.nginxSettings ?? {};
  const targets: Target[] = [];

  targets.push({ suffix: 'ssl_verify', args: ['on'], same: s.verify.value, source: s.verify.source });

  const keep = keepsCurrentBundle(plan, u);
  const newTrustedFile = keep ? null : p.installPath;
  if (!keep) {
    targets.push({ suffix: 'ssl_trusted_certificate', args: [p.installPath], same: u.paths.trustedCertificate === p.installPath, source: s.trustedCertificate.source });
  }
  if (a.proxySslVerifyDepth !== undefined) {
    targets.push({ suffix: 'ssl_verify_depth', args: [String(a.proxySslVerifyDepth)], same: s.verifyDepth.value === a.proxySslVerifyDepth, source: s.verifyDepth.source });
  }
  if (a.proxySslServerName === true) {
    targets.push({ suffix: 'ssl_server_name', args: ['on'], same: s.serverName.value, source: s.serverName.source });
  }
  if (a.proxySslName !== undefined) {
    targets.push({ suffix: 'ssl_name', args: [a.proxySslName], same: u.verifiedName === a.proxySslName, source: s.name.source });
  }
  if (a.proxySslProtocols !== undefined) {
    const current = s.protocols.value.filter((x) => x.startsWith('TLS'));
    const same = current.length === a.proxySslProtocols.length && current.every((x, i) => x === a.proxySslProtocols![i]);
    targets.push({ suffix: 'ssl_protocols', args: [...a.proxySslProtocols], same, source: s.protocols.source });
  }
  if (a.proxySslCertificate !== undefined) {
    targets.push({ suffix: 'ssl_certificate', args: [a.proxySslCertificate], same: u.paths.certificate === a.proxySslCertificate, source: s.certificate.source });
  }
  if (a.proxySslCertificateKey !== undefined) {
    targets.push({ suffix: 'ssl_certificate_key', args: [a.proxySslCertificateKey], same: u.paths.certificateKey === a.proxySslCertificateKey, source: s.certificateKey.source });
  }

  // The plan's reasons, by directive suffix (the plan speaks proxy_*; grpc_/uwsgi_ have the same suffixes).
  const why = (suffix: string): string => {
    const d = plan.directives.find((x) => x.line.startsWith(`proxy_${suffix} `));
    return d?.why ?? '';
  };

  const diff: LocationDiff = {
    block: { name: block.name, args: block.args, file: block.file, line: block.line },
    remove: [],
    add: [],
    overrides: [],
    newTrustedFile,
  };
  for (const t of targets) {
    if (t.same) continue;
    const name = `${prefix}_${t.suffix}`;
    const own = (block.block ?? []).filter((d) => d.name === name);
    for (const d of own) diff.remove.push({ directive: name, text: directiveText(d), file: d.file, line: d.line });
    const src = t.source;
    if (own.length === 0 && src) {
      const node = p.index.find(src.directive, src.file, src.line)?.node;
      diff.overrides.push({
        directive: name,
        text: node ? directiveText(node) : `${src.directive} ...;`,
        file: src.file,
        line: src.line,
        level: src.level,
      });
    }
    diff.add.push({ directive: name, text: directiveText({ name, args: t.args }), why: why(t.suffix) });
  }
  return diff;
}

/** True when the diff changes nothing. */
export function isEmptyDiff(d: LocationDiff): boolean {
  return d.remove.length === 0 && d.add.length === 0;
}
