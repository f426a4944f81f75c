/**
 * Certificates for the trust-engine tests, generated in-process with @peculiar/x509 over node's webcrypto
 * (the same libcrypto the `openssl` CLI uses). Validity is relative to a fixed clock: no time bombs.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseCertificate } from '../../../src/certs/parse.js';
import type { Cert } from '../../../src/certs/cert.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** The fixed "now" of these tests. */
export const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

export type KeySpec = 'p256' | 'p384' | 'rsa2048' | 'rsa1024';

const keyCache = new Map<string, CryptoKeyPair>();

/** Keys are expensive (RSA): `id` lets tests share one per role. */
export async function makeKey(spec: KeySpec = 'p256', id = ''): Promise<CryptoKeyPair> {
  const k = `${spec}:${id}`;
  const hit = keyCache.get(k);
  if (hit) return hit;
  const subtle = webcrypto.subtle as unknown as SubtleCrypto;
  const pair =
    spec === 'p256' || spec === 'p384'
      ? await subtle.generateKey({ name: 'ECDSA', namedCurve: spec === 'p256' ? 'P-256' : 'P-384' }, true, ['sign', 'verify'])
      : await subtle.generateKey(
          { name: 'RSASSA-PKCS1-v1_5', modulusLength: spec === 'rsa2048' ? 2048 : 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
          true,
          ['sign', 'verify'],
        );
  keyCache.set(k, pair as CryptoKeyPair);
  return pair as CryptoKeyPair;
}

export interface CertSpec {
  subject: string;
  /** Issuer certificate and key; omitted = self-signed. */
  issuer?: { cert: x509.X509Certificate; keys: CryptoKeyPair };
  keys: CryptoKeyPair;
  ca?: boolean;
  pathLen?: number;
  /** Omit basicConstraints entirely. */
  noBasicConstraints?: boolean;
  keyUsage?: number;
  eku?: string[];
  dns?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384';
  serial?: string;
  extraExtensions?: x509.Extension[];
  /** Skip SKI/AKI (they change issuer matching). */
  noKeyIds?: boolean;
}

function signingAlgorithm(keys: CryptoKeyPair, hash: string): Algorithm & { hash: string } {
  const name = keys.privateKey.algorithm.name;
  return name === 'ECDSA' ? { name, hash } : { name: 'RSASSA-PKCS1-v1_5', hash };
}

export async function makeX509(spec: CertSpec): Promise<x509.X509Certificate> {
  const ext: x509.Extension[] = [];
  if (!spec.noBasicConstraints) ext.push(new x509.BasicConstraintsExtension(spec.ca ?? false, spec.pathLen, true));
  if (spec.keyUsage !== undefined) ext.push(new x509.KeyUsagesExtension(spec.keyUsage, true));
  else if (spec.ca) ext.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  if (spec.eku) ext.push(new x509.ExtendedKeyUsageExtension(spec.eku));
  const names = [...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })), ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (names.length > 0) ext.push(new x509.SubjectAlternativeNameExtension(names));
  if (!spec.noKeyIds) {
    ext.push(await x509.SubjectKeyIdentifierExtension.create(spec.keys.publicKey));
    if (spec.issuer) ext.push(await x509.AuthorityKeyIdentifierExtension.create(spec.issuer.keys.publicKey));
  }
  ext.push(...(spec.extraExtensions ?? []));
  const signer = spec.issuer?.keys ?? spec.keys;
  return x509.X509CertificateGenerator.create({
    serialNumber: spec.serial ?? Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    subject: spec.subject,
    issuer: spec.issuer ? spec.issuer.cert.subject : spec.subject,
    notBefore: spec.notBefore ?? new Date(NOW.getTime() - 30 * DAY),
    notAfter: spec.notAfter ?? new Date(NOW.getTime() + 365 * DAY),
    signingAlgorithm: signingAlgorithm(signer, spec.hash ?? 'SHA-256'),
    publicKey: spec.keys.publicKey,
    signingKey: signer.privateKey,
    extensions: ext,
  });
}

export interface Issued {
  x: x509.X509Certificate;
  keys: CryptoKeyPair;
  cert: Cert;
  pem: string;
}

export async function issue(spec: Omit<CertSpec, 'keys'> & { keys?: CryptoKeyPair; key?: KeySpec }): Promise<Issued> {
  const keys = spec.keys ?? (await makeKey(spec.key ?? 'p256', spec.subject));
  const x = await makeX509({ ...spec, keys });
  const der = new Uint8Array(x.rawData);
  return { x, keys, cert: parseCertificate(der), pem: x.toString('pem') + '\n' };
}

export const EKU_SERVER = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT = '1.3.6.1.5.5.7.3.2';

/** root → intermediate → leaf (CN/SAN `host.test`), all P-256 unless told otherwise. */
export async function standardChain(opts: { leaf?: Partial<CertSpec> & { key?: KeySpec }; inter?: Partial<CertSpec> & { key?: KeySpec }; root?: Partial<CertSpec> & { key?: KeySpec } } = {}) {
  const root = await issue({ subject: 'CN=Test Root,O=tlsdoctor', ca: true, ...opts.root });
  const inter = await issue({ subject: 'CN=Test Intermediate,O=tlsdoctor', ca: true, issuer: { cert: root.x, keys: root.keys }, ...opts.inter });
  const leaf = await issue({
    subject: 'CN=host.test',
    dns: ['host.test'],
    eku: [EKU_SERVER],
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    issuer: { cert: inter.x, keys: inter.keys },
    ...opts.leaf,
  });
  return { root, inter, leaf };
}

export { x509 };
