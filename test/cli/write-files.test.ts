/**
 * --out in a directory other users can write to: no write through a planted symbolic link (at the temp name
 * or at a fix file's name), no spinning mkdir, nothing left behind on error.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixFile } from '../../src/remediation/types.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { writeFixFiles } from '../../src/cli/write-files.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tlsdoctor-write-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FILES: FixFile[] = [
  { name: 'trusted-ca.pem', purpose: 'bundle', content: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
  { name: 'upstream-ssl.conf', purpose: 'snippet', content: 'proxy_ssl_verify on;\n' },
];

/** The outcome of a call that must fail: its UsageError. */
function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('writeFixFiles', () => {
  it('writes every file under its name, mode 0644, and leaves no temp behind', () => {
    const dir = join(tempDir(), 'a', 'b');
    const written = writeFixFiles(dir, FILES, false);
    expect(written).toEqual([join(dir, 'trusted-ca.pem'), join(dir, 'upstream-ssl.conf')]);
    expect(readFileSync(join(dir, 'upstream-ssl.conf'), 'utf8')).toBe('proxy_ssl_verify on;\n');
    expect(lstatSync(join(dir, 'trusted-ca.pem')).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(readdirSync(dir).sort()).toEqual(['trusted-ca.pem', 'upstream-ssl.conf']);
  });

  it('never writes through a symbolic link planted at the old guessable temp name (.NAME.PID.tmp)', () => {
    const base = tempDir();
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious\n');
    const dir = join(base, 'out');
    mkdirSync(dir);
    for (const f of FILES) symlinkSync(victim, join(dir, `.${f.name}.${process.pid}.tmp`));
    writeFixFiles(dir, FILES, false);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    for (const f of FILES) {
      expect(lstatSync(join(dir, f.name)).isFile()).toBe(true);
      expect(readFileSync(join(dir, f.name), 'utf8')).toBe(f.content);
    }
  });

  it('refuses a fix file name that is a symbolic link, dangling or not, without --force; writes nothing', () => {
    const base = tempDir();
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious\n');
    const dir = join(base, 'out');
    mkdirSync(dir);
    symlinkSync(victim, join(dir, 'trusted-ca.pem'));
    symlinkSync(join(base, 'does-not-exist'), join(dir, 'upstream-ssl.conf'));
    const e = usageError(() => writeFixFiles(dir, FILES, false, '/tmp/fix'));
    expect(e.code).toBe('OUT_EXISTS');
    expect(e.message).toBe(
      '--out /tmp/fix: trusted-ca.pem (a symbolic link), upstream-ssl.conf (a symbolic link) already exist; use --force to replace',
    );
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir).sort()).toEqual(['trusted-ca.pem', 'upstream-ssl.conf']);
    expect(readlinkSync(join(dir, 'upstream-ssl.conf'))).toBe(join(base, 'does-not-exist'));
  });

  it('with --force replaces the link itself, never the file it points to', () => {
    const base = tempDir();
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious\n');
    const dir = join(base, 'out');
    mkdirSync(dir);
    symlinkSync(victim, join(dir, 'trusted-ca.pem'));
    symlinkSync(join(base, 'dangling'), join(dir, 'upstream-ssl.conf'));
    writeFixFiles(dir, FILES, true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readdirSync(base).sort()).toEqual(['out', 'victim']);
    for (const f of FILES) {
      expect(lstatSync(join(dir, f.name)).isSymbolicLink()).toBe(false);
      expect(readFileSync(join(dir, f.name), 'utf8')).toBe(f.content);
    }
  });

  it('follows --out itself when it is a symbolic link to a directory (the user named it)', () => {
    const base = tempDir();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    writeFixFiles(join(base, 'link'), FILES, false);
    expect(readdirSync(join(base, 'real')).sort()).toEqual(['trusted-ca.pem', 'upstream-ssl.conf']);
  });

  it.runIf(process.platform === 'linux')('fails at once, with exit-2 wording, where mkdir answers ENOENT (/proc), instead of spinning', () => {
    const t0 = Date.now();
    const e = usageError(() => writeFixFiles('/proc/x/y', FILES, false));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('OUT_DIR');
    expect(e.message).toBe('--out /proc/x/y: cannot create the directory (ENOENT)');
  });

  it('refuses a --out path that runs through a file', () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const e = usageError(() => writeFixFiles(join(base, 'file', 'sub'), FILES, false, 'file/sub'));
    expect(e.message).toBe('--out file/sub: cannot create the directory (ENOTDIR)');
  });

  it('removes the temps already written when a later file fails: nothing half-written', () => {
    const dir = tempDir();
    // A name that fits NAME_MAX (255) but whose temp name does not: its temp cannot be created.
    const long: FixFile = { name: `${'x'.repeat(240)}.pem`, purpose: 'x', content: 'x\n' };
    const e = usageError(() => writeFixFiles(dir, [FILES[0], long], false, 'out'));
    expect(e.code).toBe('OUT_WRITE');
    expect(e.message).toMatch(/^--out out: cannot write x+\.pem \(ENAMETOOLONG\)$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never clobbers a name that appears while writing, and takes back the files it already put in place', () => {
    const dir = tempDir();
    // The second file's name exists by the time it is put in place (here: the first file itself), as if
    // another process had created it after the up-front check.
    const e = usageError(() => writeFixFiles(dir, [FILES[0], { ...FILES[1], name: FILES[0].name, content: 'other\n' }], false, 'out'));
    expect(e.code).toBe('OUT_EXISTS');
    expect(e.message).toBe('--out out: trusted-ca.pem appeared while writing; use --force to replace');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never writes a private key, and checks before writing anything', () => {
    const dir = join(tempDir(), 'out');
    const key: FixFile = { name: 'key.pem', purpose: 'x', content: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' };
    expect(() => writeFixFiles(dir, [FILES[0], key], false)).toThrow(/private key/);
    expect(() => readdirSync(dir)).toThrow();
  });
});

describe('--out through the CLI', () => {
  it.runIf(process.platform === 'linux')('exits 2 with one line naming --out when the directory cannot be created', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const { fixturePath } = await import('../helpers/fixtures.js');
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--out', '/proc/x/y']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tlsdoctor: --out /proc/x/y: cannot create the directory (ENOENT)\n');
    expect(run.stdout).toBe('');
  });
});
