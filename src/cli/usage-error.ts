/**
 * An operational error the user can fix: bad argument, unreadable file. Printed as one line, exit 2,
 * never with a stack trace. `code` is stable (callers and tests match on it).
 */
export class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
    this.code = code;
  }
}
