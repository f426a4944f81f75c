/**
 * The probe records the Certificate message exactly as sent — order, unrelated extras, duplicates — under
 * TLS 1.2 (plaintext) and TLS 1.3 (decrypted with the keylog secrets), for every default TLS 1.3 suite,
 * through a HelloRetryRequest, and when the message spans several records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, probeWithTranscript, PROBE_LIMITS } from '../../src/probe/probe.js';
import type { TlsProtocol } from '../../src/probe/types.js';
import { createPki, type TestCert, type TestPki } from './helpers/test-pki.js';
import { startTlsServer, until } from './helpers/servers.js';

let pki: TestPki;
let root: TestCert, inter: TestCert, leaf: TestCert, unrelated: TestCert;

beforeAll(() => {
  pki = createPki();
  root = pki.root('/C=DE/O=Probe Test/CN=Probe Root');
  inter = pki.issue('/O=Probe Test/CN=Probe Intermediate', root, { ca: true });
  leaf = pki.issue('/CN=leaf.test', inter);
  unrelated = pki.root('/CN=Unrelated Root');
});
afterAll(() => pki.cleanup());

const hex = (chain: Uint8Array[]) => chain.map((c) => Buffer.from(c).toString('hex'));
const ALL: TlsProtocol[] = ['TLSv1.2', 'TLSv1.3'];

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('wire chain under %s', (version) => {
  it('is exactly what the server sent: leaf, unrelated extra, intermediate, root, duplicate intermediate', async () => {
    const served = [leaf, unrelated, inter, root, inter];
    const server = await startTlsServer({
      key: leaf.keyPem,
      cert: served.map((c) => c.certPem).join(''),
      minVersion: version,
      maxVersion: version,
    });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ALL, timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.protocol).toBe(version);
      expect(hex(o.sentChain)).toEqual(hex(served.map((c) => c.der)));
      // The suite name read from our ServerHello parse matches what the server's OpenSSL negotiated.
      await until(() => server.handshakes.length > 0);
      expect(o.cipher).toBe(server.handshakes[0].cipher);
      expect(o.address).toBe('127.0.0.1');
      expect(o.timings.connectMs).toBeGreaterThanOrEqual(0);
      expect(o.timings.handshakeMs).toBeGreaterThanOrEqual(0);
      expect(o.error).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('a Certificate message larger than one record (split across records) is reassembled', async () => {
    const served = [leaf, ...Array(60).fill(inter)]; // ~27 KB > 2^14
    const server = await startTlsServer({ key: leaf.keyPem, cert: served.map((c) => c.certPem).join(''), maxVersion: version, minVersion: version });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ALL, timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(served.reduce((n, c) => n + c.der.length, 0)).toBeGreaterThan(16384);
      expect(hex(o.sentChain)).toEqual(hex(served.map((c) => c.der)));
    } finally {
      await server.close();
    }
  });

  it('caps the recorded certificates and says so in error', async () => {
    const served = [leaf, inter, root, unrelated, inter];
    const server = await startTlsServer({ key: leaf.keyPem, cert: served.map((c) => c.certPem).join(''), maxVersion: version, minVersion: version });
    try {
      const { observation: o } = await probeWithTranscript(
        { host: server.host, port: server.port, protocols: ALL, timeoutMs: 3000 },
        { ...PROBE_LIMITS, maxCertificates: 3 },
      );
      expect(o.outcome).toBe('handshake');
      expect(hex(o.sentChain)).toEqual(hex([leaf.der, inter.der, root.der]));
      expect(o.error?.code).toBe('SENT_CHAIN_TRUNCATED');
      expect(o.error?.message).toMatch(/sent 5 certificates; only the first 3/);
    } finally {
      await server.close();
    }
  });
});

describe('TLS 1.3 decryption', () => {
  it.each(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])(
    'decrypts the server flight under %s',
    async (suite) => {
      const server = await startTlsServer({
        key: leaf.keyPem,
        cert: leaf.certPem + inter.certPem,
        minVersion: 'TLSv1.3',
        ciphers: suite,
      });
      try {
        const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ALL, timeoutMs: 3000 });
        expect(o.outcome).toBe('handshake');
        expect(o.cipher).toBe(suite);
        expect(hex(o.sentChain)).toEqual(hex([leaf.der, inter.der]));
        expect(transcript.serverFinished).toBe(true);
        expect(transcript.problems).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );

  it('follows a HelloRetryRequest (server wants P-384, client key-shares X25519 first)', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem + root.certPem, minVersion: 'TLSv1.3', ecdhCurve: 'P-384' });
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ALL, timeoutMs: 3000 });
      expect(transcript.helloRetryRequest).toBe(true);
      expect(o.outcome).toBe('handshake');
      expect(o.protocol).toBe('TLSv1.3');
      expect(hex(o.sentChain)).toEqual(hex([leaf.der, root.der]));
    } finally {
      await server.close();
    }
  });
});
