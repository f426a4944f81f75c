/**
 * Text of a certificate's notBefore/notAfter. d2i_X509 loads a certificate whatever its Time text says
 * (`Z`, an empty UTCTime: src/certs/x509-facts.ts decodeTime), so a parsed certificate's time may be an
 * Invalid Date; OpenSSL then reports X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD (13) / NOT_AFTER_FIELD (14)
 * and prints "Bad time value". Reports show such a time as `invalid` rather than throwing RangeError.
 */
export const INVALID_TIME_TEXT = 'invalid';

export function certTimeText(d: Date): string {
  return Number.isNaN(d.getTime()) ? INVALID_TIME_TEXT : d.toISOString();
}
