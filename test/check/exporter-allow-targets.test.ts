/**
 * `serve --allow-targets`: a scrape of a target outside the allow-list gets 403 and the target sees no
 * connection; names are decided after resolution (stub resolver) and the check connects to the address decided.
 * Also: hostile request-targets get 4xx, never 500. Every socket here is on 127.0.0.1: refusals are tested on
 * loopback targets, and the names are `localhost` (resolved from /etc/hosts if the code under test were wrong).
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTarget } from '../../src/check/check-target.js';
import { startExporter, type ExporterOptions, type RunningExporter } from '../../src/check/exporter.js';
import { cachedCheckDeps, resolveTarget } from '../../src/cli/check-targets.js';
import { exposureWarning, listensOnLoopbackOnly, parseAllowTargets } from '../../src/cli/commands/serve.js';
import type { ResolvedAddress } from '../../src/fetch/destination.js';
import type { TargetSpec } from '../../src/check/types.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { runCli } from '../helpers/cli.js';
import { recordingIO } from './fake-io.js';

let dir: string;
let healthy: ScenarioServer;
/** A TCP listener that only counts connections: the target a refused scrape must never reach. */
let counter: net.Server;
let counterPort: number;
let counted = 0;
const running: RunningExporter[] = [];

const defaults = { ca: [fixturePath('root.pem')], timeoutMs: 2000, proxySslName: undefined };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-allow-'));
  healthy = await startScenarioServer('healthy');
  counter = net.createServer((s) => {
    counted++;
    s.destroy();
  });
  await new Promise<void>((r) => counter.listen(0, '127.0.0.1', r));
  counterPort = (counter.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await Promise.all(running.map((e) => e.close()));
  await healthy?.close();
  await new Promise((r) => counter?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A resolver stub answering from a table (the n-th call gets the n-th answer), counting calls; never asks DNS. */
function stubResolver(table: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolveHost = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const n = calls.filter((h) => h === host).length;
    return answers[Math.min(n, answers.length) - 1].map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { calls, resolveHost };
}

async function exporterWith(allow: string[], extra: Partial<ExporterOptions> = {}): Promise<RunningExporter> {
  const io = recordingIO({ cwd: dir });
  const e = await startExporter({
    host: '127.0.0.1',
    port: 0,
    listed: [],
    targetsOnly: false,
    allowTargets: parseAllowTargets(allow),
    allowedCa: new Set([fixturePath('root.pem')]),
    resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
    deps: cachedCheckDeps(io),
    thresholds: { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 },
    defaultTimeoutMs: 2000,
    maxTimeoutMs: 5000,
    cwd: dir,
    now: () => new Date(),
    ...extra,
  });
  running.push(e);
  return e;
}

async function scrape(e: RunningExporter, params: Record<string, string>) {
  const res = await fetch(`${e.url}/probe?${new URLSearchParams(params).toString()}`);
  return { status: res.status, body: await res.text() };
}

describe('serve --allow-targets', () => {
  it('403 for an address outside the list, and the target sees no connection', async () => {
    const e = await exporterWith(['127.0.0.2/32']);
    counted = 0;
    const r = await scrape(e, { target: `127.0.0.1:${counterPort}` });
    expect(r).toEqual({
      status: 403,
      body: `target 127.0.0.1:${counterPort} is not allowed: 127.0.0.1 is not in --allow-targets (add 127.0.0.1 to allow it)\n`,
    });
    expect(counted).toBe(0);
    const metrics = await (await fetch(`${e.url}/metrics`)).text();
    expect(metrics).toContain('tlsdoctor_exporter_refused_targets_total 1\n');
    expect(metrics).toContain('tlsdoctor_exporter_bad_requests_total 0\n');
  });

  it('an address inside a listed CIDR is checked as usual', async () => {
    const e = await exporterWith(['10.0.0.0/8,127.0.0.0/8']);
    const t = `127.0.0.1:${healthy.port}`;
    const r = await scrape(e, { target: t, name: 'upstream.test' });
    expect(r.status).toBe(200);
    expect(r.body).toContain(`tlsdoctor_check_status{target="upstream.test@${t}",status="OK"} 1`);
  });

  it('a name is decided on every address it resolves to: one outside the list refuses it, nothing is sent', async () => {
    const { calls, resolveHost } = stubResolver({ localhost: [['127.0.0.1', '10.0.0.1']] });
    const e = await exporterWith(['127.0.0.1'], { resolveHost });
    counted = 0;
    const r = await scrape(e, { target: `localhost:${counterPort}` });
    expect(r.status).toBe(403);
    expect(r.body).toBe(
      `target localhost:${counterPort} is not allowed: localhost resolves to 10.0.0.1; 10.0.0.1 is not in --allow-targets (add 10.0.0.1 to allow it)\n`,
    );
    expect(calls).toEqual(['localhost']);
    expect(counted).toBe(0);
  });

  it('a name resolved once: the check connects to that answer, not to a second resolution (DNS rebinding)', async () => {
    // The first answer is allowed; a second resolution would answer an address outside the list.
    const { calls, resolveHost } = stubResolver({ localhost: [['127.0.0.1'], ['127.0.0.3']] });
    const e = await exporterWith(['127.0.0.1/32'], { resolveHost });
    const t = `localhost:${healthy.port}`;
    const r = await scrape(e, { target: t, name: 'upstream.test' });
    expect(r.status).toBe(200);
    expect(r.body).toContain(`tlsdoctor_check_status{target="upstream.test@${t}",status="OK"} 1`);
    expect(calls).toEqual(['localhost']);
  });

  it('a name listed by name is allowed whatever it resolves to', async () => {
    const { calls, resolveHost } = stubResolver({});
    const e = await exporterWith(['127.0.0.2', 'LOCALHOST'], { resolveHost });
    const t = `localhost:${healthy.port}`;
    const r = await scrape(e, { target: t, name: 'upstream.test' });
    expect(r.status).toBe(200);
    expect(calls).toEqual([]);
  });

  it('a name that does not resolve is a DNS failure of the check (200, no connection), as without the list', async () => {
    const { resolveHost } = stubResolver({});
    const e = await exporterWith(['127.0.0.0/8'], { resolveHost });
    counted = 0;
    const t = `localhost:${counterPort}`;
    const r = await scrape(e, { target: t });
    expect(r.status).toBe(200);
    expect(r.body).toContain(`tlsdoctor_check_status{target="${t}",status="CRITICAL"} 1`);
    expect(r.body).toContain(`tlsdoctor_nginx_would_succeed{target="${t}"} 0`);
    expect(r.body).toMatch(new RegExp(`tlsdoctor_nginx_failure_reason\\{target="${t}",reason="[A-Z_]+"\\} 1`));
    expect(counted).toBe(0);
  });

  it('entries of --targets are always allowed (chosen by whoever starts the exporter)', async () => {
    const spec: TargetSpec = { input: `127.0.0.1:${healthy.port}`, host: '127.0.0.1', port: healthy.port, origin: 'targets.txt:1', name: 'upstream.test', labels: {} };
    const listed = [resolveTarget(spec, spec.input, defaults)];
    const e = await exporterWith(['127.0.0.2/32'], { listed });
    const r = await scrape(e, { target: spec.input });
    expect(r.status).toBe(200);
    expect(r.body).toContain('status="OK"} 1');
    // ... but not the same address written differently, which is a query target.
    expect((await scrape(e, { target: `localhost:${healthy.port}` })).status).toBe(403);
  });

  it('a bad list is a usage error at start: one line, exit 2', async () => {
    const run = await runCli(['serve', '--listen', '127.0.0.1:0', '--allow-targets', '127.0.0.1/8']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tlsdoctor: --allow-targets 127.0.0.1/8: host bits set after /8 (did you mean 127.0.0.0/8?)\n');
    expect((await runCli(['serve', '--help'])).stdout).toContain('--allow-targets <cidr|host,...>');
  });
});

describe('check-target connects through the pinned lookup', () => {
  it('the handshake goes to the address the lookup answers (never to a resolution of its own)', async () => {
    const asked: string[] = [];
    const spec: TargetSpec = { input: `localhost:${healthy.port}`, host: 'localhost', port: healthy.port, origin: 'test', name: 'upstream.test', labels: {} };
    const t = {
      ...resolveTarget(spec, spec.input, defaults),
      lookup: ((host: string, options: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) => {
        asked.push(host);
        process.nextTick(() => (options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
      }) as unknown as net.LookupFunction,
    };
    const io = recordingIO({ cwd: dir });
    const r = await checkTarget(t, new Date(), { warnMs: 0, critMs: 0 }, cachedCheckDeps(io));
    expect(r.status).toBe('OK');
    expect(asked).toEqual(['localhost']);
  });
});

describe('the exposure warning', () => {
  it('is given when listening beyond loopback with neither --allow-targets nor --targets-only', () => {
    expect(exposureWarning('0.0.0.0', 'http://0.0.0.0:9219', false, false)).toContain('--allow-targets CIDR|HOST[,...] or --targets FILE --targets-only');
    expect(exposureWarning('::', 'http://[::]:9219', false, false)).toBeDefined();
    expect(exposureWarning('192.0.2.10', 'http://192.0.2.10:9219', false, false)).toBeDefined();
    expect(exposureWarning('0.0.0.0', 'http://0.0.0.0:9219', true, false)).toBeUndefined();
    expect(exposureWarning('0.0.0.0', 'http://0.0.0.0:9219', false, true)).toBeUndefined();
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(listensOnLoopbackOnly(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '::ffff:0.0.0.0', '10.0.0.1', 'exporter.example']) expect(listensOnLoopbackOnly(h), h).toBe(false);
  });
});

/** One raw request (the exact request-target a client sent), the status line's code back. */
function rawStatus(url: string, request: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      data += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    s.write(request);
  });
}

describe('hostile requests get 4xx, never 500', () => {
  it.each([
    ['an unparsable absolute-form target', 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a port out of range', 'GET http://h:99999/probe HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an authority-like path', 'GET //[/probe HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an odd method', 'PROPFIND /probe?target=127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n', 405],
    ['an odd method with an unparsable target', 'OPTIONS http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 405],
    ['a huge URL', `GET /probe?target=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['repeated parameters', `GET /probe?${'target=127.0.0.1:1&'.repeat(500)} HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
    ['bad percent-encoding', 'GET /probe?target=%zz&%ff=1 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a long junk target', `GET /probe?target=${'%00'.repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
  ])('%s', async (_what, request, status) => {
    const e = await exporterWith([]);
    expect(await rawStatus(e.url, request)).toBe(status);
  });
});
