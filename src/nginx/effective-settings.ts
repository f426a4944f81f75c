/**
 * The upstream TLS settings nginx actually uses for every TLS pass directive, after inheritance.
 *
 * nginx merges location configuration child-from-parent (`ngx_http_proxy_merge_loc_conf`): http → server →
 * location → nested location. A directive set at an inner level replaces the outer value entirely; nothing is
 * merged, not even array-valued directives (`proxy_ssl_conf_command`, `proxy_ssl_protocols`). The position of a
 * directive inside its block does not matter (merging happens after the whole file is read).
 * `proxy_ssl_*` are not allowed inside `if` or `limit_except` (their flags lack NGX_HTTP_LIF_CONF/LMT_CONF); a
 * `proxy_pass` inside an `if` uses the enclosing location's settings.
 *
 * Stream (`stream { server { proxy_pass ...; proxy_ssl on; } }`) has two levels: stream → server.
 */
import type { Directive, ParsedConfig } from './parse-config.js';
import { resolveConfPath } from './parse-config.js';
import { forEachBlock, forEachDirective } from './walk-config.js';
import { canonicalProtocol, defaultUpstreamProtocols, type TlsProtocolName } from './nginx-version.js';
import {
  parseAddress,
  parsePassTarget,
  parseServerParams,
  probeHost,
  proxyHostOf,
  sniFor,
  stripPortFromName,
  type ParsedPass,
  type PassModule,
} from './upstream-address.js';

export type { PassModule } from './upstream-address.js';
export type { TlsProtocolName } from './nginx-version.js';

export type SettingLevel = 'http' | 'server' | 'location' | 'stream';

export interface SettingSource {
  directive: string;
  file: string;
  line: number;
  level: SettingLevel;
}

/** A setting's effective value and the directive it comes from (null: nginx's default). */
export interface Sourced<T> {
  value: T;
  source: SettingSource | null;
}

export interface UpstreamTlsSettings {
  verify: Sourced<boolean>;
  /** As written (relative paths are relative to the conf prefix: see `paths`). */
  trustedCertificate: Sourced<string | null>;
  verifyDepth: Sourced<number>;
  /** `*_ssl_name` as written; null = nginx's default, the pass target's host (`$proxy_host` for proxy_pass). */
  name: Sourced<string | null>;
  serverName: Sourced<boolean>;
  protocols: Sourced<TlsProtocolName[]>;
  ciphers: Sourced<string>;
  certificate: Sourced<string | null>;
  certificateKey: Sourced<string | null>;
  sessionReuse: Sourced<boolean>;
  crl: Sourced<string | null>;
  /** `*_ssl_conf_command NAME VALUE` pairs of the innermost level that has any. */
  confCommands: Sourced<[string, string][]>;
}

export interface UpstreamServer {
  /** As written in the `server` line or the pass target. */
  address: string;
  /** Host for the probe: a name, an IPv4 literal or an IPv6 literal without brackets. */
  host: string;
  /** Null when nginx would refuse the address for lack of a port (see `problems`), or for a unix socket. */
  port: number | null;
  /** No port was written: in an `upstream` block nginx then uses 80 — not 443, whatever the scheme. */
  portDefaulted: boolean;
  unix?: string;
  backup: boolean;
  down: boolean;
  weight?: number;
  /** `resolve` parameter: nginx re-resolves the name at run time. */
  resolve: boolean;
  file: string;
  line: number;
}

export interface BlockRef {
  name: string;
  args: string[];
  file: string;
  line: number;
}

export interface ServerRef {
  file: string;
  line: number;
  serverName: string[];
  /** Each `listen` line's arguments joined with a space. */
  listen: string[];
}

export interface UnresolvedVariable {
  /** Which setting holds it: the pass target or the ssl name. */
  directive: string;
  value: string;
  /** Variable names (without `$`) that cannot be known without a request. */
  variables: string[];
  file: string;
  line: number;
}

export interface ResolvedVariable {
  name: string;
  value: string;
  /** The `set` it comes from. */
  file: string;
  line: number;
}

export interface UpstreamTls {
  /** `file:line` of the pass directive. */
  id: string;
  module: PassModule;
  /** `proxy_pass`, `grpc_pass`, `uwsgi_pass`. */
  directive: string;
  file: string;
  line: number;
  /** The pass directive's argument as written. */
  pass: string;
  /** `https`, `grpcs`, `suwsgi`, `stream`; null when a variable hides it. */
  scheme: string | null;
  server: ServerRef | null;
  /** Innermost `location`'s arguments joined (`/api/`, `~ ^/x`, `@fallback`); null for stream. */
  location: string | null;
  /** `location` / `if` / `limit_except` blocks from the server down to the pass directive. */
  blocks: BlockRef[];
  /** `$proxy_host`: host[:port] of the target (the upstream block's name for a block); null when unresolved. */
  upstreamHost: string | null;
  upstreamBlock: BlockRef | null;
  servers: UpstreamServer[];
  /** The name `X509_check_host` gets (`*_ssl_name` evaluated, port stripped, IPv6 brackets kept); null when unresolved. */
  verifiedName: string | null;
  /** SNI nginx sends; null: none (server_name off, an IP literal, or unresolved). */
  sni: string | null;
  settings: UpstreamTlsSettings;
  /** Absolute paths of the files the settings name (conf-prefix relative paths resolved); null when unset. */
  paths: {
    trustedCertificate: string | null;
    certificate: string | null;
    certificateKey: string | null;
    crl: string | null;
  };
  /** The client-side `ssl_trusted_certificate` in effect at this scope (it is not used for upstreams). */
  clientSideTrustedCertificate: Sourced<string | null>;
  /**
   * Client-side directives in effect here that do use `ssl_trusted_certificate` (`ssl_stapling`,
   * `ssl_verify_client`): when there are some, the client-side bundle has a purpose of its own.
   */
  clientSideTrustUsers: string[];
  unresolved: UnresolvedVariable[];
  resolvedVariables: ResolvedVariable[];
}

export type ConfigProblemCode = 'DIRECTIVE_NOT_ALLOWED' | 'DUPLICATE_DIRECTIVE' | 'NO_PORT_IN_UPSTREAM';

/** Things nginx refuses at start-up that the settings walk runs into. */
export interface ConfigProblem {
  code: ConfigProblemCode;
  directive: string;
  file: string;
  line: number;
  /** The block it sits in (`if`, `limit_except`, `location`...) or the address lacking a port. */
  context: string;
}

export interface EffectiveSettings {
  nginxVersion: string;
  confPrefix: string;
  upstreams: UpstreamTls[];
  problems: ConfigProblem[];
}

export interface EffectiveSettingsOptions {
  /** nginx version (`1.22.1`): the default `*_ssl_protocols` depend on it. */
  nginxVersion: string;
}

// ---------------------------------------------------------------------------------------------------------------

type Prefix = 'proxy' | 'grpc' | 'uwsgi';

interface Frame {
  level: SettingLevel | 'if' | 'limit_except';
  node: Directive;
}

/** Single-valued settings: nginx says "is duplicate" when one is set twice in the same block. */
const SINGLE_SUFFIXES = [
  'ssl_verify',
  'ssl_trusted_certificate',
  'ssl_verify_depth',
  'ssl_name',
  'ssl_server_name',
  'ssl_ciphers',
  'ssl_certificate',
  'ssl_certificate_key',
  'ssl_session_reuse',
  'ssl_crl',
] as const;

const ALL_SUFFIXES: readonly string[] = [...SINGLE_SUFFIXES, 'ssl_protocols', 'ssl_conf_command'];

const UPSTREAM_SSL_DIRECTIVE = /^(proxy|grpc|uwsgi)_ssl(_[a-z_]+)?$/;

function children(node: Directive): Directive[] {
  return node.block ?? [];
}

/** Children by name, indexed once per block: settings are looked up many times per block on big configs. */
const byNameIndex = new WeakMap<Directive, Map<string, Directive[]>>();

function directivesNamed(node: Directive, name: string): Directive[] {
  let index = byNameIndex.get(node);
  if (!index) {
    index = new Map();
    for (const d of children(node)) {
      const list = index.get(d.name);
      if (list) list.push(d);
      else index.set(d.name, [d]);
    }
    byNameIndex.set(node, index);
  }
  return index.get(name) ?? [];
}

function levelOf(frame: Frame): SettingLevel {
  return frame.level as SettingLevel;
}

interface Hit {
  frame: Frame;
  ds: Directive[];
}

/** The innermost frame (of those that may hold the directive) with at least one `name` directive. */
type Lookup = (name: string) => Hit | null;

function lookup(frames: Frame[], name: string): Hit | null {
  for (let i = frames.length - 1; i >= 0; i--) {
    const ds = directivesNamed(frames[i].node, name);
    if (ds.length > 0) return { frame: frames[i], ds };
  }
  return null;
}

const arrayLookup =
  (frames: Frame[]): Lookup =>
  (name) =>
    lookup(frames, name);

/**
 * The setting frames from the innermost out, as a list shared by nested blocks: a location 3,000 levels deep
 * costs one link, not a copy of 3,000 frames. Each link remembers what a name resolves to from it, so the
 * settings of every pass directive are found in constant time per name, whatever the depth.
 */
interface FrameChain {
  frame: Frame;
  outer: FrameChain | null;
  hits?: Map<string, Hit | null>;
}

function chainLookup(chain: FrameChain): Lookup {
  return (name) => {
    const visited: FrameChain[] = [];
    let hit: Hit | null = null;
    for (let c: FrameChain | null = chain; c !== null; c = c.outer) {
      const known = c.hits?.get(name);
      if (known !== undefined) {
        hit = known;
        break;
      }
      visited.push(c);
      const ds = directivesNamed(c.frame.node, name);
      if (ds.length > 0) {
        hit = { frame: c.frame, ds };
        break;
      }
    }
    for (const c of visited) (c.hits ??= new Map()).set(name, hit);
    return hit;
  };
}

function chainOf(frames: Frame[]): FrameChain | null {
  let chain: FrameChain | null = null;
  for (const frame of frames) chain = { frame, outer: chain };
  return chain;
}

/** Frames of a chain, outermost first (one copy per pass directive, which keeps the blocks around it). */
function framesOf(chain: FrameChain | null): Frame[] {
  const out: Frame[] = [];
  for (let c = chain; c !== null; c = c.outer) out.push(c.frame);
  return out.reverse();
}

function sourceOf(d: Directive, frame: Frame): SettingSource {
  return { directive: d.name, file: d.file, line: d.line, level: levelOf(frame) };
}

function flag(find: Lookup, name: string, dflt: boolean): Sourced<boolean> {
  const hit = find(name);
  if (!hit) return { value: dflt, source: null };
  const d = hit.ds[0];
  return { value: (d.args[0] ?? '').toLowerCase() === 'on', source: sourceOf(d, hit.frame) };
}

function str(find: Lookup, name: string): Sourced<string | null> {
  const hit = find(name);
  if (!hit) return { value: null, source: null };
  return { value: hit.ds[0].args[0] ?? '', source: sourceOf(hit.ds[0], hit.frame) };
}

/**
 * `*_ssl_certificate_key data:...` holds the private key itself (ngx_ssl_load_certificate_key reads the value as
 * PEM): it is replaced here, so no report, message or command line built from the settings can carry it.
 */
export const INLINE_KEY_VALUE = 'data:(inline private key, not shown)';

function withoutInlineKey(s: Sourced<string | null>): Sourced<string | null> {
  return s.value !== null && s.value.startsWith('data:') ? { ...s, value: INLINE_KEY_VALUE } : s;
}

function settingsFor(frames: Lookup, prefix: string, nginxVersion: string): UpstreamTlsSettings {
  const n = (s: string) => `${prefix}_${s}`;

  const depthHit = frames(n('ssl_verify_depth'));
  const verifyDepth: Sourced<number> = depthHit
    ? { value: Number(depthHit.ds[0].args[0]), source: sourceOf(depthHit.ds[0], depthHit.frame) }
    : { value: 1, source: null };

  // Bitmask slot: several lines in one block add up (ngx_conf_set_bitmask_slot); an inner block replaces.
  const protoHit = frames(n('ssl_protocols'));
  let protocols: Sourced<TlsProtocolName[]>;
  if (protoHit) {
    const set = new Set<TlsProtocolName>();
    for (const d of protoHit.ds) for (const a of d.args) {
      const p = canonicalProtocol(a);
      if (p) set.add(p);
    }
    const order: TlsProtocolName[] = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
    protocols = { value: order.filter((p) => set.has(p)), source: sourceOf(protoHit.ds[0], protoHit.frame) };
  } else {
    protocols = { value: defaultUpstreamProtocols(nginxVersion), source: null };
  }

  const cmdHit = frames(n('ssl_conf_command'));
  const confCommands: Sourced<[string, string][]> = cmdHit
    ? {
        value: cmdHit.ds.map((d) => [d.args[0] ?? '', d.args[1] ?? ''] as [string, string]),
        source: sourceOf(cmdHit.ds[0], cmdHit.frame),
      }
    : { value: [], source: null };

  const ciphers = str(frames, n('ssl_ciphers'));

  return {
    verify: flag(frames, n('ssl_verify'), false),
    trustedCertificate: str(frames, n('ssl_trusted_certificate')),
    verifyDepth,
    name: str(frames, n('ssl_name')),
    serverName: flag(frames, n('ssl_server_name'), false),
    protocols,
    ciphers: { value: ciphers.value ?? 'DEFAULT', source: ciphers.source },
    certificate: str(frames, n('ssl_certificate')),
    certificateKey: withoutInlineKey(str(frames, n('ssl_certificate_key'))),
    sessionReuse: flag(frames, n('ssl_session_reuse'), true),
    crl: str(frames, n('ssl_crl')),
    confCommands,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Variables

const VARIABLE = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;

interface VariableDefinition {
  kind: string;
  name: string;
  /** The block the definition sits in (for `set`). */
  parent: Directive | null;
  directive: Directive;
}

/** Every place a variable can get a value from the configuration, by name. */
function collectDefinitions(root: Directive[]): Map<string, VariableDefinition[]> {
  const defs = new Map<string, VariableDefinition[]>();
  const add = (name: string | undefined, kind: string, directive: Directive, parent: Directive | null) => {
    if (!name || !name.startsWith('$')) return;
    const key = name.slice(1).replace(/^\{(.*)\}$/, '$1');
    const list = defs.get(key) ?? [];
    list.push({ kind, name: key, parent, directive });
    defs.set(key, list);
  };
  forEachDirective(root, (d, ancestors) => {
    const parent = ancestors.length > 0 ? ancestors[ancestors.length - 1] : null;
    switch (d.name) {
      case 'set':
      case 'perl_set':
      case 'js_set':
      case 'auth_request_set':
        add(d.args[0], d.name, d, parent);
        break;
      case 'map':
      case 'split_clients':
        add(d.args[1], d.name, d, parent);
        break;
      case 'geo':
      case 'geoip2':
        add(d.args[d.args.length - 1], d.name, d, parent);
        break;
      default:
        if (/^set_by_lua/.test(d.name)) add(d.args[0], d.name, d, parent);
    }
  });
  return defs;
}

interface ExpandResult {
  value: string | null;
  unresolved: string[];
  used: ResolvedVariable[];
}

/**
 * Replaces variables that have one static value for every request reaching this scope: `builtin` ones
 * ($proxy_host, $proxy_port) and a variable whose only definition anywhere is one `set $v "literal"` that runs for
 * every request here: at server level, or in the innermost location itself (rewrite directives are not inherited
 * by nested locations, and a `set` inside `if` is conditional). Anything else stays unresolved: never guessed.
 */
function expandVariables(
  text: string,
  builtin: Record<string, string>,
  defs: Map<string, VariableDefinition[]>,
  staticScopes: Set<Directive>,
): ExpandResult {
  const unresolved: string[] = [];
  const used: ResolvedVariable[] = [];
  const value = text.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (Object.prototype.hasOwnProperty.call(builtin, name)) return builtin[name];
    const list = defs.get(name) ?? [];
    if (list.length === 1) {
      const def = list[0];
      const v = def.directive.args[1];
      if (def.kind === 'set' && v !== undefined && !v.includes('$') && def.parent && staticScopes.has(def.parent)) {
        used.push({ name, value: v, file: def.directive.file, line: def.directive.line });
        return v;
      }
    }
    if (!unresolved.includes(name)) unresolved.push(name);
    return whole;
  });
  return { value: unresolved.length ? null : value, unresolved, used };
}

// ---------------------------------------------------------------------------------------------------------------

interface UpstreamBlockInfo {
  node: Directive;
}

interface WalkContext {
  nginxVersion: string;
  confPrefix: string;
  defs: Map<string, VariableDefinition[]>;
  /** Upstream blocks of this http{} or stream{}, by lower-cased name. */
  upstreams: Map<string, UpstreamBlockInfo>;
  out: UpstreamTls[];
  problems: ConfigProblem[];
  serversCache: Map<Directive, UpstreamServer[]>;
}

function blockRef(d: Directive): BlockRef {
  return { name: d.name, args: d.args, file: d.file, line: d.line };
}

/** One BlockRef per block, shared by every pass directive inside it (deep nesting: no copy per entry). */
const blockRefs = new WeakMap<Directive, BlockRef>();

function sharedBlockRef(d: Directive): BlockRef {
  let ref = blockRefs.get(d);
  if (!ref) blockRefs.set(d, (ref = blockRef(d)));
  return ref;
}

/** Where a pass directive sits: its setting frames, the location/if/limit_except blocks, the http|stream and server frames. */
interface EntryScope {
  settings: FrameChain;
  blocks: FrameChain | null;
  outer: Frame[];
}

function serverRef(d: Directive): ServerRef {
  return {
    file: d.file,
    line: d.line,
    serverName: directivesNamed(d, 'server_name').flatMap((x) => x.args),
    listen: directivesNamed(d, 'listen').map((x) => x.args.join(' ')),
  };
}

/** Servers of an upstream block, read once per run (many locations share a block; its problems are reported once). */
function serversOfBlock(block: Directive, namespace: 'http' | 'stream', ctx: WalkContext): UpstreamServer[] {
  const cached = ctx.serversCache.get(block);
  if (cached) return cached;
  const out: UpstreamServer[] = [];
  ctx.serversCache.set(block, out);
  for (const s of directivesNamed(block, 'server')) {
    const arg = s.args[0] ?? '';
    const addr = parseAddress(arg, false);
    const params = parseServerParams(s.args.slice(1));
    const base = {
      address: arg,
      backup: params.backup,
      down: params.down,
      weight: params.weight,
      resolve: params.resolve,
      file: s.file,
      line: s.line,
    };
    if (!addr) continue;
    if (addr.unix !== undefined) {
      out.push({ ...base, host: addr.host, port: null, portDefaulted: false, unix: addr.unix });
      continue;
    }
    let port = addr.port;
    let portDefaulted = false;
    if (port === null) {
      if (namespace === 'http') {
        // ngx_http_upstream_server: u.default_port = 80, whatever scheme proxy_pass uses.
        port = 80;
        portDefaulted = true;
      } else {
        ctx.problems.push({ code: 'NO_PORT_IN_UPSTREAM', directive: 'server', file: s.file, line: s.line, context: arg });
      }
    }
    out.push({ ...base, host: probeHost(addr.host), port, portDefaulted });
  }
  return out;
}

function makeEntry(
  ctx: WalkContext,
  module: PassModule,
  pass: Directive,
  scope: EntryScope,
  serverNode: Directive,
  staticScopes: Set<Directive>,
): UpstreamTls | null {
  const target = pass.args[0];
  if (target === undefined) return null;
  const prefix: Prefix = module === 'stream' ? 'proxy' : module;
  const settingFrames = chainLookup(scope.settings);
  const settings = settingsFor(settingFrames, prefix, ctx.nginxVersion);

  if (module === 'stream') {
    const enabled = flag(settingFrames, 'proxy_ssl', false);
    if (!enabled.value) return null;
  }

  const unresolved: UnresolvedVariable[] = [];
  const resolvedVariables: ResolvedVariable[] = [];

  const expanded = expandVariables(target, {}, ctx.defs, staticScopes);
  resolvedVariables.push(...expanded.used);
  let parsed: ParsedPass | null = null;
  let scheme: string | null = null;
  if (expanded.value === null) {
    // A variable hides part of the target. Keep the entry unless the literal scheme already says plain.
    const m = /^([a-z]+):\/\//.exec(target.toLowerCase());
    if (module === 'stream') scheme = 'stream';
    else if (m) {
      if (m[1] === 'http' || m[1] === 'grpc' || m[1] === 'uwsgi') return null;
      scheme = m[1];
    } else if (module !== 'proxy' && !target.startsWith('$')) {
      return null; // grpc_pass / uwsgi_pass without a scheme are plain
    }
    unresolved.push({ directive: pass.name, value: target, variables: expanded.unresolved, file: pass.file, line: pass.line });
  } else {
    parsed = parsePassTarget(module, expanded.value);
    if (!parsed) return null;
    if (module !== 'stream' && !parsed.tls) return null;
    scheme = parsed.scheme;
  }

  // Upstream block or literal address.
  let upstreamBlock: BlockRef | null = null;
  let upstreamHost: string | null = null;
  let servers: UpstreamServer[] = [];
  let defaultName: string | null = null;
  if (parsed) {
    const a = parsed.address;
    const block = a.port === null && a.unix === undefined ? ctx.upstreams.get(a.host.toLowerCase()) : undefined;
    if (block) {
      upstreamBlock = blockRef(block.node);
      upstreamHost = a.host;
      servers = serversOfBlock(block.node, module === 'stream' ? 'stream' : 'http', ctx);
      // u->ssl_name = uscf->host: the block's own spelling (the lookup is case-insensitive).
      defaultName = block.node.args[0] ?? a.host;
    } else {
      upstreamHost = proxyHostOf(parsed);
      defaultName = a.unix !== undefined ? a.unix : a.host;
      const port = a.port ?? parsed.defaultPort;
      if (port === null && a.unix === undefined) {
        ctx.problems.push({ code: 'NO_PORT_IN_UPSTREAM', directive: pass.name, file: pass.file, line: pass.line, context: target });
      }
      servers = [
        {
          address: a.unix !== undefined ? a.host : a.port === null ? a.host : `${a.host}:${a.portText}`,
          host: a.unix !== undefined ? a.host : probeHost(a.host),
          port: a.unix !== undefined ? null : port,
          portDefaulted: a.port === null && a.unix === undefined,
          ...(a.unix !== undefined ? { unix: a.unix } : {}),
          backup: false,
          down: false,
          resolve: false,
          file: pass.file,
          line: pass.line,
        },
      ];
    }
  }

  // The verified name.
  let verifiedName: string | null = null;
  const nameRaw = settings.name.value;
  if (nameRaw === null) {
    verifiedName = defaultName === null ? null : stripPortFromName(defaultName);
  } else {
    const builtin: Record<string, string> = {};
    if (parsed && upstreamHost !== null) {
      builtin.proxy_host = upstreamHost;
      const port = parsed.address.port ?? parsed.defaultPort;
      if (port !== null) builtin.proxy_port = parsed.address.portText ?? String(port);
    }
    const e = expandVariables(nameRaw, module === 'proxy' ? builtin : {}, ctx.defs, staticScopes);
    resolvedVariables.push(...e.used);
    if (e.value === null) {
      const src = settings.name.source!;
      unresolved.push({ directive: src.directive, value: nameRaw, variables: e.unresolved, file: src.file, line: src.line });
    } else {
      verifiedName = stripPortFromName(e.value);
    }
  }

  const serverBlock = module === 'stream' || serverNode.name === 'server' ? serverRef(serverNode) : null;
  const blocks = framesOf(scope.blocks);
  const locations = blocks.filter((f) => f.level === 'location');
  const innermost = locations[locations.length - 1];

  const clientSideFrames = arrayLookup(scope.outer);
  const path = (v: string | null) => (v === null || v.includes('$') || v.startsWith('data:') ? v : resolveConfPath(ctx.confPrefix, v));

  return {
    id: `${pass.file}:${pass.line}`,
    module,
    directive: pass.name,
    file: pass.file,
    line: pass.line,
    pass: target,
    scheme,
    server: serverBlock,
    location: innermost ? innermost.node.args.join(' ') : null,
    blocks: blocks.map((f) => sharedBlockRef(f.node)),
    upstreamHost,
    upstreamBlock,
    servers,
    verifiedName,
    sni: sniFor(verifiedName, settings.serverName.value),
    settings,
    paths: {
      trustedCertificate: path(settings.trustedCertificate.value),
      certificate: path(settings.certificate.value),
      certificateKey: path(settings.certificateKey.value),
      crl: path(settings.crl.value),
    },
    clientSideTrustedCertificate: str(clientSideFrames, 'ssl_trusted_certificate'),
    clientSideTrustUsers: [
      ...(flag(clientSideFrames, 'ssl_stapling', false).value ? ['ssl_stapling'] : []),
      ...(['on', 'optional', 'optional_no_ca'].includes((str(clientSideFrames, 'ssl_verify_client').value ?? 'off').toLowerCase())
        ? ['ssl_verify_client']
        : []),
    ],
    unresolved,
    resolvedVariables,
  };
}

const PASS_MODULES: Record<string, PassModule> = { proxy_pass: 'proxy', grpc_pass: 'grpc', uwsgi_pass: 'uwsgi' };

/** A location (or if / limit_except) whose children are being walked. */
interface OpenLocation {
  node: Directive;
  scope: EntryScope;
  innermostLocation: Directive;
  next: number;
}

/**
 * Every pass directive under a location, nested locations included, in document order. An explicit stack, not
 * recursion (walk-config.ts says why); `if` and `limit_except` add a block but no setting frame (file comment).
 */
function walkLocationBody(ctx: WalkContext, start: OpenLocation, serverNode: Directive): void {
  const open: OpenLocation[] = [start];
  while (open.length > 0) {
    const top = open[open.length - 1];
    const kids = children(top.node);
    if (top.next >= kids.length) {
      open.pop();
      continue;
    }
    const d = kids[top.next++];
    const module = PASS_MODULES[d.name];
    if (module) {
      const staticScopes = new Set<Directive>([serverNode, top.innermostLocation]);
      const entry = makeEntry(ctx, module, d, top.scope, serverNode, staticScopes);
      if (entry) ctx.out.push(entry);
      continue;
    }
    if (!d.block) continue;
    const { scope } = top;
    if (d.name === 'location') {
      const f: Frame = { level: 'location', node: d };
      const inner = { ...scope, settings: { frame: f, outer: scope.settings }, blocks: { frame: f, outer: scope.blocks } };
      open.push({ node: d, scope: inner, innermostLocation: d, next: 0 });
    } else if (d.name === 'if' || d.name === 'limit_except') {
      const f: Frame = { level: d.name, node: d };
      open.push({ node: d, scope: { ...scope, blocks: { frame: f, outer: scope.blocks } }, innermostLocation: top.innermostLocation, next: 0 });
    }
  }
}

function upstreamsOf(block: Directive): Map<string, UpstreamBlockInfo> {
  const map = new Map<string, UpstreamBlockInfo>();
  for (const u of directivesNamed(block, 'upstream')) {
    const name = (u.args[0] ?? '').toLowerCase();
    if (!map.has(name)) map.set(name, { node: u });
  }
  return map;
}

function walkHttp(ctx: WalkContext, http: Directive): void {
  const httpFrame: Frame = { level: 'http', node: http };
  for (const server of directivesNamed(http, 'server')) {
    const serverFrame: Frame = { level: 'server', node: server };
    for (const d of children(server)) {
      if (d.name === 'location' && d.block) {
        const f: Frame = { level: 'location', node: d };
        const outer = [httpFrame, serverFrame];
        const scope: EntryScope = { settings: { frame: f, outer: chainOf(outer) }, blocks: { frame: f, outer: null }, outer };
        walkLocationBody(ctx, { node: d, scope, innermostLocation: d, next: 0 }, server);
      }
    }
  }
}

function walkStream(ctx: WalkContext, stream: Directive): void {
  const streamFrame: Frame = { level: 'stream', node: stream };
  for (const server of directivesNamed(stream, 'server')) {
    const serverFrame: Frame = { level: 'server', node: server };
    for (const d of directivesNamed(server, 'proxy_pass')) {
      const outer = [streamFrame, serverFrame];
      const entry = makeEntry(ctx, 'stream', d, { settings: chainOf(outer)!, blocks: null, outer }, server, new Set([server]));
      if (entry) ctx.out.push(entry);
    }
  }
}

/** Records what nginx refuses at start-up about the directives this module reads: wrong block, set twice. */
function checkPlacement(problems: ConfigProblem[], root: Directive[]): void {
  // Blocks inside http{} or stream{} (or those themselves), remembered as the walk goes down: no recursion.
  const inHttpOrStream = new Set<Directive>();
  forEachBlock(root, (ds, parent, ancestors) => {
    if (parent === null) return;
    const outer = ancestors.length > 0 ? ancestors[ancestors.length - 1] : null;
    if (parent.name === 'http' || parent.name === 'stream' || (outer !== null && inHttpOrStream.has(outer))) inHttpOrStream.add(parent);
    if (!inHttpOrStream.has(parent) || parent.name === 'upstream') return;
    checkBlockPlacement(problems, ds, parent);
  });
}

/** The directives of one block: upstream TLS directives where nginx refuses them, single-valued ones set twice. */
function checkBlockPlacement(problems: ConfigProblem[], ds: Directive[], parent: Directive): void {
  const counts = new Map<string, Directive[]>();
  for (const d of ds) {
    const m = UPSTREAM_SSL_DIRECTIVE.exec(d.name);
    const isUpstreamSsl = m !== null && ALL_SUFFIXES.includes(d.name.slice(m[1].length + 1));
    if (isUpstreamSsl && (parent.name === 'if' || parent.name === 'limit_except')) {
      problems.push({ code: 'DIRECTIVE_NOT_ALLOWED', directive: d.name, file: d.file, line: d.line, context: parent.name });
    }
    if (d.name === 'ssl_trusted_certificate' && parent.name !== 'http' && parent.name !== 'server' && parent.name !== 'stream') {
      problems.push({ code: 'DIRECTIVE_NOT_ALLOWED', directive: d.name, file: d.file, line: d.line, context: parent.name });
    }
    const single =
      (m !== null && (SINGLE_SUFFIXES as readonly string[]).includes(d.name.slice(m[1].length + 1))) ||
      d.name === 'ssl_trusted_certificate' ||
      d.name === 'proxy_ssl';
    if (single) counts.set(d.name, [...(counts.get(d.name) ?? []), d]);
  }
  for (const [name, list] of counts) {
    for (const dup of list.slice(1)) {
      problems.push({ code: 'DUPLICATE_DIRECTIVE', directive: name, file: dup.file, line: dup.line, context: parent.name });
    }
  }
}

/** The effective upstream TLS settings of every TLS pass directive in the configuration. */
export function computeEffectiveSettings(config: ParsedConfig, options: EffectiveSettingsOptions): EffectiveSettings {
  defaultUpstreamProtocols(options.nginxVersion); // validate early: throws NginxVersionError
  const problems: ConfigProblem[] = [];
  const out: UpstreamTls[] = [];
  for (const top of config.directives) {
    if ((top.name !== 'http' && top.name !== 'stream') || !top.block) continue;
    const ctx: WalkContext = {
      nginxVersion: options.nginxVersion,
      confPrefix: config.confPrefix,
      // http and stream have separate variables and upstreams.
      defs: collectDefinitions(top.block),
      upstreams: upstreamsOf(top),
      out,
      problems,
      serversCache: new Map(),
    };
    if (top.name === 'http') walkHttp(ctx, top);
    else walkStream(ctx, top);
  }
  checkPlacement(problems, config.directives);
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return { nginxVersion: options.nginxVersion, confPrefix: config.confPrefix, upstreams: out, problems };
}
