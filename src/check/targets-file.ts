/**
 * The targets file of `tlsdoctor check --targets FILE` and `tlsdoctor serve --targets FILE` (README "Targets file",
 * "Targets file"). Pure: text in, TargetSpec[] out; the caller reads the file and applies defaults.
 *
 *   # comment
 *   backend.internal:443
 *   10.0.0.7:8443  name=api.internal sni=on ca=bundles/internal.pem depth=2 label.team=payments
 *   mtls.internal:443 cert=client.pem key=client.key protocols=TLSv1.2,TLSv1.3 label.env="prod eu"
 *
 * One target per line, `host:port` first (`[v6]:port` for IPv6; the port defaults to 443 like proxy_pass https),
 * then `key=value` words. Values may be quoted ("..." with \" and \\ escapes, or '...'). A word starting with `#`
 * starts a comment. A plain `host:port` per line is always valid. Content starting with `[` or `{` is JSON: an
 * array of objects (or `{"targets": [...]}`, or one object per line) with the same keys.
 * Relative file paths resolve against the targets file's directory (baseDir).
 */
import { isAbsolute, resolve } from 'node:path';
import { parseTarget } from '../probe/parse-target.js';
import type { TargetSpec } from './types.js';

export class TargetsFileError extends Error {
  readonly code = 'BAD_TARGETS_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'TargetsFileError';
  }
}

export interface TargetsSource {
  /** Name used in messages: the path as given, `<stdin>`. */
  name: string;
  /** Directory relative file paths are resolved against. */
  baseDir: string;
}

type Field = 'name' | 'sni' | 'ca' | 'depth' | 'protocols' | 'cert' | 'key' | 'id' | 'warn' | 'crit';

/** Short keys, and the nginx directive names as aliases (easier to copy from a config). */
const KEYS: Record<string, Field> = {
  name: 'name',
  proxy_ssl_name: 'name',
  sni: 'sni',
  proxy_ssl_server_name: 'sni',
  ca: 'ca',
  proxy_ssl_trusted_certificate: 'ca',
  depth: 'depth',
  proxy_ssl_verify_depth: 'depth',
  protocols: 'protocols',
  proxy_ssl_protocols: 'protocols',
  cert: 'cert',
  proxy_ssl_certificate: 'cert',
  key: 'key',
  proxy_ssl_certificate_key: 'key',
  // The target's identity (the `target` label) and its own thresholds (src/check/thresholds.ts).
  id: 'id',
  warn: 'warn',
  crit: 'crit',
};

const FILE_FIELDS = new Set<Field>(['ca', 'cert', 'key']);

/**
 * Label names as Prometheus accepts them (data model: `[a-zA-Z_][a-zA-Z0-9_]*`, `__` prefix reserved);
 * `target` and `proxy_ssl_name` are ours (tlsdoctor_target_info carries them next to the user's labels).
 */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['target', 'proxy_ssl_name']);

function fail(where: string, message: string): never {
  throw new TargetsFileError(`${where}: ${message}`);
}

/** Split a line into words; quotes group, `#` at a word start ends the line. */
export function splitWords(line: string, where: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '"' || c === "'") {
        const quote = c;
        i++;
        let closed = false;
        while (i < line.length) {
          const q = line[i];
          if (q === quote) {
            closed = true;
            i++;
            break;
          }
          if (quote === '"' && q === '\\' && i + 1 < line.length) {
            word += line[i + 1];
            i += 2;
            continue;
          }
          word += q;
          i++;
        }
        if (!closed) fail(where, `unterminated ${quote} quote`);
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

function setField(spec: TargetSpec, where: string, key: string, value: string, baseDir: string): void {
  if (key.startsWith('label.')) {
    const label = key.slice('label.'.length);
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      fail(where, `label name "${label}" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)`);
    }
    if (RESERVED_LABELS.has(label)) fail(where, `label name "${label}" is reserved`);
    if (label in spec.labels) fail(where, `label.${label} given twice`);
    spec.labels[label] = value;
    return;
  }
  const field = KEYS[key];
  if (!field) {
    fail(where, `unknown key "${key}" (known: name, sni, ca, depth, protocols, cert, key, id, warn, crit, label.NAME)`);
  }
  if (value === '') fail(where, `${key}= needs a value`);
  const v = FILE_FIELDS.has(field) ? (isAbsolute(value) ? value : resolve(baseDir, value)) : value;
  if (field === 'ca') {
    (spec.ca ??= []).push(v);
    return;
  }
  if (spec[field] !== undefined) fail(where, `${key}= given twice`);
  spec[field] = v;
}

function finish(spec: TargetSpec, where: string): TargetSpec {
  if (spec.cert !== undefined && spec.key === undefined) fail(where, 'cert= needs key= (the client certificate\'s private key)');
  if (spec.key !== undefined && spec.cert === undefined) fail(where, 'key= needs cert=');
  return spec;
}

function newSpec(targetText: string, where: string): TargetSpec {
  let t;
  try {
    t = parseTarget(targetText);
  } catch (e) {
    fail(where, (e as Error).message);
  }
  return { input: targetText, host: t.host, port: t.port, origin: where, labels: {} };
}

/** One target from the command line (`tlsdoctor check host:port ...`): no per-target keys. */
export function parseTargetArgument(text: string, origin: string): TargetSpec {
  return newSpec(text, origin);
}

function parseLines(text: string, src: TargetsSource): TargetSpec[] {
  const out: TargetSpec[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const where = `${src.name}:${i + 1}`;
    const words = splitWords(line, where);
    if (words.length === 0) return;
    const [first, ...rest] = words;
    if (first.includes('=')) fail(where, `a line starts with host:port, got "${first}"`);
    const spec = newSpec(first, where);
    for (const w of rest) {
      const eq = w.indexOf('=');
      if (eq <= 0) fail(where, `expected key=value, got "${w}"`);
      setField(spec, where, w.slice(0, eq), w.slice(eq + 1), src.baseDir);
    }
    out.push(finish(spec, where));
  });
  return out;
}

// ---- JSON form --------------------------------------------------------------------------------------------

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Where JSON.parse gave up: V8's messages do not always carry a position, so a small recursive-descent
 * validator (RFC 8259 grammar) finds the offset of the first error, for a file:line message.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const bad = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else bad();
  };
  const string = () => {
    if (text[i] !== '"') bad();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) bad();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) bad();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') bad();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else bad();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else bad();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (!m) bad();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (at) {
    return typeof at === 'number' ? Math.min(at, text.length - 1) : undefined;
  }
}

/**
 * Offsets where the elements of the targets array start: the top-level array, or the array under the
 * top-level "targets" key. A small scanner (strings, nesting) so that errors can name the line.
 */
function elementOffsets(text: string): number[] {
  const offsets: number[] = [];
  const stack: ('[' | '{')[] = [];
  let targetsDepth = -1; // stack depth of the targets array once entered
  let lastKey: string | null = null;
  let expectValue = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) continue;
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') j++;
        s += text[j];
        j++;
      }
      if (stack.length === targetsDepth && stack[stack.length - 1] === '[' && expectValue) offsets.push(i);
      if (stack.length === 1 && stack[0] === '{' && !expectValue) lastKey = s;
      i = j;
      expectValue = false;
      continue;
    }
    if (c === ':') {
      expectValue = true;
      continue;
    }
    if (c === ',') {
      expectValue = stack[stack.length - 1] === '[';
      continue;
    }
    if (c === '[' || c === '{') {
      if (stack.length === targetsDepth && stack[stack.length - 1] === '[') offsets.push(i);
      if (c === '[' && targetsDepth < 0 && (stack.length === 0 || (stack.length === 1 && stack[0] === '{' && lastKey === 'targets'))) {
        targetsDepth = stack.length + 1;
      }
      stack.push(c);
      expectValue = c === '[';
      continue;
    }
    if (c === ']' || c === '}') {
      stack.pop();
      expectValue = false;
      continue;
    }
    // a number, true, false, null
    if (stack.length === targetsDepth && stack[stack.length - 1] === '[' && expectValue) offsets.push(i);
    while (i + 1 < text.length && /[^\s,\]}]/.test(text[i + 1])) i++;
    expectValue = false;
  }
  return offsets;
}

function jsonValueToString(v: unknown, where: string, key: string): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' && Number.isFinite(v)) return [String(v)];
  if (typeof v === 'boolean') return [v ? 'on' : 'off'];
  if (Array.isArray(v)) {
    if (key === 'ca' || key === 'proxy_ssl_trusted_certificate') return v.flatMap((x) => jsonValueToString(x, where, key));
    if (key === 'protocols' || key === 'proxy_ssl_protocols') return [v.map((x) => jsonValueToString(x, where, key).join(',')).join(',')];
  }
  fail(where, `"${key}" has an unsupported value ${JSON.stringify(v)}`);
}

function specFromJson(entry: unknown, where: string, baseDir: string): TargetSpec {
  if (typeof entry === 'string') return newSpec(entry, where);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(where, 'each target is an object like {"target": "host:port"} or a "host:port" string');
  const o = entry as Record<string, unknown>;
  if (typeof o.target !== 'string') fail(where, '"target": "host:port" is required');
  const spec = newSpec(o.target, where);
  for (const [key, value] of Object.entries(o)) {
    if (key === 'target') continue;
    if (key === 'labels') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, '"labels" must be an object of strings');
      for (const [k, lv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof lv !== 'string' && typeof lv !== 'number' && typeof lv !== 'boolean') fail(where, `label "${k}" must be a string`);
        setField(spec, where, `label.${k}`, String(lv), baseDir);
      }
      continue;
    }
    for (const s of jsonValueToString(value, where, key)) setField(spec, where, key, s, baseDir);
  }
  return finish(spec, where);
}

function parseJson(text: string, src: TargetsSource): TargetSpec[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    if (text.trimStart().startsWith('{')) return parseJsonLines(text, src);
    const at = jsonErrorOffset(text);
    const where = at !== undefined ? `${src.name}:${lineAt(text, at)}` : src.name;
    fail(where, `not valid JSON (${(e as Error).message})`);
  }
  let entries: unknown[];
  if (Array.isArray(doc)) entries = doc;
  else if (typeof doc === 'object' && doc !== null && Array.isArray((doc as { targets?: unknown }).targets)) entries = (doc as { targets: unknown[] }).targets;
  else if (typeof doc === 'object' && doc !== null && 'target' in doc) return [specFromJson(doc, `${src.name}:1`, src.baseDir)];
  else fail(src.name, 'JSON targets are an array, {"targets": [...]}, or one object per line');
  const offsets = elementOffsets(text);
  return entries.map((entry, i) => {
    const where = offsets[i] !== undefined ? `${src.name}:${lineAt(text, offsets[i])}` : `${src.name}: targets[${i}]`;
    return specFromJson(entry, where, src.baseDir);
  });
}

/** JSON Lines: one object per line. */
function parseJsonLines(text: string, src: TargetsSource): TargetSpec[] {
  const out: TargetSpec[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${src.name}:${i + 1}`;
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (e) {
      fail(where, `not valid JSON (${(e as Error).message})`);
    }
    out.push(specFromJson(entry, where, src.baseDir));
  });
  return out;
}

/** Parse a targets file (line format or JSON). An empty file gives an empty list. */
export function parseTargetsFile(text: string, src: TargetsSource): TargetSpec[] {
  const body = text.replace(/^\uFEFF/, '');
  const start = body.trimStart()[0];
  return start === '[' || start === '{' ? parseJson(body, src) : parseLines(body, src);
}

/**
 * Unique ids for one run: `id=` when given, else targetIdFor() (`host:port`, or `name@host:port` when the target
 * sets its own name), and `#2`, `#3`... for later entries with the same address and name (they may differ in SNI
 * or bundle). The id is the `target` label in metrics.
 */
export function assignIds(specs: TargetSpec[]): string[] {
  const seen = new Map<string, number>();
  const explicit = new Set(specs.flatMap((s) => (s.id !== undefined ? [s.id] : [])));
  return specs.map((s) => {
    if (s.id !== undefined) return s.id;
    const base = targetIdFor(s.host, s.port, s.name);
    // `#N` only for what is still the same (address and name): another bundle, depth or SNI setting; an id taken
    // by an explicit `id=` is skipped.
    let id: string;
    do {
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      id = n === 1 ? base : `${base}#${n}`;
    } while (explicit.has(id));
    return id;
  });
}

/**
 * A target's identity: `host:port` (`[v6]:port`), prefixed with the name nginx verifies when it is not the host
 * (`api.internal@10.0.0.7:443`). One address that serves several virtual hosts (an SNI ingress) is several
 * targets, and each keeps its id whatever the line order, in a targets file and in a `/probe?...&name=` scrape.
 */
export function targetIdFor(host: string, port: number, name?: string): string {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return name !== undefined && name !== host ? `${name}@${address}` : address;
}

/** Ids given with `id=` must be unique: two targets under one `target` label would overwrite each other. */
export function checkExplicitIds(specs: TargetSpec[]): void {
  const seen = new Map<string, string>();
  for (const s of specs) {
    if (s.id === undefined) continue;
    const before = seen.get(s.id);
    if (before) fail(s.origin, `id=${s.id} is already the id of the target at ${before}`);
    seen.set(s.id, s.origin);
  }
}
