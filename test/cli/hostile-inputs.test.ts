/**
 * Hostile input files (hardening issue): every file the CLI reads goes through src/cli/read-input.ts, which
 * opens without blocking, accepts regular files only and reads at most its cap. Before, `inspect /dev/zero` grew
 * without bound and a FIFO blocked the open forever (in `check`, the whole event loop).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAP, MiB, readInputFile } from '../../src/cli/read-input.js';
import { fsConfigReader } from '../../src/cli/read-nginx-config.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const REPO = resolve(import.meta.dirname, '../..');
/** "Promptly": far below any test timeout, far above a slow CI machine's start-up of one command. */
const PROMPT_MS = 5000;

let dir: string;
let fifo: string;
let sock: string;
let socketServer: Server;
let big: string;
let healthy: ScenarioServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-hostile-'));
  fifo = join(dir, 'fifo.pem');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  sock = join(dir, 'socket.pem');
  socketServer = createServer();
  await new Promise<void>((done) => socketServer.listen(sock, done));
  mkdirSync(join(dir, 'subdir'));
  // One byte over the certificate cap, sparse: nothing is written to disk but its size.
  big = join(dir, 'big.pem');
  const fd = openSync(big, 'w');
  closeSync(fd);
  spawnSync('truncate', ['-s', String(CAP.certificate + 1), big]);
  healthy = await startScenarioServer('healthy');
});

afterAll(async () => {
  await healthy?.close();
  await new Promise<void>((done) => (socketServer ? socketServer.close(() => done()) : done()));
  rmSync(dir, { recursive: true, force: true });
});

async function timed(argv: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<CliRun & { ms: number }> {
  const started = performance.now();
  const run = await runCli(argv, { cwd: dir, ...opts });
  return { ...run, ms: performance.now() - started };
}

/** Exit 2 (or check's UNKNOWN 3), promptly, one line naming the option and the file; no stack trace. */
function expectRefused(run: CliRun & { ms: number }, mention: string[], code = 2) {
  expect(run.code).toBe(code);
  expect(run.ms).toBeLessThan(PROMPT_MS);
  const text = code === 3 ? run.stdout : run.stderr;
  const lines = text.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const m of mention) expect(lines[0]).toContain(m);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('inspect', () => {
  it('inspect /dev/zero is refused as not a regular file', async () => {
    expectRefused(await timed(['inspect', '/dev/zero']), ['/dev/zero: not a regular file (character device)']);
  });

  it('inspect of a FIFO returns at once, refused as not a regular file', async () => {
    expectRefused(await timed(['inspect', fifo]), [`${fifo}: not a regular file (FIFO)`]);
  });

  it('inspect of a socket and of a directory are refused, each with its type', async () => {
    expectRefused(await timed(['inspect', sock]), [`${sock}: not a regular file (socket)`]);
    expectRefused(await timed(['inspect', join(dir, 'subdir')]), ['subdir: is a directory']);
  });

  it('inspect of a file over the 16 MiB cap is refused', async () => {
    expectRefused(await timed(['inspect', big]), [`${big}: larger than 16 MiB`]);
  });

  it('a symlink to a regular file is followed', async () => {
    const link = join(dir, 'root-link.pem');
    symlinkSync(fixturePath('root.pem'), link);
    const run = await timed(['inspect', '--json', link]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).files[0].certificates).toHaveLength(1);
  });
});

describe('every option that names a file refuses a FIFO at once, naming the option and the file', () => {
  const cert = () => fixturePath('client.pem');
  const key = () => fixturePath('client.key.pem');
  it.each([
    ['probe --ca', () => ['probe', '127.0.0.1:1', '--ca', fifo], '--ca'],
    ['probe --intermediates (file)', () => ['probe', '127.0.0.1:1', '--ca', fixturePath('root.pem'), '--intermediates', fifo], '--intermediates'],
    ['probe --proxy-ssl-certificate', () => ['probe', '127.0.0.1:1', '--proxy-ssl-certificate', fifo, '--proxy-ssl-certificate-key', key()], '--proxy-ssl-certificate'],
    ['probe --proxy-ssl-certificate-key', () => ['probe', '127.0.0.1:1', '--proxy-ssl-certificate', cert(), '--proxy-ssl-certificate-key', fifo], '--proxy-ssl-certificate-key'],
    ['verify --chain', () => ['verify', '--chain', fifo], '--chain'],
    ['verify --untrusted', () => ['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fifo], '--untrusted'],
    ['verify --ca', () => ['verify', '--chain', fixturePath('leaf.pem'), '--ca', fifo], '--ca'],
    ['explain --log', () => ['explain', '--log', fifo], '--log'],
    ['nginx FILE', () => ['nginx', '--no-probe', fifo], 'nginx configuration'],
  ])('%s', async (_name, argv, option) => {
    expectRefused(await timed(argv()), [option, `${fifo}: not a regular file (FIFO)`]);
  });

  it('/dev/zero as --ca and as --log is refused, not read', async () => {
    expectRefused(await timed(['probe', '127.0.0.1:1', '--ca', '/dev/zero']), ['--ca /dev/zero: not a regular file (character device)']);
    expectRefused(await timed(['explain', '--log', '/dev/zero']), ['--log /dev/zero: not a regular file (character device)']);
  });

  it('check --targets FIFO is UNKNOWN (monitoring convention: exit 3), at once', async () => {
    expectRefused(await timed(['check', '--targets', fifo]), ['--targets', 'not a regular file (FIFO)'], 3);
  });

  it('--intermediates DIR skips a FIFO in the directory without opening it', async () => {
    const pool = join(dir, 'pool');
    mkdirSync(pool);
    writeFileSync(join(pool, 'int1.pem'), readFixture('int1.pem'));
    spawnSync('mkfifo', [join(pool, 'zz-fifo.pem')]);
    const run = await timed(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--intermediates', pool, '--json']);
    expect(run.ms).toBeLessThan(PROMPT_MS);
    // Judged (nginx itself sends no intermediates it was not given: exit 1), not refused; the FIFO was never opened.
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).nginx.ok).toBe(false);
  });
});

describe('nginx configuration files', () => {
  it('an include that names a FIFO is refused at once, naming it', async () => {
    const conf = join(dir, 'fifo-include.conf');
    writeFileSync(conf, `events {}\nhttp {\n  include ${fifo};\n}\n`);
    expectRefused(await timed(['nginx', '--no-probe', conf]), [`nginx configuration ${fifo}: not a regular file (FIFO)`]);
  });

  it('proxy_ssl_trusted_certificate naming a FIFO is a lint (nginx cannot load it), and nothing blocks', async () => {
    const conf = join(dir, 'fifo-trusted.conf');
    writeFileSync(
      conf,
      `events {}\nhttp {\n  server {\n    listen 8080;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n` +
        `      proxy_ssl_verify on;\n      proxy_ssl_trusted_certificate ${fifo};\n    }\n  }\n}\n`,
    );
    const run = await timed(['nginx', '--no-probe', '--json', conf]);
    expect(run.ms).toBeLessThan(PROMPT_MS);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.lints.map((l: { code: string }) => l.code)).toContain('TRUSTED_FILE_MISSING');
  });

  it('configuration files adding up to more than 64 MiB are refused (each read once)', () => {
    const reader = fsConfigReader();
    const parts = [1, 2, 3, 4, 5].map((i) => {
      const p = join(dir, `part${i}.conf`);
      spawnSync('truncate', ['-s', String(15 * MiB), p]);
      return p;
    });
    for (const p of parts.slice(0, 4)) expect(reader.readFile(p)).toHaveLength(15 * MiB);
    // The same file again costs nothing: it is not counted twice.
    expect(reader.readFile(parts[0])).toHaveLength(15 * MiB);
    expect(() => reader.readFile(parts[4])).toThrow(`nginx configuration ${parts[4]}: the configuration files add up to more than 64 MiB`);
  });

  it('a configuration file over the 16 MiB cap is refused', async () => {
    const conf = join(dir, 'big.conf');
    spawnSync('truncate', ['-s', String(CAP.config + 1), conf]);
    expectRefused(await timed(['nginx', '--no-probe', conf]), [`${conf}: larger than 16 MiB`]);
  });
});

describe('files tlsdoctor keeps for itself', () => {
  it('a FIFO where the nginx version cache lives does not stall probe: the version is asked again', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'tlsdoctor'), { recursive: true });
    spawnSync('mkfifo', [join(home, 'tlsdoctor', 'nginx-version.json')]);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'nginx'), '#!/bin/sh\necho "nginx version: nginx/1.22.1" >&2\n', { mode: 0o755 });
    const run = await timed(['probe', '127.0.0.1:1', '--ca', fixturePath('root.pem'), '--json', '--timeout', '1s'], {
      env: { PATH: bin, XDG_CACHE_HOME: home },
    });
    expect(run.ms).toBeLessThan(PROMPT_MS);
    expect(JSON.parse(run.stdout).settings.nginxVersion).toBe('1.22.1');
  });
});

describe('standard input is capped too', () => {
  it('check - over the targets cap is refused', async () => {
    const run = await timed(['check', '-'], { stdin: '127.0.0.1:1\n'.padEnd(CAP.targets + 1, '#') });
    expectRefused(run, ['--targets standard input: larger than 16 MiB'], 3);
  });

  it('nginx - over the 64 MiB cap of `nginx -T` output is refused', async () => {
    const run = await timed(['nginx', '--no-probe', '-'], { stdin: '#'.repeat(CAP.configDump + 1) });
    expectRefused(run, ['nginx configuration standard input: larger than 64 MiB']);
  });

  it('the process stops reading standard input at the cap: `tlsdoctor check - < /dev/zero` ends', async () => {
    // The real processIO in a child (through tsx, so src/ is what runs), stdin an endless producer.
    const script =
      "import { main } from './src/cli/main.ts'; import { processIO } from './src/cli/process-io.ts';" +
      "process.exitCode = await main(['check', '-'], processIO());";
    const zero = openSync('/dev/zero', 'r');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO,
        stdio: [zero, 'pipe', 'pipe'],
        env: { ...process.env, TLSDOCTOR_NO_LOCAL_NGINX: '1' },
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          done(c);
        });
      });
      expect(code).toBe(3);
      expect(out.trim()).toBe('UNKNOWN: --targets standard input: larger than 16 MiB');
    } finally {
      closeSync(zero);
    }
  });
});

describe('check: a target whose file is hostile does not stop the others', () => {
  it('a FIFO as ca= among healthy targets: they complete, it is UNKNOWN as a bad input', async () => {
    const targets = join(dir, 'targets.txt');
    const addr = `127.0.0.1:${healthy.port}`;
    writeFileSync(targets, `${addr} label.n=1\n${addr} ca=${fifo} label.n=2\n${addr} label.n=3\n`);
    const started = performance.now();
    const run = await runCli(['check', '--json', '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'localhost', '--timeout', '2s', '--targets', targets], {
      cwd: dir,
    });
    expect(performance.now() - started).toBeLessThan(PROMPT_MS + 2000);
    const doc = JSON.parse(run.stdout) as { targets: { labels: { n: string }; status: string; error: { code: string; message: string } | null }[] };
    const byN = Object.fromEntries(doc.targets.map((t) => [t.labels.n, t]));
    expect(byN['1'].status).toBe('OK');
    expect(byN['3'].status).toBe('OK');
    expect(byN['2']).toMatchObject({ status: 'UNKNOWN', error: { code: 'FILE_NOT_REGULAR' } });
    // Named where it was written (issue 14), not as the --ca option.
    expect(byN['2'].error!.message).toBe(`${targets}:2: ca=${fifo}: not a regular file (FIFO)`);
    expect(run.code).toBe(3);
  });
});

describe('readInputFile', () => {
  it('reads a regular file whose stat size is 0 (a /proc file) to its end', () => {
    const bytes = readInputFile('/proc/self/status', { label: 'x', cap: MiB });
    expect(bytes.toString('latin1')).toMatch(/^Name:/);
  });

  it('refuses one byte over the cap, accepts the cap exactly', () => {
    const f = join(dir, 'ten.txt');
    writeFileSync(f, '0123456789');
    expect(readInputFile(f, { label: '--x', cap: 10 }).toString()).toBe('0123456789');
    expect(() => readInputFile(f, { label: '--x', cap: 9 })).toThrow(new UsageError('FILE_TOO_LARGE', `--x ${f}: larger than 9 bytes`));
  });

  it('a missing file is FILE_NOT_FOUND', () => {
    expect(() => readInputFile(join(dir, 'nope'), { label: '--x', cap: 10 })).toThrow(/^--x .*nope: no such file$/);
  });
});
