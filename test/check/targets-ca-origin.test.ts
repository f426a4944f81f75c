/**
 * A bad `ca=` in a targets file names the targets file and line and `ca=` (issue 14: it was reported as `--ca`),
 * for `check` (the target is UNKNOWN) and `serve` (refused at start). No connection is made: the bundle is read
 * before any handshake, and serve fails before listening.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withTargetOrigin } from '../../src/check/run-check.js';
import type { CheckTarget } from '../../src/check/types.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-targets-ca-'));
  writeFileSync(join(dir, 'not-a-cert.pem'), 'hello\n');
  writeFileSync(join(dir, 'targets.txt'), '# upstreams\n127.0.0.1:1 ca=not-a-cert.pem\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('check: the UNKNOWN reason names targets.txt:2 and ca=', async () => {
  const run = await runCli(['check', '--targets', join(dir, 'targets.txt')]);
  expect(run.code).toBe(3);
  expect(run.stdout).toContain(`could not check: INPUT_NOT_CERTIFICATE: ${join(dir, 'targets.txt')}:2: ca=${join(dir, 'not-a-cert.pem')}: `);
  expect(run.stdout).not.toContain('--ca ');
});

it('serve: refused at start with the same words (exit 2, one line)', async () => {
  const run = await runCli(['serve', '--listen', '127.0.0.1:0', '--targets', join(dir, 'targets.txt')]);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain(`${join(dir, 'targets.txt')}:2: ca=${join(dir, 'not-a-cert.pem')}: `);
});

it('an error about a command-line --ca keeps its label', () => {
  const t = { spec: { ca: ['/x/a.pem'], origin: 't.txt:1' } } as unknown as CheckTarget;
  expect(withTargetOrigin(t, { code: 'E', message: '--ca /y/b.pem: no such file' }).message).toBe('--ca /y/b.pem: no such file');
  expect(withTargetOrigin(t, { code: 'E', message: '--ca /x/a.pem: no such file' }).message).toBe('t.txt:1: ca=/x/a.pem: no such file');
});
