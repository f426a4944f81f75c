/**
 * `tlsdoctor lint` / `tlsdoctor nginx --no-probe` as a CI gate over a corpus of configurations written to a temp
 * directory (includes, bundles from certs-fixtures): exit codes per --fail-on, suppressions with and without a
 * reason, SARIF validated against the SARIF 2.1.0 schema (test/helpers/schemas/, see its README) with
 * regions in the included file, JUnit XML parsed. No network: --no-probe, and the one probing case uses a fixture
 * server on 127.0.0.1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, readFixture } from '../helpers/fixtures.js';
import { validateDraft4 } from '../helpers/json-schema-draft4.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { findAll, parseXml } from '../helpers/xml.js';

const SARIF_SCHEMA = JSON.parse(
  readFileSync(new URL('../helpers/schemas/sarif-2.1.0-rtm.5.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-lint-gate-'));
const write = (rel: string, content: string): string => {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V = ['--nginx-version', '1.24.0'];
const lint = (args: string[]) => runCli(['lint', ...args, ...V], { cwd: dir, now: FIXTURE_CLOCK });

/** A configuration in DIR/NAME/: nginx.conf including conf.d/*.conf, with the fixture root as ca.pem. */
function corpus(name: string, app: string): string {
  write(`${name}/ca.pem`, readFixture('root.pem'));
  write(`${name}/intermediate-only.pem`, readFixture('int1.pem'));
  write(`${name}/conf.d/app.conf`, app);
  return write(`${name}/nginx.conf`, 'events {}\nhttp {\n    include conf.d/*.conf;\n}\n');
}

const location = (body: string) => `server {\n    listen 80;\n    location / {\n${body}\n        proxy_pass https://upstream.test;\n    }\n}\n`;

const CLEAN = location('        proxy_ssl_verify on;\n        proxy_ssl_trusted_certificate ca.pem;');
const WARNING = location('        proxy_ssl_verify off;');
const ERROR = location('        proxy_ssl_verify on;\n        proxy_ssl_trusted_certificate intermediate-only.pem;');
const SUPPRESSED = location(
  '        proxy_ssl_verify on;\n        # tlsdoctor: allow TRUSTED_FILE_NO_ROOT -- the root is added by the deploy job (OPS-7)\n        proxy_ssl_trusted_certificate intermediate-only.pem;',
);
const NO_REASON = location('        # tlsdoctor: allow PROXY_SSL_VERIFY_OFF\n        proxy_ssl_verify off;');
const REFUSES = location('        proxy_ssl_verify on;  # tlsdoctor: allow VERIFY_WITHOUT_TRUSTED_FILE -- suppressing does not make nginx start');

describe('exit codes', () => {
  it.each([
    ['clean', CLEAN, [], 0],
    ['a warning, default --fail-on error', WARNING, [], 0],
    ['a warning, --fail-on warning', WARNING, ['--fail-on', 'warning'], 1],
    ['an error (TRUSTED_FILE_NO_ROOT: nginx starts, every request 502s)', ERROR, [], 1],
    ['that error suppressed with a reason', SUPPRESSED, [], 0],
    ['a suppression without a reason', NO_REASON, [], 1],
    ['a suppressed finding nginx refuses to start with', REFUSES, [], 1],
  ] as const)('%s', async (name, app, extra, code) => {
    const conf = corpus(name.replace(/\W+/g, '-'), app);
    const r = await lint([conf, ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(code);
  });

  it('`nginx --no-probe` is the same engine: same output, same exit code', async () => {
    const conf = corpus('same-engine', ERROR);
    const a = await lint([conf]);
    const b = await runCli(['nginx', conf, '--no-probe', ...V], { cwd: dir, now: FIXTURE_CLOCK });
    expect(b).toEqual(a);
    expect(a.stdout).toContain('conf.d/app.conf:5: error TRUSTED_FILE_NO_ROOT');
  });

  it('bad options are one line on stderr, exit 2', async () => {
    const conf = corpus('usage', CLEAN);
    for (const [args, msg] of [
      [['--format', 'xml'], '--format: "xml" is not one of text, json, sarif, junit'],
      [['--fail-on', 'fatal'], '--fail-on: "fatal" is not one of error, warning, info'],
      [['--json', '--format', 'sarif'], '--json and --format sarif contradict each other'],
      [['--warn', 'soon'], '--warn: "soon" is not a duration'],
    ] as const) {
      const r = await lint([conf, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
  });
});

describe('text and JSON report suppressions', () => {
  it('lists the suppressed finding with its justification', async () => {
    const r = await lint([corpus('suppressed-text', SUPPRESSED)]);
    expect(r.stdout).toContain('Suppressed (1):');
    expect(r.stdout).toMatch(/conf\.d\/app\.conf:6: error TRUSTED_FILE_NO_ROOT -- the root is added by the deploy job \(OPS-7\) \(allowed at .*conf\.d\/app\.conf:5\)/);
    const doc = JSON.parse((await lint([corpus('suppressed-json', SUPPRESSED), '--format', 'json'])).stdout);
    expect(doc.lints).toEqual([]);
    expect(doc.suppressed).toEqual([expect.objectContaining({ code: 'TRUSTED_FILE_NO_ROOT', line: 6, justification: 'the root is added by the deploy job (OPS-7)' })]);
    expect(doc.suppressions).toEqual([expect.objectContaining({ line: 5, target: 6, rules: ['TRUSTED_FILE_NO_ROOT'], matched: 1 })]);
  });
});

describe('nginx -T output on standard input', () => {
  it('reads the suppressions of each file of the dump, and SARIF keeps its absolute paths as file:// URIs', async () => {
    const dump = [
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
      '# configuration file /etc/nginx/nginx.conf:',
      'events {}',
      'http { include /etc/nginx/conf.d/*.conf; }',
      '',
      '# configuration file /etc/nginx/conf.d/app.conf:',
      location('        # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab (OPS-1)\n        proxy_ssl_verify off;\n        proxy_ssl_name lab.test;'),
    ].join('\n');
    const r = await runCli(['lint', '-', '--format', 'sarif', ...V], { stdin: dump, cwd: dir });
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout).runs[0].results;
    expect(results.map((x: any) => [x.ruleId, x.locations[0].physicalLocation.artifactLocation.uri, x.locations[0].physicalLocation.region.startLine, x.suppressions?.[0].justification])).toEqual([
      ['PROXY_SSL_VERIFY_OFF', 'file:///etc/nginx/conf.d/app.conf', 5, 'lab (OPS-1)'],
    ]);
  });
});

describe('SARIF', () => {
  let sarif: any;
  const app = [
    'server {',
    '    listen 80;',
    '    location /a/ {',
    '        # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab upstream without a CA (OPS-1)',
    '        proxy_ssl_verify off;',
    '        proxy_pass https://lab.test;',
    '    }',
    '    location /b/ {',
    '        proxy_ssl_verify on;',
    '        proxy_ssl_trusted_certificate intermediate-only.pem;',
    '        proxy_pass https://upstream.test;',
    '    }',
    '}',
  ].join('\n');

  beforeAll(async () => {
    const conf = corpus('sarif', app);
    const r = await lint([conf, '--format', 'sarif', '--sarif-root', dir]);
    expect(r.code).toBe(1);
    sarif = JSON.parse(r.stdout);
  });

  it('is valid against the SARIF 2.1.0 schema', () => {
    expect(validateDraft4(SARIF_SCHEMA, sarif)).toEqual([]);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
  });

  it('the schema check can fail (a wrong version, a bad level, a result without a message)', () => {
    const broken = structuredClone(sarif);
    broken.version = '2.0.0';
    broken.runs[0].results[0].level = 'fatal';
    delete broken.runs[0].results[0].message;
    const errors = validateDraft4(SARIF_SCHEMA, broken);
    expect(errors.join('\n')).toMatch(/\$\.version: not in enum/);
    expect(errors.join('\n')).toMatch(/results\[0\]\.level: not in enum/);
    expect(errors.join('\n')).toMatch(/results\[0\]: missing required message/);
  });

  it('has every rule of the catalogue with its nginx doc, and results pointing at the included file’s lines', () => {
    const rules = sarif.runs[0].tool.driver.rules;
    expect(rules.find((r: any) => r.id === 'TRUSTED_FILE_NO_ROOT').helpUri).toBe('https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_trusted_certificate');
    const results = sarif.runs[0].results;
    const noRoot = results.find((r: any) => r.ruleId === 'TRUSTED_FILE_NO_ROOT');
    expect(noRoot.level).toBe('error');
    expect(noRoot.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'sarif/conf.d/app.conf' }, region: { startLine: 10 } });
    expect(rules[noRoot.ruleIndex].id).toBe('TRUSTED_FILE_NO_ROOT');
    expect(noRoot.message.text).toContain('intermediate-only.pem holds 1 certificate(s) but no root');
    expect(noRoot.relatedLocations[0].physicalLocation.region.startLine).toBe(11);
  });

  it('carries the suppressed finding with an inSource suppression and its justification', () => {
    const off = sarif.runs[0].results.find((r: any) => r.ruleId === 'PROXY_SSL_VERIFY_OFF');
    expect(off.locations[0].physicalLocation.region.startLine).toBe(5);
    expect(off.suppressions).toEqual([
      { kind: 'inSource', justification: 'lab upstream without a CA (OPS-1)', location: { physicalLocation: { artifactLocation: { uri: 'sarif/conf.d/app.conf' }, region: { startLine: 4 } } } },
    ]);
    expect(sarif.runs[0].results.filter((r: any) => !r.suppressions).map((r: any) => r.ruleId)).toEqual(['TRUSTED_FILE_NO_ROOT']);
  });

  it('paths are relative to the current directory by default, and absolute file:// URIs outside it', async () => {
    const conf = corpus('sarif-cwd', ERROR);
    const here = JSON.parse((await runCli(['lint', conf, '--format', 'sarif', ...V], { cwd: join(dir, 'sarif-cwd') })).stdout);
    expect(here.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('conf.d/app.conf');
    const elsewhere = JSON.parse((await runCli(['lint', conf, '--format', 'sarif', '--sarif-root', join(dir, 'sarif'), ...V], { cwd: dir })).stdout);
    expect(elsewhere.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(`file://${join(dir, 'sarif-cwd/conf.d/app.conf')}`);
    expect(validateDraft4(SARIF_SCHEMA, elsewhere)).toEqual([]);
  });
});

describe('JUnit XML', () => {
  it('is well-formed: one testsuite per rule, one testcase per finding, failures at --fail-on, suppressed as skipped', async () => {
    const app = location('        # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab <upstream> & "quotes"\n        proxy_ssl_verify off;') + ERROR.replace('listen 80', 'listen 81');
    const r = await lint([corpus('junit', app), '--format', 'junit', '--sarif-root', dir]);
    expect(r.code).toBe(1);
    const doc = parseXml(r.stdout);
    expect(doc.name).toBe('testsuites');
    const suites = findAll(doc, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toContain('TRUSTED_FILE_NO_ROOT');
    const byName = (n: string) => suites.find((s) => s.attrs.name === n)!;
    const noRoot = findAll(byName('TRUSTED_FILE_NO_ROOT'), 'testcase');
    expect(noRoot.map((c) => [c.attrs.name, c.attrs.file, c.attrs.line])).toEqual([['junit/conf.d/app.conf:13', 'junit/conf.d/app.conf', '13']]);
    expect(findAll(noRoot[0], 'failure')[0].text).toContain('no root');
    const off = findAll(byName('PROXY_SSL_VERIFY_OFF'), 'testcase');
    expect(findAll(off[0], 'skipped')[0].attrs.message).toBe('suppressed at junit/conf.d/app.conf:4: lab <upstream> & "quotes"');
    expect(findAll(byName('DUPLICATE_DIRECTIVE'), 'testcase').map((c) => c.attrs.name)).toEqual(['no findings']);
    // Both locations reach upstream.test:443 with different trust: a warning, below --fail-on error, so it passes.
    const reuse = findAll(byName('SESSION_REUSE_MIXED_TRUST'), 'testcase');
    expect(reuse.map((c) => [c.attrs.name, findAll(c, 'failure').length, findAll(c, 'system-out')[0]?.text.slice(0, 8)])).toEqual([['junit/conf.d/app.conf:6', 0, 'warning:']]);
    expect(doc.attrs).toMatchObject({ failures: '1', skipped: '1' });
    expect(Number(doc.attrs.tests)).toBe(findAll(doc, 'testcase').length);
  });

  it('the XML reader rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow(/not well-formed/);
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow(/not well-formed/);
    expect(() => parseXml('<a/><b/>')).toThrow(/not well-formed/);
  });
});

describe('nginx that refuses to start', () => {
  let healthy: ScenarioServer;
  beforeAll(async () => {
    healthy = await startScenarioServer('healthy');
  });
  afterAll(async () => {
    await healthy?.close();
  });

  it('no location says "clients get 502": they get connection refused, nothing is logged per request', async () => {
    const conf = corpus(
      'refuses',
      `server {\n    listen 80;\n    location / {\n        proxy_ssl_verify on;\n        proxy_ssl_name upstream.test;\n        proxy_pass https://127.0.0.1:${healthy.port};\n    }\n}\n`,
    );
    const r = await runCli(['nginx', conf, ...V, '--no-fetch'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error VERIFY_WITHOUT_TRUSTED_FILE');
    // The location's verdict line (two spaces, FAIL) no longer says 502; what it would get once started follows.
    expect(r.stdout).not.toMatch(/^ {2}FAIL {2}clients get 502/m);
    expect(r.stdout).toContain('FAIL  nginx does not start: clients get connection refused (nothing is logged per request)');
    expect(r.stdout).toContain('once it starts, clients get 502');
  });
});
