/**
 * Everything the CLI touches of the process, passed in so that main() is testable in-process.
 */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whole standard input (for `-` arguments). */
  readStdin(): Promise<string>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  now(): Date;
  cwd: string;
  env: Record<string, string | undefined>;
}
