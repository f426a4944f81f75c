/** An in-process CliIO that records what the CLI writes (main(argv, io) is testable without a process). */
import type { CliIO } from '../../src/cli/io.js';

export interface RecordingIO extends CliIO {
  out: string;
  err: string;
}

export function recordingIO(o: { cwd: string; stdin?: string; now?: () => Date; stderrIsTTY?: boolean }): RecordingIO {
  const io: RecordingIO = {
    out: '',
    err: '',
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
    readStdin: async () => o.stdin ?? '',
    stdoutIsTTY: false,
    stderrIsTTY: o.stderrIsTTY ?? false,
    now: o.now ?? (() => new Date()),
    cwd: o.cwd,
    env: { TLSDOCTOR_NO_LOCAL_NGINX: '1' },
  };
  return io;
}
