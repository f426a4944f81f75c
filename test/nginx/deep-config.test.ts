/**
 * Deeply nested configurations (hardening issue): a config nested ~3,000 blocks deep overflowed the stack
 * ("Maximum call stack size exceeded", exit 3). nginx 1.22.1 loads 10,000 levels and crashes at 20,000; tlsdoctor
 * parses and walks without recursion and refuses more than DEFAULT_MAX_BLOCK_DEPTH levels with file:line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexConfig } from '../../src/nginx/config-index.js';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { DEFAULT_MAX_BLOCK_DEPTH, memoryReader, parseConfigFile, parseConfigText, parseNginxDump } from '../../src/nginx/parse-config.js';
import { NginxParseError } from '../../src/nginx/parse-error.js';
import { runCli } from '../helpers/cli.js';

/**
 * `http { server { location /l1 { location /l2 { ... proxy_pass ...; } } } }` with `depth` nested locations; `at`
 * puts extra lines into the location of that level (1-based). Line of location k: 2 + k.
 */
function nested(depth: number, inner: string, at: Record<number, string> = {}): string {
  const out = ['http {', '  server {'];
  for (let k = 1; k <= depth; k++) out.push(`location /l${k} {${at[k] ? ` ${at[k]}` : ''}`);
  out.push(inner);
  for (let k = 0; k < depth; k++) out.push('}');
  out.push('  }', '}');
  return out.join('\n') + '\n';
}

function parseError(fn: () => unknown): NginxParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NginxParseError) return e;
    throw e;
  }
  throw new Error('expected an NginxParseError');
}

describe('a configuration 3,000 blocks deep is read and walked (nginx loads it)', () => {
  const depth = 3000;
  const text = nested(depth, 'proxy_pass https://$backend;', {
    1: 'proxy_ssl_verify on; proxy_ssl_trusted_certificate /etc/nginx/ca.pem;',
    1500: 'proxy_ssl_name api.internal;',
    [depth]: 'set $backend "127.0.0.1:8443";',
  });

  it('effective settings inherit across all levels; the innermost set resolves the variable', () => {
    const started = performance.now();
    const parsed = parseConfigText(text, '/etc/nginx/nginx.conf');
    const r = computeEffectiveSettings(parsed, { nginxVersion: '1.22.1' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.upstreams).toHaveLength(1);
    const u = r.upstreams[0];
    expect(u.location).toBe(`/l${depth}`);
    expect(u.blocks).toHaveLength(depth);
    expect(u.line).toBe(depth + 3);
    expect(u.settings.verify).toEqual({ value: true, source: { directive: 'proxy_ssl_verify', file: '/etc/nginx/nginx.conf', line: 3, level: 'location' } });
    expect(u.settings.name.source?.line).toBe(1502);
    expect(u.verifiedName).toBe('api.internal');
    expect(u.servers.map((s) => [s.host, s.port])).toEqual([['127.0.0.1', 8443]]);
    expect(r.problems).toEqual([]);
  });

  it('start-up refusals at the bottom are found (placement walk): a duplicate and a directive inside if', () => {
    const bad = nested(depth, 'if ($x) { proxy_ssl_verify on; } proxy_pass https://127.0.0.1:1;', { [depth]: 'proxy_ssl_name a; proxy_ssl_name b;' });
    const r = computeEffectiveSettings(parseConfigText(bad, '/n.conf'), { nginxVersion: '1.22.1' });
    expect(r.problems.map((p) => [p.code, p.directive, p.line, p.context])).toEqual([
      ['DUPLICATE_DIRECTIVE', 'proxy_ssl_name', depth + 2, 'location'],
      ['DIRECTIVE_NOT_ALLOWED', 'proxy_ssl_verify', depth + 3, 'if'],
    ]);
  });

  it('the config index finds the pass directive with all its blocks around it', () => {
    const parsed = parseConfigText(text, '/etc/nginx/nginx.conf');
    const hit = indexConfig(parsed).find('proxy_pass', '/etc/nginx/nginx.conf', depth + 3);
    expect(hit?.ancestors).toHaveLength(depth + 2);
    expect(hit?.ancestors.map((a) => a.name).slice(0, 3)).toEqual(['http', 'server', 'location']);
    expect(hit?.ancestors[depth + 1].args).toEqual([`/l${depth}`]);
  });

  it('as `nginx -T` output too', () => {
    const dump = `# configuration file /etc/nginx/nginx.conf:\n${text}\n`;
    expect(computeEffectiveSettings(parseNginxDump(dump), { nginxVersion: '1.22.1' }).upstreams).toHaveLength(1);
  });
});

describe('deeper than the bound: refused with file:line, never a stack overflow', () => {
  it('100,000 levels: NginxParseError block-depth at the first block too many, in bounded time', () => {
    const started = performance.now();
    const e = parseError(() => parseConfigText(nested(100_000, 'proxy_pass https://127.0.0.1:1;'), '/etc/nginx/deep.conf'));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(e.reason).toBe('block-depth');
    // http and server are levels 1 and 2: location k is level k + 2 and sits on line k + 2.
    const line = DEFAULT_MAX_BLOCK_DEPTH - 2 + 1 + 2;
    expect(e.message).toBe(`blocks nested deeper than ${DEFAULT_MAX_BLOCK_DEPTH} levels in /etc/nginx/deep.conf:${line}`);
  });

  it('exactly the bound is read', () => {
    const parsed = parseConfigText(nested(DEFAULT_MAX_BLOCK_DEPTH - 2, 'proxy_pass https://127.0.0.1:1;'), '/n.conf');
    expect(computeEffectiveSettings(parsed, { nginxVersion: '1.22.1' }).upstreams[0].blocks).toHaveLength(DEFAULT_MAX_BLOCK_DEPTH - 2);
  });

  it('levels add up across included files; the error names the included file', () => {
    const files = new Map([
      ['/n/nginx.conf', 'http { server { include /n/inner.conf; } }\n'],
      ['/n/inner.conf', 'location /a {\n  location /b {\n    location /c {\n    }\n  }\n}\n'],
    ]);
    expect(parseConfigFile('/n/nginx.conf', memoryReader(files), { maxBlockDepth: 5 }).files).toHaveLength(2);
    const e = parseError(() => parseConfigFile('/n/nginx.conf', memoryReader(files), { maxBlockDepth: 4 }));
    expect(e.message).toBe('blocks nested deeper than 4 levels in /n/inner.conf:3');
  });
});

describe('tlsdoctor nginx on deep configurations', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-deep-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a config nested 3,000 blocks deep is judged (exit 0, no probe), not an internal error', async () => {
    const conf = join(dir, 'deep3000.conf');
    writeFileSync(conf, `events {}\n${nested(3000, 'proxy_pass https://127.0.0.1:1;')}`);
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', conf]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).locations[0].location).toBe('/l3000');
  });

  it('a config nested 100,000 blocks deep is exit 2 with one line naming file:line', async () => {
    const conf = join(dir, 'deep100000.conf');
    writeFileSync(conf, nested(100_000, 'proxy_pass https://127.0.0.1:1;'));
    const started = performance.now();
    const run = await runCli(['nginx', '--no-probe', conf]);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`tlsdoctor: blocks nested deeper than ${DEFAULT_MAX_BLOCK_DEPTH} levels in ${conf}:${DEFAULT_MAX_BLOCK_DEPTH + 1}\n`);
  });

  it('explain --config reads a deep configuration too', async () => {
    const conf = join(dir, 'deep-explain.conf');
    writeFileSync(conf, nested(3000, 'proxy_pass https://127.0.0.1:8443;'));
    const line =
      '2026/11/22 16:35:08 [error] 1#1: *1 upstream SSL certificate verify error: (19:self-signed certificate in certificate chain) ' +
      'while SSL handshaking to upstream, client: 127.0.0.1, server: , request: "GET /l1/ HTTP/1.1", upstream: "https://127.0.0.1:8443/l1/"';
    const run = await runCli(['explain', '--config', conf, line]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
