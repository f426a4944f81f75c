/**
 * The printed proxy_ssl_trusted_certificate line is right to copy (issue 14): the user's bundle when the plan keeps
 * it, else the path where trusted-ca.pem goes, with the upstream-ssl.conf snippet saying the same.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, fixturePath } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-install-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Doc {
  fix: { directives: { line: string }[]; files: { name: string; content: string }[]; trustedFile: { path: string; state: string } };
}

const verify = (chain: string[], ...extra: string[]) =>
  runCli(['verify', '--chain', fixturePath(chain[0]), ...chain.slice(1).flatMap((c) => ['--untrusted', fixturePath(c)]), '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString(), '--json', ...extra], { cwd: dir });

it('bundle unchanged, nothing written: the line and the snippet name the --ca file', async () => {
  const doc = JSON.parse((await verify(['leaf.pem', 'int1.pem'])).stdout) as Doc;
  expect(doc.fix.trustedFile).toEqual({ path: fixturePath('root.pem'), state: 'current' });
  expect(doc.fix.directives.map((d) => d.line)).toContain(`proxy_ssl_trusted_certificate ${fixturePath('root.pem')};`);
  const snippet = doc.fix.files.find((f) => f.name === 'upstream-ssl.conf')!.content;
  expect(snippet).toContain(`\nproxy_ssl_trusted_certificate ${fixturePath('root.pem')};`);
  expect(snippet).not.toContain('trusted-ca.pem;');
  expect(snippet).toContain('# your bundle, unchanged');
});

it('a new certificate to trust, nothing written: the line names where trusted-ca.pem must go', async () => {
  const run = await verify(['leaf.pem'], '--intermediates', fixturePath('int1.pem'));
  const doc = JSON.parse(run.stdout) as Doc;
  expect(doc.fix.trustedFile).toEqual({ path: join(dir, 'trusted-ca.pem'), state: 'to-install' });
});

it('--out: the file is written where the line says', async () => {
  const out = join(dir, 'fix');
  const doc = JSON.parse((await verify(['leaf.pem'], '--intermediates', fixturePath('int1.pem'), '--out', out)).stdout) as Doc;
  expect(doc.fix.trustedFile).toEqual({ path: join(out, 'trusted-ca.pem'), state: 'written' });
  expect(readFileSync(join(out, 'upstream-ssl.conf'), 'utf8')).toContain(`proxy_ssl_trusted_certificate ${join(out, 'trusted-ca.pem')};`);
  expect(readFileSync(join(out, 'trusted-ca.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
});
