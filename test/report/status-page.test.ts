/**
 * The status page renderer (src/report/status-page.ts), pure: hand-made results and a fixed clock in, HTML out.
 * Escaping of hostile strings, the urgency order, the timeline's marks, the forecast when present.
 */
import { describe, expect, it } from 'vitest';
import { unknownResult } from '../../src/check/check-target.js';
import { targetStatus } from '../../src/check/status.js';
import type { CheckedCert, CheckResult, CheckTarget } from '../../src/check/types.js';
import type { NginxOutcome } from '../../src/diagnosis/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';
import { escapeHtml, htmlText } from '../../src/report/html-escape.js';
import { renderStatusPage } from '../../src/report/status-page.js';
import { failureOf, sortedRows, type StatusEntry } from '../../src/report/status-order.js';
import { TIMELINE_MAX_ROWS } from '../../src/report/status-timeline.js';

const DAY = 86_400;
const now = new Date('2026-03-01T12:00:00Z');
const thresholds = { warnMs: 30 * DAY * 1000, critMs: 7 * DAY * 1000 };
const OK: NginxOutcome = { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' };
const FAIL: NginxOutcome = {
  ok: false,
  status: 502,
  level: 'error',
  error: 'upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream',
  verifyCode: 20,
  stage: 'verify',
};

function cert(depth: number, daysLeft: number, subject = `CN=c${depth}`): CheckedCert {
  return { depth, source: 'sent', subject, sha256: 'a'.repeat(64), notAfter: new Date(now.getTime() + daysLeft * DAY * 1000).toISOString(), secondsLeft: daysLeft * DAY };
}

function target(id: string): CheckTarget {
  const host = id.split(':')[0];
  return { id, spec: { input: id, host, port: 443, origin: 'targets.txt:1', labels: {} }, settings: defaultSettings(host), caFiles: [], timeoutMs: 1000 };
}

function result(id: string, nginx: NginxOutcome, path: CheckedCert[], extra: Partial<CheckResult> & { failsAt?: string; failsBecause?: unknown } = {}): CheckResult {
  const notAfter = path.length ? [...path].sort((a, b) => a.secondsLeft - b.secondsLeft)[0].notAfter : null;
  return { ...unknownResult(target(id), { code: 'X', message: 'x' }, 5), status: targetStatus(nginx, path, thresholds), reason: nginx.ok ? [] : ['UNKNOWN_CA'], notAfter, nginx, handshake: true, path, error: null, ...extra };
}

const entry = (r: CheckResult): StatusEntry => ({ id: r.id, result: r, checkedAt: new Date(now.getTime() - 30_000) });

/** The data-target attributes of the table rows, in document order. */
function tableOrder(html: string): string[] {
  const table = html.slice(html.indexOf('<table'), html.indexOf('</table>'));
  return [...table.matchAll(/<tr class="[^"]*" data-target="([^"]*)"/g)].map((m) => m[1]);
}

function marks(html: string): string[] {
  const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
  return [...svg.matchAll(/<g class="mark [^"]*" data-target="([^"]*)"/g)].map((m) => m[1]);
}

describe('status page', () => {
  it('escapes hostile strings from certificates, servers and targets files; no script survives', () => {
    const evil = '<script>alert(1)</script>"\'&';
    const r = result('evil.test:443', OK, [cert(0, 10, `CN=${evil}`)], {
      proxySslName: `x${evil}`,
      origin: `t.txt:1 ${evil}`,
      addresses: [{ address: '127.0.0.1', family: 4, verdict: 'fail', status: 'CRITICAL', error: `bad ${evil}` }],
    });
    const dead = { ...unknownResult(target('dead.test:443'), { code: 'CONNECT_FAILED', message: `refused ${evil}` }, 1) };
    const html = renderStatusPage({ entries: [entry(r), { id: `id-${evil}`, result: dead, checkedAt: now }], now, help: `GET /probe ${evil}` });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain(evil);
    expect(html).toContain('CN=&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(html).toContain('refused &lt;script&gt;');
    expect(html).toContain('data-target="id-&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"');
  });

  it('bounds a long hostile string and cuts before escaping (no half entity)', () => {
    expect(htmlText('<'.repeat(1000), 10)).toBe('&lt;'.repeat(9) + '…');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  it('sorts CRITICAL and UNKNOWN first, then WARNING, then OK, each by soonest failure; unchecked last', () => {
    const entries: StatusEntry[] = [
      { id: 'pending.test:443' },
      entry(result('ok-far.test:443', OK, [cert(0, 300)])),
      entry(result('ok-near.test:443', OK, [cert(0, 60)])),
      entry(result('warn-20.test:443', OK, [cert(0, 20)])),
      entry(result('warn-10.test:443', OK, [cert(1, 10)])),
      { id: 'unknown.test:443', result: unknownResult(target('unknown.test:443'), { code: 'TIMEOUT', message: 'silent' }, 1), checkedAt: now },
      entry(result('crit.test:443', FAIL, [cert(0, 200)])),
    ];
    const want = ['crit.test:443', 'unknown.test:443', 'warn-10.test:443', 'warn-20.test:443', 'ok-near.test:443', 'ok-far.test:443', 'pending.test:443'];
    expect(sortedRows(entries, now).map((r) => r.entry.id)).toEqual(want);
    const html = renderStatusPage({ entries, now });
    expect(tableOrder(html)).toEqual(want);
    // The words, not only the colours.
    expect(html).toContain('<td class="status">CRITICAL</td>');
    expect(html).toContain('<th scope="col">Status</th>');
    expect(html).toMatch(/<title>tlsdoctor: CRITICAL, 7 targets/);
  });

  it('draws one timeline mark per target that fails within 90 days, soonest first', () => {
    const entries = [
      entry(result('later.test:443', OK, [cert(0, 91)])),
      entry(result('in-80.test:443', OK, [cert(0, 80)])),
      entry(result('in-5.test:443', OK, [cert(0, 400), cert(1, 5)])),
      entry(result('now.test:443', FAIL, [cert(0, 200)])),
      { id: 'unknown.test:443', result: unknownResult(target('unknown.test:443'), { code: 'TIMEOUT', message: 'silent' }, 1), checkedAt: now },
      { id: 'pending.test:443' },
    ];
    const html = renderStatusPage({ entries, now });
    expect(html).toMatch(/<svg id="timeline"[^>]*role="img"/);
    expect(marks(html)).toEqual(['now.test:443', 'in-5.test:443', 'in-80.test:443']);
    expect(html).toContain('3 of 6 targets fail within 90 days (until 2026-05-30)');
    // A mark sits at its day: x0 + 80/90 of the plot for the one in 80 days, at x0 for the failing one.
    expect(html).toMatch(/data-target="in-80\.test:443">.*<circle cx="862\.2"/);
    expect(html).toMatch(/data-target="now\.test:443">.*<circle cx="320"/);
  });

  it('draws at most TIMELINE_MAX_ROWS marks and says how many more', () => {
    const entries = Array.from({ length: TIMELINE_MAX_ROWS + 5 }, (_, i) => entry(result(`t${String(i).padStart(4, '0')}.test:443`, OK, [cert(0, 1 + (i % 80))])));
    const html = renderStatusPage({ entries, now });
    expect(marks(html)).toHaveLength(TIMELINE_MAX_ROWS);
    expect(html).toContain('5 more: see the table');
    expect(tableOrder(html)).toHaveLength(TIMELINE_MAX_ROWS + 5);
  });

  it('uses the forecast failsAt when present, else the earliest notAfter of the path', () => {
    const plain = result('a.test:443', OK, [cert(0, 400), cert(1, 50, 'CN=Intermediate')]);
    expect(failureOf(plain, now)).toEqual({ atMs: Date.parse(plain.notAfter!), failingNow: false, because: 'depth 1 (sent) CN=Intermediate expires', from: 'notAfter' });
    const forecast = { ...plain, failsAt: '2026-03-11T00:00:00Z', failsBecause: 'the OCSP staple runs out' };
    expect(failureOf(forecast, now)).toMatchObject({ atMs: Date.parse('2026-03-11T00:00:00Z'), from: 'forecast', because: 'the OCSP staple runs out' });
    const html = renderStatusPage({ entries: [entry(forecast)], now });
    expect(html).toContain('2026-03-11 00:00 UTC (in 9.5 days)');
    expect(html).toContain('the OCSP staple runs out (forecast)');
    expect(failureOf({ ...plain, failsAt: null }, now)?.from).toBe('notAfter');
  });

  it('per-address verdicts, the nginx error line, and a meta refresh instead of a script', () => {
    const r = result('multi.test:443', FAIL, [cert(0, 200)], {
      addresses: [
        { address: '127.0.0.1', family: 4, verdict: 'ok', status: 'OK', error: null },
        { address: '::1', family: 6, verdict: 'fail', status: 'CRITICAL', error: 'unable to get local issuer certificate' },
      ],
    });
    const html = renderStatusPage({ entries: [entry(r)], now, refreshSeconds: 60 });
    expect(html).toContain('<li><code>127.0.0.1</code> ok (OK)</li>');
    expect(html).toContain('<li><code>::1</code> <strong>fails</strong> (CRITICAL): unable to get local issuer certificate</li>');
    expect(html).toContain('nginx answers 502: <code>[error] upstream SSL certificate verify error: (20:unable to get local issuer certificate)');
    expect(html).toContain('<meta http-equiv="refresh" content="60">');
    expect(html).not.toMatch(/ style=|<script|<link|src=/);
  });

  it('without targets: says how to list them', () => {
    const html = renderStatusPage({ entries: [], now, help: 'GET /probe?target=HOST:PORT' });
    expect(html).toContain('--targets FILE');
    expect(html).toContain('GET /probe?target=HOST:PORT');
    expect(html).not.toContain('<svg');
  });
});
