/**
 * Certificates that expire soon relative to the REAL clock, made at test start with @peculiar/x509 and signed by
 * the committed fixture CAs (certs-fixtures/pki). `check` judges against now (a live handshake with real servers),
 * so an "expires in 3 days" certificate cannot be committed: it would be wrong tomorrow.
 *
 *   const leaf = await issueLeaf({ issuer: 'int1', daysLeft: 3, dns: ['localhost'] });
 *   const server = await startPemServer([leaf.pem, readFixture('int1.pem')], leaf.keyPem);
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { readFixture } from '../helpers/fixtures.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

const DAY_MS = 86_400_000;

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

function pemWrap(label: string, der: ArrayBuffer): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function importIssuerKey(name: string, cert: x509.X509Certificate): Promise<CryptoKey> {
  const pkcs8 = pemToDer(readFixture(`${name}.key.pem`));
  const alg =
    cert.publicKey.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
}

export interface IssuedCert {
  pem: string;
  keyPem: string;
  notAfter: Date;
  sha256: string;
}

/** A P-256 certificate from a fixture CA (`int1`, `client-ca`...), valid from yesterday to now + daysLeft. */
export async function issueLeaf(o: { issuer: string; daysLeft: number; cn?: string; dns?: string[]; client?: boolean }): Promise<IssuedCert> {
  const issuerCert = new x509.X509Certificate(readFixture(`${o.issuer}.pem`));
  const signingKey = await importIssuerKey(o.issuer, issuerCert);
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const notAfter = new Date(now + o.daysLeft * DAY_MS);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([o.client ? '1.3.6.1.5.5.7.3.2' : '1.3.6.1.5.5.7.3.1'], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuerCert.publicKey),
  ];
  if (o.dns?.length) extensions.push(new x509.SubjectAlternativeNameExtension(o.dns.map((value) => ({ type: 'dns' as const, value })), false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02' + randomBytes(8).toString('hex'),
    subject: `CN=${o.cn ?? 'upstream.test'}, O=tlsdoctor live`,
    issuer: issuerCert.subjectName,
    notBefore: new Date(now - DAY_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey,
    extensions,
  });
  const pkcs8 = (await subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer;
  const sha256 = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
  return { pem: cert.toString('pem') + '\n', keyPem: pemWrap('PRIVATE KEY', pkcs8), notAfter, sha256 };
}

export interface LiveServer {
  port: number;
  close(): Promise<void>;
}

/** A node:tls server on 127.0.0.1 sending exactly `chain` (PEM strings, leaf first). */
export async function startPemServer(chain: string[], key: string): Promise<LiveServer> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: chain.join(''), key }, (s) => {
    s.on('error', () => s.destroy());
    s.end();
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

/** A CRL of a fixture CA (no entries), issued yesterday, with nextUpdate at now + hoursLeft (null: none). */
export async function issueCrl(o: { issuer: string; hoursLeft: number | null }): Promise<{ pem: string; nextUpdate: Date | null }> {
  const issuerCert = new x509.X509Certificate(readFixture(`${o.issuer}.pem`));
  const signingKey = await importIssuerKey(o.issuer, issuerCert);
  const nextUpdate = o.hoursLeft === null ? null : new Date(Math.floor(Date.now() / 1000) * 1000 + o.hoursLeft * 3_600_000);
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuerCert.subjectName,
    thisUpdate: new Date(Date.now() - DAY_MS),
    ...(nextUpdate ? { nextUpdate } : {}),
    signingKey,
    signingAlgorithm: issuerCert.publicKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' },
    entries: [],
  });
  // @peculiar/x509 labels it `CRL`; OpenSSL (and so nginx's proxy_ssl_crl) reads only `X509 CRL` (PEM_STRING_X509_CRL).
  return { pem: crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----') + '\n', nextUpdate };
}
