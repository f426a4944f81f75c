/**
 * `tlsdoctor explain` in-process: one line (arguments or standard input), a whole log (--log FILE or -), the
 * configuration's settings in the probe command (--config), JSON, exit codes.
 * The log is a real one written by nginx 1.22.1 (test/nginx/logs/, see test/nginx/configs/README.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const LOGS = join(__dirname, '../nginx/logs');
const REAL_LOG = join(LOGS, 'nginx-1.22.1-error.log');
const REAL_CONF = join(LOGS, 'nginx-1.22.1.conf');

const VERIFY_21 =
  '2026/11/22 16:57:27 [error] 27740#27740: *6 upstream SSL certificate verify error: (21:unable to verify the first certificate) ' +
  'while SSL handshaking to upstream, client: 127.0.0.1, server: , request: "GET /api/x HTTP/1.1", upstream: "https://10.0.2.88:8443/api/x", host: "example.com"';
const NAME_BACKEND =
  '2026/11/22 16:57:27 [error] 27740#27740: *12 upstream SSL certificate does not match "backend" while SSL handshaking to upstream, ' +
  'client: 127.0.0.1, server: , request: "GET /block HTTP/1.1", upstream: "https://127.0.0.1:29563/block", host: "127.0.0.1:29561"';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-explain-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tlsdoctor explain LINE', () => {
  it('explains one line: plain words, causes ranked, upstream address, the probe command; exit 0', async () => {
    const run = await runCli(['explain', VERIFY_21]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = run.stdout;
    expect(out).toMatch(/^VERIFY_ERROR \(upstream 10\.0\.2\.88:8443\): clients get 502\./);
    expect(out).toContain('OpenSSL verify error 21 (unable to verify the first certificate)');
    // Ranked: the missing intermediate first.
    expect(out).toMatch(/1\. the upstream does not send its intermediate certificate \[MISSING_INTERMEDIATE\]\n\s+2\. .*\[UNKNOWN_CA\]/);
    expect(out).toContain('  tlsdoctor probe 10.0.2.88:8443\n');
  });

  it('a line split into several arguments by the shell is joined back', async () => {
    const run = await runCli(['explain', ...VERIFY_21.split(' ')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VERIFY_ERROR (upstream 10.0.2.88:8443)');
  });

  it('reads the line from standard input', async () => {
    const run = await runCli(['explain'], { stdin: `${NAME_BACKEND}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('NAME_MISMATCH (upstream 127.0.0.1:29563)');
    expect(run.stdout).toContain("single label is usually an upstream block's name");
    expect(run.stdout).toContain("tlsdoctor probe 127.0.0.1:29563 --proxy-ssl-name backend");
  });

  it('--config: the probe command carries the location\'s settings from the configuration', async () => {
    const run = await runCli(['explain', NAME_BACKEND, '--config', REAL_CONF, '--nginx-version', '1.22.1']);
    expect(run.code).toBe(0);
    // location /block: proxy_pass https://backend; verify on with self.pem (relative to the conf prefix).
    expect(run.stdout).toContain(`tlsdoctor probe 127.0.0.1:29563 --ca ${LOGS}/self.pem --proxy-ssl-name backend --nginx-version 1.22.1`);
  });

  it('--json: the explanation as data', async () => {
    const run = await runCli(['explain', VERIFY_21, '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: 'explain',
      recognised: true,
      explanation: {
        kind: 'VERIFY_ERROR',
        verifyError: { code: 21, text: 'unable to verify the first certificate' },
        upstream: { host: '10.0.2.88', port: 8443, address: '10.0.2.88:8443' },
        status: 502,
        causes: ['MISSING_INTERMEDIATE', 'UNKNOWN_CA'],
      },
    });
    expect(doc.explanation.probe[0].argv).toEqual(['tlsdoctor', 'probe', '10.0.2.88:8443']);
  });

  it('a line it does not know: says so, exit 1', async () => {
    const run = await runCli(['explain', '2026/11/22 16:57:26 [notice] 27728#27728: start worker processes']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Not an nginx upstream TLS error line tlsdoctor knows/);
    const json = await runCli(['explain', 'hello', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ recognised: false, explanation: null });
  });
});

describe('tlsdoctor explain --log', () => {
  it('groups a real nginx error log by upstream and error, counts, skips unknown lines with a count', async () => {
    const run = await runCli(['explain', '--log', REAL_LOG]);
    expect(run.code).toBe(0);
    const first = run.stdout.split('\n')[0];
    expect(first).toMatch(/^\d+ lines read: 8 upstream TLS errors in 8 groups, \d+ other lines skipped\.$/);
    expect(run.stdout).toContain('1 × CONNECTION_REFUSED on 127.0.0.1:29564, at 2026-11-22T16:57:27');
    expect(run.stdout).toContain('1 × PROTOCOL_VERSION:legacy sigalg disallowed or unsupported on 127.0.0.1:29569');
  });

  it('--json: groups with counts and first/last seen', async () => {
    const log = [VERIFY_21, VERIFY_21.replace('16:57:27', '16:59:01'), NAME_BACKEND, 'garbage line', ''].join('\n');
    const file = join(dir, 'two.log');
    writeFileSync(file, log);
    const run = await runCli(['explain', '--log', file, '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'explain --log', lines: 4, recognised: 3, unknown: 1 });
    expect(doc.groups.map((g: { upstream: string; signature: string; count: number; firstSeen: string; lastSeen: string }) => [g.upstream, g.signature, g.count, g.firstSeen, g.lastSeen])).toEqual([
      ['10.0.2.88:8443', 'VERIFY_ERROR:21', 2, '2026-11-22T16:57:27', '2026-11-22T16:59:01'],
      ['127.0.0.1:29563', 'NAME_MISMATCH:backend', 1, '2026-11-22T16:57:27', '2026-11-22T16:57:27'],
    ]);
  });

  it('--log - reads standard input', async () => {
    const run = await runCli(['explain', '--log', '-'], { stdin: `${VERIFY_21}\n${NAME_BACKEND}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^2 lines read: 2 upstream TLS errors in 2 groups, 0 other lines skipped\./);
  });

  it('several lines on standard input without --log are read as a log', async () => {
    const run = await runCli(['explain'], { stdin: `${VERIFY_21}\n${NAME_BACKEND}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2 upstream TLS errors in 2 groups');
  });

  it('a log with nothing recognised: says so, exit 1', async () => {
    const file = join(dir, 'quiet.log');
    writeFileSync(file, '2026/11/22 16:57:26 [notice] 27728#27728: start worker processes\n');
    const run = await runCli(['explain', '--log', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('No upstream TLS error recognised in this log.');
  });
});

describe('tlsdoctor explain: bad usage is exit 2', () => {
  it.each([
    ['a line and --log', ['explain', VERIFY_21, '--log', REAL_LOG], 'not both'],
    ['a missing --log file', ['explain', '--log', join(dir, 'nope.log')], 'nope.log'],
    ['a directory as --log', ['explain', '--log', dir], 'is a directory'],
    ['a missing --config file', ['explain', VERIFY_21, '--config', join(dir, 'nope.conf')], 'nope.conf'],
    ['a bad --nginx-version', ['explain', VERIFY_21, '--nginx-version', 'new'], '--nginx-version'],
    ['nothing at all', ['explain'], 'no log line given'],
  ])('%s', async (_name, argv, mention) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(mention);
  });
});

// Issue 14: people paste fragments from alerts and chat, and the `[error] ...` line probe prints.
describe('explain: fragments and the [level] message form', () => {
  const full =
    '2026/11/22 16:35:08 [error] 1234#1234: *5 upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream, client: 10.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "https://10.0.2.88:8443/", host: "x"';
  const bare = 'upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream';
  it.each([
    ['the bare message', bare],
    ['the [level] message form probe prints (indented)', `  [error] ${bare}`],
    ['level and pid without the timestamp', `[error] 1234#1234: *5 ${bare}`],
    ['a container-log prefix', `nginx-1  | ${full}`],
    ['a chat quote', `> alert: "${bare}"`],
  ])('%s: the same causes as the whole line', async (_name, text) => {
    const whole = JSON.parse((await runCli(['explain', full, '--json'])).stdout) as { explanation: { signature: string; causes: { code: string }[] } };
    const run = await runCli(['explain', text, '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as typeof whole;
    expect(doc.explanation.signature).toBe(whole.explanation.signature);
    expect(doc.explanation.causes.map((c) => c.code)).toEqual(whole.explanation.causes.map((c) => c.code));
  });

  it('text that holds no nginx message is still not recognised (exit 1)', async () => {
    const run = await runCli(['explain', 'the upstream is down again, can someone look?']);
    expect(run.code).toBe(1);
  });
});
