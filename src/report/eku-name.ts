/**
 * Extended key usage purposes by name, as OpenSSL prints them in `openssl x509 -text` short form (serverAuth,
 * clientAuth, ...; the names of RFC 5280 §4.2.1.12 and OpenSSL's objects.txt). An OID tlsdoctor has no name for is
 * shown as the OID.
 */
import { OID } from '../certs/oids.js';

const EKU_KEYS = [
  'serverAuth',
  'clientAuth',
  'codeSigning',
  'emailProtection',
  'timeStamping',
  'ocspSigning',
  'dvcs',
  'anyExtendedKeyUsage',
  'msSgc',
  'nsSgc',
  'smtpUtf8Mailbox',
] as const;

const NAMES: ReadonlyMap<string, string> = new Map(EKU_KEYS.map((k) => [OID[k], k]));

export function ekuName(oid: string): string {
  return NAMES.get(oid.trim()) ?? oid.trim();
}

/** A list of OIDs (array, or a comma-separated evidence string) as names. */
export function ekuNames(oids: string[] | string): string[] {
  const list = typeof oids === 'string' ? oids.split(',').filter((x) => x.trim() !== '') : oids;
  return list.map(ekuName);
}
