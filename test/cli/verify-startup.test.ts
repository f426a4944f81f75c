/**
 * Start-up of the commands (issue 15): `verify` and `inspect` never connect, so they must not load the
 * probe's modules (node:tls and what the probe and the AIA fetcher bring). Checked on the real binary through
 * Node's own list of the built-in modules a process loaded. Needs dist/ (built by `npm install`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const BIN = new URL('../../bin/tlsdoctor', import.meta.url).pathname;
const built = existsSync(new URL('../../dist/bundle/tlsdoctor.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written to stderr at exit: the built-in modules loaded (process.moduleLoadList: "NativeModule tls", ...). Not `net`:
// Node loads it for stdio on pipes.
const preload = join(dir, 'loaded.cjs');
writeFileSync(preload, "process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(process.moduleLoadList)));\n");

function loaded(args: string[]): { code: number | null; modules: string[] } {
  const r = spawnSync(process.execPath, ['--require', preload, BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: dir, TLSDOCTOR_NO_LOCAL_NGINX: '1' },
    timeout: 20_000,
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  return { code: r.status, modules: line ? (JSON.parse(line.slice(7)) as string[]) : [] };
}

describe.skipIf(!built)('offline commands load no network modules', () => {
  it('verify against a bundle', () => {
    const r = loaded(['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', fixturePath('bundle-150-roots.pem'), '--proxy-ssl-name', 'upstream.test', '--at', '2026-06-01T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.modules).toContain('NativeModule crypto'); // the list is read: it names what was loaded
    expect(r.modules.filter((m) => /^NativeModule (tls|_tls_wrap|http|https|dns)$/.test(m))).toEqual([]);
  });

  it('inspect', () => {
    const r = loaded(['inspect', fixturePath('root.pem')]);
    expect(r.code).toBe(0);
    expect(r.modules.filter((m) => /^NativeModule (tls|_tls_wrap|http|https|dns)$/.test(m))).toEqual([]);
  });
});

// A probe of an address literal resolves no name and times itself with process.hrtime: node:dns and perf_hooks
// (~1.5 ms of start-up together, measured) stay unloaded. The upstream runs in this process, so the CLI is spawned
// asynchronously (a spawnSync would block the server).
describe.skipIf(!built)('a probe of an address literal', () => {
  let server: ScenarioServer;
  beforeAll(async () => {
    server = await startScenarioServer('healthy');
  });
  afterAll(async () => server?.close());

  it('loads neither node:dns nor perf_hooks', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--require', preload, BIN, 'probe', `127.0.0.1:${server.port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--nginx-version', '1.28.0'],
        { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: dir, TLSDOCTOR_NO_LOCAL_NGINX: '1' }, timeout: 20_000 },
        (_e, _out, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    const modules = line ? (JSON.parse(line.slice(7)) as string[]) : [];
    expect(r.code).toBe(0);
    expect(modules).toContain('NativeModule tls');
    expect(modules.filter((m) => /^NativeModule (dns|perf_hooks)$/.test(m))).toEqual([]);
  });
});
