/**
 * Run the CLI in-process with a fake terminal (certigo's pattern): main(argv, io) → exit code, captured output.
 */
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { stdin?: string; now?: Date; cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => opts.stdin ?? '',
    stdoutIsTTY: false,
    stderrIsTTY: false,
    now: () => opts.now ?? new Date(),
    cwd: opts.cwd ?? process.cwd(),
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
