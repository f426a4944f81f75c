/**
 * The nginx on this machine, when there is one: the version whose defaults tlsdoctor models unless
 * --nginx-version says otherwise. On the nginx host itself (where the 502 is logged) this is the nginx that
 * matters: 1.22 offers no TLS 1.3 to upstreams, 1.27.3 drops TLS 1.0/1.1 (src/nginx/nginx-version.ts).
 *
 * `nginx -v` costs a process (~6 ms, measured): the answer is cached per binary (path, size, mtime) in
 * $XDG_CACHE_HOME/tlsdoctor (or ~/.cache/tlsdoctor), so a probe's start-up pays a stat, not a spawn.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseVersion } from '../nginx/defaults.js';
import type { CliIO } from './io.js';
import { readInputText } from './read-input.js';
import { ensureDirectory, replaceFile } from './write-files.js';

const EXEC_TIMEOUT_MS = 10_000;

/** An executable named `name` in PATH (as the shell would find it), or null. */
export function findOnPath(name: string, env: CliIO['env']): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** `nginx -v` prints `nginx version: nginx/1.22.1` on stderr. Null when it cannot be run or read. */
export async function nginxVersionOf(bin: string): Promise<string | null> {
  // Imported here: child_process costs start-up time, and most runs read the cached version instead.
  const { execFile } = await import('node:child_process');
  return new Promise((done) => {
    execFile(bin, ['-v'], { timeout: EXEC_TIMEOUT_MS, encoding: 'utf8' }, (_err, stdout, stderr) => {
      const m = /nginx\/(\d+\.\d+(?:\.\d+)?)/.exec(`${stderr ?? ''}${stdout ?? ''}`);
      done(m && parseVersion(m[1]) ? m[1] : null);
    });
  });
}

function cacheFile(env: CliIO['env']): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '');
  return base ? join(base, 'tlsdoctor', 'nginx-version.json') : null;
}

/**
 * The local nginx (PATH, else Debian's /usr/sbin/nginx, which a non-root PATH may lack) and its version, or
 * null when there is none. TLSDOCTOR_NO_LOCAL_NGINX=1 turns the lookup off.
 */
export async function localNginxVersion(env: CliIO['env']): Promise<{ version: string; binary: string } | null> {
  if (env.TLSDOCTOR_NO_LOCAL_NGINX) return null;
  const binary = findOnPath('nginx', env) ?? (isExecutable('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
  if (!binary) return null;
  let st;
  try {
    st = statSync(binary);
  } catch {
    return null;
  }
  const key = `${binary}\u0000${st.size}\u0000${st.mtimeMs}`;
  const file = cacheFile(env);
  if (file) {
    try {
      // Bounded like every input (read-input.ts): a FIFO or a huge file here must not stall every command.
      const cached = JSON.parse(readInputText(file, { label: 'cache', cap: 64 * 1024 })) as { key?: string; version?: string };
      if (cached.key === key && cached.version && parseVersion(cached.version)) return { version: cached.version, binary };
    } catch {
      /* no cache yet */
    }
  }
  const version = await nginxVersionOf(binary);
  if (!version) return null;
  if (file) {
    try {
      // Same safe write as the fix files (write-files.ts): an unpredictable O_EXCL temp name, then rename(2),
      // so a link planted in a shared cache directory is never written through; the directory is created
      // component by component (0700, as the XDG base directory spec asks), never with a spinning mkdir -p.
      ensureDirectory(resolve(dirname(file)), dirname(file), 0o700);
      replaceFile(file, JSON.stringify({ key, version }));
    } catch {
      /* a read-only home only costs the next run a spawn */
    }
  }
  return { version, binary };
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
