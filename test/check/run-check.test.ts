/**
 * The worker pool's guarantees with a stand-in per-target function: exactly once, bounded concurrency,
 * a hung or crashing target becomes UNKNOWN with its reason and does not hold the others.
 */
import { describe, expect, it } from 'vitest';
import type { CheckDeps } from '../../src/check/check-target.js';
import { unknownResult } from '../../src/check/check-target.js';
import { DEADLINE_GRACE_MS, runCheck } from '../../src/check/run-check.js';
import type { CheckResult, CheckTarget } from '../../src/check/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';

const deps: CheckDeps = {
  loadTrust: async () => ({ certs: [], trust: { source: 'bundle', files: [], count: 0 }, notes: [] }),
  loadClientCert: async () => {
    throw new Error('unused');
  },
};

function target(i: number, timeoutMs = 200): CheckTarget {
  const host = `h${i}.test`;
  return {
    id: `${host}:443`,
    spec: { input: `${host}:443`, host, port: 443, origin: `argument ${i + 1}`, labels: {} },
    settings: defaultSettings(host),
    caFiles: [],
    timeoutMs,
  };
}

function ok(t: CheckTarget): CheckResult {
  return {
    ...unknownResult(t, { code: 'X', message: 'x' }, 1),
    status: 'OK',
    reason: [],
    error: null,
    nginx: { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = new Date('2026-01-01T00:00:00Z');
const thresholds = { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 };

describe('runCheck', () => {
  it('gives every target exactly one result in input order, whatever each one does', async () => {
    const targets = Array.from({ length: 40 }, (_, i) => target(i, 150));
    const run = await runCheck(targets, {
      at,
      thresholds,
      concurrency: 7,
      deps,
      // Not async on purpose: kind 4 throws before returning a promise.
      check: (t) => {
        const i = Number(t.spec.host.slice(1, -5));
        if (i % 5 === 4) throw new RangeError(`sync ${i}`);
        if (i % 5 === 1) return Promise.reject(Object.assign(new Error(`boom ${i}`), { code: 'FILE_NOT_FOUND' }));
        if (i % 5 === 2) return Promise.reject('a string, not an Error');
        if (i % 5 === 3) return new Promise<CheckResult>(() => {}); // never settles
        return sleep(i % 3).then(() => ok(t));
      },
    });
    expect(run.results.map((r) => r.id)).toEqual(targets.map((t) => t.id));
    const byKind = (k: number) => run.results.filter((_, i) => i % 5 === k);
    expect(byKind(0).every((r) => r.status === 'OK')).toBe(true);
    expect(byKind(1).map((r) => [r.status, r.reason, r.error?.message])).toEqual(
      byKind(1).map((_, j) => ['UNKNOWN', ['FILE_NOT_FOUND'], `boom ${j * 5 + 1}`]),
    );
    expect(byKind(2).every((r) => r.status === 'UNKNOWN' && r.reason[0] === 'INTERNAL_ERROR' && r.error?.message === 'a string, not an Error')).toBe(true);
    expect(byKind(3).every((r) => r.status === 'UNKNOWN' && r.reason[0] === 'CHECK_TIMEOUT')).toBe(true);
    expect(byKind(4).map((r) => [r.status, r.reason[0], r.error?.message])).toEqual(byKind(4).map((_, j) => ['UNKNOWN', 'INTERNAL_ERROR', `sync ${j * 5 + 4}`]));
    expect(run.summary.counts).toEqual({ OK: 8, WARNING: 0, CRITICAL: 0, UNKNOWN: 32 });
    expect(run.summary.exitCode).toBe(3);
  });

  it('never runs more than --concurrency targets at once, and uses all of them', async () => {
    let running = 0;
    let peak = 0;
    const run = await runCheck(
      Array.from({ length: 30 }, (_, i) => target(i)),
      {
        at,
        thresholds,
        concurrency: 4,
        deps,
        check: async (t) => {
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
          return ok(t);
        },
      },
    );
    expect(run.results).toHaveLength(30);
    expect(peak).toBe(4);
  });

  it('a hung target holds its worker for its own timeout only (behaviour bound, not a benchmark)', async () => {
    // 6 hung targets, concurrency 3, timeout 200 ms: two rounds of (timeout + grace) at most, plus slack.
    const timeoutMs = 200;
    const targets = Array.from({ length: 6 }, (_, i) => target(i, timeoutMs));
    const t0 = performance.now();
    const run = await runCheck(targets, { at, thresholds, concurrency: 3, deps, check: () => new Promise<CheckResult>(() => {}) });
    const elapsed = performance.now() - t0;
    expect(run.results.every((r) => r.error?.code === 'CHECK_TIMEOUT')).toBe(true);
    expect(elapsed).toBeLessThan(2 * (timeoutMs + DEADLINE_GRACE_MS) + 1000);
    expect(elapsed).toBeGreaterThanOrEqual(2 * timeoutMs);
  });

  it('reports progress once per target', async () => {
    const seen: number[] = [];
    await runCheck(
      Array.from({ length: 5 }, (_, i) => target(i)),
      { at, thresholds, concurrency: 2, deps, check: async (t) => ok(t), onResult: (_r, done, total) => seen.push(done * 10 + total) },
    );
    expect(seen).toEqual([15, 25, 35, 45, 55]);
  });
});
