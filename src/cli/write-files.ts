/**
 * Writing the fix files into `--out DIR`, safe in a directory other users can write to (`--out /tmp/fix`):
 *
 * - Each file is first written to a temp name in DIR with an unpredictable suffix (crypto-random, not the
 *   PID), opened O_CREAT|O_EXCL|O_NOFOLLOW: open(2) with O_CREAT|O_EXCL fails with EEXIST on any existing
 *   name, a symbolic link (dangling or not) included, so a link planted at the temp name is never written
 *   through.
 * - Then the temp is put in place under the final name. Without --force: link(2), which fails with EEXIST if
 *   the name appeared in the meantime (no clobbering, even racing); with --force: rename(2), which replaces
 *   the directory entry itself, so a symbolic link at the final name is replaced, never followed.
 * - A final name that already exists (a file, a link, a dangling link) is refused without --force, before
 *   anything is written. All temps are written before the first one is put in place, and removed on any
 *   error; without --force the files already put in place are removed too: an error leaves no new file behind
 *   (with --force, short of a failure between two renames, which replaced files cannot undo).
 * - DIR itself may be a symbolic link to a directory, as may any component of the path: the user named that
 *   path. Only names *inside* DIR are never followed.
 * - The directory is created one component at a time (mkdir(2) per missing component, a bounded loop):
 *   Node's recursive mkdirSync spins forever where mkdir answers ENOENT for an existing-looking parent
 *   (`--out /proc/x/y`, measured at 100% CPU on Node 20); here that is a one-line exit-2 error.
 * - Never anything that looks like a private key.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import type { FixFile } from '../remediation/types.js';
import { UsageError } from './usage-error.js';

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** O_NOFOLLOW is POSIX; where Node does not define it, O_EXCL alone already refuses links. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** File systems without hard links answer link(2) with one of these; the no-clobber step then uses rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Creates `out` (absolute) and its missing parents one mkdir(2) at a time: at most one call per path
 * component, so it ends whatever the kernel answers. Existing components are followed as the user named them.
 */
export function ensureDirectory(out: string, label: string, mode = 0o755): void {
  const fail = (code: string): never => {
    throw new UsageError('OUT_DIR', `--out ${label}: cannot create the directory (${code})`);
  };
  const { root } = parse(out);
  const parts = out.slice(root.length).split(sep).filter((p) => p !== '');
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    let st: Stats | null = null;
    try {
      st = statSync(current);
    } catch (e) {
      if (errno(e) !== 'ENOENT') fail(errno(e));
    }
    if (st) {
      if (!st.isDirectory()) fail('ENOTDIR');
      continue;
    }
    try {
      mkdirSync(current, { mode });
    } catch (e) {
      // EEXIST: created by someone else since the stat; fine if it is a directory now.
      if (errno(e) !== 'EEXIST') fail(errno(e));
      try {
        if (!statSync(current).isDirectory()) fail('ENOTDIR');
      } catch (e2) {
        if (e2 instanceof UsageError) throw e2;
        fail(errno(e2));
      }
    }
  }
}

/** Writes `content` to a new temp file next to `target`; returns its path. Never follows or reuses a name. */
function writeTemp(target: string, content: string): string {
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(tmp, CREATE_NEW, 0o644);
  try {
    const bytes = Buffer.from(content, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw e;
  }
  closeSync(fd);
  return tmp;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/**
 * Replaces `target` with a file holding `content`, atomically (temp + rename(2)): a symbolic link at `target`
 * is replaced, never written through. For caches; fix files go through writeFixFiles.
 */
export function replaceFile(target: string, content: string): void {
  const tmp = writeTemp(target, content);
  try {
    renameSync(tmp, target);
  } catch (e) {
    unlinkQuietly(tmp);
    throw e;
  }
}

/** Puts `tmp` in place as `target`: no-clobber link(2) without force, rename(2) (replaces a link) with it. */
function install(tmp: string, target: string, force: boolean): void {
  if (!force) {
    let linked = false;
    try {
      linkSync(tmp, target);
      linked = true;
    } catch (e) {
      if (!NO_HARD_LINKS.has(errno(e))) throw e;
      // No hard links here: check, then rename (a race window remains only on such file systems).
      if (lstatOrNull(target)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    }
    if (linked) return unlinkQuietly(tmp);
  }
  renameSync(tmp, target);
}

function existingKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  return 'a file';
}

/**
 * Writes `files` into `dir` (absolute) and returns their paths. `label` is how the user spelled `--out`, for
 * messages. Throws UsageError (exit 2, one line) on any problem, leaving no temp behind.
 */
export function writeFixFiles(dir: string, files: FixFile[], force: boolean, label: string = dir): string[] {
  for (const f of files) {
    // Names come from the plan (fixed names); a separator would let one escape DIR.
    if (f.name !== basename(f.name) || f.name === '.' || f.name === '..') throw new Error(`refusing to write ${f.name}: not a plain file name`);
    if (PRIVATE_KEY.test(f.content)) throw new Error(`refusing to write ${f.name}: it contains a private key block`);
  }
  const out = resolve(dir);
  ensureDirectory(out, label);

  const clashes: string[] = [];
  for (const f of files) {
    let st: Stats | null;
    try {
      st = lstatOrNull(join(out, f.name));
    } catch (e) {
      throw new UsageError('OUT_WRITE', `--out ${label}: cannot check ${f.name} (${errno(e)})`);
    }
    if (st && (!force || st.isDirectory())) clashes.push(`${f.name} (${existingKind(st)})`);
  }
  if (clashes.length > 0) {
    throw new UsageError(
      'OUT_EXISTS',
      `--out ${label}: ${clashes.join(', ')} already exist${clashes.length === 1 ? 's' : ''}; ${force ? 'remove it' : 'use --force to replace'}`,
    );
  }

  const temps: { tmp: string; target: string; name: string }[] = [];
  const written: string[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.name;
      const target = join(out, f.name);
      temps.push({ tmp: writeTemp(target, f.content), target, name: f.name });
    }
    for (const t of temps) {
      current = t.name;
      install(t.tmp, t.target, force);
      written.push(t.target);
    }
    return written;
  } catch (e) {
    for (const t of temps) unlinkQuietly(t.tmp);
    // Without --force every file put in place is new (link(2) created it): take them back so that a name that
    // appeared meanwhile leaves no half set. With --force they replaced older files, which cannot come back.
    if (!force) for (const w of written) unlinkQuietly(w);
    const code = errno(e);
    if (code === 'EEXIST') throw new UsageError('OUT_EXISTS', `--out ${label}: ${current} appeared while writing; use --force to replace`);
    throw new UsageError('OUT_WRITE', `--out ${label}: cannot write ${current} (${code})`);
  }
}
