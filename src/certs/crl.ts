/**
 * The dates of a CRL file as nginx loads it for `proxy_ssl_crl` (ngx_ssl_crl: X509_LOOKUP_load_file with
 * X509_FILETYPE_PEM, so PEM `X509 CRL` blocks only, every one of them). Only what the forecast needs is read:
 * the issuer, thisUpdate and nextUpdate (RFC 5280 §5.1: TBSCertList ::= SEQUENCE { version OPTIONAL, signature,
 * issuer, thisUpdate, nextUpdate OPTIONAL, ... }); the revoked list is skipped whole, whatever its size.
 */
import { createHash } from 'node:crypto';
import { DerError, DerReader, TAG } from './der.js';
import { decodeName, nameToString } from './name.js';
import { decodePemBody, readPemBlocks } from './pem.js';
import { decodeTime } from './x509-facts.js';

export interface CrlDates {
  issuer: string;
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
  thisUpdate: Date;
  /** Absent in the CRL: OpenSSL then never reports it expired (check_crl_time skips the test). */
  nextUpdate: Date | null;
}

/** One DER CertificateList. Throws DerError on a structure OpenSSL would not load either. */
export function readCrlDates(der: Uint8Array): CrlDates {
  const r = new DerReader(der);
  const list = r.expect(r.root(), TAG.SEQUENCE, 'CertificateList');
  const top = r.children(list, 4);
  if (top.length !== 3) throw new DerError('CertificateList must have three elements');
  const f = r.children(r.expect(top[0], TAG.SEQUENCE, 'TBSCertList'), 8);
  let i = f[0]?.tag === TAG.INTEGER ? 1 : 0;
  r.expect(f[i++], TAG.SEQUENCE, 'signature');
  const issuer = nameToString(decodeName(r, r.expect(f[i++], TAG.SEQUENCE, 'issuer')));
  if (!f[i]) throw new DerError('thisUpdate missing');
  const thisUpdate = decodeTime(r, f[i++]).date;
  const t = f[i] ? f[i].tag & ~0x20 : -1;
  const nextUpdate = t === TAG.UTC_TIME || t === TAG.GENERALIZED_TIME ? decodeTime(r, f[i]).date : null;
  return { issuer, sha256: createHash('sha256').update(der).digest('hex'), thisUpdate, nextUpdate };
}

/** Every `X509 CRL` block of a PEM file (what nginx loads); other blocks are ignored, as X509_load_cert_crl_file does. */
export function readCrlFile(text: string, file: string): CrlDates[] {
  return readPemBlocks(text, file)
    .filter((b) => b.label === 'X509 CRL')
    .map((b) => readCrlDates(decodePemBody(b, file)));
}
