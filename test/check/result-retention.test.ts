/**
 * Issue 15 (fleet memory): what a finished target keeps until the report is written. A result holds strings,
 * numbers and plain objects only (no wire capture, no certificate object, no PEM), and targets alike point at one
 * forecast and one list of address verdicts. Memory figures themselves are for bench/check-bench.mjs, not tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkAddresses } from '../../src/check/check-addresses.js';
import { runCheck } from '../../src/check/run-check.js';
import type { CheckResult, CheckTarget } from '../../src/check/types.js';
import { cachedCheckDeps } from '../../src/cli/check-targets.js';
import { PKI_DIR } from '../helpers/fixtures.js';
import { recordingIO } from './fake-io.js';
import { FLEET_THRESHOLDS, useFleet } from './fleet-fixture.js';

const thresholds = FLEET_THRESHOLDS;
const target = useFleet();

/** Every value reachable from `root` that is not a string, number, boolean, null, plain object or array. */
function foreignValues(root: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, path: string) => {
    if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return;
    if (typeof v === 'string') {
      if (v.includes('-----BEGIN')) found.push(`${path}: PEM text`);
      return;
    }
    if (typeof v !== 'object') return void found.push(`${path}: ${typeof v}`);
    if (seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return void found.push(`${path}: ${v.constructor.name}`);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return void found.push(`${path}: ${v.constructor?.name ?? 'object'}`);
    for (const [k, x] of Object.entries(v)) visit(x, `${path}.${k}`);
  };
  visit(root, 'result');
  return found;
}

describe('what a finished target keeps', () => {
  let results: CheckResult[];
  beforeAll(async () => {
    const targets = Array.from({ length: 6 }, (_, i) => target(i));
    const deps = cachedCheckDeps(recordingIO({ cwd: PKI_DIR }));
    // The check and serve pipeline: checkAddresses over checkTarget, one memo per run.
    results = (await runCheck(targets, { at: new Date(), thresholds, concurrency: 3, deps, check: checkAddresses() })).results;
  });

  it('plain data only: no bytes of the wire, no certificate object, no PEM', () => {
    expect(results.map((r) => r.status)).toEqual(['OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL']);
    expect(results[0].path.length).toBeGreaterThan(1);
    for (const r of results) expect(foreignValues(r)).toEqual([]);
  });

  it('the tree walk does see what must not be kept (the test can fail)', () => {
    const leaky = { ...results[0], wire: new Uint8Array(4), cert: new Map(), key: '-----BEGIN PRIVATE KEY-----' };
    expect(foreignValues(leaky)).toEqual(['result.wire: Uint8Array', 'result.cert: Map', 'result.key: PEM text']);
  });

  it('targets alike share one forecast and one list of address verdicts', () => {
    for (const group of [results.filter((_, i) => i % 2 === 0), results.filter((_, i) => i % 2 === 1)]) {
      expect(group[0].forecast?.failsAt).toBeTruthy();
      expect(new Set(group.map((r) => r.forecast)).size).toBe(1);
      expect(group[0].addresses).toEqual([expect.objectContaining({ address: '127.0.0.1' })]);
      expect(new Set(group.map((r) => r.addresses)).size).toBe(1);
    }
    expect(results[0].forecast).not.toBe(results[1].forecast);
  });
});
