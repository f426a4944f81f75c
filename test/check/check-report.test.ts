/**
 * The pure part of `check`: status rules, the summary and exit code, and the three renderers, on hand-made
 * results (the live tests in check-cli.test.ts cover real upstreams).
 */
import { describe, expect, it } from 'vitest';
import { unknownResult } from '../../src/check/check-target.js';
import { expiryStatus, reasonCodes, summarize, targetStatus, worstStatus } from '../../src/check/status.js';
import type { CheckedCert, CheckResult, CheckRun, CheckTarget } from '../../src/check/types.js';
import type { Finding } from '../../src/diagnosis/codes.js';
import type { NginxOutcome } from '../../src/diagnosis/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';
import { checkDocument, checkJsonChunks } from '../../src/report/check-json.js';
import { checkText } from '../../src/report/check-text.js';
import { escapeLabelValue, renderExposition } from '../../src/report/exposition.js';
import { exporterMetrics, newExporterStats, observeDuration } from '../../src/report/exporter-metrics.js';
import { checkPrometheus } from '../../src/report/prometheus.js';
import { hasPromtool, promtoolCheck } from './promtool.js';

const DAY = 86_400;
const at = new Date('2026-01-01T00:00:00Z');
const thresholds = { warnMs: 30 * DAY * 1000, critMs: 7 * DAY * 1000 };
const OK_NGINX: NginxOutcome = { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' };
const FAIL_NGINX: NginxOutcome = {
  ok: false,
  status: 502,
  level: 'error',
  error: 'upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream',
  verifyCode: 10,
  stage: 'verify',
};

function cert(depth: number, daysLeft: number, source: CheckedCert['source'] = 'sent', subject = `CN=c${depth}`): CheckedCert {
  return {
    depth,
    source,
    subject,
    sha256: `${depth}`.repeat(64).slice(0, 64),
    notAfter: new Date(at.getTime() + daysLeft * DAY * 1000).toISOString(),
    secondsLeft: daysLeft * DAY,
  };
}

function target(id: string): CheckTarget {
  const host = id.split(':')[0];
  return { id, spec: { input: id, host, port: 443, origin: 'targets.txt:1', labels: {} }, settings: defaultSettings(host), caFiles: [], timeoutMs: 1000 };
}

function result(id: string, nginx: NginxOutcome, path: CheckedCert[], findings: Finding[] = [], extra: Partial<CheckResult> = {}): CheckResult {
  const status = targetStatus(nginx, path, thresholds);
  return {
    ...unknownResult(target(id), { code: 'X', message: 'x' }, 12),
    status,
    reason: reasonCodes(findings, path, thresholds),
    notAfter: path.length ? [...path].sort((a, b) => a.secondsLeft - b.secondsLeft)[0].notAfter : null,
    nginx,
    findings,
    handshake: true,
    path,
    error: null,
    ...extra,
  };
}

const expired: Finding = { code: 'EXPIRED', severity: 'error', evidence: {}, cert: { source: 'sent', depth: 1, subject: 'CN=c1', sha256: 'a'.repeat(64) } };
const rootSent: Finding = { code: 'ROOT_SENT', severity: 'info', evidence: {} };

function run(results: CheckResult[]): CheckRun {
  return { at, thresholds, results, summary: summarize(results), durationMs: 1234 };
}

const fleet = () =>
  run([
    result('ok.test:443', OK_NGINX, [cert(0, 80), cert(1, 400), cert(2, 3000, 'bundle')], [rootSent]),
    result('soon.test:443', OK_NGINX, [cert(0, 20), cert(1, 400)]),
    result('dead.test:443', FAIL_NGINX, [cert(0, 200), cert(1, -3)], [expired]),
    result('crit.test:443', OK_NGINX, [cert(0, 3)]),
    { ...unknownResult(target('weird.test:443'), { code: 'FILE_NOT_FOUND', message: '--ca /x: no such file' }, 3) },
  ]);

describe('status rules', () => {
  it('CRITICAL when nginx fails whatever the dates; else by the earliest date', () => {
    expect(targetStatus(FAIL_NGINX, [cert(0, 900)], thresholds)).toBe('CRITICAL');
    expect(targetStatus(OK_NGINX, [cert(0, 900), cert(1, 6.9)], thresholds)).toBe('CRITICAL');
    expect(targetStatus(OK_NGINX, [cert(0, 900), cert(1, 29)], thresholds)).toBe('WARNING');
    expect(targetStatus(OK_NGINX, [cert(0, 31)], thresholds)).toBe('OK');
    expect(expiryStatus([cert(0, 10, 'client')], thresholds)).toBe('WARNING');
  });

  it('reason lists error/warning codes once, adds EXPIRES_SOON for dates inside --warn, skips info codes', () => {
    expect(reasonCodes([rootSent], [cert(0, 100)], thresholds)).toEqual([]);
    expect(reasonCodes([expired, expired], [cert(0, 100)], thresholds)).toEqual(['EXPIRED']);
    expect(reasonCodes([], [cert(0, 3, 'client')], thresholds)).toEqual(['EXPIRES_SOON']);
  });

  it('the worst status wins as in monitoring-plugins max_state_alt: CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(worstStatus(['OK', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worstStatus(['UNKNOWN', 'WARNING', 'OK'])).toBe('WARNING');
    expect(worstStatus(['WARNING', 'CRITICAL', 'UNKNOWN'])).toBe('CRITICAL');
    expect(worstStatus([])).toBe('OK');
    const s = fleet().summary;
    expect(s).toMatchObject({ status: 'CRITICAL', exitCode: 2, total: 5, counts: { OK: 1, WARNING: 1, CRITICAL: 2, UNKNOWN: 1 } });
    expect(s.minSecondsLeft).toBe(-3 * DAY);
  });
});

describe('text report', () => {
  it('puts the Nagios status line first, then the table by urgency, then details of what is not OK', () => {
    const text = checkText(fleet());
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'CRITICAL: 2 critical, 1 warning, 1 unknown, 1 ok of 5 targets; dead.test:443 has an expired certificate | critical=2 warning=1 unknown=1 ok=1 min_days_left=-3.0;30;7',
    );
    const order = lines.slice(3, 8).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    expect(order).toEqual(['CRITICAL dead.test:443', 'CRITICAL crit.test:443', 'WARNING soon.test:443', 'UNKNOWN weird.test:443', 'OK ok.test:443']);
    expect(text).toContain('  nginx would answer 502: [error] upstream SSL certificate verify error: (10:certificate has expired)');
    expect(text).toContain('  depth 1 (sent) CN=c1: expired 3.0 days ago');
    expect(text).toContain('  could not check: FILE_NOT_FOUND: --ca /x: no such file');
    expect(text).not.toContain('OK ok.test:443 (');
  });
});

describe('JSON document', () => {
  it('is versioned, in input order, with status, reason, earliest notAfter, nginx, findings and labels', () => {
    const doc = checkDocument(fleet()) as { schemaVersion: number; summary: Record<string, unknown>; targets: Record<string, unknown>[] };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.summary).toMatchObject({ status: 'CRITICAL', exitCode: 2, total: 5, ok: 1, warning: 1, critical: 2, unknown: 1, minDaysLeft: -3 });
    expect(doc.targets.map((t) => [t.target, t.status, t.reason])).toEqual([
      ['ok.test:443', 'OK', []],
      ['soon.test:443', 'WARNING', ['EXPIRES_SOON']],
      ['dead.test:443', 'CRITICAL', ['EXPIRED']],
      ['crit.test:443', 'CRITICAL', ['EXPIRES_SOON']],
      ['weird.test:443', 'UNKNOWN', ['FILE_NOT_FOUND']],
    ]);
    expect(doc.targets[2]).toMatchObject({ notAfter: '2025-12-29T00:00:00.000Z', nginx: FAIL_NGINX, findings: [expired], labels: {} });
    expect(doc.targets[4]).toMatchObject({ nginx: null, notAfter: null, error: { code: 'FILE_NOT_FOUND' } });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('the chunked writer produces exactly JSON.stringify(document, null, 2)', () => {
    for (const r of [fleet(), run([]), run([fleet().results[2]])]) {
      expect([...checkJsonChunks(r)].join('')).toBe(JSON.stringify(checkDocument(r), null, 2) + '\n');
    }
  });
});

describe('Prometheus exposition', () => {
  it('escapes label values (backslash, quote, newline)', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = renderExposition([{ name: 'x_y', help: 'help with \\ and\nnewline', type: 'gauge', samples: [{ labels: { l: 'q"\n\\' }, value: 1 }] }]);
    expect(text).toBe('# HELP x_y help with \\\\ and\\nnewline\n# TYPE x_y gauge\nx_y{l="q\\"\\n\\\\"} 1\n');
  });

  it('keeps certificate metrics when nginx fails, carries the reason as a label, counts statuses', () => {
    const r = fleet();
    r.results[0].labels = { team: 'pay"ments', env: 'prod\neu' };
    const text = checkPrometheus(r);
    expect(text).toContain('tlsdoctor_nginx_would_succeed{target="dead.test:443"} 0');
    expect(text).toContain('tlsdoctor_nginx_failure_reason{target="dead.test:443",reason="EXPIRED"} 1');
    expect(text).toContain(`tlsdoctor_cert_not_after_seconds{target="dead.test:443",depth="1",source="sent",subject="CN=c1",sha256="${'1'.repeat(64)}"} ${Math.floor(at.getTime() / 1000) - 3 * DAY}`);
    expect(text).toContain(`tlsdoctor_cert_expiry_seconds{target="dead.test:443",depth="1",source="sent",subject="CN=c1",sha256="${'1'.repeat(64)}"} ${-3 * DAY}`);
    expect(text).toContain('tlsdoctor_check_status{target="dead.test:443",status="CRITICAL"} 1');
    expect(text).toContain('tlsdoctor_check_reason{target="weird.test:443",reason="FILE_NOT_FOUND"} 1');
    expect(text).toContain('tlsdoctor_target_info{target="ok.test:443",proxy_ssl_name="ok.test",team="pay\\"ments",env="prod\\neu"} 1');
    expect(text).toContain('tlsdoctor_check_targets{status="UNKNOWN"} 1');
    // the unknown target has no handshake-derived series
    expect(text).not.toMatch(/tlsdoctor_upstream_up\{target="weird/);
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics (parse + naming lint), with hostile label values', () => {
    const r = fleet();
    r.results[1].path[0].subject = 'CN=evil"\\\n,O=x';
    r.results[0].labels = { team: 'a"b' };
    const res = promtoolCheck(checkPrometheus(r));
    expect(res.output).toBe('');
    expect(res.ok).toBe(true);
  });

  it.skipIf(!hasPromtool)('the exporter self-metrics pass promtool too', () => {
    const s = newExporterStats(1_700_000_000);
    s.probes.OK = 3;
    s.errors.CHECK_TIMEOUT = 1;
    observeDuration(s, 0.02);
    observeDuration(s, 7);
    const text = exporterMetrics(s);
    expect(text).toContain('tlsdoctor_exporter_probe_duration_seconds_bucket{le="0.025"} 1');
    expect(text).toContain('tlsdoctor_exporter_probe_duration_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('tlsdoctor_exporter_probe_duration_seconds_count 2');
    const res = promtoolCheck(text);
    expect(res.output).toBe('');
    expect(res.ok).toBe(true);
  });
});
