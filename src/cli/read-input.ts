/**
 * Reading a file the user named (an option's value, an argument, a path in a targets file or in nginx.conf): the
 * one place the CLI opens input files, so that every input is bounded the same way.
 *
 * Why not `statSync(file).size` then `readFileSync(file)`: a size from stat says nothing about what a read
 * returns. `/dev/zero` has size 0 and never ends; a FIFO (`mkfifo`) has size 0 and blocks the open itself until
 * a writer appears, freezing the event loop (every other target of `check`, every timer). So:
 * 1. open with O_RDONLY|O_NONBLOCK|O_NOCTTY: open(2) on a FIFO with O_NONBLOCK returns at once (fifo(7)); on a
 *    regular file O_NONBLOCK has no effect. O_NOCTTY: naming a terminal never makes it our controlling tty.
 * 2. fstat the descriptor we hold (not the path: no race with a rename), accept regular files only;
 * 3. read up to cap + 1 bytes whatever stat said (a /proc file says 0), refuse over the cap;
 * 4. close the descriptor, always.
 * Symlinks are followed (Debian's sites-enabled/* and ssl/certs/* are links to regular files).
 * Every failure is a one-line UsageError (exit 2) naming the option and the file.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { CliIO } from './io.js';
import { UsageError } from './usage-error.js';

export const MiB = 1024 * 1024;

/**
 * Byte caps per kind of input (README "Input files"). Certificates and keys: 16 MiB holds the largest public CA
 * bundles many times over (Debian's ca-certificates.crt is ~220 KB). Configurations: 16 MiB per file; `nginx -T`
 * output (every file at once) 64 MiB. Targets files: 16 MiB is ~200,000 lines. Error logs: 512 MiB, and the
 * message says how to pass the recent part.
 */
export const CAP = {
  certificate: 16 * MiB,
  key: 16 * MiB,
  config: 16 * MiB,
  configDump: 64 * MiB,
  targets: 16 * MiB,
  log: 512 * MiB,
} as const;

export interface InputSpec {
  /** The option or role, first in every message (`--ca`, `client key`); '' for a bare argument (`inspect FILE`). */
  label: string;
  /** The path as the user wrote it, for messages (default: the path opened). */
  display?: string;
  /** Byte cap: more than this is refused. */
  cap: number;
  /** What a directory should have been, for its message (`a certificate file`). */
  expected?: string;
  /** Appended to the too-large message (`pass the part that matters: tail -n 100000`). */
  tooLargeHint?: string;
}

function where(spec: InputSpec, path: string): string {
  const shown = spec.display ?? path;
  return spec.label ? `${spec.label} ${shown}` : shown;
}

/** A human name for a file type that is not a regular file (the wording of `stat --format=%F`). */
export function fileTypeName(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  return 'unknown file type';
}

export function sizeText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

function openError(e: unknown, spec: InputSpec, path: string): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UsageError('FILE_NOT_FOUND', `${where(spec, path)}: no such file`, { cause: e });
  // ENXIO: open(2) of a socket (or of a FIFO for writing); the type check below would have said the same.
  if (code === 'ENXIO') return new UsageError('FILE_NOT_REGULAR', `${where(spec, path)}: not a regular file (socket)`, { cause: e });
  return new UsageError('FILE_UNREADABLE', `${where(spec, path)}: cannot be read (${code ?? 'error'})`, { cause: e });
}

function tooLarge(spec: InputSpec, path: string): UsageError {
  return new UsageError('FILE_TOO_LARGE', `${where(spec, path)}: larger than ${sizeText(spec.cap)}${spec.tooLargeHint ? `; ${spec.tooLargeHint}` : ''}`);
}

/** Reads at most cap + 1 bytes from an open regular file; throws FILE_TOO_LARGE beyond the cap. */
function readCapped(fd: number, sizeHint: number, spec: InputSpec, path: string): Buffer {
  const limit = spec.cap + 1;
  let buf = Buffer.allocUnsafe(Math.max(1, Math.min(sizeHint + 1, limit)));
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length >= limit) throw tooLarge(spec, path);
      const bigger = Buffer.allocUnsafe(Math.min(limit, Math.max(buf.length * 2, 64 * 1024)));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(fd, buf, length, buf.length - length, null);
    } catch (e) {
      throw new UsageError('FILE_UNREADABLE', `${where(spec, path)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
    }
    if (n === 0) break;
    length += n;
  }
  if (length > spec.cap) throw tooLarge(spec, path);
  return buf.subarray(0, length);
}

/** The bytes of a regular file, bounded (see the file comment). */
export function readInputFile(path: string, spec: InputSpec): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw openError(e, spec, path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      throw new UsageError('FILE_IS_DIRECTORY', `${where(spec, path)}: is a directory${spec.expected ? `, expected ${spec.expected}` : ', not a regular file'}`);
    }
    if (!st.isFile()) throw new UsageError('FILE_NOT_REGULAR', `${where(spec, path)}: not a regular file (${fileTypeName(st)})`);
    return readCapped(fd, st.size, spec, path);
  } finally {
    closeSync(fd);
  }
}

export function readInputText(path: string, spec: InputSpec): string {
  return readInputFile(path, spec).toString('utf8');
}

/**
 * Standard input (`-`), bounded like a file: the process reads at most cap + 1 bytes (CliIO.readStdin's limit) and
 * anything over the cap is refused here.
 */
export async function readStdinText(io: CliIO, spec: Omit<InputSpec, 'display'>): Promise<string> {
  const text = await io.readStdin(spec.cap + 1);
  if (Buffer.byteLength(text, 'utf8') > spec.cap) {
    throw new UsageError('INPUT_TOO_LARGE', `${spec.label ? `${spec.label} ` : ''}standard input: larger than ${sizeText(spec.cap)}${spec.tooLargeHint ? `; ${spec.tooLargeHint}` : ''}`);
  }
  return text;
}
