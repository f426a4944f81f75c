/**
 * The client certificate and key nginx presents to an upstream (`proxy_ssl_certificate` /
 * `proxy_ssl_certificate_key`, probe's options of the same names, a targets file's cert=/key=): read both files
 * (bounded, read-input.ts), then check them the way nginx does when it loads them (src/nginx/client-cert-emerg.ts):
 * PEM certificate, PEM private key, not encrypted (tlsdoctor has no pass phrase support), and the key is the
 * certificate's (`SSL_CTX_use_PrivateKey` → `X509_check_private_key`). node:crypto does the parsing and the
 * check. The key stays in memory for node:tls only: no message ever holds a byte of it.
 */
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import type { ClientCertMaterial } from '../check/check-target.js';
import { readCertificateBlobsAsync } from '../certs/load.js';
import { parseCertificate } from '../certs/parse.js';
import type { ClientCertProblem } from '../nginx/client-cert-emerg.js';
import { CAP, readInputFile } from './read-input.js';
import { UsageError } from './usage-error.js';

export type { ClientCertProblem } from '../nginx/client-cert-emerg.js';

/** PEM_read_bio_X509_AUX reads PEM only, under these labels (OpenSSL pem.h PEM_STRING_X509*). */
const PEM_CERT = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/;
/** The first private key block and, for the traditional (OpenSSL 1.0) format, its encryption header. */
const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\r?\n(Proc-Type:\s*4,ENCRYPTED)?/;

export type ClientCertCheck = { ok: true; material: ClientCertMaterial } | { ok: false; problem: ClientCertProblem };

/** Names of the two files in messages: the options (`--proxy-ssl-certificate`) or roles (`client certificate`). */
export interface ClientCertLabels {
  cert: string;
  key: string;
}

function readOne(path: string, label: string): { bytes: Buffer } | { error: UsageError } {
  try {
    return { bytes: readInputFile(path, { label, cap: CAP.key, expected: 'a PEM file' }) };
  } catch (e) {
    if (e instanceof UsageError) return { error: e };
    throw e;
  }
}

/** The key, or why nginx could not load it (PEM_read_bio_PrivateKey). Encrypted keys are never decrypted. */
function parseKey(text: string, files: { certFile: string; keyFile: string }): KeyObject | ClientCertProblem {
  const m = PEM_KEY.exec(text);
  if (!m) return { kind: 'key-none', ...files };
  if (m[1] === 'ENCRYPTED ' || m[2] !== undefined) return { kind: 'key-encrypted', ...files };
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'ERR_MISSING_PASSPHRASE' || /INTERRUPTED_OR_CANCELLED|BAD_PASSWORD_READ/.test(code)) return { kind: 'key-encrypted', ...files };
    return { kind: 'key-unparsable', ...files, detail: (e as Error).message };
  }
}

/** Reads and checks the pair; every failure is a problem value (the nginx command reports it as nginx would). */
export async function checkClientCert(certFile: string, keyFile: string, labels: ClientCertLabels): Promise<ClientCertCheck> {
  const files = { certFile, keyFile };
  const certRead = readOne(certFile, labels.cert);
  if ('error' in certRead) return { ok: false, problem: { kind: 'cert-unreadable', ...files, code: certRead.error.code, detail: certRead.error.message } };
  const keyRead = readOne(keyFile, labels.key);
  if ('error' in keyRead) return { ok: false, problem: { kind: 'key-unreadable', ...files, code: keyRead.error.code, detail: keyRead.error.message } };
  const certText = certRead.bytes.toString('utf8');
  const keyText = keyRead.bytes.toString('utf8');

  if (!PEM_CERT.test(certText)) return { ok: false, problem: { kind: 'cert-not-pem', ...files } };
  let leaf: X509Certificate;
  let certs: ClientCertMaterial['certs'];
  try {
    // nginx's leaf is the file's first certificate; the others are its chain (ngx_ssl_certificate).
    leaf = new X509Certificate(certRead.bytes);
    const blobs = await readCertificateBlobsAsync(certRead.bytes, certFile);
    certs = blobs.ders.map((der) => {
      const c = parseCertificate(der);
      return { subject: c.subject, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter };
    });
  } catch (e) {
    return { ok: false, problem: { kind: 'cert-unparsable', ...files, detail: (e as Error).message } };
  }
  const key = parseKey(keyText, files);
  if (!(key instanceof KeyObject)) return { ok: false, problem: key };
  if (!leaf.checkPrivateKey(key)) return { ok: false, problem: { kind: 'mismatch', ...files } };
  return { ok: true, material: { cert: certText, key: keyText, certs } };
}

/** Codes of the UsageErrors below (stable: callers and tests match on them). */
const PROBLEM_CODE: Record<Exclude<ClientCertProblem['kind'], 'cert-unreadable' | 'key-unreadable'>, string> = {
  'cert-not-pem': 'INPUT_NOT_CERTIFICATE',
  'cert-unparsable': 'CLIENT_CERT_UNPARSABLE',
  'key-none': 'INPUT_NOT_KEY',
  'key-encrypted': 'CLIENT_KEY_ENCRYPTED',
  'key-unparsable': 'CLIENT_KEY_UNPARSABLE',
  mismatch: 'CLIENT_KEY_MISMATCH',
};

/** One line naming both files (exit 2). An unreadable file keeps read-input.ts's code and message. */
export function clientCertError(p: ClientCertProblem, labels: ClientCertLabels): UsageError {
  const cert = `${labels.cert} ${p.certFile}`;
  const key = `${labels.key} ${p.keyFile}`;
  switch (p.kind) {
    case 'cert-unreadable':
    case 'key-unreadable':
      return new UsageError(p.code, p.detail);
    case 'cert-not-pem':
      return new UsageError(PROBLEM_CODE[p.kind], `${cert}: holds no PEM certificate (nginx reads PEM only; key ${p.keyFile})`);
    case 'cert-unparsable':
      return new UsageError(PROBLEM_CODE[p.kind], `${cert}: the certificate cannot be parsed (${p.detail}; key ${p.keyFile})`);
    case 'key-none':
      return new UsageError(PROBLEM_CODE[p.kind], `${key}: holds no PEM private key (for certificate ${p.certFile})`);
    case 'key-encrypted':
      return new UsageError(
        PROBLEM_CODE[p.kind],
        `${key}: the private key is encrypted and tlsdoctor has no pass phrase support (for certificate ${p.certFile}); ` +
          'give an unencrypted copy (openssl pkey -in KEY -out PLAIN.key), kept private',
      );
    case 'key-unparsable':
      return new UsageError(PROBLEM_CODE[p.kind], `${key}: the private key cannot be parsed (${p.detail}; for certificate ${p.certFile})`);
    case 'mismatch':
      return new UsageError(PROBLEM_CODE[p.kind], `${key} does not match ${cert}: it is not the certificate's private key (nginx: key values mismatch)`);
  }
}

/** For probe and check: the pair, or a UsageError naming both files. */
export async function readClientCertPair(certFile: string, keyFile: string, labels: ClientCertLabels): Promise<ClientCertMaterial> {
  const r = await checkClientCert(certFile, keyFile, labels);
  if (!r.ok) throw clientCertError(r.problem, labels);
  return r.material;
}
