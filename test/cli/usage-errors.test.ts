/**
 * Bad input: one line naming the argument or file, exit 2, no stack trace, nothing of a private key printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-usage-'));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const keyPem = readFixture('leaf.key.pem');
const keyBody = keyPem.split('\n')[1];

function expectOneLineError(run: { code: number; stdout: string; stderr: string }, mention: string) {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(mention);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('probe: bad input is a one-line error with exit 2', () => {
  it.each([
    ['a missing --ca file', ['probe', '127.0.0.1:1', '--ca', join(dir, 'nope.pem')], 'nope.pem'],
    ['an empty --ca file', ['probe', '127.0.0.1:1', '--ca', file('empty.pem', '')], 'empty.pem'],
    ['a non-certificate --ca file', ['probe', '127.0.0.1:1', '--ca', file('text.pem', 'hello world\n')], 'text.pem'],
    ['a truncated PEM', ['probe', '127.0.0.1:1', '--ca', file('trunc.pem', readFixture('root.pem').slice(0, 200))], 'trunc.pem'],
    ['a directory as --ca', ['probe', '127.0.0.1:1', '--ca', dir], dir],
    ['a bad target', ['probe', 'host:notaport', '--ca', fixturePath('root.pem')], 'host:notaport'],
    ['a port out of range', ['probe', '127.0.0.1:70000', '--ca', fixturePath('root.pem')], '70000'],
    ['a bad timeout', ['probe', '127.0.0.1:1', '--timeout', 'soon'], '--timeout'],
    ['a bad depth', ['probe', '127.0.0.1:1', '--proxy-ssl-verify-depth', 'x'], '--proxy-ssl-verify-depth'],
    ['a bad on/off', ['probe', '127.0.0.1:1', '--proxy-ssl-server-name', 'yes'], '--proxy-ssl-server-name'],
    ['an unknown protocol', ['probe', '127.0.0.1:1', '--proxy-ssl-protocols', 'SSLv3'], 'SSLv3'],
    ['a certificate without its key', ['probe', '127.0.0.1:1', '--proxy-ssl-certificate', fixturePath('client.pem')], '--proxy-ssl-certificate-key'],
  ])('%s', async (_name, argv, mention) => {
    expectOneLineError(await runCli(argv), mention);
  });

  it('a private key passed as --ca is named as such and never printed', async () => {
    const run = await runCli(['probe', '127.0.0.1:1', '--ca', file('key.pem', keyPem)]);
    expectOneLineError(run, 'key.pem');
    expect(run.stderr).toMatch(/private key/);
    expect(run.stderr).not.toContain(keyBody);
  });

  it('an unknown option is a usage error', async () => {
    const run = await runCli(['probe', '127.0.0.1:1', '--no-such-option']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option/);
  });

  it('a key next to certificates in a bundle is ignored with a note, not printed', async () => {
    const bundle = file('mixed.pem', keyPem + readFixture('root.pem'));
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', bundle, '--json', '--at', '2026-01-01T00:00:00Z']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.notes.join(' ')).toMatch(/private key/);
    expect(run.stdout).not.toContain(keyBody);
  });
});

// Issue 14: a usage error points to the help of the command it is about.
describe("commander's usage errors name the subcommand's help", () => {
  it.each([
    ['probe', ['probe', '--bogus']],
    ['verify', ['verify', '--chain']],
    ['nginx', ['nginx', '--concurrency']],
    ['explain', ['explain', '--log']],
  ])('%s', async (name, argv) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`(run tlsdoctor ${name} --help for usage)`);
  });
  it('an unknown command points to the program help', async () => {
    const run = await runCli(['bogus']);
    expect(run.stderr).toContain('(run tlsdoctor --help for usage)');
  });
});
