/**
 * Writing the fix files: atomically (temp file in the same directory, then rename), never over an existing
 * file without --force, never anything that looks like a private key.
 */
import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FixFile } from '../remediation/types.js';
import { UsageError } from './usage-error.js';

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function writeFixFiles(dir: string, files: FixFile[], force: boolean): string[] {
  const out = resolve(dir);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new UsageError('OUT_DIR', `--out ${dir}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!force) {
    const clash = files.filter((f) => existsSync(join(out, f.name)));
    if (clash.length > 0) {
      throw new UsageError('OUT_EXISTS', `--out ${dir}: ${clash.map((f) => f.name).join(', ')} already exist; use --force to overwrite`);
    }
  }
  const written: string[] = [];
  for (const f of files) {
    if (PRIVATE_KEY.test(f.content)) throw new Error(`refusing to write ${f.name}: it contains a private key block`);
    const target = join(out, f.name);
    const tmp = join(out, `.${f.name}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, f.content, { mode: 0o644 });
      renameSync(tmp, target);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* nothing to clean */
      }
      throw new UsageError('OUT_WRITE', `--out ${dir}: cannot write ${f.name} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    written.push(target);
  }
  return written;
}
