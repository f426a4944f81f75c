/**
 * vitest globalSetup: every temporary file or folder a test makes lands in one folder per run, removed when the
 * run ends, whether or not each test cleaned up after itself (and whatever a spawned nginx or CLI left there).
 *
 * node:os tmpdir() reads TMPDIR on every call, and the test workers and the processes they spawn inherit the
 * environment set here, so `mkdtempSync(join(tmpdir(), ...))` anywhere in the suite needs no change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  // Short: nginx and unix sockets under it have path-length limits.
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-test-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}
