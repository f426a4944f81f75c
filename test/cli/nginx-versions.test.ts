/**
 * One nginx model per version, chosen the same way by every command: --nginx-version 1.18.0 to 1.31.x (a warning
 * outside), the local nginx, else the default stable; `tlsdoctor nginx -` with a version line, --nginx-build, or
 * a guess it names. Offline: verify judges a chain from files; nginx runs with --no-probe.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_NGINX_VERSION } from '../../src/nginx/defaults.js';
import { fixturePath } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-versions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2026-06-01T00:00:00Z');

async function verifyLine(chain: string, version: string): Promise<string> {
  const run = await runCli(['verify', '--chain', fixturePath(chain), '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--nginx-version', version, '--json'], { now: NOW });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(1);
  return JSON.parse(run.stdout).nginx.error as string;
}

describe('verify error per nginx version (first error before 1.19.1, last after)', () => {
  it('leaf sent alone: 1.18 stops at 20, 1.19.1+ carries on to 21', async () => {
    expect(await verifyLine('leaf.pem', '1.18.0')).toContain('(20:unable to get local issuer certificate)');
    expect(await verifyLine('leaf.pem', '1.22.1')).toContain('(21:unable to verify the first certificate)');
    expect(await verifyLine('leaf.pem', '1.31.4')).toContain('(21:unable to verify the first certificate)');
  });

  it('expired leaf sent alone: 1.18 logs the missing issuer (20), later versions the expiry (10)', async () => {
    expect(await verifyLine('leaf-expired.pem', '1.18.0')).toContain('(20:unable to get local issuer certificate)');
    expect(await verifyLine('leaf-expired.pem', '1.30.4')).toContain('(10:certificate has expired)');
  });
});

describe('--nginx-version', () => {
  it('accepts a version newer than the table with a one-line warning, and models the newest known', async () => {
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--nginx-version', '1.33.0', '--json'], { now: NOW });
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tlsdoctor: warning: nginx 1\.33\.0 is newer than the newest version tlsdoctor models \(1\.31\.4\)/)]);
    expect(JSON.parse(run.stdout).settings.nginxVersion).toBe('1.33.0');
  });

  it('warns for a version older than 1.18.0', async () => {
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--nginx-version', '1.14.2', '--json'], { now: NOW });
    expect(run.stderr).toMatch(/^tlsdoctor: warning: nginx 1\.14\.2 is older than the oldest version tlsdoctor models \(1\.18\.0\)/);
    expect(run.code).toBe(1);
  });

  it('refuses what is not a version: exit 2, one line', async () => {
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--nginx-version', 'latest']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--nginx-version: "latest" is not a version like 1.30.4');
  });
});

describe('every command models the same default version', () => {
  function fakeNginx(version: string): string {
    const d = mkdtempSync(join(dir, 'bin-'));
    writeFileSync(join(d, 'nginx'), `#!/bin/sh\necho "nginx version: nginx/${version}" >&2\n`);
    chmodSync(join(d, 'nginx'), 0o755);
    return d;
  }

  it('verify, demo and check model the local nginx as probe does', async () => {
    const bin = fakeNginx('1.24.0');
    const env = { PATH: bin, XDG_CACHE_HOME: join(bin, 'cache') };
    const verify = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--json'], { env, now: NOW });
    expect(JSON.parse(verify.stdout).settings).toMatchObject({ nginxVersion: '1.24.0', nginxVersionSource: `${bin}/nginx -v` });
    const demo = await runCli(['demo', '--only', 'healthy', '--json'], { env });
    expect(JSON.parse(demo.stdout).settings).toMatchObject({ nginxVersion: '1.24.0', nginxVersionSource: `${bin}/nginx -v` });
    const probe = await runCli(['probe', '127.0.0.1:1', '--ca', fixturePath('root.pem'), '--json', '--timeout', '1s'], { env });
    expect(JSON.parse(probe.stdout).settings).toMatchObject({ nginxVersion: '1.24.0', nginxVersionSource: `${bin}/nginx -v` });
    const check = await runCli(['check', '127.0.0.1:1', '--ca', fixturePath('root.pem'), '--json', '--timeout', '1s'], { env });
    expect(JSON.parse(check.stdout)).toMatchObject({ nginxVersion: '1.24.0', nginxVersionSource: `${bin}/nginx -v` });
  });

  it('without a local nginx: the default stable, said in the text report', async () => {
    const verify = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem')], { now: NOW });
    expect(verify.stdout).toContain(`As nginx ${DEFAULT_NGINX_VERSION} (default; --nginx-version to change)`);
    const demo = await runCli(['demo', '--only', 'healthy']);
    expect(demo.stdout).toContain(`Predicting as nginx ${DEFAULT_NGINX_VERSION} (default; --nginx-version to change).`);
  });
});

describe('tlsdoctor nginx - (a dump from another host)', () => {
  const dump = '# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n    server { listen 80; location / { proxy_pass https://127.0.0.1:1; } }\n}\n';
  const versionLines = 'nginx version: nginx/1.18.0 (Ubuntu)\nbuilt with OpenSSL 3.0.2 15 Mar 2022\n';

  it('reads the version from `nginx -V` output pasted with the dump', async () => {
    const run = await runCli(['nginx', '-', '--no-probe', '--json'], { stdin: versionLines + dump });
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ nginxVersion: '1.18.0', nginxVersionSource: 'input', nginxVersionNote: null });
    // 1.18 offers TLSv1 TLSv1.1 TLSv1.2 by default.
    expect(doc.upstreams[0].settings.protocols.value).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
  });

  it('says the version is a guess when the dump names none', async () => {
    const json = JSON.parse((await runCli(['nginx', '-', '--no-probe', '--json'], { stdin: dump })).stdout);
    expect(json).toMatchObject({ nginxVersion: DEFAULT_NGINX_VERSION, nginxVersionSource: 'default' });
    expect(json.nginxVersionNote).toMatch(/^the version is a guess: .* pass --nginx-version X\.Y\.Z or --nginx-build FILE/);
    const text = await runCli(['nginx', '-', '--no-probe'], { stdin: dump });
    expect(text.stdout).toMatch(/modelled as nginx 1\.30\.4 \(default\)\.\nNote: the version is a guess/);
  });

  it('takes --nginx-version, and --nginx-build FILE (nginx -V output: version and OpenSSL)', async () => {
    const flag = JSON.parse((await runCli(['nginx', '-', '--no-probe', '--json', '--nginx-version', '1.31.4'], { stdin: dump })).stdout);
    expect(flag).toMatchObject({ nginxVersion: '1.31.4', nginxVersionSource: '--nginx-version', nginxVersionNote: null });
    const file = join(dir, 'nginx-V.txt');
    writeFileSync(file, versionLines);
    const build = JSON.parse((await runCli(['nginx', '-', '--no-probe', '--json', '--nginx-build', file], { stdin: dump })).stdout);
    expect(build).toMatchObject({ nginxVersion: '1.18.0', nginxVersionSource: '--nginx-build', nginxVersionNote: 'built with OpenSSL 3.0.2 15 Mar 2022' });
  });

  it('refuses a --nginx-build file without a version, and both flags at once: exit 2, one line', async () => {
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\n');
    const bad = await runCli(['nginx', '-', '--no-probe', '--nginx-build', junk], { stdin: dump });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringContaining(`--nginx-build ${junk}: no "nginx version: nginx/X.Y.Z" line`)]);
    const missing = await runCli(['nginx', '-', '--no-probe', '--nginx-build', join(dir, 'nope.txt')], { stdin: dump });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
    const both = await runCli(['nginx', '-', '--no-probe', '--nginx-build', junk, '--nginx-version', '1.24.0'], { stdin: dump });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--nginx-version and --nginx-build both name the version');
  });
});
