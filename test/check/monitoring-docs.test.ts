/**
 * README.md (monitoring section) is executable: its Prometheus config and alert rules pass promtool, its alert rules fire as
 * described (promtool test rules), its systemd units pass systemd-analyze, and a REAL Prometheus (Debian package)
 * configured with the documented relabeling scrapes `tlsdoctor serve` through /sd and /probe.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../../src/check/exporter.js';
import { cachedCheckDeps, collectTargetSpecs, resolveTarget, resolveTargets } from '../../src/cli/check-targets.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { recordingIO } from './fake-io.js';
import { hasPromtool, PROMTOOL } from './promtool.js';

const DOC = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');
const blocks = (lang: string) => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
const [PROM_CONFIG, ALERT_RULES] = blocks('yaml');
const PROMETHEUS = '/usr/bin/prometheus';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-docs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('README.md (monitoring section)', () => {
  it('has the Prometheus config and the alert rules', () => {
    expect(PROM_CONFIG).toContain('metrics_path: /probe');
    expect(ALERT_RULES).toContain('tlsdoctor_nginx_would_succeed == 0');
  });

  it.skipIf(!hasPromtool)('config and rules pass promtool check', () => {
    writeFileSync(join(dir, 'prometheus.yml'), PROM_CONFIG);
    writeFileSync(join(dir, 'tlsdoctor-alerts.yml'), ALERT_RULES);
    const config = run(PROMTOOL, ['check', 'config', 'prometheus.yml']);
    expect(config.output).toContain('SUCCESS');
    expect(config.status).toBe(0);
  });

  it.skipIf(!hasPromtool)('the alert rules fire as documented (promtool test rules)', () => {
    writeFileSync(join(dir, 'tlsdoctor-alerts.yml'), ALERT_RULES);
    writeFileSync(
      join(dir, 'alerts-test.yml'),
      `rule_files: [tlsdoctor-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'tlsdoctor_nginx_would_succeed{target="api:443"}'
        values: '0x20'
      - series: 'tlsdoctor_nginx_failure_reason{target="api:443",reason="EXPIRED"}'
        values: '1x20'
      - series: 'tlsdoctor_nginx_would_succeed{target="ok:443"}'
        values: '1x20'
      - series: 'tlsdoctor_nginx_fails_at_timestamp_seconds{target="ok:443"}'
        values: '${5 * 86400}x120'
      - series: 'tlsdoctor_cert_not_after_seconds{target="soon:443",depth="1",source="sent",subject="CN=i",sha256="ab"}'
        values: '${10 * 86400}x120'
      - series: 'tlsdoctor_check_status{target="x:443",status="UNKNOWN"}'
        values: '1x40'
    alert_rule_test:
      - eval_time: 15m
        alertname: NginxUpstreamTLSWouldFail
        exp_alerts:
          - exp_labels: { severity: critical, target: 'api:443' }
            exp_annotations:
              summary: 'nginx would fail to proxy to api:443'
              description: 'tlsdoctor predicts a 502/504 (EXPIRED). Run \`tlsdoctor probe api:443\` for the diagnosis and the fix.'
      - eval_time: 90m
        alertname: NginxUpstreamWillFail
        exp_alerts:
          - exp_labels: { severity: warning, target: 'ok:443' }
            exp_annotations:
              summary: 'nginx will fail to proxy to ok:443 in 4d 22h 30m 0s'
      - eval_time: 90m
        alertname: NginxUpstreamCertificateExpiresSoon
        exp_alerts:
          - exp_labels: { severity: warning, target: 'soon:443' }
            exp_annotations:
              summary: 'a certificate of soon:443 expires in 9d 22h 30m 0s'
      - eval_time: 35m
        alertname: TlsdoctorCannotCheck
        exp_alerts:
          - exp_labels: { severity: warning, target: 'x:443', status: UNKNOWN }
            exp_annotations:
              summary: 'tlsdoctor could not check x:443'
`,
    );
    const r = run(PROMTOOL, ['test', 'rules', 'alerts-test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasPromtool)('the failure alert fires through reason churn: 14 minutes of failure whose reasons change', () => {
    writeFileSync(join(dir, 'tlsdoctor-alerts.yml'), ALERT_RULES);
    // Minutes 0-4 TIMEOUT, 5-9 CHECK_TIMEOUT (the check overran), 10-13 TIMEOUT with EXPIRES_SOON joining:
    // with the reasons as a label of would_succeed each change started a new series and restarted `for: 10m`.
    writeFileSync(
      join(dir, 'churn-test.yml'),
      `rule_files: [tlsdoctor-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'tlsdoctor_nginx_would_succeed{target="api:443"}'
        values: '0x14'
      - series: 'tlsdoctor_nginx_failure_reason{target="api:443",reason="TIMEOUT"}'
        values: '1x4 _x4 1x4'
      - series: 'tlsdoctor_nginx_failure_reason{target="api:443",reason="CHECK_TIMEOUT"}'
        values: '_x4 1x4 _x4'
      - series: 'tlsdoctor_nginx_failure_reason{target="api:443",reason="EXPIRES_SOON"}'
        values: '_x9 1x4'
    alert_rule_test:
      - eval_time: 9m
        alertname: NginxUpstreamTLSWouldFail
        exp_alerts: []
      - eval_time: 14m
        alertname: NginxUpstreamTLSWouldFail
        exp_alerts:
          - exp_labels: { severity: critical, target: 'api:443' }
            exp_annotations:
              summary: 'nginx would fail to proxy to api:443'
              description: 'tlsdoctor predicts a 502/504 (EXPIRES_SOON,TIMEOUT). Run \`tlsdoctor probe api:443\` for the diagnosis and the fix.'
`,
    );
    const r = run(PROMTOOL, ['test', 'rules', 'churn-test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!existsSync(SYSTEMD_ANALYZE))('the systemd units pass systemd-analyze verify', () => {
    const names = ['tlsdoctor-check.service', 'tlsdoctor-check.timer', 'tlsdoctor-exporter.service'];
    const units = blocks('ini');
    expect(units).toHaveLength(names.length);
    // /usr/local/bin/tlsdoctor is where `npm install -g` puts it; verify wants an existing executable.
    names.forEach((n, i) => writeFileSync(join(dir, n), units[i].replaceAll('/usr/local/bin/tlsdoctor', '/bin/true')));
    const r = run(SYSTEMD_ANALYZE, ['verify', '--man=no', ...names.map((n) => join(dir, n))]);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

describe.skipIf(!existsSync(PROMETHEUS))('a real Prometheus scrapes tlsdoctor serve with the documented config', () => {
  const up: ScenarioServer[] = [];
  let exporter: RunningExporter;
  let prom: ChildProcess;
  let promUrl: string;
  let promLog = '';
  const addr: Record<string, string> = {};

  beforeAll(async () => {
    for (const id of ['healthy', 'expired-intermediate']) {
      const s = await startScenarioServer(id);
      up.push(s);
      addr[id] = `127.0.0.1:${s.port}`;
    }
    writeFileSync(join(dir, 'targets.txt'), `${addr.healthy} label.team=payments\n${addr['expired-intermediate']} label.team=shop\n`);
    const io = recordingIO({ cwd: dir });
    const defaults = { ca: [fixturePath('root.pem')], timeoutMs: 2000, proxySslName: 'localhost' };
    exporter = await startExporter({
      host: '127.0.0.1',
      port: 0,
      listed: resolveTargets(await collectTargetSpecs([], ['targets.txt'], io), defaults),
      targetsOnly: true,
      allowedCa: new Set(defaults.ca),
      resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
      deps: cachedCheckDeps(io),
      thresholds: { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 },
      defaultTimeoutMs: 2000,
      maxTimeoutMs: 5000,
      cwd: dir,
      now: () => new Date(),
    });
    const exporterAddr = exporter.url.replace('http://', '');
    // The documented config, aimed at this exporter, on a test's time scale.
    const config = 'global:\n  evaluation_interval: 1s\n  scrape_interval: 2s\n' + PROM_CONFIG.replaceAll('127.0.0.1:9219', exporterAddr)
      .replace('scrape_interval: 5m', 'scrape_interval: 2s')
      .replace('scrape_timeout: 30s', 'scrape_timeout: 2s');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    writeFileSync(join(dir, 'tlsdoctor-alerts.yml'), ALERT_RULES);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      PROMETHEUS,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((done) => prom.once('exit', done));
      prom.kill('SIGTERM');
      await exited;
    }
    await exporter?.close();
    await Promise.all(up.map((s) => s.close()));
  });

  async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.data.result;
  }

  async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
    const end = Date.now() + 45_000;
    for (;;) {
      try {
        const v = await f();
        if (v !== undefined) return v;
      } catch {
        /* Prometheus still starting */
      }
      if (Date.now() > end) throw new Error(`${what} never came; Prometheus said:\n${promLog.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  it('finds both targets through /sd, relabels to /probe, and stores status, reason, labels and certificate dates', async () => {
    // Poll for the expected verdicts, not just for two series: on a loaded machine an early scrape may time out.
    const status = await until(async () => {
      const r = await query('tlsdoctor_check_status == 1');
      const statuses = Object.fromEntries(r.map((x) => [x.metric.target, x.metric.status]));
      return r.length === 2 && statuses[addr.healthy] === 'OK' && statuses[addr['expired-intermediate']] === 'CRITICAL' ? r : undefined;
    }, 'two scraped targets with their verdicts');
    const byTarget = Object.fromEntries(status.map((s) => [s.metric.target, s.metric]));
    expect(byTarget[addr.healthy]).toMatchObject({ status: 'OK', team: 'payments', instance: addr.healthy, job: 'tlsdoctor' });
    expect(byTarget[addr['expired-intermediate']]).toMatchObject({ status: 'CRITICAL', team: 'shop' });

    const failing = await query('tlsdoctor_nginx_would_succeed == 0');
    expect(failing.map((s) => s.metric.target)).toEqual([addr['expired-intermediate']]);
    const reasons = await query('tlsdoctor_nginx_failure_reason');
    expect(reasons.map((s) => [s.metric.target, s.metric.reason])).toEqual([[addr['expired-intermediate'], 'EXPIRED']]);
    // certificate metrics of the failing chain are there, the expired intermediate among them
    const certs = await query(`tlsdoctor_cert_not_after_seconds{target="${addr['expired-intermediate']}"}`);
    expect(certs.map((s) => s.metric.depth).sort()).toEqual(['0', '1', '2']);
    expect(certs.find((s) => s.metric.depth === '1')!.value[1]).toBe('1764633600');

    const scrapes = await until(async () => {
      const r = await query('up{job="tlsdoctor"} == 1');
      return r.length === 2 ? r : undefined;
    }, 'both /probe scrapes up');
    expect(scrapes.map((s) => s.metric.instance).sort()).toEqual([addr.healthy, addr['expired-intermediate']].sort());
    const self = await until(async () => {
      const r = await query('tlsdoctor_exporter_probes_total{status="CRITICAL"}');
      return r.length === 1 && Number(r[0].value[1]) > 0 ? r : undefined;
    }, 'the exporter job');
    expect(self[0].metric.job).toBe('tlsdoctor_exporter');

    const rules = await until(async () => {
      const res = await fetch(`${promUrl}/api/v1/rules`);
      const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
      const all = body.data.groups.flatMap((g) => g.rules);
      return all.length === 5 && all.every((r) => r.health === 'ok') ? all : undefined;
    }, 'the alert rules evaluated');
    expect(rules.map((r) => r.name)).toContain('NginxUpstreamTLSWouldFail');
  }, 60_000);
});
