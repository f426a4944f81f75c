/**
 * The JSON-serialisable face of a certificate for reports (CertSummary in src/certs/cert.ts).
 */
import { certTimeText } from './time-text.js';
import type { Cert, CertSummary } from './cert.js';
import { keyLabel } from './key-info.js';
import { toPem } from './pem.js';

export function summarizeCertificate(c: Cert): CertSummary {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    sha256: c.sha256,
    notBefore: certTimeText(c.notBefore),
    notAfter: certTimeText(c.notAfter),
    selfSigned: c.selfSigned,
    isCa: c.basicConstraints?.ca ?? false,
    dnsNames: [...(c.subjectAltNames?.dns ?? [])],
    ipAddresses: [...(c.subjectAltNames?.ip ?? [])],
    keyType: keyLabel(c.publicKey),
    signatureAlgorithm: c.signature.name,
    // RFC 7468 PEM, 64-column base64 lines, as `openssl x509` writes it.
    pem: toPem(c.der),
  };
}
