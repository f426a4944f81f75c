/**
 * The operational error raised when a file (or a fetched body) that should hold certificates cannot be used.
 *
 * A bad input file is not a finding about the upstream: it stops the run, so it is an exception with a stable
 * `code` that the CLI maps to an exit code and callers match on (STYLE.md §5, undici's `UND_ERR_*` pattern).
 * The message is one line and always starts with the file name; it never quotes the file's content (the file
 * may hold a private key next to the certificates).
 */

export type InputErrorCode =
  /** Zero bytes, or only whitespace. */
  | 'INPUT_EMPTY'
  /** Larger than the byte cap (`LoadLimits.maxBytes`). */
  | 'INPUT_TOO_LARGE'
  /** More certificates than the count cap (`LoadLimits.maxCertificates`). */
  | 'INPUT_TOO_MANY_CERTIFICATES'
  /** Readable, but holds no certificate (text without PEM blocks, a CSR, a CRL, PKCS#12, unknown DER). */
  | 'INPUT_NOT_CERTIFICATE'
  /** Holds a private key and nothing else usable. The key is counted, never decoded further, never echoed. */
  | 'INPUT_ONLY_PRIVATE_KEY'
  /** A PEM block without its END line, with a mismatched END line, or with invalid base64. */
  | 'INPUT_MALFORMED_PEM'
  /** DER that is truncated, has trailing bytes, or is not shaped like an X.509 Certificate (RFC 5280 §4.1). */
  | 'INPUT_MALFORMED_DER'
  /** PKCS#7/CMS that pkijs cannot decode, or that is not SignedData (RFC 5652 §5.1). */
  | 'INPUT_MALFORMED_PKCS7'
  /** The synchronous reader met PKCS#7, which needs pkijs: call `readCertificateBlobsAsync`. */
  | 'INPUT_PKCS7_NEEDS_ASYNC';

export class InputError extends Error {
  override readonly name = 'InputError';
  readonly code: InputErrorCode;
  /** The file name (or URL) as the caller passed it. */
  readonly file: string;

  constructor(code: InputErrorCode, file: string, detail: string, options?: { cause?: unknown }) {
    super(`${oneLine(file)}: ${oneLine(detail)}`, options);
    this.code = code;
    this.file = file;
  }
}

/**
 * Makes text safe to put on one line of a terminal or a log: control characters (which could rewrite the
 * terminal or fake a second log line) become `\xNN` / `\uNNNN`, and very long text is cut.
 */
export function oneLine(text: string, max = 300): string {
  // C0, DEL, C1, and the Unicode line/paragraph separators.
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
  return safe.length > max ? `${safe.slice(0, max)}...` : safe;
}
