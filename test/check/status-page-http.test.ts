/**
 * GET / of `serve`: the status page over HTTP (headers, order, timeline) from real loopback upstreams, and the
 * status board's promises: page views start no check, rounds never overlap, a scrape with its own settings
 * updates the page and one with overrides does not.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownResult } from '../../src/check/check-target.js';
import { createStatusBoard, type StatusBoard } from '../../src/check/status-board.js';
import { STATUS_PAGE_CSP, statusPageResponder } from '../../src/check/status-page-response.js';
import type { CheckTarget } from '../../src/check/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startStatusPageServe, type StatusPageServe } from './status-page-setup.js';

let serve: StatusPageServe;
beforeAll(async () => {
  serve = await startStatusPageServe();
}, 60_000);
afterAll(async () => {
  await serve?.close();
});

function rowsOf(html: string): { target: string; status: string }[] {
  return [...html.matchAll(/<tr class="[^"]*" data-target="([^"]*)"><td class="status">([A-Z]+)<\/td>/g)].map((m) => ({ target: m[1], status: m[2] }));
}

describe('GET / with --targets', () => {
  it('200 text/html with a CSP that forbids scripts and external loads; failing targets first; the timeline', async () => {
    const res = await fetch(serve.exporter.url + '/');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy');
    expect(csp).toBe(STATUS_PAGE_CSP);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; /);
    expect(csp).not.toMatch(/script-src|unsafe/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const { healthy, expired, wrongCa } = serve.ids;
    // Both CRITICAL ones fail now: the id breaks the tie.
    const critical = [expired, wrongCa].sort();
    expect(rowsOf(html)).toEqual([...critical.map((target) => ({ target, status: 'CRITICAL' })), { target: healthy, status: 'OK' }]);
    expect(html).toContain('reason: <code>EXPIRED</code>');
    expect(html).toContain('<code>UNKNOWN_CA</code>');
    expect(html).toContain('<li><code>127.0.0.1</code> <strong>fails</strong> (CRITICAL)');
    // healthy: its certificates end at VALID_UNTIL, 45 days after the page's clock.
    expect(html).toContain('2046-01-01 00:00 UTC (in 45.0 days)');
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect([...svg.matchAll(/<g class="mark [^"]*" data-target="([^"]*)"/g)].map((m) => m[1])).toEqual([...critical, healthy]);
  });

  it('HEAD has the headers and no body; page views start no check', async () => {
    const before = serve.board.rounds();
    const head = await fetch(serve.exporter.url + '/', { method: 'HEAD' });
    expect(head.headers.get('content-security-policy')).toBe(STATUS_PAGE_CSP);
    expect(await head.text()).toBe('');
    await Promise.all(Array.from({ length: 20 }, () => fetch(serve.exporter.url + '/').then((r) => r.text())));
    expect(serve.board.rounds()).toEqual({ ...before, running: false });
  });

  it('a scrape of a listed target updates its row; a scrape with overrides does not', async () => {
    const { wrongCa } = serve.addr;
    // The clock is fixed: a new result is a new object.
    const kept = () => serve.board.entries().find((e) => e.id === serve.ids.wrongCa)!.result;
    const first = kept();
    // Another trust bundle is another question: the page keeps answering the listed one.
    const other = await fetch(`${serve.exporter.url}/probe?target=${wrongCa}&ca=${encodeURIComponent(fixturePath('root.pem'))}`);
    expect(await other.text()).toContain('status="OK"} 1');
    expect(kept()).toBe(first);
    expect(first!.status).toBe('CRITICAL');
    const own = await fetch(`${serve.exporter.url}/probe?target=${wrongCa}`);
    expect(await own.text()).toContain('status="CRITICAL"} 1');
    expect(kept()).not.toBe(first);
    expect(kept()!.status).toBe('CRITICAL');
  });
});

const target = (id: string): CheckTarget => ({
  id,
  spec: { input: id, host: id.split(':')[0], port: 443, origin: 'test', labels: {} },
  settings: defaultSettings('x.test'),
  caFiles: [],
  timeoutMs: 1000,
});

describe('status board rounds', () => {

  it('one round at a time, the next refreshMs after the previous ended; stop waits for the running check', async () => {
    const spans: { start: number; end: number; id: string }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const board = createStatusBoard({
      listed: [target('a.test:443'), target('b.test:443'), target('c.test:443')],
      refreshMs: 60,
      concurrency: 2,
      thresholds: { warnMs: 1, critMs: 1 },
      deps: {} as never,
      now: () => new Date('2026-01-01T00:00:00Z'),
      // A fake check (no network): 40 ms each, UNKNOWN.
      check: async (t) => {
        const start = performance.now();
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 40));
        inFlight--;
        spans.push({ start, end: performance.now(), id: t.id });
        return unknownResult(t, { code: 'FAKE', message: 'fake' }, 40);
      },
    });
    board.start();
    board.start(); // a second start is a no-op, not a second schedule
    while (board.rounds().completed < 3 || inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    // Stopped in the middle of round 4: the running checks answer, no other starts.
    await board.stop();
    expect(inFlight).toBe(0);
    const after = spans.length;
    expect(after).toBeLessThan(12);
    await new Promise((r) => setTimeout(r, 150));
    expect(spans.length).toBe(after);
    expect(maxInFlight).toBe(2);
    // Rounds of 3 targets: round k+1 starts at least refreshMs after round k's last check ended.
    for (let k = 1; k < 3; k++) {
      const prevEnd = Math.max(...spans.slice((k - 1) * 3, k * 3).map((s) => s.end));
      const nextStart = Math.min(...spans.slice(k * 3, k * 3 + 3).map((s) => s.start));
      expect(nextStart - prevEnd).toBeGreaterThanOrEqual(55);
    }
    expect(board.entries().map((e) => [e.id, e.result?.status])).toEqual([
      ['a.test:443', 'UNKNOWN'],
      ['b.test:443', 'UNKNOWN'],
      ['c.test:443', 'UNKNOWN'],
    ]);
  });

  it('refreshMs 0: no rounds, the entries wait for scrapes', async () => {
    let calls = 0;
    const board = createStatusBoard({
      listed: [target('a.test:443')],
      refreshMs: 0,
      concurrency: 1,
      thresholds: { warnMs: 1, critMs: 1 },
      deps: {} as never,
      now: () => new Date(),
      check: async (t) => (calls++, unknownResult(t, { code: 'FAKE', message: 'fake' }, 0)),
    });
    board.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(0);
    expect(board.entries()).toEqual([{ id: 'a.test:443' }]);
    await board.stop();
  });
});

describe('status board and a re-read configuration', () => {
  it('setListed: results of targets still listed stay, dropped ones go, new ones are checked in the next round', async () => {
    const checked: string[] = [];
    const board = createStatusBoard({
      listed: [target('a.test:443'), target('b.test:443')],
      refreshMs: 0,
      concurrency: 1,
      thresholds: { warnMs: 1, critMs: 1 },
      deps: {} as never,
      now: () => new Date(),
      check: async (t) => (checked.push(t.id), unknownResult(t, { code: 'FAKE', message: 'fake' }, 0)),
    });
    const a = target('a.test:443');
    board.recordScrape(a, unknownResult(a, { code: 'FAKE', message: 'fake' }, 0), new Date());
    board.recordScrape(target('b.test:443'), unknownResult(target('b.test:443'), { code: 'FAKE', message: 'fake' }, 0), new Date());
    board.setListed([target('a.test:443'), target('c.test:443')]);
    expect(board.entries().map((e) => [e.id, e.result !== undefined])).toEqual([
      ['a.test:443', true],
      ['c.test:443', false],
    ]);
    expect(checked).toEqual([]);
    await board.stop();
  });
});

describe('page views stay cheap', () => {
  it('a page is rendered at most once per reuse period, whatever the request rate', async () => {
    let reads = 0;
    const board = { entries: () => (reads++, [{ id: 'a.test:443' }]) } as unknown as StatusBoard;
    const page = statusPageResponder(board, { now: () => new Date('2026-01-01T00:00:00Z'), refreshMs: 60_000, reuseMs: 200 });
    const first = page('help');
    for (let i = 0; i < 50; i++) expect(page('help')).toBe(first);
    expect(reads).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    expect(page('help')).not.toBe(first);
    expect(reads).toBe(2);
    expect(first.body).toContain('<meta http-equiv="refresh" content="60">');
  });
});

describe('serve --refresh', () => {
  it.each([
    ['10ms', 'between 1s and 24d'],
    ['30d', 'between 1s and 24d'],
    ['soon', 'not a duration'],
  ])('--refresh %s is a one-line usage error, exit 2', async (value, message) => {
    const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--refresh', value]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--refresh');
    expect(r.stderr).toContain(message);
  });
});

describe('serve as a process', () => {
  it('checks the --targets entries in rounds and shows them on /, then stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-serve-page-'));
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const { healthy, expired } = serve.addr;
    writeFileSync(join(dir, 'targets.txt'), `${healthy} name=upstream.test\n${expired}\n`);
    const script = [
      "const { main } = await import('./src/cli/main.ts');",
      "const { processIO } = await import('./src/cli/process-io.ts');",
      'process.exitCode = await main(process.argv.slice(1), processIO());',
    ].join('\n');
    const args = ['serve', '--listen', '127.0.0.1:0', '--targets', join(dir, 'targets.txt'), '--ca', fixturePath('root.pem'), '--refresh', '1h'];
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      let html = '';
      // The first round starts at once; until it is in, the rows are PENDING.
      while (!/data-target="[^"]*"><td class="status">OK/.test(html) || html.includes('PENDING')) {
        if (Date.now() > deadline) throw new Error(`no page with results within 30 s: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
        url ??= /serving on (http:\/\/\S+)/.exec(err)?.[1];
        if (url) html = await (await fetch(url + '/')).text();
      }
      expect(err).toContain('2 targets on /sd and the status page /');
      expect(rowsOf(html)).toEqual([
        { target: expired, status: 'CRITICAL' },
        { target: `upstream.test@${healthy}`, status: 'OK' },
      ]);
      expect(html).toContain('<meta http-equiv="refresh" content="3600">');
    } finally {
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
