/**
 * Getting an nginx configuration into src/nginx/: from a file (includes resolved on disk), from standard input
 * (`nginx -T | tlsdoctor nginx -`), or from the local nginx itself (`nginx -T`). The only place the nginx
 * commands touch node:fs and child processes for the configuration.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGlob, parseConfigFile, parseConfigText, parseNginxDump, splitNginxDump, type ConfigReader, type ParsedConfig } from '../nginx/parse-config.js';
import type { CliIO } from './io.js';
import { findOnPath } from './local-nginx.js';

export { findOnPath, nginxVersionOf } from './local-nginx.js';
import { CAP, readInputFile, readStdinText, sizeText } from './read-input.js';
import { UsageError } from './usage-error.js';
import type { NginxSourceKind } from '../report/nginx-model.js';

/** Bound for `nginx -T` / `nginx -v`: they read files and load certificates, nothing slow. */
const NGINX_EXEC_TIMEOUT_MS = 10_000;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * node:fs behind the parser's ConfigReader; glob(3) semantics come from createGlob. Each file is read once (an
 * include repeated in many blocks reuses the text), and all of them together are bounded like `nginx -T` output
 * on standard input (CAP.configDump): `include /var/log/*` must not read gigabytes, 16 MiB at a time.
 */
export function fsConfigReader(): ConfigReader & { texts: Map<string, string | null> } {
  const texts = new Map<string, string | null>();
  let total = 0;
  const read = (path: string): string | null => {
    // A missing file is nginx's own open() error (the parser says it, with the including line); anything else
    // wrong with it (a FIFO, a device, a directory, over the cap) is this tool's refusal to read it: exit 2.
    let bytes: Buffer;
    try {
      bytes = readInputFile(path, { label: 'nginx configuration', cap: CAP.config, expected: 'an nginx configuration file' });
    } catch (e) {
      if (e instanceof UsageError && e.code === 'FILE_NOT_FOUND') return null;
      throw e;
    }
    total += bytes.length;
    if (total > CAP.configDump) {
      throw new UsageError('INPUT_TOO_LARGE', `nginx configuration ${path}: the configuration files add up to more than ${sizeText(CAP.configDump)}`);
    }
    return bytes.toString('utf8');
  };
  return {
    texts,
    readFile(path) {
      if (!texts.has(path)) texts.set(path, read(path));
      return texts.get(path)!;
    },
    glob: createGlob((dir) => {
      try {
        return readdirSync(dir, { withFileTypes: true }).map((e) => ({
          name: e.name,
          // nginx's glob follows symlinks (Debian's sites-enabled/* are symlinks to files).
          isDirectory: e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name))),
        }));
      } catch {
        return null;
      }
    }),
  };
}

function run(bin: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string; reason: string }> {
  return new Promise((done) => {
    execFile(bin, args, { timeout: NGINX_EXEC_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return done({ ok: true, stdout, stderr, reason: '' });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
      const reason = e.killed ? `no answer within ${NGINX_EXEC_TIMEOUT_MS / 1000}s` : typeof e.code === 'number' ? `exit code ${e.code}` : String(e.code ?? e.message);
      done({ ok: false, stdout: stdout ?? '', stderr: stderr ?? '', reason });
    });
  });
}

export interface LoadedNginxConfig {
  parsed: ParsedConfig;
  kind: NginxSourceKind;
  /** The nginx binary the configuration came from (`nginx -T`), when it did. */
  binary?: string;
  /** What standard input held (kind `stdin`): a pasted dump may carry `nginx -V` output with the version. */
  text?: string;
  /** Each configuration file's text as the parser read it (inline suppression comments are read from these). */
  texts: Map<string, string>;
}

function textsOf(reader: { texts: Map<string, string | null> } | null, dump?: string): Map<string, string> {
  const out = new Map<string, string>();
  if (dump !== undefined) for (const f of splitNginxDump(dump)) out.set(f.path, f.text);
  for (const [path, text] of reader?.texts ?? []) if (text !== null) out.set(path, text);
  return out;
}

/**
 * FILE, `-` (standard input: `nginx -T` output, or one configuration file whose includes are read from disk,
 * relative to the current directory), or nothing (`nginx -T` of the nginx on the PATH).
 */
export async function loadNginxConfig(file: string | undefined, io: CliIO): Promise<LoadedNginxConfig> {
  if (file === '-') {
    const text = await readStdinText(io, { label: 'nginx configuration', cap: CAP.configDump, tooLargeHint: 'give the configuration file instead' });
    if (text.trim() === '') throw new UsageError('EMPTY_INPUT', 'standard input is empty: expected `nginx -T` output or an nginx configuration');
    if (splitNginxDump(text).length > 0) return { parsed: parseNginxDump(text), kind: 'stdin', text, texts: textsOf(null, text) };
    const prefix = io.cwd.endsWith('/') ? io.cwd : `${io.cwd}/`;
    const reader = fsConfigReader();
    const parsed = parseConfigText(text, '<stdin>', { reader, confPrefix: prefix });
    return { parsed, kind: 'stdin', text, texts: new Map([['<stdin>', text], ...textsOf(reader)]) };
  }
  if (file !== undefined) {
    const path = resolve(io.cwd, file);
    if (isDirectory(path)) throw new UsageError('FILE_IS_DIRECTORY', `${file}: is a directory, expected nginx.conf`);
    // A missing main file is an NginxParseError (open() "..." failed), like nginx's own message.
    const reader = fsConfigReader();
    return { parsed: parseConfigFile(path, reader), kind: 'file', texts: textsOf(reader) };
  }
  const bin = findOnPath('nginx', io.env);
  if (bin === null) {
    throw new UsageError(
      'NO_CONFIG',
      'no configuration given and nginx is not on the PATH: run `tlsdoctor nginx /etc/nginx/nginx.conf` or `nginx -T | tlsdoctor nginx -`',
    );
  }
  const r = await run(bin, ['-T']);
  if (!r.ok || splitNginxDump(r.stdout).length === 0) {
    const why = r.stderr.split('\n').find((l) => /\[(emerg|alert|crit)\]/.test(l))?.trim() ?? r.stderr.trim().split('\n')[0] ?? '';
    throw new UsageError(
      'NGINX_T_FAILED',
      `\`${bin} -T\` failed (${r.ok ? 'no configuration in its output' : r.reason})${why ? `: ${why}` : ''}. ` +
        'Give the configuration file instead: tlsdoctor nginx /etc/nginx/nginx.conf',
    );
  }
  return { parsed: parseNginxDump(r.stdout), kind: 'nginx -T', binary: bin, texts: textsOf(null, r.stdout) };
}
