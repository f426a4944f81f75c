/**
 * --at: the verification time (X509_VERIFY_PARAM_set_time), default now.
 */
import type { CliIO } from './io.js';
import { UsageError } from './usage-error.js';

export function parseAt(text: string | undefined, io: CliIO): Date {
  if (text === undefined) return io.now();
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new UsageError('BAD_TIME', `--at: "${text}" is not an ISO-8601 time (e.g. 2026-11-22T12:00:00Z)`);
  return d;
}
