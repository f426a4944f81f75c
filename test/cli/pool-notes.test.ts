/** --intermediates DIR: files that hold no certificate are summed up in one note (issue 14: 60 notes before). */
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expandPoolPath, readPool } from '../../src/cli/read-cert-files.js';
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

it('a file under several names (a c_rehash link, a hard link) is read once, under the name that is not a hash link', () => {
  const d = mkdtempSync(join(tmpdir(), 'tlsdoctor-pool-links-'));
  try {
    writeFileSync(join(d, 'b-int.pem'), readFixture('int1.pem'));
    symlinkSync('b-int.pem', join(d, '0a1b2c3d.0'));
    linkSync(join(d, 'b-int.pem'), join(d, 'c-int-hardlink.pem'));
    writeFileSync(join(d, 'e-other.pem'), readFixture('int2.pem'));
    writeFileSync(join(d, 'ffffffff.0'), readFixture('root.pem')); // a hash name with no other name: kept
    symlinkSync('missing.pem', join(d, '11111111.0'));
    expect(expandPoolPath(d, '--intermediates').map((f) => basename(f))).toEqual(['b-int.pem', 'e-other.pem', 'ffffffff.0']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

it('a certificate met again in another file of the pool is kept once, from the first file that holds it', async () => {
  const d = mkdtempSync(join(tmpdir(), 'tlsdoctor-pool-dup-'));
  try {
    writeFileSync(join(d, 'a-int1.pem'), readFixture('int1.pem'));
    writeFileSync(join(d, 'b-bundle.crt'), readFixture('int2.pem') + readFixture('int1.pem') + readFixture('int2.pem'));
    const { certs } = await readPool([d, fixturePath('int1.pem')], '--intermediates');
    expect(certs.map((c) => [basename(c.origin), c.cert.subject])).toEqual([
      ['a-int1.pem', expect.stringContaining('Intermediate')],
      ['b-bundle.crt', expect.stringContaining('CN=')],
    ]);
    expect(certs[0].cert.sha256).not.toBe(certs[1].cert.sha256);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
