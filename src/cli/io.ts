/**
 * Everything the CLI touches of the process, passed in so that main() is testable in-process.
 */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Standard input (for `-` arguments), whole, or its first `maxBytes` bytes when given: the process stops
   * reading there (read-input.ts refuses input over its cap; `cat /dev/zero | tlsdoctor nginx -` must end).
   */
  readStdin(maxBytes?: number): Promise<string>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  now(): Date;
  cwd: string;
  env: Record<string, string | undefined>;
}
