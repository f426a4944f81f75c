/**
 * main() defines only the command it runs (start-up, issue 15); help, --version and mistyped commands still see
 * every command.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { COMMANDS } from '../../src/cli/command-definitions.js';
import type { CliIO } from '../../src/cli/io.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '', stdoutIsTTY: false, stderrIsTTY: false, now: () => new Date('2026-06-01T00:00:00Z'), cwd: process.cwd(), env: {} };
  const code = await main(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

const ALL = ['probe', 'verify', 'inspect', 'demo', 'check', 'serve', 'nginx', 'lint', 'explain'];

describe('command definitions', () => {
  it('are every command, in the order of --help', () => {
    expect(Object.keys(COMMANDS)).toEqual(ALL);
  });

  it('--help lists every command', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const listed = [...r.out.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]);
    expect(listed).toEqual([...ALL, 'help']);
  });

  it('help COMMAND shows that command', async () => {
    const r = await run(['help', 'check']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: tlsdoctor check');
    expect(r.out).toContain('--concurrency <n>');
  });

  it('COMMAND --help shows that command', async () => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: tlsdoctor serve');
    expect(r.out).toContain('--allow-targets');
  });

  it('a mistyped command is suggested from every command', async () => {
    const r = await run(['expain']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Did you mean explain?');
  });

  it("check's usage errors still exit 3 (UNKNOWN), the others 2", async () => {
    expect((await run(['check', '--bogus'])).code).toBe(3);
    expect((await run(['inspect', '--bogus'])).code).toBe(2);
  });
});
