/**
 * The on-call outputs of `probe`: --brief (one line), --pem (the presented chain), --watch (repeat, say when the
 * verdict changes). Loopback fixture servers only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchLoop } from '../../src/cli/watch.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

let healthy: ScenarioServer;
let leafOnly: ScenarioServer;

beforeAll(async () => {
  healthy = await startScenarioServer('healthy');
  leafOnly = await startScenarioServer('leaf-only-sent');
});
afterAll(async () => {
  await healthy?.close();
  await leafOnly?.close();
});

const probe = (s: ScenarioServer, ...args: string[]) =>
  runCli(['probe', `127.0.0.1:${s.port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--no-fetch', '--nginx-version', '1.22.1', ...args]);

describe('probe --brief', () => {
  it('one OK line with the earliest expiry, exit 0', async () => {
    const run = await probe(healthy, '--brief');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^OK 127\\.0\\.0\\.1:${healthy.port} - nginx verifies and proxies; earliest expiry \\d{4}-\\d\\d-\\d\\d \\(\\d+ days\\)\\n$`));
  });
  it('one FAIL line with the status, the line nginx logs and the finding codes, exit 1', async () => {
    const run = await probe(leafOnly, '--brief');
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toHaveLength(2);
    expect(run.stdout).toContain(`FAIL 127.0.0.1:${leafOnly.port} - 502 [error] upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream (MISSING_INTERMEDIATE`);
  });
});

describe('probe --pem', () => {
  it('prints the presented chain as PEM, in order, and nothing else', async () => {
    const run = await probe(healthy, '--pem');
    expect(run.code).toBe(0);
    expect(run.stdout.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(run.stdout).not.toMatch(/PRIVATE KEY/);
    expect(run.stdout.indexOf('CN=upstream.test')).toBeLessThan(run.stdout.indexOf('CN=tlsdoctor Test Intermediate CA'));
    expect(run.stdout).not.toContain('Fix');
  });
  it.each([
    [['--pem', '--json'], '--json and --pem: choose one output'],
    [['--watch', '--json'], '--watch prints one line per probe: not with --json'],
    [['--watch-count', '2'], '--watch-count needs --watch'],
    [['--watch', '0s'], '--watch: the interval must be positive'],
  ])('%j is a usage error (exit 2), before any connection', async (args, message) => {
    const run = await runCli(['probe', '127.0.0.1:1', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('probe --watch', () => {
  it('repeats the probe --watch-count times, one line each, exit of the last verdict', async () => {
    const run = await probe(healthy, '--watch', '10ms', '--watch-count', '2');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\d\d:\d\d:\d\d UTC OK 127\.0\.0\.1:\d+ - nginx verifies and proxies/);
  });

  it('says when the verdict changes, with the time it changed and since when it was the other', async () => {
    const verdicts: ('OK' | 'FAIL')[] = ['FAIL', 'FAIL', 'OK', 'OK'];
    let t = Date.parse('2026-11-22T03:40:12Z');
    let i = 0;
    const out: string[] = [];
    const last = await watchLoop({
      intervalMs: 60_000,
      count: 4,
      run: async () => verdicts[i++],
      verdict: (v) => v,
      line: (v) => `${v} upstream`,
      io: { stdout: (s) => void out.push(s), now: () => new Date(t) },
      sleep: async (ms) => void (t += ms),
      signal: new AbortController().signal,
    });
    expect(last).toBe('OK');
    expect(out.join('')).toBe(
      '03:40:12 UTC FAIL upstream\n' +
        '03:41:12 UTC FAIL upstream\n' +
        'turned OK at 03:42:12 UTC (FAIL since 03:40:12 UTC)\n' +
        '03:42:12 UTC OK upstream\n' +
        '03:43:12 UTC OK upstream\n',
    );
  });

  it('stops when the signal fires (SIGINT/SIGTERM in the CLI), without another probe', async () => {
    const ac = new AbortController();
    let runs = 0;
    const last = await watchLoop({
      intervalMs: 1000,
      run: async () => {
        runs++;
        if (runs === 2) ac.abort();
        return 'FAIL' as const;
      },
      verdict: (v) => v,
      line: (v) => v,
      io: { stdout: () => {}, now: () => new Date(0) },
      sleep: async () => {},
      signal: ac.signal,
    });
    expect(runs).toBe(2);
    expect(last).toBe('FAIL');
  });
});
