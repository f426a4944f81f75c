/**
 * `--request-path`: the one request sent after the handshake, as nginx sends it (probe by default; check and serve
 * only when asked). An origin-form path (RFC 9112 §3.2.1), printable, no spaces: it goes into the request line.
 */
import { UsageError } from './usage-error.js';

export function requestPathOption(path: string): { path: string } {
  if (!/^\/[\x21-\x7e]*$/.test(path) || path.length > 2048) {
    throw new UsageError('BAD_REQUEST_PATH', `--request-path: "${path}" is not a path starting with / (printable, no spaces)`);
  }
  return { path };
}
