/**
 * `tlsdoctor nginx` in-process: the ways a configuration comes in (FILE with includes, `-` with `nginx -T`
 * output or a plain file, `nginx -T` of the nginx on the PATH), the lints, unresolved variables, the JSON shape,
 * exit codes. Upstreams are fixture servers on 127.0.0.1; no nginx is needed here (test/nginx-real/ runs it).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-nginx-cmd-'));
const write = (rel: string, content: string): string => {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};

let healthy: ScenarioServer;
let leafOnly: ScenarioServer;

beforeAll(async () => {
  healthy = await startScenarioServer('healthy');
  leafOnly = await startScenarioServer('leaf-only-sent');
  write('trusted/root.pem', readFixture('root.pem'));
});

afterAll(async () => {
  await healthy?.close();
  await leafOnly?.close();
  rmSync(dir, { recursive: true, force: true });
});

const V = ['--nginx-version', '1.22.1', '--no-fetch'];

interface Doc {
  schemaVersion: number;
  command: string;
  nginxVersion: string;
  nginxVersionSource: string;
  source: { kind: string; main: string; files: string[] };
  refusesToStart: boolean;
  lints: { code: string; severity: string; file: string; line: number; refusesToStart: boolean; message: string }[];
  upstreams: Record<string, unknown>[];
  locations: { location: string; ok: boolean | null; status: number | null; lines: unknown[] }[];
}

function http(body: string): string {
  return `events {}\nhttp {\n${body}\n}\n`;
}

describe('tlsdoctor nginx FILE', () => {
  it('resolves includes (globs, relative to the prefix) and predicts each location; exit 0 when all succeed', async () => {
    const main = write(
      'ok/nginx.conf',
      http(`    proxy_ssl_name upstream.test;
    include conf.d/*.conf;`),
    );
    write(
      'ok/conf.d/a.conf',
      `server {
    listen 8080;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ${join(dir, 'trusted/root.pem')};
    location /api/ { proxy_pass https://127.0.0.1:${healthy.port}; }
}
`,
    );
    const run = await runCli(['nginx', main, '--json', ...V]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.source).toEqual({ kind: 'file', main, files: [main, join(dir, 'ok/conf.d/a.conf')] });
    expect(doc.locations).toHaveLength(1);
    expect(doc.locations[0]).toMatchObject({ location: '/api/', ok: true, status: 200, lines: [] });
    expect(doc.lints).toEqual([]);
  });

  it('the JSON document: schemaVersion, lints, and per upstream the probe fields plus where it is', async () => {
    const main = write(
      'shape/nginx.conf',
      http(`    server {
        listen 8080;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../trusted/root.pem;
        location /x/ {
            proxy_ssl_name upstream.test;
            proxy_pass https://127.0.0.1:${leafOnly.port}/x/;
        }
    }`),
    );
    const run = await runCli(['nginx', main, '--json', ...V]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining(['schemaVersion', 'nginxVersion', 'source', 'lints', 'upstreams', 'locations', 'refusesToStart']),
    );
    expect(doc.schemaVersion).toBe(1);
    expect(doc.command).toBe('nginx');
    expect(doc.nginxVersion).toBe('1.22.1');
    expect(doc.nginxVersionSource).toBe('--nginx-version');
    expect(doc.upstreams).toHaveLength(1);
    const u = doc.upstreams[0] as Record<string, any>;
    expect(u).toMatchObject({
      file: main,
      line: 9,
      location: '/x/',
      proxyPass: `https://127.0.0.1:${leafOnly.port}/x/`,
      server: `127.0.0.1:${leafOnly.port}`,
      verifiedName: 'upstream.test',
      sni: null,
      probed: true,
      skipped: null,
    });
    // Effective settings with their sources; relative paths resolved against the prefix.
    expect(u.settings.verify).toEqual({ value: true, source: { directive: 'proxy_ssl_verify', file: main, line: 5, level: 'server' } });
    expect(u.settings.verifyDepth).toEqual({ value: 1, source: null });
    expect(u.paths.trustedCertificate).toBe(`${dir}/shape/../trusted/root.pem`);
    // Same fields as probe --json.
    expect(u.nginx).toEqual({
      ok: false,
      status: 502,
      level: 'error',
      error: 'upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream',
      verifyCode: 21,
      stage: 'verify',
      answeredBy: 'nginx',
    });
    expect(u.findings.map((f: { code: string }) => f.code)).toContain('MISSING_INTERMEDIATE');
    expect(u.fix).toHaveProperty('directives');
    expect(u.nginxWithVerifyOn).toBeNull();
    expect(u.probeCommand).toBe(
      `tlsdoctor probe 127.0.0.1:${leafOnly.port} --ca ${dir}/shape/../trusted/root.pem --proxy-ssl-name upstream.test --nginx-version 1.22.1`,
    );
    expect(doc.locations[0]).toMatchObject({ ok: false, status: 502 });
  });

  it('a parse error is one line naming file:line, exit 2', async () => {
    const main = write('broken/nginx.conf', http('    include conf.d/*.conf;'));
    write('broken/conf.d/x.conf', 'server {\n    listen 80;\n    location / {\n        proxy_pass https://a;\n    }\n}\n}\n');
    const run = await runCli(['nginx', main, ...V]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([`tlsdoctor: unexpected "}" in ${join(dir, 'broken/conf.d/x.conf')}:7`]);
  });

  it('a missing include is a parse error naming the include line', async () => {
    const main = write('noinc/nginx.conf', 'events {}\nhttp {\n    include missing.conf;\n}\n');
    const run = await runCli(['nginx', main, ...V]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${main}:3`);
  });

  it('a missing FILE is exit 2', async () => {
    const run = await runCli(['nginx', join(dir, 'nope.conf'), ...V]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nope.conf');
  });

  it('a bad --nginx-version, --timeout or --concurrency is exit 2', async () => {
    const main = write('args/nginx.conf', http(''));
    for (const bad of [['--nginx-version', 'latest'], ['--timeout', 'soon'], ['--concurrency', '0']]) {
      const run = await runCli(['nginx', main, ...bad]);
      expect(run.code, bad.join(' ')).toBe(2);
      expect(run.stderr, bad.join(' ')).toContain(bad[0]);
    }
  });
});

describe('lints (no network) and what is not probed', () => {
  it('proxy_ssl_verify missing: lint PROXY_SSL_VERIFY_OFF; nginx proxies anyway (200); what verify on would give; fix turns it on', async () => {
    const main = write(
      'verify-off/nginx.conf',
      http(`    server {
        listen 8080;
        location / {
            proxy_ssl_name upstream.test;
            proxy_pass https://127.0.0.1:${leafOnly.port};
        }
    }`),
    );
    const run = await runCli(['nginx', main, '--json', ...V]);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.lints.map((l) => [l.code, l.severity, l.line])).toEqual([['PROXY_SSL_VERIFY_OFF', 'warning', 7]]);
    expect(doc.lints[0].message).toContain('its default is off');
    const u = doc.upstreams[0] as Record<string, any>;
    expect(u.nginx).toMatchObject({ ok: true, status: 200 });
    expect(u.nginxWithVerifyOn).toMatchObject({ ok: false, status: 502, verifyCode: 21 });
    // Turn it on, with a bundle (none is configured): added to the location.
    expect(u.diff.remove).toEqual([]);
    expect(u.diff.add.map((a: { text: string }) => a.text)[0]).toBe('proxy_ssl_verify on;');
    expect(u.diff.add.map((a: { text: string }) => a.text)[1]).toMatch(/^proxy_ssl_trusted_certificate /);
    expect(u.fix.deadEnds.join(' ')).toContain('Dead end: proxy_ssl_verify off (the default)');
    // nginx itself succeeds: exit 0, the insecurity is the lint.
    expect(run.code).toBe(0);

    const text = await runCli(['nginx', main, ...V]);
    expect(text.stdout).toContain('warning PROXY_SSL_VERIFY_OFF');
    expect(text.stdout).toContain('with proxy_ssl_verify on: FAIL 502: [error] upstream SSL certificate verify error: (21:');
    expect(text.stdout).toMatch(/\+ proxy_ssl_verify on;/);
  });

  it('a missing trusted file is a lint (nginx refuses to start: exit 1), not a crash; the probe still runs', async () => {
    const main = write(
      'missing-ca/nginx.conf',
      http(`    server {
        listen 8080;
        location / {
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate /nonexistent/ca.pem;
            proxy_ssl_name upstream.test;
            proxy_pass https://127.0.0.1:${healthy.port};
        }
    }`),
    );
    const run = await runCli(['nginx', main, '--json', ...V]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.refusesToStart).toBe(true);
    expect(doc.lints.map((l) => [l.code, l.severity, l.line, l.refusesToStart])).toEqual([['TRUSTED_FILE_MISSING', 'error', 7, true]]);
    const u = doc.upstreams[0] as Record<string, any>;
    expect(u.probed).toBe(true);
    expect(u.trustedCount).toBe(0);
    expect(u.notes.join(' ')).toContain('/nonexistent/ca.pem cannot be read');
    // The upstream does not send its root, so no bundle can be built from what it sent: a manual step says so.
    expect(u.nginxWithVerifyOn).toBeNull();
    expect(u.nginx).toMatchObject({ ok: false, status: 502 });
    expect(u.fix.manual.join(' ')).toContain('Find the root of this chain');

    const noProbe = await runCli(['nginx', main, '--no-probe', ...V]);
    expect(noProbe.code).toBe(1);
    expect(noProbe.stdout).toContain('nginx refuses to start with this configuration');
    expect(noProbe.stdout).toContain('error TRUSTED_FILE_MISSING');
  });

  it('an unresolved variable is reported, not probed', async () => {
    const main = write(
      'vars/nginx.conf',
      http(`    map $http_x_pool $pool { default 127.0.0.1:1; }
    server {
        listen 8080;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ${join(dir, 'trusted/root.pem')};
        location / {
            proxy_pass https://$pool;
        }
    }`),
    );
    const run = await runCli(['nginx', main, '--json', ...V]);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.lints.map((l) => l.code)).toEqual(['UNRESOLVED_VARIABLE']);
    const u = doc.upstreams[0] as Record<string, any>;
    expect(u).toMatchObject({ server: null, probed: false, nginx: null, skipped: 'depends on $pool, known only per request' });
    expect(doc.locations[0]).toMatchObject({ ok: null, status: null });
    expect(run.code).toBe(0);
    const text = await runCli(['nginx', main, ...V]);
    expect(text.stdout).toContain('not probed: depends on $pool, known only per request');
  });

  it('--no-probe: lints only, no network; a down server is never probed', async () => {
    const main = write(
      'noprobe/nginx.conf',
      http(`    upstream b { server 127.0.0.1:1 down; server 127.0.0.1:2; }
    server { listen 8080; location / { proxy_pass https://b; } }`),
    );
    const run = await runCli(['nginx', main, '--no-probe', '--json', ...V]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.upstreams.map((u) => [u.server, u.skipped])).toEqual([
      ['127.0.0.1:1', 'marked down: nginx never sends requests to it'],
      ['127.0.0.1:2', '--no-probe'],
    ]);
    expect(doc.lints.map((l) => l.code)).toEqual(['PROXY_SSL_VERIFY_OFF']);
  });
});

describe('tlsdoctor nginx - (standard input)', () => {
  const dumpOf = (files: Record<string, string>) =>
    Object.entries(files)
      .map(([path, text]) => `# configuration file ${path}:\n${text}\n`)
      .join('');

  it('reads `nginx -T` output: files split back, includes resolved inside the dump, bundles read from disk', async () => {
    const root = join(dir, 'dumped');
    const dump =
      'nginx: the configuration file /x/nginx.conf syntax is ok\n' +
      dumpOf({
        [`${root}/nginx.conf`]: http('    include sites/*.conf;'),
        [`${root}/sites/a.conf`]: `server {
    listen 8080;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ${join(dir, 'trusted/root.pem')};
    location /a/ {
        proxy_ssl_name upstream.test;
        proxy_pass https://127.0.0.1:${leafOnly.port};
    }
}`,
      });
    const run = await runCli(['nginx', '-', '--json', ...V], { stdin: dump });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.source).toEqual({ kind: 'stdin', main: `${root}/nginx.conf`, files: [`${root}/nginx.conf`, `${root}/sites/a.conf`] });
    const u = doc.upstreams[0] as Record<string, any>;
    expect(u).toMatchObject({ file: `${root}/sites/a.conf`, line: 7, location: '/a/' });
    expect(u.nginx.error).toContain('(21:unable to verify the first certificate)');
  });

  it('reads the debian-site corpus dump (nginx -T of a Debian layout) with --no-probe', async () => {
    const dump = readFileSync(join(__dirname, '../nginx/configs/debian-site.nginx-T.txt'), 'utf8');
    const run = await runCli(['nginx', '-', '--no-probe', '--json', ...V], { stdin: dump });
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.source.main).toBe('/etc/nginx/nginx.conf');
    expect(doc.locations.length).toBeGreaterThan(3);
    expect(doc.lints.map((l) => l.code)).toContain('PROXY_SSL_VERIFY_OFF');
  });

  it('reads a plain configuration on standard input (includes relative to the current directory)', async () => {
    write('stdin-plain/inc/loc.conf', `proxy_ssl_name upstream.test;\nproxy_pass https://127.0.0.1:${healthy.port};\n`);
    const conf = http(`    server {
        listen 8080;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ${join(dir, 'trusted/root.pem')};
        location / { include inc/loc.conf; }
    }`);
    const run = await runCli(['nginx', '-', '--json', ...V], { stdin: conf, cwd: join(dir, 'stdin-plain') });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Doc;
    expect(doc.upstreams[0]).toMatchObject({ file: join(dir, 'stdin-plain/inc/loc.conf'), line: 2, server: `127.0.0.1:${healthy.port}` });
  });

  it('empty standard input is exit 2', async () => {
    const run = await runCli(['nginx', '-', ...V], { stdin: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('standard input is empty');
  });
});

describe('tlsdoctor nginx without FILE: `nginx -T` of the nginx on the PATH', () => {
  function io(env: Record<string, string>, out: { stdout: string; stderr: string }): CliIO {
    return {
      stdout: (t) => void (out.stdout += t),
      stderr: (t) => void (out.stderr += t),
      readStdin: async () => '',
      stdoutIsTTY: false,
      stderrIsTTY: false,
      now: () => new Date(),
      cwd: dir,
      env,
    };
  }

  /** A fake `nginx` that answers -v and -T like the real one. */
  function fakeNginx(name: string, script: string): string {
    const bin = join(dir, name, 'nginx');
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(bin, `#!/bin/sh\n${script}\n`);
    chmodSync(bin, 0o755);
    return dirname(bin);
  }

  it('no FILE and no nginx on the PATH: exit 2, saying what to run', async () => {
    const run = await runCli(['nginx']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nginx is not on the PATH');
  });

  it('runs `nginx -T`, and models the version `nginx -v` reports', async () => {
    const dump = join(dir, 'fake-dump.txt');
    writeFileSync(
      dump,
      `# configuration file /etc/nginx/nginx.conf:\n${http('    server { listen 80; location / { proxy_pass https://127.0.0.1:1; } }')}\n`,
    );
    const path = fakeNginx('fake-ok', `case "$1" in -v) echo "nginx version: nginx/1.24.0" >&2 ;; -T) echo "nginx: configuration file test is successful" >&2; cat '${dump}' ;; esac`);
    const out = { stdout: '', stderr: '' };
    const code = await main(['nginx', '--no-probe', '--json'], io({ PATH: path }, out));
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(out.stdout) as Doc;
    expect(doc.source.kind).toBe('nginx -T');
    expect(doc.source.main).toBe('/etc/nginx/nginx.conf');
    expect(doc.nginxVersion).toBe('1.24.0');
    expect(doc.nginxVersionSource).toBe('nginx -v');
    // 1.24.0 offers TLSv1.3 to upstreams by default (1.23.4+).
    expect((doc.upstreams[0] as any).settings.protocols.value).toContain('TLSv1.3');
  });

  it('`nginx -T` failing: exit 2 with nginx\'s own [emerg] line and the way out', async () => {
    const path = fakeNginx('fake-bad', 'echo "nginx: [emerg] open() \\"/etc/nginx/nginx.conf\\" failed (13: Permission denied)" >&2; exit 1');
    const out = { stdout: '', stderr: '' };
    const code = await main(['nginx'], io({ PATH: path }, out));
    expect(code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('Permission denied');
    expect(out.stderr).toContain('tlsdoctor nginx /etc/nginx/nginx.conf');
  });
});

describe('fix as a diff', () => {
  it('replaces the location\'s own line, overrides an inherited one and names where it comes from', async () => {
    const deep = await startScenarioServer('too-deep');
    try {
      const main = write(
        'diff/nginx.conf',
        http(`    proxy_ssl_verify_depth 1;
    server {
        listen 8080;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ${fixturePath('root.pem')};
        location /a/ {
            proxy_ssl_name upstream.test;
            proxy_pass https://127.0.0.1:${deep.port};
        }
        location /b/ {
            proxy_ssl_verify_depth 1;
            proxy_ssl_name upstream.test;
            proxy_pass https://127.0.0.1:${deep.port}/b/;
        }
    }`),
      );
      const run = await runCli(['nginx', main, '--json', ...V]);
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.stdout) as Doc;
      const [a, b] = doc.upstreams as Record<string, any>[];
      expect(a.diff).toEqual({
        block: { name: 'location', args: ['/a/'], file: main, line: 8 },
        remove: [],
        add: [{ directive: 'proxy_ssl_verify_depth', text: 'proxy_ssl_verify_depth 2;', why: expect.stringContaining('2 intermediate CAs') }],
        overrides: [{ directive: 'proxy_ssl_verify_depth', text: 'proxy_ssl_verify_depth 1;', file: main, line: 3, level: 'http' }],
        newTrustedFile: null,
      });
      expect(b.diff.remove).toEqual([{ directive: 'proxy_ssl_verify_depth', text: 'proxy_ssl_verify_depth 1;', file: main, line: 13 }]);
      expect(b.diff.overrides).toEqual([]);
      expect(a.fix.verified).toBe(true);

      const text = await runCli(['nginx', main, ...V]);
      expect(text.stdout).toContain(`in location /a/ at ${main}:8:`);
      expect(text.stdout).toContain(`# overrides proxy_ssl_verify_depth 1; inherited from http level at ${main}:3`);
      expect(text.stdout).toContain(`- proxy_ssl_verify_depth 1;    # ${main}:13`);
      expect(text.stdout).toContain('+ proxy_ssl_verify_depth 2;');
    } finally {
      await deep.close();
    }
  });
});
