/**
 * `tlsdoctor serve`: scraped over HTTP on 127.0.0.1 like Prometheus does (blackbox style /probe), plus the
 * exporter's own /metrics, 400s for bad parameters, the ca= allow-list, the scrape budget, and SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeBudgetMs, startExporter, type RunningExporter } from '../../src/check/exporter.js';
import { DEADLINE_GRACE_MS } from '../../src/check/run-check.js';
import { cachedCheckDeps, collectTargetSpecs, resolveTarget, resolveTargets } from '../../src/cli/check-targets.js';
import { parseListen } from '../../src/cli/commands/serve.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { recordingIO } from './fake-io.js';
import { hasPromtool, promtoolCheck } from './promtool.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let exporter: RunningExporter;
const up: Record<string, ScenarioServer> = {};
const addr: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-serve-'));
  for (const id of ['healthy', 'expired-intermediate', 'timeout', 'wrong-ca-bundle']) {
    up[id] = await startScenarioServer(id);
    addr[id] = `127.0.0.1:${up[id].port}`;
  }
  // Listed: the wrong-ca-bundle upstream with the bundle that does anchor it, its own name and labels.
  writeFileSync(
    join(dir, 'targets.txt'),
    `${addr['wrong-ca-bundle']} ca=${fixturePath('root.pem')} name=upstream.test label.team=payments\n`,
  );
  const io = recordingIO({ cwd: dir });
  const defaults = { ca: [fixturePath('other-root.pem')], timeoutMs: 2000, proxySslName: 'localhost' };
  const specs = await collectTargetSpecs([], ['targets.txt'], io);
  exporter = await startExporter({
    host: '127.0.0.1',
    port: 0,
    listed: resolveTargets(specs, defaults),
    targetsOnly: false,
    allowedCa: new Set([fixturePath('other-root.pem'), fixturePath('root.pem')]),
    resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
    deps: cachedCheckDeps(io),
    thresholds: { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 },
    defaultTimeoutMs: 2000,
    maxTimeoutMs: 5000,
    cwd: dir,
    now: () => new Date(),
  });
});

afterAll(async () => {
  await exporter?.close();
  await Promise.all(Object.values(up).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(exporter.url + path, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const q = (params: Record<string, string>) => '/probe?' + new URLSearchParams(params).toString();

describe('GET /probe', () => {
  it('one check per scrape, valid exposition, certificate metrics kept when the chain fails', async () => {
    const r = await get(q({ target: addr['expired-intermediate'], ca: fixturePath('root.pem') }));
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const t = addr['expired-intermediate'];
    expect(r.body).toContain(`tlsdoctor_check_status{target="${t}",status="CRITICAL"} 1`);
    // The reason lives in its own series: would_succeed keeps one label set through an outage.
    expect(r.body).toContain(`tlsdoctor_nginx_would_succeed{target="${t}"} 0`);
    expect(r.body).toContain(`tlsdoctor_nginx_failure_reason{target="${t}",reason="EXPIRED"} 1`);
    // Failing now: the forecast is the check's time.
    expect(r.body).toMatch(new RegExp(`tlsdoctor_nginx_fails_at_timestamp_seconds\\{target="${t}"\\} \\d+`));
    expect(r.body).toMatch(new RegExp(`tlsdoctor_cert_not_after_seconds\\{target="${t}",depth="1",source="sent",[^}]*\\} 1764633600`));
    expect(r.body).not.toContain('tlsdoctor_check_targets');
    if (hasPromtool) expect(promtoolCheck(r.body)).toEqual({ ok: true, output: '' });
  });

  it('query settings apply: name and an allowed ca make the healthy upstream OK', async () => {
    const r = await get(q({ target: addr.healthy, name: 'upstream.test', ca: fixturePath('root.pem') }));
    // The name nginx verifies is part of the target's identity (another name at this address is another target).
    const id = `upstream.test@${addr.healthy}`;
    expect(r.body).toContain(`tlsdoctor_check_status{target="${id}",status="OK"} 1`);
    expect(r.body).toContain(`tlsdoctor_target_info{target="${id}",proxy_ssl_name="upstream.test"} 1`);
    // without ca= the exporter's --ca (other-root) applies and the same upstream fails
    const d = await get(q({ target: addr.healthy }));
    expect(d.body).toContain(`tlsdoctor_nginx_would_succeed{target="${addr.healthy}"} 0`);
    expect(d.body).toContain(`tlsdoctor_nginx_failure_reason{target="${addr.healthy}",reason="UNKNOWN_CA"} 1`);
  });

  it('thresholds per scrape (warn=, crit=: from Prometheus labels), relative to the lifetime too', async () => {
    const base = { target: addr.healthy, name: 'upstream.test', ca: fixturePath('root.pem') };
    const id = `upstream.test@${addr.healthy}`;
    // Every certificate of the fixture chain has less than 100% of its lifetime left: CRITICAL; 0% never is.
    expect((await get(q({ ...base, crit: '100%' }))).body).toContain(`tlsdoctor_check_status{target="${id}",status="CRITICAL"} 1`);
    expect((await get(q({ ...base, warn: '0%', crit: '0%' }))).body).toContain(`tlsdoctor_check_status{target="${id}",status="OK"} 1`);
    const bad = await get(q({ ...base, crit: 'soon' }));
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('query: crit=: "soon" is not a duration or a share of the lifetime (examples: 30d, 12h, 20%)\n');
  });

  it('a target from --targets uses its own bundle, name and labels', async () => {
    const t = `upstream.test@${addr['wrong-ca-bundle']}`;
    // Scraped by its id (what /sd gives), or by its bare address when it is the only entry there.
    for (const target of [t, addr['wrong-ca-bundle']]) {
      const r = await get(q({ target }));
      expect(r.body).toContain(`tlsdoctor_check_status{target="${t}",status="OK"} 1`);
    }
    const r = await get(q({ target: t }));
    expect(r.body).toContain(`tlsdoctor_target_info{target="${t}",proxy_ssl_name="upstream.test",team="payments"} 1`);
  });

  it.each([
    [{}, 'missing target=host:port'],
    [{ target: 'a b' }, 'bad target "a b": contains whitespace'],
    [{ target: '127.0.0.1:1', module: 'tls' }, 'unknown parameter "module"'],
    [{ target: '127.0.0.1:1', ca: '/etc/passwd' }, 'ca=/etc/passwd is not allowed'],
    [{ target: '127.0.0.1:1', ca: '../../etc/shadow' }, 'is not allowed'],
    [{ target: '127.0.0.1:1', sni: 'maybe' }, 'expected on or off, got "maybe"'],
    [{ target: '127.0.0.1:1', depth: '-1' }, 'is not a whole number'],
    [{ target: '127.0.0.1:1', timeout: 'soon' }, 'timeout=soon: not a duration'],
  ])('400 with a message for %j', async (params, message) => {
    const r = await get(q(params as Record<string, string>));
    expect(r.status).toBe(400);
    expect(r.body).toContain(message);
  });

  it('a silent upstream answers within the scrape budget, as CRITICAL TIMEOUT', async () => {
    const t0 = performance.now();
    const r = await get(q({ target: addr.timeout, timeout: '400ms' }));
    const elapsed = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.body).toContain(`tlsdoctor_check_reason{target="${addr.timeout}",reason="TIMEOUT"} 1`);
    expect(elapsed).toBeLessThan(400 + DEADLINE_GRACE_MS + 1500);
  });

  it('the budget: timeout=, capped by --max-timeout and by Prometheus\' scrape timeout header', () => {
    const o = { defaultTimeoutMs: 5000, maxTimeoutMs: 10_000 };
    expect(scrapeBudgetMs(undefined, o)).toBe(5000);
    expect(scrapeBudgetMs(60_000, o)).toBe(10_000);
    expect(scrapeBudgetMs(undefined, o, '3')).toBe(3000 - 500 - DEADLINE_GRACE_MS);
    expect(scrapeBudgetMs(1000, o, '10')).toBe(1000);
    expect(scrapeBudgetMs(undefined, o, 'x')).toBe(5000);
  });
});

describe('the other pages', () => {
  it('/metrics counts probes, errors and durations, and passes promtool', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/tlsdoctor_exporter_probes_total\{status="CRITICAL"\} [1-9]/);
    expect(r.body).toMatch(/tlsdoctor_exporter_bad_requests_total [1-9]/);
    expect(r.body).toMatch(/tlsdoctor_exporter_probe_duration_seconds_count [1-9]/);
    expect(r.body).toMatch(/process_resident_memory_bytes [1-9]/);
    if (hasPromtool) expect(promtoolCheck(r.body)).toEqual({ ok: true, output: '' });
  });

  it('/ is a help page, /sd lists --targets for http_sd_configs, others 404, POST 405', async () => {
    expect((await get('/')).body).toContain('/probe?target=HOST:PORT');
    expect(JSON.parse((await get('/sd')).body)).toEqual([{ targets: [`upstream.test@${addr['wrong-ca-bundle']}`], labels: { team: 'payments' } }]);
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(exporter.url + '/probe', { method: 'POST' })).status).toBe(405);
  });
});

describe('serve as a process', () => {
  it('parses --listen forms', () => {
    expect(parseListen('127.0.0.1:9219')).toEqual({ host: '127.0.0.1', port: 9219 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9219')).toEqual({ host: '::', port: 9219 });
    expect(() => parseListen('9219')).toThrow(/--listen/);
  });

  it('starts, answers a scrape, and stops cleanly with exit 0 on SIGTERM', async () => {
    const script = [
      "const { main } = await import('./src/cli/main.ts');",
      "const { processIO } = await import('./src/cli/process-io.ts');",
      'process.exitCode = await main(process.argv.slice(1), processIO());',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'serve', '--listen', '127.0.0.1:0', '--ca', fixturePath('root.pem')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no start: ${err}`)), 20_000);
      child.stderr.on('data', (d: string) => {
        err += d;
        const m = /serving on (http:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          done(m[1]);
        }
      });
    });
    const r = await fetch(`${url}/probe?target=${addr.healthy}&name=upstream.test`);
    expect(await r.text()).toContain('status="OK"} 1');
    const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(err).toContain('SIGTERM, stopping');
  });
});
