/**
 * Fleet memory: what the targets of a run share (src/check/run-memo.ts, src/check/cert-cache.ts, the bundle cache of
 * src/cli/check-targets.ts), and that sharing changes no byte of any output. Memory figures themselves are for
 * `npm run bench` (bench/check-bench.mjs, bench/serve-bench.mjs), not for tests.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CertCache } from '../../src/check/cert-cache.js';
import { checkTarget, type CheckDeps } from '../../src/check/check-target.js';
import { runCheck } from '../../src/check/run-check.js';
import { RunMemo } from '../../src/check/run-memo.js';
import { summarize } from '../../src/check/status.js';
import type { CheckResult, CheckRun, CheckTarget } from '../../src/check/types.js';
import { readCertificateBlobs } from '../../src/certs/load.js';
import { cachedCheckDeps } from '../../src/cli/check-targets.js';
import { loadTrust } from '../../src/cli/commands/probe.js';
import type { Diagnosis } from '../../src/diagnosis/types.js';
import { checkJsonChunks } from '../../src/report/check-json.js';
import { checkText } from '../../src/report/check-text.js';
import { checkPrometheus } from '../../src/report/prometheus.js';
import { PKI_DIR } from '../helpers/fixtures.js';
import { recordingIO } from './fake-io.js';
import { FLEET_THRESHOLDS, useFleet } from './fleet-fixture.js';

const thresholds = FLEET_THRESHOLDS;
const fleet = useFleet();
/** The n-th target of a fleet that alternates the two scenarios: same chain, same bundle, own identity. */
const fleetTarget = (i: number): CheckTarget => fleet(i, { n: String(i) });

/** durationMs is the only field that differs between two checks of one upstream. */
function timeless(run: CheckRun): CheckRun {
  const results = run.results.map((r) => ({ ...r, durationMs: 0 }));
  return { ...run, results, summary: summarize(results), durationMs: 0 };
}

describe('targets alike share their parts', () => {
  it('one diagnosis, one path and one reason list per chain, and every output is byte for byte the same as judging each target alone', async () => {
    const at = new Date();
    const targets = Array.from({ length: 8 }, (_, i) => fleetTarget(i));
    const io = recordingIO({ cwd: PKI_DIR });
    const run = await runCheck(targets, { at, thresholds, concurrency: 3, deps: cachedCheckDeps(io) });
    expect(run.results.map((r) => r.status)).toEqual(targets.map((_, i) => (i % 2 ? 'CRITICAL' : 'OK')));

    const healthy = run.results.filter((_, i) => i % 2 === 0);
    const broken = run.results.filter((_, i) => i % 2 === 1);
    for (const group of [healthy, broken]) {
      expect(new Set(group.map((r) => r.path)).size).toBe(1);
      expect(new Set(group.map((r) => r.findings)).size).toBe(1);
      expect(new Set(group.map((r) => r.reason)).size).toBe(1);
      expect(group[0].path.length).toBeGreaterThan(1);
    }
    expect(healthy[0].path).not.toBe(broken[0].path);
    expect(broken[0].reason).toContain('EXPIRED');

    // The same targets judged one by one, with no memo (as a `serve` scrape is).
    const aloneDeps = cachedCheckDeps(io);
    const alone: CheckResult[] = [];
    for (const t of targets) alone.push(await checkTarget(t, at, thresholds, aloneDeps));
    expect(new Set(alone.filter((_, i) => i % 2 === 0).map((r) => r.path)).size).toBe(4);
    const reference = timeless({ ...run, results: alone });
    const shared = timeless(run);
    expect([...checkJsonChunks(shared)].join('')).toBe([...checkJsonChunks(reference)].join(''));
    expect(checkText(shared)).toBe(checkText(reference));
    expect(checkPrometheus(shared)).toBe(checkPrometheus(reference));
  });

  it('a memo made for another instant shares nothing (its dates would be judged at the wrong time)', async () => {
    const at = new Date();
    const memo = new RunMemo(at.getTime() - 86_400_000);
    const deps: CheckDeps = { ...cachedCheckDeps(recordingIO({ cwd: PKI_DIR })), memo };
    const a = await checkTarget(fleetTarget(0), at, thresholds, deps);
    const b = await checkTarget(fleetTarget(2), at, thresholds, deps);
    expect(memo.diagnosisHits).toBe(0);
    expect(a.path).not.toBe(b.path);
    expect(a.path).toEqual(b.path);
  });
});

describe('RunMemo', () => {
  it('remembers a diagnosis per key, makes it once, and drops the oldest beyond its bound', () => {
    const memo = new RunMemo(0);
    let made = 0;
    const make = () => ({ findings: [], n: made++ }) as unknown as Diagnosis;
    const first = memo.diagnosis('k0', make);
    expect(memo.diagnosis('k0', make)).toBe(first);
    expect(made).toBe(1);
    for (let i = 1; i <= 1024; i++) memo.diagnosis(`k${i}`, make);
    expect(made).toBe(1025);
    expect(memo.diagnosis('k0', make)).not.toBe(first); // k0 was the oldest: dropped, made again
    expect(memo.diagnosis('k1024', make)).toBe(memo.diagnosis('k1024', make));
  });

  it('hands out one array per distinct reason list', () => {
    const memo = new RunMemo(0);
    const a = memo.reason(['EXPIRED', 'EXPIRES_SOON']);
    expect(memo.reason(['EXPIRED', 'EXPIRES_SOON'])).toBe(a);
    expect(memo.reason(['EXPIRED'])).not.toBe(a);
  });
});

describe('bundles and certificates are parsed once', () => {
  it('each --ca / ca= file is read once per run, whatever the targets and combinations naming it', async () => {
    const io = recordingIO({ cwd: PKI_DIR });
    const reads: string[][] = [];
    const deps = cachedCheckDeps(io, (files, i) => {
      reads.push(files);
      return loadTrust(files, i);
    });
    const a = `${PKI_DIR}/root.pem`;
    const b = `${PKI_DIR}/int1.pem`;
    const lists = [[a], [a, b], [b, a], [a], [b], [a, b]];
    // More combinations than the cache keeps (64), each asked twice: the files are still read once.
    for (let n = 2; n < 80; n++) lists.push(Array.from({ length: n }, (_, k) => (k % 2 ? b : a)));
    const sets = await Promise.all([...lists, ...lists].map((l) => deps.loadTrust(l)));
    expect(reads.sort()).toEqual([[b], [a]].sort());
    expect(sets[1].certs.map((c) => c.sha256)).toEqual([...sets[0].certs, ...sets[4].certs].map((c) => c.sha256));
    expect(sets[1].certs[0]).toBe(sets[0].certs[0]); // the same parsed object, not a copy
  });

  it('CertCache hands out the same Cert for the same bytes and keeps at most its bound, least recently used out', () => {
    const der = (f: string) => readCertificateBlobs(readFileSync(`${PKI_DIR}/${f}`), f).ders[0];
    const cache = new CertCache(2);
    const leaf = cache.parse(der('leaf.pem'));
    cache.parse(der('int1.pem'));
    expect(cache.parse(der('leaf.pem'))).toBe(leaf); // hit: leaf is now the most recent
    cache.parse(der('root.pem')); // evicts int1, the least recently used
    expect(cache.size).toBe(2);
    expect(cache.parse(der('leaf.pem'))).toBe(leaf);
    expect([cache.hits, cache.misses]).toEqual([2, 3]);
    cache.parse(der('int1.pem'));
    expect(cache.misses).toBe(4);
  });
});
