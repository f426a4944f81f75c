/**
 * The SHA-256 fingerprint in the form `openssl x509 -noout -fingerprint -sha256` prints (upper-case hex pairs
 * joined by colons), so a user can compare it with what the upstream's operator reads off their own file.
 */
export function opensslFingerprint(sha256Hex: string): string {
  return (sha256Hex.toUpperCase().match(/../g) ?? []).join(':');
}
