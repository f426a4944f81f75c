/**
 * Without --nginx-version, probe models the nginx installed here (nginx -v), cached per binary; with it, the flag
 * wins; with no nginx, the default stable version.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_NGINX_VERSION } from '../../src/nginx/defaults.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeNginx(version: string): { bin: string; dir: string; calls: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-fake-nginx-'));
  made.push(dir);
  const calls = join(dir, 'calls');
  const bin = join(dir, 'nginx');
  writeFileSync(bin, `#!/bin/sh\necho x >> ${calls}\necho "nginx version: nginx/${version}" >&2\n`);
  chmodSync(bin, 0o755);
  writeFileSync(calls, '');
  return { bin, dir, calls };
}

// A refused port: the verdict does not matter, only the settings modelled.
const args = ['probe', '127.0.0.1:1', '--ca', fixturePath('root.pem'), '--json', '--timeout', '1s'];

describe('the nginx version modelled', () => {
  it('is the local nginx when there is one (1.22: no TLS 1.3 to upstreams), asked once and then cached', async () => {
    const fake = fakeNginx('1.22.1');
    const env = { PATH: fake.dir, XDG_CACHE_HOME: join(fake.dir, 'cache') };
    const first = JSON.parse((await runCli(args, { env })).stdout);
    expect(first.settings.nginxVersion).toBe('1.22.1');
    expect(first.settings.nginxVersionSource).toBe(`${fake.bin} -v`);
    expect(first.settings.proxySslProtocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    const second = JSON.parse((await runCli(args, { env })).stdout);
    expect(second.settings.nginxVersion).toBe('1.22.1');
    expect(readFileSync(fake.calls, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('--nginx-version wins over the local nginx', async () => {
    const fake = fakeNginx('1.22.1');
    const doc = JSON.parse((await runCli([...args, '--nginx-version', '1.26.2'], { env: { PATH: fake.dir } })).stdout);
    expect(doc.settings.nginxVersion).toBe('1.26.2');
    expect(doc.settings.proxySslProtocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  });

  it('is the default stable version without a local nginx', async () => {
    const doc = JSON.parse((await runCli(args)).stdout);
    expect(doc.settings.nginxVersion).toBe(DEFAULT_NGINX_VERSION);
    expect(doc.settings.nginxVersionSource).toBe('default');
    expect(doc.settings.proxySslProtocols).toEqual(['TLSv1.2', 'TLSv1.3']);
  });

  it('caches without writing through links planted in the cache directory', async () => {
    const fake = fakeNginx('1.22.1');
    const cache = join(fake.dir, 'cache', 'tlsdoctor');
    mkdirSync(cache, { recursive: true });
    const victim = join(fake.dir, 'victim');
    writeFileSync(victim, 'precious\n');
    // The old temp name was predictable (FILE.PID.tmp); the cache file itself may be a link too.
    symlinkSync(victim, join(cache, `nginx-version.json.${process.pid}.tmp`));
    symlinkSync(victim, join(cache, 'nginx-version.json'));
    const doc = JSON.parse((await runCli(args, { env: { PATH: fake.dir, XDG_CACHE_HOME: join(fake.dir, 'cache') } })).stdout);
    expect(doc.settings.nginxVersion).toBe('1.22.1');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(cache, 'nginx-version.json')).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(join(cache, 'nginx-version.json'), 'utf8')).version).toBe('1.22.1');
  });

  it('is still found when the cache directory cannot be created (no spin, no error)', async () => {
    const fake = fakeNginx('1.24.0');
    const doc = JSON.parse((await runCli(args, { env: { PATH: fake.dir, XDG_CACHE_HOME: '/proc/x/cache' } })).stdout);
    expect(doc.settings.nginxVersion).toBe('1.24.0');
  });
});
