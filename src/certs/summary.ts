/**
 * The JSON-serialisable summary of a certificate used in reports (CertSummary in cert.ts).
 */
import type { Cert, CertSummary } from './cert.js';
import { toPem } from './pem.js';

function keyLabel(c: Cert): string {
  const k = c.publicKey;
  switch (k.type) {
    case 'rsa':
      return `RSA ${k.bits}`;
    case 'rsa-pss':
      return `RSA-PSS ${k.bits}`;
    case 'ec':
      return `EC ${k.curve ?? `${k.bits}-bit`}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    case 'dsa':
      return `DSA ${k.bits}`;
    default:
      return `${k.type} ${k.bits}`;
  }
}

export function summarizeCertificate(c: Cert): CertSummary {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    sha256: c.sha256,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    selfSigned: c.selfSigned,
    isCa: !!c.basicConstraints?.ca,
    dnsNames: c.subjectAltNames?.dns ?? [],
    ipAddresses: c.subjectAltNames?.ip ?? [],
    keyType: keyLabel(c),
    signatureAlgorithm: c.signature.name,
    pem: toPem(c.der),
  };
}
