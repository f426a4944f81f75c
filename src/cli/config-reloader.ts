/**
 * `serve --nginx-config`: read the configuration again on SIGHUP (as nginx itself reloads on SIGHUP) and when one of
 * its files changes. Change is noticed by polling (mtime, size and inode of every file the configuration expanded
 * to), not fs.watch: polling is bounded (one stat per file per interval), works on every filesystem, and survives
 * the file being replaced by rename, which is how editors and configuration management write. A read that fails
 * keeps the previous targets: nginx keeps running on its old configuration when a reload fails, so the targets
 * still are what nginx does.
 */
import { statSync } from 'node:fs';

export interface ReloaderOptions<T> {
  /** Read the configuration; throws on a configuration that cannot be used. */
  read(): Promise<T>;
  /** Use what was read. */
  apply(value: T): void;
  /** The files to watch for `value` (the main file and its includes). */
  filesOf(value: T): string[];
  /** A read failed: the message, the previous value stays. */
  failed(message: string): void;
  intervalMs: number;
}

export interface Reloader {
  /** Read now (SIGHUP); resolves once applied or failed. Concurrent calls share one read. */
  reload(): Promise<boolean>;
  stop(): void;
}

function fingerprint(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return `${f}:gone`;
      }
    })
    .join('\n');
}

/** Starts watching with the configuration already read once (`first`). */
export function startReloader<T>(first: T, o: ReloaderOptions<T>): Reloader {
  let files = o.filesOf(first);
  let seen = fingerprint(files);
  let running: Promise<boolean> | null = null;
  const reload = (): Promise<boolean> => {
    running ??= (async () => {
      // Taken before the read: a change made during the read is seen at the next tick.
      const before = fingerprint(files);
      try {
        const value = await o.read();
        o.apply(value);
        files = o.filesOf(value);
        seen = fingerprint(files);
        return true;
      } catch (e) {
        seen = before;
        o.failed(e instanceof Error ? e.message : String(e));
        return false;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => {
    if (running === null && fingerprint(files) !== seen) void reload();
  }, o.intervalMs);
  timer.unref();
  return { reload, stop: () => clearInterval(timer) };
}
