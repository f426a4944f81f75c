/**
 * Reads an nginx configuration into a tree of directives, the way `ngx_conf_parse` walks it
 * (src/core/ngx_conf_file.c): one statement at a time, blocks nested, `include` spliced in place.
 *
 * Pure: file access goes through an injected `ConfigReader` (the CLI supplies node:fs), and `nginx -T` output is
 * split back into its files and served from memory (`parseNginxDump`).
 *
 * What this checks is what nginx checks while *reading*: tokens, block structure, `include`, and the block/simple
 * shape of the directives this project interprets. Unknown directives are kept, not rejected: third-party modules
 * add their own and `nginx -t` is the judge of those.
 */
import { posix } from 'node:path';
import { NginxLexer, type Statement } from './lexer.js';
import { NginxParseError } from './parse-error.js';

export interface Directive {
  name: string;
  args: string[];
  file: string;
  /** Line of the directive's name. */
  line: number;
  /** Children when the directive opened a block with `{`. Entries of `map`/`geo`/`types`/... blocks are kept as
   *  directives too (their first word as `name`), but they are data, not directives: see `HANDLER_BLOCKS`. */
  block?: Directive[];
  /** The raw Lua source of a `*_by_lua_block { ... }` (its body is not nginx syntax, `block` is then `[]`). */
  luaBody?: string;
}

export interface IncludeRecord {
  /** Where the `include` directive is. */
  file: string;
  line: number;
  /** The argument as written. */
  pattern: string;
  /** The full path nginx resolves it to (relative to the conf prefix). */
  path: string;
  /** The files it expanded to, in nginx's order. */
  files: string[];
}

export interface ParsedConfig {
  /** The main configuration file. */
  main: string;
  /** nginx's conf prefix (directory of the main file, with a trailing `/`): relative paths in `include` and in
   *  `proxy_ssl_trusted_certificate` & co are resolved against it (`ngx_conf_full_name(cycle, name, 1)`). */
  confPrefix: string;
  /** Every file read, in the order nginx reads them (each once, like `nginx -T`). */
  files: string[];
  /** Top-level directives of the main file, includes spliced in. */
  directives: Directive[];
  includes: IncludeRecord[];
}

/** File access for the parser. `readFile` returns null when the file does not exist or cannot be read. */
export interface ConfigReader {
  readFile(path: string): string | null;
  /** Paths matching a glob pattern (`*`, `?`, `[...]`), any order (they are sorted like glob(3) here). */
  glob(pattern: string): string[];
}

export interface ParseOptions {
  /** Override the conf prefix (nginx `-p`/`-c` combination); default: the directory of the main file. */
  confPrefix?: string;
  /** Maximum include nesting (default 32). nginx has none and recurses until it runs out of file descriptors. */
  maxIncludeDepth?: number;
  /** Maximum block nesting, includes counted (default DEFAULT_MAX_BLOCK_DEPTH). */
  maxBlockDepth?: number;
}

/**
 * Blocks whose body nginx hands to a custom handler (`cf->handler`) instead of directive lookup: their entries are
 * tokenized like directives but are data (a MIME type, a map key...). nginx rejects a `{` inside them with
 * `unexpected "{"`, and resolves `include` in map, geo and types.
 */
export const HANDLER_BLOCKS: ReadonlySet<string> = new Set(['types', 'map', 'geo', 'split_clients', 'charset_map']);

/** Directives that always take a block: nginx reports `directive "X" has no opening "{"` when they end with `;`. */
const BLOCK_DIRECTIVES: ReadonlySet<string> = new Set([
  'http',
  'events',
  'stream',
  'mail',
  'upstream',
  'location',
  'if',
  'limit_except',
  ...HANDLER_BLOCKS,
]);

/**
 * Simple directives this project interprets: nginx reports `directive "X" is not terminated by ";"` when they are
 * followed by `{`. (Other unknown names followed by `{` are kept as blocks: a third-party module may define them.)
 */
const SIMPLE_DIRECTIVES: ReadonlySet<string> = new Set([
  'include',
  'listen',
  'server_name',
  'set',
  'ssl_trusted_certificate',
  'ssl_certificate',
  'ssl_certificate_key',
  ...['proxy', 'grpc', 'uwsgi'].flatMap((m) => [
    `${m}_pass`,
    `${m}_ssl_verify`,
    `${m}_ssl_trusted_certificate`,
    `${m}_ssl_verify_depth`,
    `${m}_ssl_name`,
    `${m}_ssl_server_name`,
    `${m}_ssl_protocols`,
    `${m}_ssl_ciphers`,
    `${m}_ssl_certificate`,
    `${m}_ssl_certificate_key`,
    `${m}_ssl_session_reuse`,
    `${m}_ssl_crl`,
    `${m}_ssl_conf_command`,
  ]),
  'proxy_ssl',
]);

const DEFAULT_MAX_INCLUDE_DEPTH = 32;

/**
 * nginx has no nesting limit of its own: ngx_conf_parse recurses once per block until the C stack ends. Measured
 * with Debian's nginx 1.22.1 (8 MiB stack, nested `location` blocks, `nginx -t`): 10,000 levels load, 20,000 crash
 * it (SIGSEGV). tlsdoctor reads and walks any depth without recursion (walk-config.ts), but what it keeps per pass
 * directive (the blocks around it, the proxy_next_upstream in effect) grows with depth x passes: with a
 * proxy_pass at every level, `tlsdoctor nginx --no-probe` took 3.5 s at 5,000 levels and 33 s at 10,000. Deeper
 * than this is refused, naming file:line (NginxParseError 'block-depth', exit 2); no real configuration comes near.
 */
export const DEFAULT_MAX_BLOCK_DEPTH = 5_000;

/**
 * What nginx says for an `include` without exactly one argument inside a handler block: `types` checks the
 * count itself (`ngx_http_core_type`), `map` and `geo` fail their own arity check first
 * (`ngx_http_map`, `ngx_http_geo`: `cf->args->nelts != 2`).
 */
const HANDLER_INCLUDE_ARITY: Readonly<Record<string, string>> = {
  types: 'invalid number of arguments in "include" directive',
  map: 'invalid number of the map parameters',
  geo: 'invalid number of the geo parameters',
};

function isLuaBlock(name: string): boolean {
  return name.endsWith('_by_lua_block');
}

/** `ngx_conf_full_name(cycle, name, 1)`: absolute paths as they are, others appended to the conf prefix. */
export function resolveConfPath(confPrefix: string, name: string): string {
  if (name.startsWith('/')) return name;
  return confPrefix + name;
}

function dirPrefix(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

function hasGlobChars(path: string): boolean {
  // nginx: strpbrk(file, "*?[") decides between a plain open and glob().
  return /[*?[]/.test(path);
}

/** glob(3) sorts with strcoll; nginx never calls setlocale, so that is byte order. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface ParseState {
  reader: ConfigReader;
  confPrefix: string;
  maxDepth: number;
  maxBlockDepth: number;
  files: string[];
  seen: Set<string>;
  includes: IncludeRecord[];
}

/** A block context for the parser: which directive opened it (null at file top level). */
interface BlockContext {
  parent: string | null;
  inHandler: boolean;
  /** Normalised paths of the files on the current include chain, outermost first. */
  chain: string[];
  /** Blocks around this one (0 at the top of the main file), across included files. */
  depth: number;
}

function checkShape(st: Statement, name: string, parent: string | null, file: string): void {
  const isServerBlock = name === 'server' && (parent === 'http' || parent === 'stream' || parent === 'mail');
  const isUpstreamServer = name === 'server' && parent === 'upstream';
  const needsBlock = BLOCK_DIRECTIVES.has(name) || isServerBlock || isLuaBlock(name);
  const needsSemicolon = SIMPLE_DIRECTIVES.has(name) || isUpstreamServer;
  if (st.end === ';' && needsBlock) {
    throw new NginxParseError({ detail: `directive "${name}" has no opening "{"`, file, line: st.endLine });
  }
  if (st.end === '{' && needsSemicolon) {
    throw new NginxParseError({ detail: `directive "${name}" is not terminated by ";"`, file, line: st.endLine });
  }
}

/** A block being read: where its directives go and its context. */
interface OpenBlock {
  out: Directive[];
  ctx: BlockContext;
}

/**
 * One file's statements, blocks nested, the way ngx_conf_parse reads them. nginx recurses (ngx_conf_parse calls
 * the block handler, which calls ngx_conf_parse); this keeps an explicit stack of open blocks instead, so the depth
 * of a configuration is bounded by `maxBlockDepth`, not by the JavaScript call stack.
 */
function parseBlock(lexer: NginxLexer, state: ParseState, fileCtx: BlockContext): Directive[] {
  const root: Directive[] = [];
  const open: OpenBlock[] = [{ out: root, ctx: fileCtx }];
  const file = lexer.file;

  for (;;) {
    const { out, ctx } = open[open.length - 1];
    const st = lexer.readStatement();

    if (st.end === 'eof') {
      if (open.length > 1) {
        throw new NginxParseError({ detail: 'unexpected end of file, expecting "}"', file, line: st.endLine });
      }
      return root;
    }

    if (st.end === '}') {
      if (open.length === 1) throw new NginxParseError({ detail: 'unexpected "}"', file, line: st.endLine });
      open.pop();
      continue;
    }

    const name = st.words[0].value;
    const args = st.words.slice(1).map((w) => w.value);
    const line = st.words[0].line;

    if (ctx.inHandler) {
      // ngx_conf_parse: a custom handler never accepts a block.
      if (st.end === '{') throw new NginxParseError({ detail: 'unexpected "{"', file, line: st.endLine });
      if (name === 'include' && (ctx.parent === 'map' || ctx.parent === 'geo' || ctx.parent === 'types')) {
        if (args.length !== 1) throw new NginxParseError({ detail: HANDLER_INCLUDE_ARITY[ctx.parent], file, line: st.endLine });
        out.push(...includeFiles(state, ctx, { name, args, file, line, endLine: st.endLine }));
      } else {
        out.push({ name, args, file, line });
      }
      continue;
    }

    checkShape(st, name, ctx.parent, file);

    if (name === 'include') {
      if (args.length !== 1) {
        throw new NginxParseError({
          detail: 'invalid number of arguments in "include" directive',
          file,
          line: st.endLine,
        });
      }
      out.push(...includeFiles(state, ctx, { name, args, file, line, endLine: st.endLine }));
      continue;
    }

    if (st.end === ';') {
      out.push({ name, args, file, line });
      continue;
    }

    if (isLuaBlock(name)) {
      out.push({ name, args, file, line, block: [], luaBody: lexer.readLuaBlock() });
      continue;
    }

    if (ctx.depth >= state.maxBlockDepth) {
      throw new NginxParseError({
        detail: `blocks nested deeper than ${state.maxBlockDepth} levels`,
        file,
        line: st.endLine,
        reason: 'block-depth',
      });
    }
    const block: Directive[] = [];
    out.push({ name, args, file, line, block });
    open.push({ out: block, ctx: { parent: name, inHandler: HANDLER_BLOCKS.has(name), chain: ctx.chain, depth: ctx.depth + 1 } });
  }
}

function includeFiles(
  state: ParseState,
  ctx: BlockContext,
  at: { name: string; args: string[]; file: string; line: number; endLine: number },
): Directive[] {
  const pattern = at.args[0];
  const path = resolveConfPath(state.confPrefix, pattern);
  let files: string[];

  if (!hasGlobChars(path)) {
    files = [path];
  } else {
    // ngx_conf_include opens the glob with gl.test = 1: no match is fine.
    files = [...new Set(state.reader.glob(path))].sort(byteOrder);
  }

  state.includes.push({ file: at.file, line: at.line, pattern, path, files });

  const out: Directive[] = [];
  for (const f of files) {
    out.push(...parseFile(f, state, ctx, { file: at.file, line: at.endLine }));
  }
  return out;
}

function parseFile(
  path: string,
  state: ParseState,
  ctx: BlockContext,
  includedFrom: { file: string; line: number } | null,
): Directive[] {
  const normal = posix.normalize(path);
  if (ctx.chain.includes(normal)) {
    const loop = [...ctx.chain.slice(ctx.chain.indexOf(normal)), normal].join(' -> ');
    throw new NginxParseError({
      detail: `include loop: ${loop}`,
      file: includedFrom?.file ?? path,
      line: includedFrom?.line ?? 0,
      reason: 'include-loop',
    });
  }
  if (ctx.chain.length > state.maxDepth) {
    throw new NginxParseError({
      detail: `includes nested deeper than ${state.maxDepth} levels`,
      file: includedFrom?.file ?? path,
      line: includedFrom?.line ?? 0,
      reason: 'include-depth',
    });
  }

  const text = state.reader.readFile(path);
  if (text === null) {
    const detail = `open() "${path}" failed (2: No such file or directory)`;
    if (includedFrom === null) {
      throw new NginxParseError({ detail, file: path, line: 0, reason: 'file-missing' });
    }
    throw new NginxParseError({ detail, file: includedFrom.file, line: includedFrom.line, reason: 'include-missing' });
  }

  if (!state.seen.has(normal)) {
    state.seen.add(normal);
    state.files.push(path);
  }

  const lexer = new NginxLexer(text, path);
  return parseBlock(lexer, state, { ...ctx, chain: [...ctx.chain, normal] });
}

/** Parses one file and everything it includes. */
export function parseConfigFile(path: string, reader: ConfigReader, options: ParseOptions = {}): ParsedConfig {
  const confPrefix = options.confPrefix ?? dirPrefix(path);
  const state: ParseState = {
    reader,
    confPrefix: confPrefix === '' || confPrefix.endsWith('/') ? confPrefix : confPrefix + '/',
    maxDepth: options.maxIncludeDepth ?? DEFAULT_MAX_INCLUDE_DEPTH,
    maxBlockDepth: options.maxBlockDepth ?? DEFAULT_MAX_BLOCK_DEPTH,
    files: [],
    seen: new Set(),
    includes: [],
  };
  const directives = parseFile(path, state, { parent: null, inHandler: false, chain: [], depth: 0 }, null);
  return { main: path, confPrefix: state.confPrefix, files: state.files, directives, includes: state.includes };
}

/**
 * Parses the text of one file on its own (no include resolution: an `include` is an error unless `reader` is
 * given). Useful for snippets and tests.
 */
export function parseConfigText(text: string, file: string, options: ParseOptions & { reader?: ConfigReader } = {}): ParsedConfig {
  const files = new Map<string, string>([[file, text]]);
  const fallback = options.reader;
  const reader: ConfigReader = {
    readFile: (p) => files.get(p) ?? fallback?.readFile(p) ?? null,
    glob: (pattern) => fallback?.glob(pattern) ?? [],
  };
  return parseConfigFile(file, reader, options);
}

// ---------------------------------------------------------------------------------------------------------------
// `nginx -T`

/**
 * nginx -T (`ngx_dump_config` in src/core/nginx.c) writes, for every file read, `# configuration file NAME:` LF,
 * the file's bytes, and one more LF. Anything before the first header (e.g. the `syntax is ok` lines when stderr
 * was merged in) is not configuration.
 */
const DUMP_HEADER = /^# configuration file (.+):$/gm;

export interface DumpFile {
  path: string;
  text: string;
}

/** Splits `nginx -T` output back into its files, in order. Returns [] when the text holds no dump header. */
export function splitNginxDump(dump: string): DumpFile[] {
  const headers = [...dump.matchAll(DUMP_HEADER)];
  return headers.map((h, i) => {
    const start = h.index! + h[0].length + 1;
    const end = i + 1 < headers.length ? headers[i + 1].index! : dump.length;
    let text = dump.slice(Math.min(start, end), end);
    // Drop the LF nginx appends after each file's content.
    if (text.endsWith('\n')) text = text.slice(0, -1);
    return { path: h[1], text };
  });
}

/**
 * A `ConfigReader` over an in-memory set of files (a split `nginx -T`, or test fixtures). Globs are matched against
 * the set's paths with glob(3) rules.
 */
export function memoryReader(files: Iterable<DumpFile> | Map<string, string>): ConfigReader {
  const byPath = new Map<string, string>();
  const entries: Iterable<[string, string]> =
    files instanceof Map ? files.entries() : [...files].map((f) => [f.path, f.text] as [string, string]);
  for (const [path, text] of entries) {
    // A file dumped twice cannot happen (nginx dedups by name); keep the first if it does.
    if (!byPath.has(path)) byPath.set(path, text);
  }
  const byNormal = new Map<string, string>();
  for (const [path, text] of byPath) {
    const n = posix.normalize(path);
    if (!byNormal.has(n)) byNormal.set(n, text);
  }
  return {
    readFile: (p) => byPath.get(p) ?? byNormal.get(posix.normalize(p)) ?? null,
    glob: (pattern) => [...byPath.keys()].filter((p) => globMatch(pattern, p)),
  };
}

/**
 * Parses `nginx -T` output: the first dumped file is the main one, includes resolve against the dumped set.
 * Text without any dump header is read as a single configuration file named `fallbackName`.
 */
export function parseNginxDump(dump: string, options: ParseOptions & { fallbackName?: string } = {}): ParsedConfig {
  const files = splitNginxDump(dump);
  if (files.length === 0) {
    const name = options.fallbackName ?? '-';
    return parseConfigFile(name, memoryReader([{ path: name, text: dump }]), options);
  }
  return parseConfigFile(files[0].path, memoryReader(files), options);
}

// ---------------------------------------------------------------------------------------------------------------
// glob(3) matching, for in-memory sets and for building a glob on a directory listing.

/** fnmatch(3) of one path segment, with glob's rule that wildcards never match a leading `.`. */
export function segmentMatch(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  const re = segmentRegExp(pattern);
  return re.test(name);
}

const segmentCache = new Map<string, RegExp>();

function segmentRegExp(pattern: string): RegExp {
  const cached = segmentCache.get(pattern);
  if (cached) return cached;
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += '[' + (negate ? '^' : '') + body.replace(/[\\\]^]/g, (c) => '\\' + c) + ']';
      i = close;
    } else re += escapeRe(ch);
  }
  re += '$';
  const compiled = new RegExp(re, 's');
  segmentCache.set(pattern, compiled);
  return compiled;
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? '\\' + ch : ch;
}

/** Whether `path` matches the glob `pattern` segment by segment (`*` never crosses `/`). */
export function globMatch(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return false;
  return ps.every((p, i) => (hasGlobChars(p) ? segmentMatch(p, xs[i]) : p === xs[i]));
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/**
 * Builds a glob(3) on top of a directory listing function, so the CLI only has to supply
 * `fs.readdirSync(dir, { withFileTypes: true })`. `listDir` returns null for a missing directory.
 */
export function createGlob(listDir: (dir: string) => DirEntry[] | null): (pattern: string) => string[] {
  return (pattern: string) => {
    const segments = pattern.split('/');
    let bases: string[] = [segments[0] === '' ? '' : segments[0]];
    for (let i = 1; i < segments.length; i++) {
      const seg = segments[i];
      const last = i === segments.length - 1;
      const next: string[] = [];
      for (const base of bases) {
        if (!hasGlobChars(seg)) {
          next.push(base + '/' + seg);
          continue;
        }
        const entries = listDir(base === '' ? '/' : base) ?? [];
        for (const e of entries) {
          if (!last && !e.isDirectory) continue;
          if (segmentMatch(seg, e.name)) next.push(base + '/' + e.name);
        }
      }
      bases = next;
    }
    if (!hasGlobChars(pattern)) return bases;
    // Literal segments after the last wildcard may name nothing: keep only paths the listing knows about.
    return bases
      .filter((p) => {
        const dir = p.slice(0, p.lastIndexOf('/')) || '/';
        const name = p.slice(p.lastIndexOf('/') + 1);
        return (listDir(dir) ?? []).some((e) => e.name === name);
      })
      .sort(byteOrder);
  };
}
