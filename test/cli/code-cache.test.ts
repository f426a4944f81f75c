/**
 * bin/tlsdoctor's V8 code cache (issue: start-up at the floor): an optimisation that must never be needed, never
 * break the CLI and never print anything unless asked (TLSDOCTOR_CODE_CACHE=debug).
 * These run the real binary (dist/ is built by `npm install`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPki } from '../certs/test-pki.js';
import { fixturePath } from '../helpers/fixtures.js';

const BIN = new URL('../../bin/tlsdoctor', import.meta.url).pathname;
const built = existsSync(new URL('../../dist/bundle/tlsdoctor.cjs', import.meta.url));
const ARGS = ['inspect', fixturePath('root.pem')];

function run(cacheHome: string, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...ARGS], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: cacheHome, XDG_CACHE_HOME: cacheHome, ...extra },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const cacheFiles = (home: string) => (existsSync(join(home, 'tlsdoctor')) ? readdirSync(join(home, 'tlsdoctor')) : []);

describe.skipIf(!built)('the code cache of bin/tlsdoctor', () => {
  const reference = built ? run(mkdtempSync(join(tmpdir(), 'cc-ref-')), { TLSDOCTOR_CODE_CACHE: 'off' }) : null;

  it('is written by the first run and used by the next, silently', () => {
    expect(reference?.code).toBe(0);
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    const first = run(home);
    expect(first).toEqual(reference);
    const files = cacheFiles(home);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^v8-${process.version}-${process.arch}-\\d+-\\d+-inspect\\.bin$`));
    const second = run(home, { TLSDOCTOR_CODE_CACHE: 'debug' });
    expect(second.stdout).toBe(reference?.stdout);
    expect(second.stderr).toMatch(/^tlsdoctor: code cache: used /);
  });

  it('a corrupt cache file is rejected, the CLI works, and the cache is rebuilt', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    run(home);
    const file = join(home, 'tlsdoctor', cacheFiles(home)[0]);
    const garbage = Buffer.alloc(4096, 0x5a);
    writeFileSync(file, garbage);
    expect(run(home)).toEqual(reference);
    expect(readFileSync(file).equals(garbage)).toBe(false);
    writeFileSync(file, readFileSync(file).subarray(0, 100)); // truncated
    const r = run(home, { TLSDOCTOR_CODE_CACHE: 'debug' });
    expect(r.stdout).toBe(reference?.stdout);
    expect(r.stderr).toMatch(/rejected .*\n.*wrote /);
  });

  it('a cache made for other code (another version of the bundle) is rejected by V8, not run', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    run(home);
    const file = join(home, 'tlsdoctor', cacheFiles(home)[0]);
    writeFileSync(file, new vm.Script('(function () { return 42; })').createCachedData());
    const r = run(home, { TLSDOCTOR_CODE_CACHE: 'debug' });
    expect(r.stdout).toBe(reference?.stdout);
    expect(r.stderr).toMatch(/rejected /);
  });

  it('caches of other builds or Node versions are removed when a new one is written', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    run(home);
    const stale = join(home, 'tlsdoctor', 'v8-v0.0.1-x64-1-1.bin');
    writeFileSync(stale, 'old');
    writeFileSync(join(home, 'tlsdoctor', cacheFiles(home).find((f) => !f.includes('v0.0.1'))!), 'corrupt');
    run(home);
    expect(existsSync(stale)).toBe(false);
    expect(cacheFiles(home)).toHaveLength(1);
  });

  it('an unwritable cache location (a file in the way, a base under /proc) changes nothing and prints nothing', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    const blocker = join(home, 'not-a-dir');
    writeFileSync(blocker, '');
    expect(run(blocker)).toEqual(reference);
    const t0 = Date.now();
    expect(run('/proc/self/no/such/dir')).toEqual(reference);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const debug = run(blocker, { TLSDOCTOR_CODE_CACHE: 'debug' });
    expect(debug.stderr).toMatch(/not written to .* \(ENOTDIR\)/);
  });

  it('TLSDOCTOR_CODE_CACHE=off neither reads nor writes a cache', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    expect(run(home, { TLSDOCTOR_CODE_CACHE: 'off' })).toEqual(reference);
    expect(cacheFiles(home)).toEqual([]);
  });

  it('a bundle that is missing, or not built by this version of scripts/bundle-cli.mjs, is refused in one line (exit 3)', () => {
    const root = mkdtempSync(join(tmpdir(), 'cc-bin-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(BIN, join(root, 'bin', 'tlsdoctor'));
    copyFileSync(new URL('../../bin/package.json', import.meta.url), join(root, 'bin', 'package.json'));
    const runCopy = () => spawnSync(process.execPath, [join(root, 'bin', 'tlsdoctor'), '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, XDG_CACHE_HOME: root } });
    const missing = runCopy();
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/^tlsdoctor: not built yet: run `npm install`.*\n$/);
    mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
    // The module body without the wrapper, as the bundle script wrote it before the wrapper moved into the file.
    writeFileSync(join(root, 'dist', 'bundle', 'tlsdoctor.cjs'), 'module.exports = { main: async () => 0 };\n');
    const old = runCopy();
    expect(old.status).toBe(3);
    expect(old.stderr).toMatch(/^tlsdoctor: \S+tlsdoctor\.cjs was built by another version: run `npm run build` in \S+\n$/);
    expect(old.stdout).toBe('');
  });

  it('each command has a cache of its own, written by its first run; check and serve use the probe\'s and write none', () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: home, TLSDOCTOR_CODE_CACHE: 'debug' },
        timeout: 20_000,
      });
    run(home);
    const verify = cli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem')]);
    expect(verify.stderr).toMatch(/none at \S+-verify\.bin .*\n.*wrote \S+-verify\.bin/);
    expect(cacheFiles(home).filter((f) => f.startsWith('v8-')).map((f) => f.replace(/^.*-/, '')).sort()).toEqual(['inspect.bin', 'verify.bin']);
    // Refused at once (127.0.0.1:1): these runs are about their caches, not their targets.
    expect(cli(['check', '127.0.0.1:1', '--timeout', '2s']).stderr).toMatch(/none at \S+-probe\.bin .*\n.*not written/);
    expect(cli(['probe', '127.0.0.1:1', '--timeout', '2s']).stderr).toMatch(/wrote \S+-probe\.bin/);
    const check = cli(['check', '127.0.0.1:1', '--timeout', '2s']);
    expect(check.stderr).toMatch(/^tlsdoctor: code cache: used \S+-probe\.bin\n/);
    expect(check.stderr).not.toMatch(/wrote/);
    expect(cli(['inspect', fixturePath('root.pem')]).stderr).toMatch(/^tlsdoctor: code cache: used \S+-inspect\.bin\n$/);
  });

  it("knows the CLI's commands (bin/tlsdoctor keeps its own list: it runs before the bundle is loaded)", async () => {
    const { COMMANDS } = await import('../../src/cli/command-definitions.js');
    const listed = /const COMMANDS = \[([^\]]*)\]/.exec(readFileSync(BIN, 'utf8'))?.[1];
    expect(listed?.split(',').map((c) => c.trim().replace(/'/g, '')).sort()).toEqual(Object.keys(COMMANDS).sort());
  });
});

/**
 * A run that changes a V8 flag writes its cache just before the change (V8 records its flags in the cache; one
 * written after would be rejected by every later run). On Node 20 a probe that fetches a missing intermediate from
 * its AIA URL is such a run (src/cli/v8-flags.ts): when every probe of an outage fetches, each must not run cold.
 * The servers live in this process, so the CLI runs as an asynchronous child.
 */
describe.skipIf(!built)('the code cache and a run that changes V8 flags', () => {
  let pki: TestPki;
  const servers: net.Server[] = [];
  let port = 0;
  let rootPath = '';

  const listen = (server: net.Server) =>
    new Promise<number>((r) => {
      servers.push(server);
      server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port));
    });

  beforeAll(async () => {
    pki = new TestPki();
    const root = pki.root('Cache AIA Root');
    const int = pki.issue('Cache AIA Intermediate', root, { ca: true });
    const aia = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/pkix-cert' });
        res.end(Buffer.from(int.der));
      }),
    );
    const leaf = pki.issue('aia.test', int, { ca: false, aiaUrls: [`http://127.0.0.1:${aia}/int.der`] });
    const upstream = tls.createServer({ cert: leaf.pem, key: readFileSync(leaf.keyPath) }, (s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    });
    upstream.on('tlsClientError', () => {});
    port = await listen(upstream);
    rootPath = root.path;
  });
  afterAll(() => {
    for (const s of servers) s.close();
    pki?.cleanup();
  });

  function probe(home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'probe', `127.0.0.1:${port}`, '--ca', rootPath, '--proxy-ssl-name', 'aia.test', '--json'], {
        env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: home, TLSDOCTOR_CODE_CACHE: 'debug' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('a probe that fetches from AIA writes its cache before the change, and the next such probe uses it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cc-'));
    const first = await probe(home);
    expect(JSON.parse(first.stdout).fetched).toHaveLength(1);
    expect(first.stderr).toMatch(/none at \S+-probe\.bin .*\n.*wrote \S+-probe\.bin/);
    const second = await probe(home);
    expect(second.stderr).toMatch(/^tlsdoctor: code cache: used \S+-probe\.bin\n/);
    expect(second.stderr).not.toMatch(/wrote|rejected/);
    expect(JSON.parse(second.stdout).fetched).toHaveLength(1);
    expect(second.code).toBe(first.code);
  });
});
