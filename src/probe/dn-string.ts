/**
 * DER X.501 Name → the one-line form used everywhere in tlsdoctor (`CN=leaf,O=Example`, most specific RDN
 * first, like `-nameopt RFC2253`). The CertificateRequest's certificate_authorities carry bare Names, and
 * they must read exactly like the `subject` strings of parsed certificates so the two can be compared, so
 * this defers to src/certs/name.ts (pure, light: no @peculiar/x509 on the probe's path).
 */
import { DerReader } from '../certs/der.js';
import { decodeName, nameToString } from '../certs/name.js';

/** A Name that does not decode is rendered as `#` + hex of its DER (RFC 4514 §2.4 notation). */
export function formatDistinguishedName(der: Uint8Array): string {
  try {
    const reader = new DerReader(der);
    return nameToString(decodeName(reader, reader.root()));
  } catch {
    return `#${Buffer.from(der).toString('hex')}`;
  }
}
