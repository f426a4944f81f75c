/** --intermediates DIR: files that hold no certificate are summed up in one note (issue 14: 60 notes before). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, fixturePath, readFixture } from '../helpers/fixtures.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-pool-'));
  writeFileSync(join(dir, 'int1.pem'), readFixture('int1.pem'));
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `readme-${String(i).padStart(2, '0')}.txt`), 'not a certificate\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('one note names how many files were skipped, the first three and why; the certificate is still used', async () => {
  const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--intermediates', dir, '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString()]);
  const notes = run.stdout.split('\n').filter((l) => l.includes('note:'));
  expect(notes).toHaveLength(1);
  expect(notes[0]).toContain(`--intermediates ${dir}: skipped 12 files that hold no certificate: readme-00.txt (`);
  expect(notes[0]).toContain('and 9 more');
  expect(run.stdout).toContain('[from --intermediates]');
});
