/**
 * Fuzz seeds, all from the repository: the certificates of certs-fixtures/pki (never the key files: a fuzz
 * failure prints a preview of its input), PKCS#7 SignedData built from them here, the nginx config corpus
 * (test/nginx/configs) and the error log captured from nginx 1.22.1 (test/nginx/logs).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PKI_DIR, pemToDers } from '../helpers/fixtures.js';
import { tlv } from './fuzz-kit.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Each certificate PEM file of the fixture PKI, as text (the 150-root bundle included). */
export function certPemFiles(): string[] {
  return readdirSync(PKI_DIR)
    .filter((f) => f.endsWith('.pem') && !f.endsWith('.key.pem'))
    .sort()
    .map((f) => readFileSync(join(PKI_DIR, f), 'latin1'));
}

/** The DER of every distinct fixture certificate outside the big bundle (which only repeats the shape). */
export function certDers(): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const f of readdirSync(PKI_DIR).filter((n) => n.endsWith('.pem') && !n.endsWith('.key.pem') && !n.startsWith('bundle-')).sort()) {
    for (const der of pemToDers(readFileSync(join(PKI_DIR, f), 'latin1'))) {
      const hex = der.toString('hex');
      if (!seen.has(hex)) out.push(new Uint8Array(der));
      seen.add(hex);
    }
  }
  return out;
}

const OID_SIGNED_DATA = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);
const OID_DATA = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);

/**
 * A certs-only PKCS#7 SignedData (RFC 5652 §5.1), the shape `openssl crl2pkcs7 -nocrl` writes: version 1, no
 * digest algorithms, id-data content without eContent, `certificates [0] IMPLICIT`, empty signerInfos.
 */
export function pkcs7Of(ders: Uint8Array[]): Uint8Array {
  const signedData = tlv(
    0x30,
    Uint8Array.from([0x02, 0x01, 0x01]),
    Uint8Array.from([0x31, 0x00]),
    tlv(0x30, OID_DATA),
    tlv(0xa0, ...ders),
    Uint8Array.from([0x31, 0x00]),
  );
  return tlv(0x30, OID_SIGNED_DATA, tlv(0xa0, signedData));
}

export function pemArmor(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A PEM block whose label says private key; its body is filler, not a key (the loader must count and skip it). */
export const FAKE_KEY_BLOCK = '-----BEGIN PRIVATE KEY-----\nTk9UIEEgS0VZ\n-----END PRIVATE KEY-----\n';

/** Every file of the nginx config corpus (configs, mime.types, `nginx -T` dump), as text. */
export function nginxConfigTexts(): string[] {
  const root = join(HERE, '../nginx/configs');
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(pem|key|json|md|sh)$/.test(name)) out.push(readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  out.push(readFileSync(join(HERE, '../nginx/logs/nginx-1.22.1.conf'), 'utf8'));
  return out;
}

/** The lines of the real nginx 1.22.1 error log (OpenSSL queues, verify errors, resolver and connect errors). */
export function errorLogLines(): string[] {
  return readFileSync(join(HERE, '../nginx/logs/nginx-1.22.1-error.log'), 'latin1').split('\n').filter((l) => l !== '');
}
