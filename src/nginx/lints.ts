/**
 * Findings about an nginx configuration that need no network: data with stable codes (STYLE.md 4), English in
 * src/report/explain-text.ts.
 *
 * Each finding points at the directive to change (or, when a directive is missing, at the pass directive whose
 * block needs it) and lists every upstream it affects, so one `proxy_ssl_verify off;` at server level gives one
 * finding, not one per location.
 */
import type { ConfigProblemCode, EffectiveSettings, SettingLevel, SettingSource, UpstreamServer, UpstreamTls } from './effective-settings.js';
import { RULES } from './rule-catalogue.js';
import { anchorValidity, longestBundleChain, type AnchorFact, type BundleCertFacts } from './trusted-bundle-facts.js';

export type LintSeverity = 'error' | 'warning' | 'info';

export type LintCode =
  | 'PROXY_SSL_VERIFY_OFF'
  | 'CLIENT_SIDE_TRUSTED_CERT'
  | 'VERIFY_WITHOUT_TRUSTED_FILE'
  | 'TRUSTED_FILE_MISSING'
  | 'TRUSTED_FILE_EMPTY'
  | 'TRUSTED_FILE_NO_ROOT'
  | 'SESSION_REUSE_MIXED_TRUST'
  | 'UNRESOLVED_VARIABLE'
  | ConfigProblemCode
  | 'TRUSTED_ANCHOR_EXPIRED'
  | 'TRUSTED_ANCHOR_EXPIRES_SOON'
  | 'VERIFY_DEPTH_TOO_SMALL'
  | 'PROXY_SSL_NAME_IS_IP'
  | 'SUPPRESSION_WITHOUT_REASON'
  | 'SUPPRESSION_UNKNOWN_RULE';

export interface LintInfo {
  /** Default severity; trusted-file findings are errors only where verification is on (else warnings). */
  severity: LintSeverity;
  /** nginx refuses to start (`nginx -t` fails) when this finding holds. */
  refusesToStart: boolean;
}

/** The catalogue: every code once (src/nginx/rule-catalogue.ts, which adds titles and the nginx doc cited). */
export const LINT_CODES: Record<LintCode, LintInfo> = RULES;

/** An upstream a finding concerns. */
export interface AffectedUpstream {
  id: string;
  file: string;
  line: number;
  directive: string;
  pass: string;
  location: string | null;
}

export interface TrustSettingsView {
  id: string;
  file: string;
  line: number;
  location: string | null;
  verify: boolean;
  trustedCertificate: string | null;
  verifyDepth: number;
  crl: string | null;
}

export interface LintEvidence {
  PROXY_SSL_VERIFY_OFF: { directive: string; explicit: boolean; affected: AffectedUpstream[] };
  CLIENT_SIDE_TRUSTED_CERT: {
    /** The client-side directive and its file. */
    clientSide: { directive: 'ssl_trusted_certificate'; value: string; file: string; line: number };
    /** The directive that was probably meant (`proxy_ssl_trusted_certificate`, `grpc_ssl_...`). */
    missing: string;
    verify: boolean;
    /**
     * The upstream bundle nginx uses instead, inherited from an outer level than the client-side directive
     * (an http-level proxy_ssl_trusted_certificate); absent when there is none.
     */
    inUse?: { directive: string; value: string; file: string; line: number; level: SettingLevel };
    affected: AffectedUpstream[];
  };
  VERIFY_WITHOUT_TRUSTED_FILE: { directive: string; missing: string; affected: AffectedUpstream[] };
  TRUSTED_FILE_MISSING: { directive: string; value: string; path: string; verify: boolean; affected: AffectedUpstream[] };
  TRUSTED_FILE_EMPTY: { directive: string; value: string; path: string; verify: boolean; bytes: number; affected: AffectedUpstream[] };
  TRUSTED_FILE_NO_ROOT: { directive: string; value: string; path: string; verify: boolean; certificates: number; affected: AffectedUpstream[] };
  SESSION_REUSE_MIXED_TRUST: {
    /** Which upstream peers share the session cache: the block (or implicit host:port) and the server. */
    upstream: string;
    servers: string[];
    /** The trust settings in conflict: one entry per location reaching this server. */
    settings: TrustSettingsView[];
    /** Which of verify / trustedCertificate / verifyDepth / crl differ. */
    differing: string[];
  };
  UNRESOLVED_VARIABLE: { directive: string; value: string; variables: string[]; affected: AffectedUpstream[] };
  DIRECTIVE_NOT_ALLOWED: { directive: string; context: string };
  DUPLICATE_DIRECTIVE: { directive: string; context: string };
  NO_PORT_IN_UPSTREAM: { directive: string; address: string };
  TRUSTED_ANCHOR_EXPIRED: { directive: string; value: string; path: string; verify: boolean; anchors: AnchorFact[]; validRoots: number; affected: AffectedUpstream[] };
  TRUSTED_ANCHOR_EXPIRES_SOON: { directive: string; value: string; path: string; verify: boolean; anchors: AnchorFact[]; warnDays: number; affected: AffectedUpstream[] };
  VERIFY_DEPTH_TOO_SMALL: {
    directive: string;
    depth: number;
    /** The depth the bundle's longest chain needs (its intermediates). */
    needed: number;
    /** That chain's subjects, root first. */
    chain: string[];
    path: string;
    affected: AffectedUpstream[];
  };
  PROXY_SSL_NAME_IS_IP: { directive: string; name: string; explicit: boolean; affected: AffectedUpstream[] };
  SUPPRESSION_WITHOUT_REASON: { comment: string; rules: string[] };
  SUPPRESSION_UNKNOWN_RULE: { comment: string; rule: string; suggestion: string | null };
}

export interface LintFinding<C extends LintCode = LintCode> {
  code: C;
  severity: LintSeverity;
  file: string;
  line: number;
  evidence: LintEvidence[C];
}

export type AnyLintFinding = { [C in LintCode]: LintFinding<C> }[LintCode];

/** File access for the trusted-file lints (injected: the CLI reads files, the lead plugs src/certs/ in). */
export interface LintFileAccess {
  /** The file's bytes, or null when it does not exist or cannot be read. */
  readFile(path: string): Uint8Array | null;
  /**
   * Whether the bundle holds a certificate OpenSSL can anchor a chain on: a self-signed certificate (a root, or a
   * pinned self-signed leaf). nginx accepts no partial chains, so a bundle without one fails every verification.
   */
  holdsRoot(bytes: Uint8Array): boolean;
  /** The bundle's certificates as facts (anchor validity, chain depth); those checks are skipped without it. */
  certificates?(bytes: Uint8Array): BundleCertFacts[];
}

export interface LintOptions {
  /** The time validity is judged at (a parameter: STYLE.md "Time is a parameter"). */
  at?: Date;
  /** TRUSTED_ANCHOR_EXPIRES_SOON when a root expires within this many milliseconds of `at` (0 = off). */
  warnMs?: number;
}

const LEVEL_DEPTH: Record<SettingLevel, number> = { http: 0, stream: 0, server: 1, location: 2 };

function affectedOf(u: UpstreamTls): AffectedUpstream {
  return { id: u.id, file: u.file, line: u.line, directive: u.directive, pass: u.pass, location: u.location };
}

/** Collects findings keyed by code+file+line so a directive shared by many upstreams yields one finding. */
class FindingSet {
  private readonly map = new Map<string, AnyLintFinding>();

  add<C extends LintCode>(
    code: C,
    at: { file: string; line: number },
    make: () => LintEvidence[C],
    merge: (e: LintEvidence[C]) => void,
    severity: LintSeverity = LINT_CODES[code].severity,
  ): void {
    const key = `${code}\u0000${at.file}\u0000${at.line}`;
    const existing = this.map.get(key) as LintFinding<C> | undefined;
    if (existing) {
      merge(existing.evidence);
      // An error anywhere wins over a warning elsewhere for the same directive.
      if (severity === 'error') existing.severity = 'error';
      return;
    }
    const finding: LintFinding<C> = { code, severity, file: at.file, line: at.line, evidence: make() };
    this.map.set(key, finding as unknown as AnyLintFinding);
  }

  list(): AnyLintFinding[] {
    return [...this.map.values()];
  }
}

function pushAffected(list: AffectedUpstream[], u: UpstreamTls): void {
  if (!list.some((a) => a.id === u.id)) list.push(affectedOf(u));
}

function directiveName(u: UpstreamTls, suffix: string): string {
  return `${u.module === 'stream' ? 'proxy' : u.module}_${suffix}`;
}

/** Where a setting lives, or the pass directive when it is nginx's default (the fix goes in that block). */
function anchor(source: SettingSource | null, u: UpstreamTls): { file: string; line: number } {
  return source ? { file: source.file, line: source.line } : { file: u.file, line: u.line };
}

const PEM_CERT_OR_CRL = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----|-----BEGIN X509 CRL-----/;

function countPemCertificates(text: string): number {
  return (text.match(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/g) ?? []).length;
}

function lintUpstream(u: UpstreamTls, set: FindingSet, files: CachedFiles | undefined, options: LintOptions): void {
  const s = u.settings;

  if (!s.verify.value) {
    const at = anchor(s.verify.source, u);
    set.add(
      'PROXY_SSL_VERIFY_OFF',
      at,
      () => ({ directive: directiveName(u, 'ssl_verify'), explicit: s.verify.source !== null, affected: [affectedOf(u)] }),
      (e) => pushAffected(e.affected, u),
    );
  }

  const client = u.clientSideTrustedCertificate;
  // ssl_trusted_certificate is legitimate for OCSP stapling and client certificates: only a mix-up when nothing
  // client-side uses it, or when upstream verification is on without its own bundle (nginx refuses to start).
  const mixUp = s.verify.value || u.clientSideTrustUsers.length === 0;
  // Also when an outer-level proxy_ssl_trusted_certificate exists: the bundle written next to the pass directive
  // is the client-side one, and nginx silently verifies with the outer one (issue 14).
  const used = s.trustedCertificate;
  const shadowed =
    used.value !== null && used.source !== null && client.source !== null && u.clientSideTrustUsers.length === 0 &&
    LEVEL_DEPTH[client.source.level] > LEVEL_DEPTH[used.source.level];
  if ((used.value === null || shadowed) && client.value !== null && client.source && mixUp) {
    set.add(
      'CLIENT_SIDE_TRUSTED_CERT',
      client.source,
      () => ({
        clientSide: { directive: 'ssl_trusted_certificate', value: client.value!, file: client.source!.file, line: client.source!.line },
        missing: directiveName(u, 'ssl_trusted_certificate'),
        verify: s.verify.value,
        ...(shadowed
          ? { inUse: { directive: used.source!.directive, value: used.value!, file: used.source!.file, line: used.source!.line, level: used.source!.level } }
          : {}),
        affected: [affectedOf(u)],
      }),
      (e) => {
        pushAffected(e.affected, u);
        e.verify ||= s.verify.value;
      },
    );
  }

  if (s.verify.value && s.trustedCertificate.value === null) {
    set.add(
      'VERIFY_WITHOUT_TRUSTED_FILE',
      anchor(s.verify.source, u),
      () => ({ directive: directiveName(u, 'ssl_verify'), missing: directiveName(u, 'ssl_trusted_certificate'), affected: [affectedOf(u)] }),
      (e) => pushAffected(e.affected, u),
    );
  }

  if (files && s.trustedCertificate.value !== null && u.paths.trustedCertificate !== null && s.trustedCertificate.source) {
    lintTrustedFile(u, set, files, options);
  }

  lintVerifiedName(u, set);

  for (const v of u.unresolved) {
    set.add(
      'UNRESOLVED_VARIABLE',
      { file: v.file, line: v.line },
      () => ({ directive: v.directive, value: v.value, variables: v.variables, affected: [affectedOf(u)] }),
      (e) => pushAffected(e.affected, u),
    );
  }
}

function lintTrustedFile(u: UpstreamTls, set: FindingSet, files: CachedFiles, options: LintOptions): void {
  const s = u.settings;
  const value = s.trustedCertificate.value!;
  const path = u.paths.trustedCertificate!;
  const at = anchor(s.trustedCertificate.source, u);
  const directive = s.trustedCertificate.source!.directive;
  const verify = s.verify.value;
  // nginx only loads the file when verification is on; off, a broken file is a warning for the day it is turned on.
  const severity: LintSeverity = verify ? 'error' : 'warning';
  const mergeVerify = (e: { verify: boolean; affected: AffectedUpstream[] }) => {
    pushAffected(e.affected, u);
    e.verify ||= verify;
  };

  const bytes = files.readFile(path);
  if (bytes === null) {
    set.add('TRUSTED_FILE_MISSING', at, () => ({ directive, value, path, verify, affected: [affectedOf(u)] }), mergeVerify, severity);
    return;
  }
  // X509_load_cert_crl_file reads PEM certificates and CRLs only: a file without one fails to load
  // ("no certificate or crl found"), an empty file included.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!PEM_CERT_OR_CRL.test(text)) {
    set.add('TRUSTED_FILE_EMPTY', at, () => ({ directive, value, path, verify, bytes: bytes.length, affected: [affectedOf(u)] }), mergeVerify, severity);
    return;
  }
  if (!files.holdsRoot(bytes)) {
    set.add(
      'TRUSTED_FILE_NO_ROOT',
      at,
      () => ({ directive, value, path, verify, certificates: countPemCertificates(text), affected: [affectedOf(u)] }),
      mergeVerify,
      severity,
    );
    return;
  }
  const certs = files.certificates(path, bytes);
  if (certs === null) return;
  lintAnchors(u, set, { at, directive, value, path, verify }, certs, options);
  lintBundleDepth(u, set, path, certs);
}

interface TrustedFileRef {
  at: { file: string; line: number };
  directive: string;
  value: string;
  path: string;
  verify: boolean;
}

function lintAnchors(u: UpstreamTls, set: FindingSet, f: TrustedFileRef, certs: BundleCertFacts[], options: LintOptions): void {
  if (!options.at) return;
  const v = anchorValidity(certs, options.at, options.warnMs ?? 0);
  const base = { directive: f.directive, value: f.value, path: f.path, verify: f.verify };
  const merge = (e: { verify: boolean; affected: AffectedUpstream[] }) => {
    pushAffected(e.affected, u);
    e.verify ||= f.verify;
  };
  if (v.expired.length > 0) {
    const validRoots = v.expiring.length + v.lasting;
    // With no valid root left and verification on, every chain fails; otherwise only those ending at it.
    const severity: LintSeverity = f.verify && validRoots === 0 ? 'error' : 'warning';
    set.add('TRUSTED_ANCHOR_EXPIRED', f.at, () => ({ ...base, anchors: v.expired, validRoots, affected: [affectedOf(u)] }), merge, severity);
  }
  if (v.expiring.length > 0 && (options.warnMs ?? 0) > 0) {
    const warnDays = Math.round(((options.warnMs ?? 0) / 86_400_000) * 100) / 100;
    set.add('TRUSTED_ANCHOR_EXPIRES_SOON', f.at, () => ({ ...base, anchors: v.expiring, warnDays, affected: [affectedOf(u)] }), merge);
  }
}

/** proxy_ssl_verify_depth against the longest chain the bundle's own CAs form (only what is known offline). */
function lintBundleDepth(u: UpstreamTls, set: FindingSet, path: string, certs: BundleCertFacts[]): void {
  const s = u.settings;
  if (!s.verify.value) return;
  const chain = longestBundleChain(certs);
  const needed = chain.length - 1;
  if (needed <= s.verifyDepth.value) return;
  set.add(
    'VERIFY_DEPTH_TOO_SMALL',
    anchor(s.verifyDepth.source, u),
    () => ({
      directive: directiveName(u, 'ssl_verify_depth'),
      depth: s.verifyDepth.value,
      needed,
      chain: chain.map((c) => c.subject),
      path,
      affected: [affectedOf(u)],
    }),
    (e) => pushAffected(e.affected, u),
  );
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^\[?[0-9a-f]*:[0-9a-f:.]*(?:%[^\]]*)?\]?$/i;

/**
 * ngx_ssl_check_host hands every name to X509_check_host(), an IP literal included (never X509_check_ip_asc()):
 * the name must be a DNS SAN (or the CN when there is no DNS SAN). The upstream's certificate is unknown offline,
 * so this is a warning naming what the certificate must carry; the probe judges the real certificate.
 */
function lintVerifiedName(u: UpstreamTls, set: FindingSet): void {
  const s = u.settings;
  const name = u.verifiedName;
  if (!s.verify.value || name === null || !(IPV4.test(name) || IPV6.test(name))) return;
  set.add(
    'PROXY_SSL_NAME_IS_IP',
    anchor(s.name.source, u),
    () => ({ directive: directiveName(u, 'ssl_name'), name, explicit: s.name.source !== null, affected: [affectedOf(u)] }),
    (e) => pushAffected(e.affected, u),
  );
}

/** The injected file access, each bundle read and parsed once however many upstreams name it. */
class CachedFiles {
  private readonly bytes = new Map<string, Uint8Array | null>();
  private readonly facts = new Map<string, BundleCertFacts[] | null>();
  constructor(private readonly access: LintFileAccess) {}

  readFile(path: string): Uint8Array | null {
    if (!this.bytes.has(path)) this.bytes.set(path, this.access.readFile(path));
    return this.bytes.get(path)!;
  }

  holdsRoot(bytes: Uint8Array): boolean {
    return this.access.holdsRoot(bytes);
  }

  certificates(path: string, bytes: Uint8Array): BundleCertFacts[] | null {
    if (!this.access.certificates) return null;
    if (!this.facts.has(path)) this.facts.set(path, this.access.certificates(bytes));
    return this.facts.get(path)!;
  }
}

/**
 * nginx keeps one cached TLS session per upstream peer (`ngx_http_upstream_set_round_robin_peer_session`), and a
 * resumed session keeps the verify result of the handshake that created it (NGINX.md "Session reuse"). Peers are
 * per upstream block; `proxy_pass https://host:port` in several locations shares one implicit upstream
 * (`ngx_http_upstream_add` reuses an entry with the same host and port). Only locations with session reuse on save
 * and reuse sessions.
 */
function lintSessionReuse(upstreams: UpstreamTls[], set: FindingSet): void {
  // Every entry naming an upstream block reaches all its servers, so the block (or the implicit host:port) is the
  // unit: its servers all share the same set of locations.
  const groups = new Map<string, { upstream: string; servers: UpstreamServer[]; members: UpstreamTls[] }>();
  for (const u of upstreams) {
    if (!u.settings.sessionReuse.value || u.upstreamHost === null || u.servers.length === 0) continue;
    // A target built from variables that is not an upstream block gets per-request peers
    // (ngx_http_upstream_create_round_robin_peer): its sessions are not kept across requests.
    if (u.pass.includes('$') && u.upstreamBlock === null) continue;
    const namespace = u.module === 'stream' ? 'stream' : 'http';
    const upstream = u.upstreamBlock ? u.upstreamBlock.args[0] ?? u.upstreamHost : u.upstreamHost;
    const upstreamKey = u.upstreamBlock
      ? `block:${upstream.toLowerCase()}`
      : `implicit:${u.servers[0].host.toLowerCase()}:${u.servers[0].port}`;
    const key = `${namespace}\u0000${upstreamKey}`;
    const g = groups.get(key) ?? { upstream, servers: u.servers, members: [] };
    g.members.push(u);
    groups.set(key, g);
  }

  for (const g of groups.values()) {
    const views: TrustSettingsView[] = g.members.map((u) => ({
      id: u.id,
      file: u.file,
      line: u.line,
      location: u.location,
      verify: u.settings.verify.value,
      trustedCertificate: u.paths.trustedCertificate,
      verifyDepth: u.settings.verifyDepth.value,
      crl: u.paths.crl,
    }));
    const differing = (['verify', 'trustedCertificate', 'verifyDepth', 'crl'] as const).filter(
      (k) => new Set(views.map((v) => JSON.stringify(v[k]))).size > 1,
    );
    if (differing.length === 0) continue;
    const first = g.members[0];
    set.add(
      'SESSION_REUSE_MIXED_TRUST',
      { file: first.file, line: first.line },
      () => ({ upstream: g.upstream, servers: g.servers.map((s) => s.address), settings: views, differing: [...differing] }),
      () => {},
    );
  }
}

const SEVERITY_ORDER: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Deterministic order: file, line, then severity and catalogue order. */
export function sortLintFindings<T extends LintFinding>(findings: T[]): T[] {
  const order = Object.keys(LINT_CODES);
  return [...findings].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      order.indexOf(a.code) - order.indexOf(b.code),
  );
}

/**
 * All network-free findings for a configuration. Without `files`, the trusted-file checks
 * (TRUSTED_FILE_MISSING / _EMPTY / _NO_ROOT) are skipped; without `files.certificates`, the bundle checks
 * (TRUSTED_ANCHOR_*, VERIFY_DEPTH_TOO_SMALL); without `options.at`, the anchor validity checks.
 */
export function lintNginxConfig(settings: EffectiveSettings, files?: LintFileAccess, options: LintOptions = {}): AnyLintFinding[] {
  const set = new FindingSet();
  const cached = files ? new CachedFiles(files) : undefined;
  for (const p of settings.problems) {
    if (p.code === 'NO_PORT_IN_UPSTREAM') {
      set.add('NO_PORT_IN_UPSTREAM', p, () => ({ directive: p.directive, address: p.context }), () => {});
    } else {
      set.add(p.code, p, () => ({ directive: p.directive, context: p.context }), () => {});
    }
  }
  for (const u of settings.upstreams) lintUpstream(u, set, cached, options);
  lintSessionReuse(settings.upstreams, set);
  return sortLintFindings(set.list());
}
