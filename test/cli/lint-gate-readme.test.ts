/**
 * README.md "CI gate": the three commands of its CI examples (GitHub Actions `run:`, GitLab `script:`, the plain
 * shell line) run as written, with bash, in a directory laid out like a repository (nginx/nginx.conf with an
 * include and a bundle). `npx` is a shim on PATH that runs this checkout's bin/tlsdoctor (the built dist/, as
 * `npm ci` leaves it): nothing is fetched. A clean configuration passes all three; a broken one fails them, and the
 * files the jobs upload are what their upload steps name, SARIF valid against the 2.1.0 schema, JUnit well-formed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readFixture } from '../helpers/fixtures.js';
import { validateDraft4 } from '../helpers/json-schema-draft4.js';
import { findAll, parseXml } from '../helpers/xml.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const SECTION = README.slice(README.indexOf('## CI gate: `tlsdoctor lint`'), README.indexOf('### Inline suppressions'));
const blocks = (lang: string) => [...SECTION.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
const SARIF_SCHEMA = JSON.parse(
  readFileSync(new URL('../helpers/schemas/sarif-2.1.0-rtm.5.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const github = blocks('yaml').find((b) => b.includes('upload-sarif'))!;
const gitlab = blocks('yaml').find((b) => b.includes('reports:'))!;
const GITHUB_RUN = /^\s*- run: (.*)$/m.exec(github)?.[1] ?? '';
const GITLAB_SCRIPT = /^\s*script:\n\s*- (.*)$/m.exec(gitlab)?.[1] ?? '';
const SHELL = (blocks('sh')[0] ?? '').trim();

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A repository checkout: nginx/nginx.conf, nginx/conf.d/upstreams.conf (APP), nginx/ca.pem; bin/npx = the shim. */
function checkout(app: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-readme-ci-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'nginx/conf.d'), { recursive: true });
  mkdirSync(join(dir, '.shim'));
  writeFileSync(join(dir, 'nginx/nginx.conf'), 'events {}\nhttp {\n    include conf.d/*.conf;\n}\n');
  writeFileSync(join(dir, 'nginx/conf.d/upstreams.conf'), app);
  writeFileSync(join(dir, 'nginx/ca.pem'), readFixture('root.pem'));
  writeFileSync(join(dir, 'nginx/int.pem'), readFixture('int1.pem'));
  writeFileSync(
    join(dir, '.shim/npx'),
    `#!/bin/sh\n[ "$1" = tlsdoctor ] || { echo "npx shim: only tlsdoctor" >&2; exit 127; }\nshift\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO, 'bin/tlsdoctor'))} "$@"\n`,
  );
  chmodSync(join(dir, '.shim/npx'), 0o755);
  return dir;
}

function sh(dir: string, command: string) {
  const r = spawnSync('bash', ['-c', command], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: `${join(dir, '.shim')}:/usr/bin:/bin`, HOME: dir, TLSDOCTOR_CODE_CACHE: 'off', TLSDOCTOR_NO_LOCAL_NGINX: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CLEAN = `server {
    listen 80;
    location /api/ {
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ca.pem;
        proxy_ssl_name api.internal;
        proxy_pass https://api.internal:8443;
    }
    location /lab/ {
        # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab upstream without a CA (OPS-1)
        proxy_ssl_verify off;
        proxy_pass https://lab.internal;
    }
}
`;
const BROKEN = CLEAN.replace('proxy_ssl_trusted_certificate ca.pem;', 'proxy_ssl_trusted_certificate int.pem;');

describe('README.md CI gate examples', () => {
  it('are there: a GitHub Actions job uploading SARIF, a GitLab job with a JUnit report, a shell line', () => {
    expect(GITHUB_RUN).toMatch(/^npx tlsdoctor nginx \S+ --no-probe .*--format sarif > (\S+)$/);
    expect(github).toContain(`sarif_file: ${/> (\S+)$/.exec(GITHUB_RUN)![1]}`);
    expect(github).toContain('security-events: write');
    expect(GITLAB_SCRIPT).toMatch(/^npx tlsdoctor lint \S+ .*--format junit > (\S+)$/);
    expect(gitlab).toContain(`junit: ${/> (\S+)$/.exec(GITLAB_SCRIPT)![1]}`);
    expect(SHELL).toMatch(/^npx tlsdoctor lint /);
  });

  it('pass on a clean configuration (a suppressed finding is reported, not failed)', () => {
    const dir = checkout(CLEAN);
    const gh = sh(dir, GITHUB_RUN);
    expect(gh.stderr).toBe('');
    expect(gh.code).toBe(0);
    const sarif = JSON.parse(readFileSync(join(dir, 'tlsdoctor.sarif'), 'utf8'));
    expect(validateDraft4(SARIF_SCHEMA, sarif)).toEqual([]);
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, r.suppressions?.[0]?.justification])).toEqual([
      ['PROXY_SSL_VERIFY_OFF', 'lab upstream without a CA (OPS-1)'],
    ]);
    expect(sh(dir, GITLAB_SCRIPT).code).toBe(0);
    expect(findAll(parseXml(readFileSync(join(dir, 'tlsdoctor-junit.xml'), 'utf8')), 'failure')).toEqual([]);
    const plain = sh(dir, SHELL);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Suppressed (1):');
  });

  it('fail on a bundle without a root, with the result on the included file’s line', () => {
    const dir = checkout(BROKEN);
    const gh = sh(dir, GITHUB_RUN);
    expect(gh.code).toBe(1);
    const sarif = JSON.parse(readFileSync(join(dir, 'tlsdoctor.sarif'), 'utf8'));
    expect(validateDraft4(SARIF_SCHEMA, sarif)).toEqual([]);
    const error = sarif.runs[0].results.find((r: any) => r.level === 'error');
    expect(error.ruleId).toBe('TRUSTED_FILE_NO_ROOT');
    expect(error.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'nginx/conf.d/upstreams.conf' }, region: { startLine: 5 } });
    const gl = sh(dir, GITLAB_SCRIPT);
    expect(gl.code).toBe(1);
    const failures = findAll(parseXml(readFileSync(join(dir, 'tlsdoctor-junit.xml'), 'utf8')), 'failure');
    expect(failures.map((f) => f.attrs.message)).toEqual(['error TRUSTED_FILE_NO_ROOT']);
    const plain = sh(dir, SHELL);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('nginx/conf.d/upstreams.conf:5: error TRUSTED_FILE_NO_ROOT');
  });
});
