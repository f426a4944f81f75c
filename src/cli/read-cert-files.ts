/**
 * Reading certificate files from disk: the I/O edge in front of src/certs/ (load.ts splits, parse.ts parses).
 * Every failure is a one-line UsageError naming the file (exit 2).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Cert } from '../certs/cert.js';
import { InputError } from '../certs/input-error.js';
import { readCertificateBlobsAsync } from '../certs/load.js';
import { parseCertificate, type ParseOptions } from '../certs/parse.js';
import type { CliIO } from './io.js';
import { CAP, readInputFile } from './read-input.js';
import { UsageError } from './usage-error.js';

export interface LoadedCerts {
  certs: Cert[];
  notes: string[];
}

function readBytes(file: string, option: string): Uint8Array {
  return readInputFile(file, { label: option, cap: CAP.certificate, expected: 'a certificate file' });
}

/**
 * How trust stores and candidate pools are parsed: lazily (parse.ts ParseOptions `lazy`), because chain building
 * touches only a few certificates of a 150-root bundle. A certificate OpenSSL would refuse is still refused here,
 * by the check that stands in for d2i_X509 (plain-der.ts, else openssl-d2i.ts).
 */
export const DEFERRED: ParseOptions = { deferOpenSsl: true, lazy: true };

/**
 * Parse the certificates of one file. `option` names the argument in error messages (`--ca`). `parse`:
 * DEFERRED for trust stores and pools; the default parses with OpenSSL at once (certificates that will be read).
 */
export async function readCertFile(
  file: string,
  option: string,
  parse: ParseOptions = {},
  seenBefore?: (der: Uint8Array) => boolean,
): Promise<LoadedCerts> {
  const bytes = readBytes(file, option);
  const notes: string[] = [];
  try {
    const blobs = await readCertificateBlobsAsync(bytes, file);
    if (blobs.privateKeys > 0) {
      notes.push(`${file} contains ${blobs.privateKeys === 1 ? 'a private key' : `${blobs.privateKeys} private keys`}; ignored, never printed or copied`);
    }
    notes.push(...blobs.warnings);
    const certs: Cert[] = [];
    blobs.ders.forEach((der, i) => {
      if (seenBefore?.(der)) return;
      try {
        certs.push(parseCertificate(der, parse));
      } catch (e) {
        throw new UsageError('INPUT_BAD_CERTIFICATE', `${option} ${file}: certificate #${i + 1} cannot be parsed (${(e as Error).message})`);
      }
    });
    return { certs, notes };
  } catch (e) {
    if (e instanceof InputError) {
      const msg =
        e.code === 'INPUT_ONLY_PRIVATE_KEY'
          ? `${option} ${file}: holds a private key, not a certificate (the key was not read further and is never printed)`
          : `${option} ${e.message}`;
      throw new UsageError(e.code, msg, { cause: e });
    }
    throw e;
  }
}

/**
 * Files of a --intermediates argument: a file, or the regular files of a directory (not recursive; symlinks to
 * regular files count). Entries that are not regular files (FIFOs, sockets, devices, subdirectories) are skipped:
 * they are never opened. Names of one file are read once: in /etc/ssl/certs every certificate has its own name and
 * a hash link (`5ad8a5d6.0`, c_rehash) to the same file, which made the directory cost twice its reads and parses.
 * The file keeps the name that is not a hash link.
 */
export function expandPoolPath(path: string, option: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError('FILE_NOT_FOUND', `${option} ${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return [path];
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (e) {
    throw new UsageError('FILE_UNREADABLE', `${option} ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const byFile = new Map<string, string>();
  for (const name of names.sort()) {
    const file = join(path, name);
    let target;
    try {
      target = statSync(file);
    } catch {
      continue; // a dangling symlink
    }
    if (!target.isFile()) continue;
    const key = `${target.dev}:${target.ino}`;
    const kept = byFile.get(key);
    if (kept === undefined || (HASH_LINK.test(basename(kept)) && !HASH_LINK.test(name))) byFile.set(key, file);
  }
  return [...byFile.values()].sort();
}

/** The names c_rehash / openssl rehash give: the subject hash and a sequence number (`5ad8a5d6.0`, CRLs `.r0`). */
const HASH_LINK = /^[0-9a-f]{8}\.r?\d+$/;

/** How many skipped files a summary names before "and N more". */
const SKIPPED_NAMED = 3;

/**
 * One note for the files of a directory that hold no certificate (a directory like /etc/ssl/certs also holds keys,
 * READMEs and hash links: one note per file was 60 lines): how many, the first few names and why.
 */
function skippedNote(option: string, dir: string, skipped: { file: string; why: string }[]): string {
  const named = skipped.slice(0, SKIPPED_NAMED).map((s) => `${basename(s.file)} (${s.why})`);
  const more = skipped.length > SKIPPED_NAMED ? `, and ${skipped.length - SKIPPED_NAMED} more` : '';
  return `${option} ${dir}: skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'} that hold no certificate: ${named.join(', ')}${more}`;
}

/** Certificates of the pool; files in a directory that hold no certificate are skipped, with one summary note. */
export async function readPool(paths: string[], option: string): Promise<{ certs: { cert: Cert; origin: string }[]; notes: string[] }> {
  const certs: { cert: Cert; origin: string }[] = [];
  const notes: string[] = [];
  // A certificate met again (in /etc/ssl/certs, each one is in its own file and in ca-certificates.crt) is not
  // parsed twice: the first file that holds it is its origin.
  const seen = new Set<string>();
  const seenBefore = (der: Uint8Array): boolean => {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  };
  for (const p of paths) {
    const files = expandPoolPath(p, option);
    const skipped: { file: string; why: string }[] = [];
    for (const f of files) {
      try {
        const r = await readCertFile(f, option, DEFERRED, seenBefore);
        certs.push(...r.certs.map((cert) => ({ cert, origin: f })));
        notes.push(...r.notes);
      } catch (e) {
        if (files.length > 1 && e instanceof UsageError) skipped.push({ file: f, why: e.message.replace(`${option} ${f}: `, '') });
        else throw e;
      }
    }
    if (skipped.length > 0) notes.push(skippedNote(option, p, skipped));
  }
  return { certs, notes };
}

/** The system CA store: Debian's bundle file if present (what proxy_ssl_trusted_certificate could name), else Node's. */
export const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function readSystemStore(): Promise<{ certs: Cert[]; file: string }> {
  if (existsSync(SYSTEM_BUNDLE)) {
    const r = await readCertFile(SYSTEM_BUNDLE, 'system store', DEFERRED);
    return { certs: r.certs, file: SYSTEM_BUNDLE };
  }
  // node:tls only here: loading it costs a command that never connects (verify, inspect) ~5 ms of start-up.
  const [{ readCertificateBlobs }, { rootCertificates }] = await Promise.all([import('../certs/load.js'), import('node:tls')]);
  const blobs = readCertificateBlobs(new TextEncoder().encode(rootCertificates.join('\n')), 'node:tls rootCertificates');
  return { certs: blobs.ders.map((d) => parseCertificate(d, DEFERRED)), file: 'node:tls rootCertificates' };
}

/** The trusted certificates of the --ca files (each read lazily, DEFERRED), or the system store without any. */
export async function loadTrust(files: string[], io: CliIO) {
  const notes: string[] = [];
  if (files.length === 0) {
    const sys = await readSystemStore();
    return { certs: sys.certs, trust: { source: 'system' as const, files: [sys.file], count: sys.certs.length }, notes };
  }
  const certs: Cert[] = [];
  for (const f of files) {
    const r = await readCertFile(f, '--ca', DEFERRED);
    if (r.certs.length === 0) throw new UsageError('INPUT_NOT_CERTIFICATE', `--ca ${f}: holds no certificate`);
    certs.push(...r.certs);
    notes.push(...r.notes);
  }
  void io;
  return { certs, trust: { source: 'bundle' as const, files, count: certs.length }, notes };
}
