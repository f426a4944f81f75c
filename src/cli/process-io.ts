/**
 * The real process behind CliIO. Writes go straight to the file descriptors' streams; the exit code is set by
 * the shim, never by process.exit(), so pending output is flushed.
 */
import type { CliIO } from './io.js';

export function processIO(): CliIO {
  // `tlsdoctor ... | head`: the reader went away. Stop quietly instead of dying on an unhandled EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readStdin: async (maxBytes = Infinity) => {
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const c of process.stdin) {
        chunks.push(c as Buffer);
        length += (c as Buffer).length;
        // Leaving the loop destroys the stream: nothing more is read from an endless producer.
        if (length >= maxBytes) break;
      }
      return Buffer.concat(chunks).subarray(0, Math.min(length, maxBytes)).toString('utf8');
    },
    stdoutIsTTY: !!process.stdout.isTTY,
    stderrIsTTY: !!process.stderr.isTTY,
    now: () => new Date(),
    cwd: process.cwd(),
    env: process.env,
  };
}
