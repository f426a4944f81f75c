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

export async function runCli(
  argv: string[],
  opts: { stdin?: string; now?: Date; cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
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
    // No local nginx lookup unless a test asks for it: results must not depend on what this machine has installed.
    env: opts.env ?? { TLSDOCTOR_NO_LOCAL_NGINX: '1' },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
