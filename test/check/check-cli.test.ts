/**
 * `tlsdoctor check` end to end, in-process (main(argv, io)), against real loopback upstreams: healthy ones, one
 * whose leaf expires in 3 days (made now, relative to the real clock), an expired intermediate, a dead port, a
 * server that accepts TCP and never speaks, and an mTLS upstream with a client certificate expiring in 3 days.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEADLINE_GRACE_MS } from '../../src/check/run-check.js';
import { main } from '../../src/cli/main.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { recordingIO } from './fake-io.js';
import { issueLeaf, startPemServer, type IssuedCert, type LiveServer } from './live-pki.js';
import { hasPromtool, promtoolCheck } from './promtool.js';

interface TargetDoc {
  target: string;
  status: string;
  reason: string[];
  notAfter: string | null;
  nginx: { ok: boolean; status: number | null } | null;
  findings: { code: string }[];
  labels: Record<string, string>;
  certificates: { depth: number; source: string; notAfter: string; sha256: string }[];
  error: { code: string } | null;
}
interface CheckDoc {
  schemaVersion: number;
  summary: { status: string; exitCode: number; total: number; ok: number; warning: number; critical: number; unknown: number };
  targets: TargetDoc[];
}

let dir: string;
const scenario: Record<string, ScenarioServer> = {};
let soon: LiveServer;
let soonLeaf: IssuedCert;
let soonClient: IssuedCert;
const addr: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-check-'));
  mkdirSync(join(dir, 'bundles'));
  copyFileSync(fixturePath('root.pem'), join(dir, 'bundles', 'root.pem'));
  for (const id of ['healthy', 'expired-intermediate', 'refused', 'timeout', 'client-cert-accepted']) {
    scenario[id] = await startScenarioServer(id);
    addr[id] = `127.0.0.1:${scenario[id].port}`;
  }
  soonLeaf = await issueLeaf({ issuer: 'int1', daysLeft: 3, dns: ['localhost', 'upstream.test'] });
  soon = await startPemServer([soonLeaf.pem, readFixture('int1.pem')], soonLeaf.keyPem);
  addr.soon = `127.0.0.1:${soon.port}`;
  soonClient = await issueLeaf({ issuer: 'client-ca', daysLeft: 3, cn: 'tlsdoctor client', client: true });
  writeFileSync(join(dir, 'client.pem'), soonClient.pem);
  writeFileSync(join(dir, 'client.key'), soonClient.keyPem);
});

afterAll(async () => {
  await Promise.all([...Object.values(scenario).map((s) => s.close()), soon?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function check(args: string[], stdin?: string) {
  const io = recordingIO({ cwd: dir, stdin });
  const code = await main(['check', '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'localhost', '--timeout', '2s', ...args], io);
  return { code, out: io.out, err: io.err };
}

async function checkJson(args: string[], stdin?: string): Promise<{ code: number; doc: CheckDoc }> {
  const r = await check(['--json', ...args], stdin);
  return { code: r.code, doc: JSON.parse(r.out) as CheckDoc };
}

function byTarget(doc: CheckDoc): Record<string, TargetDoc> {
  return Object.fromEntries(doc.targets.map((t) => [t.target, t]));
}

describe('check against live upstreams', () => {
  it('judges each kind of upstream, in every field of the JSON document', async () => {
    const targets = [addr.healthy, addr.soon, addr['expired-intermediate'], addr.refused, addr.timeout];
    const { code, doc } = await checkJson(['--timeout', '1s', ...targets]);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.summary).toMatchObject({ status: 'CRITICAL', exitCode: 2, total: 5, ok: 1, warning: 0, critical: 4, unknown: 0 });
    expect(code).toBe(2);
    const t = byTarget(doc);
    expect(t[addr.healthy]).toMatchObject({ status: 'OK', reason: [], nginx: { ok: true }, error: null });
    expect(t[addr.healthy].certificates.map((c) => [c.depth, c.source])).toEqual([[0, 'sent'], [1, 'sent'], [2, 'bundle']]);

    // expires in 3 days: nginx still proxies, but --crit 7d makes it CRITICAL, and notAfter is the leaf's
    expect(t[addr.soon]).toMatchObject({ status: 'CRITICAL', reason: ['EXPIRES_SOON'], nginx: { ok: true } });
    expect(Date.parse(t[addr.soon].notAfter!)).toBe(Math.floor(soonLeaf.notAfter.getTime() / 1000) * 1000);
    expect(t[addr.soon].findings.map((f) => f.code)).toContain('EXPIRES_SOON');

    // expired intermediate: nginx fails, and the path's dates are still all there
    const ei = t[addr['expired-intermediate']];
    expect(ei).toMatchObject({ status: 'CRITICAL', reason: ['EXPIRED'], nginx: { ok: false, status: 502 } });
    expect(ei.certificates).toHaveLength(3);
    expect(Date.parse(ei.notAfter!)).toBeLessThan(Date.now());

    expect(t[addr.refused]).toMatchObject({ status: 'CRITICAL', reason: ['CONNECTION_REFUSED'], nginx: { ok: false, status: 502 }, certificates: [] });
    expect(t[addr.timeout]).toMatchObject({ status: 'CRITICAL', reason: ['TIMEOUT'], nginx: { ok: false, status: 504 }, certificates: [] });
  });

  it('text: the Nagios status line first, then the table sorted by urgency', async () => {
    const { code, out } = await check(['--crit', '1d', addr.healthy, addr.soon, addr['expired-intermediate']]);
    expect(code).toBe(2);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^CRITICAL: 1 critical, 1 warning, 0 unknown, 1 ok of 3 targets; .* \| critical=1 warning=1 unknown=0 ok=1 min_days_left=-?\d+\.\d;30;1$/);
    expect(lines[2]).toMatch(/^STATUS\s+TARGET\s+NAME\s+DAYS LEFT\s+FAILS AT\s+NGINX\s+REASON$/);
    expect(lines.slice(3, 6).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['CRITICAL', addr['expired-intermediate']],
      ['WARNING', addr.soon],
      ['OK', addr.healthy],
    ]);
    expect(out).toContain('nginx would answer 502: [error] upstream SSL certificate verify error: (10:certificate has expired)');
  });

  it.each([
    ['every target healthy', () => [addr.healthy, addr.healthy], [], 0],
    ['a leaf inside --warn only', () => [addr.healthy, addr.soon], ['--crit', '1d'], 1],
    ['a leaf inside --crit (hours work as a unit)', () => [addr.healthy, addr.soon], ['--warn', '800h', '--crit', '96h'], 2],
    ['bare numbers are days', () => [addr.soon], ['--warn', '10', '--crit', '2'], 1],
  ])('exit code: %s', async (_name, targets, extra, expected) => {
    const r = await check([...extra, ...targets()]);
    expect(r.code).toBe(expected);
    expect(r.out.split('\n')[0]).toMatch(new RegExp(`^${['OK', 'WARNING', 'CRITICAL'][expected]}: `));
  });

  it('a target file per-target settings: own bundle (relative path), name, labels; a missing bundle is UNKNOWN for that target only', async () => {
    writeFileSync(
      join(dir, 'fleet.txt'),
      [
        '# fleet',
        `${addr.healthy} ca=bundles/root.pem name=upstream.test label.team=payments label.env="prod eu"`,
        `${addr.healthy} ca=bundles/other.pem   # not there`,
        `${addr.healthy} ca=${fixturePath('other-root.pem')}`,
        '',
      ].join('\n'),
    );
    const { code, doc } = await checkJson(['--targets', 'fleet.txt']);
    expect(doc.targets.map((t) => [t.target, t.status, t.reason])).toEqual([
      // The verified name is part of the identity: the first entry is not a repeat of the others.
      [`upstream.test@${addr.healthy}`, 'OK', []],
      [addr.healthy, 'UNKNOWN', ['FILE_NOT_FOUND']],
      [`${addr.healthy}#2`, 'CRITICAL', ['UNKNOWN_CA']],
    ]);
    expect(doc.targets[0].labels).toEqual({ team: 'payments', env: 'prod eu' });
    expect(code).toBe(2);
    // UNKNOWN outranks OK (max_state_alt): the missing bundle alone gives exit 3
    writeFileSync(join(dir, 'fleet2.txt'), `${addr.healthy}\n${addr.healthy} ca=bundles/other.pem\n`);
    expect((await check(['--targets', 'fleet2.txt'])).code).toBe(3);
  });

  it('per-target thresholds: warn=/crit= in the targets file override the command\'s for that line only', async () => {
    const { doc } = await checkJson(['-'], `${addr.soon} id=short-lived warn=1d crit=12h\n${addr.soon} id=default\n${addr.soon} id=relative warn=80% crit=50%\n`);
    // 3 of the leaf's 4 days left: OK under 1d/12h, CRITICAL under the default --crit 7d, WARNING at 75% < 80%.
    expect(doc.targets.map((t) => [t.target, t.status])).toEqual([
      ['short-lived', 'OK'],
      ['default', 'CRITICAL'],
      ['relative', 'WARNING'],
    ]);
    const bad = recordingIO({ cwd: dir, stdin: `${addr.soon} crit=40d\n` });
    expect(await main(['check', '-'], bad)).toBe(3);
    expect(bad.out).toBe('UNKNOWN: <stdin>:1: crit= is longer than <stdin>:1: warn=\n');
  });

  it('reads targets from standard input with -, in the JSON form too', async () => {
    const { doc } = await checkJson(['-'], `${addr.healthy}\n${addr.refused} label.x=y\n`);
    expect(doc.targets.map((t) => t.status)).toEqual(['OK', 'CRITICAL']);
    const json = await checkJson(['-'], JSON.stringify([{ target: addr.healthy, labels: { a: 'b' } }]));
    expect(json.doc.targets[0]).toMatchObject({ status: 'OK', labels: { a: 'b' } });
  });

  it('judges the client certificate too: an mTLS upstream accepts it, and its expiry in 3 days is a WARNING', async () => {
    const { code, doc } = await checkJson([
      '--crit',
      '1d',
      '--proxy-ssl-protocols',
      'TLSv1.2',
      '--proxy-ssl-certificate',
      join(dir, 'client.pem'),
      '--proxy-ssl-certificate-key',
      join(dir, 'client.key'),
      addr['client-cert-accepted'],
    ]);
    const t = doc.targets[0];
    expect(t.nginx?.ok).toBe(true);
    expect(t).toMatchObject({ status: 'WARNING', reason: ['EXPIRES_SOON'] });
    expect(t.certificates.filter((c) => c.source === 'client').map((c) => c.sha256)).toEqual([soonClient.sha256]);
    expect(Date.parse(t.notAfter!)).toBe(Math.floor(soonClient.notAfter.getTime() / 1000) * 1000);
    expect(code).toBe(1);
  });

  it.skipIf(!hasPromtool)('--format prometheus passes promtool and keeps certificate metrics of a failing chain', async () => {
    const { code, out } = await check(['--format', 'prometheus', addr.healthy, addr['expired-intermediate'], addr.refused, addr.soon]);
    expect(code).toBe(2);
    const res = promtoolCheck(out);
    expect(res.output).toBe('');
    expect(res.ok).toBe(true);
    const ei = addr['expired-intermediate'];
    expect(out).toMatch(new RegExp(`tlsdoctor_cert_not_after_seconds\\{target="${ei}",depth="1",source="sent",subject="[^"]*Expired Intermediate[^"]*",sha256="[0-9a-f]{64}"\\} 1764633600`));
    expect(out).toContain(`tlsdoctor_nginx_would_succeed{target="${ei}"} 0`);
    expect(out).toContain(`tlsdoctor_nginx_failure_reason{target="${ei}",reason="EXPIRED"} 1`);
    expect(out).toContain(`tlsdoctor_check_status{target="${addr.soon}",status="CRITICAL"} 1`);
    expect(out).toContain(`tlsdoctor_upstream_up{target="${addr.refused}"} 0`);
    expect(out).toContain('tlsdoctor_check_targets{status="OK"} 1');
  });

  it('every target appears exactly once and a dead or silent target only costs its own timeout', async () => {
    // 12 entries (duplicates included), 6 of them silent: concurrency 4, timeout 600 ms.
    const entries = [
      addr.timeout, addr.healthy, addr.timeout, addr.refused, addr.timeout, addr.soon,
      addr.timeout, addr.healthy, addr.timeout, addr.refused, addr.timeout, addr.healthy,
    ];
    const timeoutMs = 600;
    const concurrency = 4;
    const t0 = performance.now();
    const { doc } = await checkJson(['--crit', '1d', '--timeout', `${timeoutMs}ms`, '--concurrency', String(concurrency), ...entries]);
    const elapsed = performance.now() - t0;
    expect(doc.targets).toHaveLength(entries.length);
    expect(new Set(doc.targets.map((t) => t.target)).size).toBe(entries.length);
    expect(doc.targets.map((t) => t.target.replace(/#\d+$/, ''))).toEqual(entries);
    expect(doc.targets.filter((t) => t.reason.includes('TIMEOUT'))).toHaveLength(6);
    expect(doc.summary).toMatchObject({ total: 12, ok: 3, warning: 1, critical: 8, unknown: 0 });
    // behaviour bound (not a benchmark): ceil(n / concurrency) rounds of one budget each, plus slack
    expect(elapsed).toBeLessThan(Math.ceil(entries.length / concurrency) * (timeoutMs + DEADLINE_GRACE_MS) + 3000);
  });
});

describe('progress', () => {
  it('goes to stderr on a terminal once the run is long, and is erased at the end; never otherwise', async () => {
    const tty = recordingIO({ cwd: dir, stderrIsTTY: true });
    const args = ['check', '--json', '--concurrency', '1', '--timeout', '800ms', addr.timeout, addr.timeout];
    expect(await main(args, tty)).toBe(2);
    expect(tty.err).toMatch(/^\r\x1b\[Ktlsdoctor: checked [01]\/2 targets, [01] not OK/);
    expect(tty.err.endsWith('\r\x1b[K')).toBe(true);
    expect(JSON.parse(tty.out).targets).toHaveLength(2);
    const pipe = recordingIO({ cwd: dir });
    await main(args, pipe);
    expect(pipe.err).toBe('');
  });
});

describe('check usage errors are UNKNOWN (exit 3) with one line', () => {
  it.each([
    [['--warn', 'soon', '127.0.0.1:1'], 'UNKNOWN: --warn: "soon" is not a duration or a share of the lifetime (examples: 30d, 12h, 20%)\n'],
    [['--warn', '1d', '--crit', '7d', '127.0.0.1:1'], 'UNKNOWN: --crit (7d) is longer than --warn (1d)\n'],
    [['--concurrency', '0', '127.0.0.1:1'], 'UNKNOWN: --concurrency: "0" is not a whole number 1..10000\n'],
    [['--format', 'yaml', '127.0.0.1:1'], 'UNKNOWN: --format: expected text, json or prometheus, got "yaml"\n'],
    [[], 'UNKNOWN: no targets: give host:port arguments, --targets FILE, --nginx-config, or - for standard input\n'],
    [['--warn', '10%', '--crit', '20%', '127.0.0.1:1'], 'UNKNOWN: --crit (20%) is a larger share than --warn (10%)\n'],
    [['--crit', '150%', '127.0.0.1:1'], 'UNKNOWN: --crit: "150%" is more than 100% of the lifetime\n'],
    [['not a target'], 'UNKNOWN: argument 1: bad target "not a target": contains whitespace\n'],
    [['--targets', 'nope.txt'], 'UNKNOWN: --targets '],
    [['--proxy-ssl-verify-depth', 'x', '127.0.0.1:1'], 'UNKNOWN: --proxy-ssl-verify-depth: "x" is not a whole number\n'],
  ])('%j', async (args, message) => {
    const io = recordingIO({ cwd: dir });
    expect(await main(['check', ...args], io)).toBe(3);
    expect(io.out.startsWith(message)).toBe(true);
    expect(io.out.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a bad targets line names file:line; json/prometheus keep stdout clean and say it on stderr', async () => {
    writeFileSync(join(dir, 'bad.txt'), `${addr.healthy}\n${addr.healthy} sni=maybe\n`);
    const io = recordingIO({ cwd: dir });
    expect(await main(['check', '--json', '--targets', 'bad.txt'], io)).toBe(3);
    expect(io.out).toBe('');
    expect(io.err).toBe('tlsdoctor: bad.txt:2: sni=: expected on or off, got "maybe"\n');
  });

  it('an unknown option (commander) is UNKNOWN too', async () => {
    const io = recordingIO({ cwd: dir });
    expect(await main(['check', '--bogus', '127.0.0.1:1'], io)).toBe(3);
    expect(io.err).toContain("unknown option '--bogus'");
  });

  it('probe keeps its own usage exit code (2)', async () => {
    const io = recordingIO({ cwd: dir });
    expect(await main(['probe', '--bogus', '127.0.0.1:1'], io)).toBe(2);
  });
});
