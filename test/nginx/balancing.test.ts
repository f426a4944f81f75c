/**
 * The round-robin model (src/nginx/balancing.ts) on hand-made verdicts; test/nginx-real/addresses.test.ts checks
 * it against real nginx.
 */
import { describe, expect, it } from 'vitest';
import type { NginxOutcome } from '../../src/diagnosis/types.js';
import { predictRequests, type BalancedPeer } from '../../src/nginx/balancing.js';
import type { NextUpstreamPolicy } from '../../src/nginx/location-outcome.js';

const OK: NginxOutcome = { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' };
const BAD: NginxOutcome = {
  ok: false,
  status: 502,
  level: 'error',
  error: 'upstream SSL certificate verify error: (2:unable to get issuer certificate) while SSL handshaking to upstream',
  verifyCode: 2,
  stage: 'verify',
};
const SLOW: NginxOutcome = { ok: false, status: 504, level: 'error', error: 'upstream timed out (110: Connection timed out) while SSL handshaking to upstream', verifyCode: null, stage: 'connect' };
const DEFAULT: NextUpstreamPolicy = { error: true, timeout: true, tries: 0, source: null };
const OFF: NextUpstreamPolicy = { error: false, timeout: false, tries: 0, source: null };

function peer(address: string, outcome: NginxOutcome | null, extra: Partial<BalancedPeer> = {}): BalancedPeer {
  return { address, server: 'app.test:443', weight: 1, maxFails: 1, failTimeoutS: 10, backup: false, down: false, outcome, ...extra };
}

describe('predictRequests', () => {
  it('one bad peer of three with next_upstream off: the bad one fails once, then is skipped for fail_timeout', () => {
    const p = predictRequests([peer('a', OK), peer('b', BAD), peer('c', OK)], OFF, 6)!;
    // b's effective_weight drops to 0 when it fails, so c (picked on ties after a) leads for a while.
    expect(p.requests.map((r) => r.tried.join())).toEqual(['a', 'b', 'c', 'c', 'a', 'c']);
    expect(p.failed).toBe(1);
    expect(p.requests[1].lines.map((l) => l.level)).toEqual(['error', 'warn']);
    expect(p.requests[1].lines[1].error).toBe('upstream server temporarily disabled while SSL handshaking to upstream');
  });

  it('after fail_timeout the bad peer is tried again, and fails again', () => {
    const times = [0, 0, 0, 5, 5, 5, 11, 11, 11, 11, 11, 11];
    const p = predictRequests([peer('a', OK), peer('b', BAD), peer('c', OK)], OFF, times.length, times)!;
    const failedAt = p.requests.filter((r) => !r.ok).map((r) => r.at);
    expect(failedAt).toEqual([0, 11]);
  });

  it('with the default next_upstream a bad peer costs a line, not a failed request', () => {
    const p = predictRequests([peer('a', BAD), peer('b', OK)], DEFAULT, 4)!;
    expect(p.failed).toBe(0);
    expect(p.requests[0].tried).toEqual(['a', 'b']);
    expect(p.requests[0].lines).toHaveLength(2);
    expect(p.requests.slice(1).every((r) => r.lines.length === 0 && r.servedBy === 'b')).toBe(true);
  });

  it('every peer bad: the first request fails on all of them, the next ones get no live upstreams', () => {
    const p = predictRequests([peer('a', BAD), peer('b', BAD)], DEFAULT, 3)!;
    expect(p.failShare).toBe(1);
    expect(p.requests[0].lines.map((l) => l.level)).toEqual(['error', 'warn', 'error', 'warn']);
    expect(p.firstNoLiveUpstreams).toBe(2);
    expect(p.requests[1].lines).toEqual([{ server: '', level: 'error', error: 'no live upstreams while connecting to upstream' }]);
    expect(p.requests[1].status).toBe(502);
  });

  it('no live upstreams in the middle of a request, when the peers left were disabled by earlier ones', () => {
    const p = predictRequests([peer('a', BAD), peer('b', BAD), peer('c', BAD)], OFF, 4)!;
    // next_upstream off: one peer per request; the fourth finds all three disabled.
    expect(p.requests.map((r) => r.tried.join())).toEqual(['a', 'b', 'c', '']);
    expect(p.firstNoLiveUpstreams).toBe(4);
  });

  it('a single peer is never disabled: every request tries it and nothing is logged at [warn]', () => {
    const p = predictRequests([peer('a', BAD)], DEFAULT, 3)!;
    expect(p.requests.every((r) => r.lines.length === 1 && r.lines[0].level === 'error')).toBe(true);
    expect(p.firstNoLiveUpstreams).toBeNull();
  });

  it('a timeout: [warn] before `upstream timed out`, 504', () => {
    const p = predictRequests([peer('a', SLOW), peer('b', OK)], OFF, 1)!;
    expect(p.requests[0].status).toBe(504);
    expect(p.requests[0].lines.map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('weights: smooth weighted round robin (5,1,1 → a a b a c a a)', () => {
    const p = predictRequests([peer('a', OK, { weight: 5 }), peer('b', OK), peer('c', OK)], DEFAULT, 7)!;
    expect(p.requests.map((r) => r.servedBy).join('')).toBe('aabacaa');
  });

  it('backup peers answer only when every primary failed; down peers are never tried', () => {
    const p = predictRequests([peer('a', BAD), peer('x', OK, { down: true }), peer('b', OK, { backup: true })], DEFAULT, 2)!;
    expect(p.requests[0].tried).toEqual(['a', 'b']);
    expect(p.requests[1].tried).toEqual(['b']);
    expect(p.failed).toBe(0);
  });

  it('next_upstream_tries bounds the peers one request tries', () => {
    const p = predictRequests([peer('a', BAD), peer('b', BAD), peer('c', OK)], { ...DEFAULT, tries: 2 }, 1)!;
    expect(p.requests[0].tried).toEqual(['a', 'b']);
    expect(p.requests[0].ok).toBe(false);
  });

  it('max_fails=0: no accounting, the bad peer keeps its turn', () => {
    const p = predictRequests([peer('a', OK, { maxFails: 0 }), peer('b', BAD, { maxFails: 0 })], OFF, 4)!;
    expect(p.failShare).toBe(0.5);
    expect(p.requests.flatMap((r) => r.lines).some((l) => l.level === 'warn')).toBe(false);
  });

  it('max_fails=2: disabled only at the second failure', () => {
    const p = predictRequests([peer('a', OK, { maxFails: 2 }), peer('b', BAD, { maxFails: 2 })], OFF, 6)!;
    const warns = p.requests.map((r) => r.lines.filter((l) => l.level === 'warn').length);
    expect(p.requests[1].ok).toBe(false);
    expect(warns[1]).toBe(0);
    expect(warns.reduce((a, b) => a + b)).toBe(1);
  });

  it('an unprobed peer makes the prediction unknown', () => {
    expect(predictRequests([peer('a', null), peer('b', OK)], DEFAULT, 2)).toBeNull();
  });
});
