/**
 * CertificateRequest: whether it came, the acceptable CA names, and the server's verdict — during the
 * handshake under TLS 1.2, at the first read under TLS 1.3 (NGINX.md: `SSL_read() failed ... alert 116`).
 * The server's chain is captured even when the handshake then fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, probeWithTranscript } from '../../src/probe/probe.js';
import type { TlsProtocol } from '../../src/probe/types.js';
import { createPki, type TestCert, type TestPki } from './helpers/test-pki.js';
import { startOpensslServer, startTlsServer } from './helpers/servers.js';

let pki: TestPki;
let serverLeaf: TestCert, serverInter: TestCert, caA: TestCert, caB: TestCert, clientA: TestCert, clientOther: TestCert;

beforeAll(() => {
  pki = createPki();
  const root = pki.root('/CN=Server Root');
  serverInter = pki.issue('/CN=Server Intermediate', root, { ca: true });
  serverLeaf = pki.issue('/CN=server.test', serverInter);
  caA = pki.root('/C=DE/O=Example, Inc./CN=Client CA A');
  caB = pki.root('/CN=Client CA B');
  clientA = pki.issue('/CN=client-a', caA);
  clientOther = pki.issue('/CN=client-other', pki.root('/CN=Some Other CA'));
});
afterAll(() => pki.cleanup());

// RFC 4514 one-line form, most specific first; the comma inside O is escaped.
const CA_NAMES = ['CN=Client CA A,O=Example\\, Inc.,C=DE', 'CN=Client CA B'];
const hex = (chain: Uint8Array[]) => chain.map((c) => Buffer.from(c).toString('hex'));

function requiringServer(version: TlsProtocol, rejectUnauthorized = true) {
  return startTlsServer({
    key: serverLeaf.keyPem,
    cert: serverLeaf.certPem + serverInter.certPem,
    minVersion: version,
    maxVersion: version,
    requestCert: true,
    rejectUnauthorized,
    ca: [caA.certPem, caB.certPem],
  });
}

describe('required client certificate, none sent', () => {
  it('TLS 1.2: alert 40 during the handshake, chain and CA names captured before it', async () => {
    const server = await requiringServer('TLSv1.2');
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 3000 });
      expect(o.outcome).toBe('alert');
      expect(o.alert).toEqual({ description: 40, name: 'handshake_failure', during: 'handshake' });
      expect(o.error?.opensslReason).toBe('sslv3 alert handshake failure');
      expect(o.protocol).toBe('TLSv1.2');
      expect(o.clientCertRequested).toBe(true);
      expect(o.acceptableCaNames).toEqual(CA_NAMES);
      expect(o.clientCertSent).toBe(false);
      expect(hex(o.sentChain)).toEqual(hex([serverLeaf.der, serverInter.der]));
      expect(o.timings.handshakeMs).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('TLS 1.3: handshake completes, alert 116 at the first read, decoded from the encrypted record', async () => {
    const server = await requiringServer('TLSv1.3');
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 3000 });
      expect(o.outcome).toBe('alert');
      expect(o.alert).toEqual({ description: 116, name: 'certificate_required', during: 'first-read' });
      expect(transcript.serverAlerts).toContainEqual({ level: 2, description: 116, epoch: 'application' });
      expect(o.protocol).toBe('TLSv1.3');
      expect(o.clientCertRequested).toBe(true);
      expect(o.acceptableCaNames).toEqual(CA_NAMES);
      expect(o.clientCertSent).toBe(false);
      expect(transcript.clientCertificateSent).toBe(false); // our (encrypted) empty Certificate, decrypted
      expect(hex(o.sentChain)).toEqual(hex([serverLeaf.der, serverInter.der]));
      expect(o.timings.handshakeMs).toBeGreaterThanOrEqual(0);
    } finally {
      await server.close();
    }
  });
});

describe.each([['TLSv1.2'], ['TLSv1.3']] as [TlsProtocol][])('client certificate accepted under %s', (version) => {
  it('outcome handshake, certificate sent, no alert', async () => {
    const server = await requiringServer(version);
    try {
      const { observation: o, transcript } = await probeWithTranscript({
        host: server.host,
        port: server.port,
        protocols: [version],
        clientCert: { cert: clientA.certPem, key: clientA.keyPem },
        timeoutMs: 3000,
      });
      expect(o.outcome).toBe('handshake');
      expect(o.alert).toBeUndefined();
      expect(o.clientCertRequested).toBe(true);
      expect(o.clientCertSent).toBe(true);
      if (version === 'TLSv1.3') expect(transcript.newSessionTicket).toBe(true); // the verdict we waited for
    } finally {
      await server.close();
    }
  });

  it('optional request (server does not insist): handshake, no certificate sent', async () => {
    const server = await requiringServer(version, false);
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: [version], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.clientCertRequested).toBe(true);
      expect(o.clientCertSent).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('no CertificateRequest', () => {
  it('TLS 1.3 without a request does not wait for a first read', async () => {
    const server = await startTlsServer({ key: serverLeaf.keyPem, cert: serverLeaf.certPem, minVersion: 'TLSv1.3' });
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ['TLSv1.3'], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.clientCertRequested).toBe(false);
      expect(o.acceptableCaNames).toEqual([]);
      expect(transcript.newSessionTicket).toBe(false); // resolved at secureConnect, before any ticket was read
    } finally {
      await server.close();
    }
  });
});

describe('client certificate from a CA the server rejects (openssl s_server -Verify)', () => {
  it.each([
    ['-tls1_2', 'handshake'],
    ['-tls1_3', 'first-read'],
  ] as const)('%s: alert 48 unknown_ca during %s', async (flag, during) => {
    const server = await startOpensslServer([
      '-cert', serverLeaf.certPath, '-key', serverLeaf.keyPath, '-CAfile', caA.certPath, '-Verify', '1', '-verify_return_error', flag,
    ]);
    try {
      const o = await probe({
        host: server.host,
        port: server.port,
        protocols: ['TLSv1.2', 'TLSv1.3'],
        clientCert: { cert: clientOther.certPem, key: clientOther.keyPem },
        timeoutMs: 3000,
      });
      expect(o.outcome).toBe('alert');
      expect(o.alert).toEqual({ description: 48, name: 'unknown_ca', during });
      expect(o.clientCertRequested).toBe(true);
      expect(o.clientCertSent).toBe(true);
      expect(o.acceptableCaNames).toEqual(['CN=Client CA A,O=Example\\, Inc.,C=DE']);
    } finally {
      await server.close();
    }
  });
});
