/**
 * SNI is sent exactly as ProbeParams.servername says. With servername undefined the ClientHello carries no
 * server_name extension at all, even for a host *name* target (nginx's default `proxy_ssl_server_name off`).
 * Proven twice: our own parse of the ClientHello bytes we sent, and the server's SNICallback never running.
 */
import { lookup } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWithTranscript } from '../../src/probe/probe.js';
import type { TlsProtocol } from '../../src/probe/types.js';
import { createPki, type TestCert, type TestPki } from './helpers/test-pki.js';
import { startTlsServer, until } from './helpers/servers.js';

let pki: TestPki;
let leaf: TestCert;
beforeAll(() => {
  pki = createPki();
  leaf = pki.issue('/CN=sni.test', pki.root('/CN=SNI Root'), { dns: ['backend.example'] });
});
afterAll(() => pki.cleanup());

const SERVER_NAME_EXTENSION = 0;

describe.each([['TLSv1.2'], ['TLSv1.3']] as [TlsProtocol][])('SNI under %s', (version) => {
  it('servername undefined, IP target: no server_name extension', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: version, maxVersion: version });
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: '127.0.0.1', port: server.port, protocols: [version], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.sni).toBeNull();
      expect(transcript.clientHello).toBeDefined();
      expect(transcript.clientHello!.extensionTypes).not.toContain(SERVER_NAME_EXTENSION);
      await until(() => server.handshakes.length > 0);
      expect(server.handshakes).toEqual([expect.objectContaining({ servername: false })]);
      expect(server.sniSeen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('servername undefined, host *name* target (localhost): still no SNI', async () => {
    // Listen where `localhost` resolves first, which is where the probe will connect.
    const { address } = await lookup('localhost');
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: version, maxVersion: version }, address);
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: 'localhost', port: server.port, protocols: [version], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.sni).toBeNull();
      expect(transcript.clientHello!.extensionTypes).not.toContain(SERVER_NAME_EXTENSION);
      await until(() => server.handshakes.length > 0);
      expect(server.sniSeen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('servername given: sent exactly', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: version, maxVersion: version });
    try {
      const { observation: o, transcript } = await probeWithTranscript({
        host: '127.0.0.1',
        port: server.port,
        servername: 'backend.example',
        protocols: [version],
        timeoutMs: 3000,
      });
      expect(o.outcome).toBe('handshake');
      expect(o.sni).toBe('backend.example');
      expect(transcript.clientHello!.serverName).toBe('backend.example');
      expect(server.sniSeen).toEqual(['backend.example']);
    } finally {
      await server.close();
    }
  });
});

describe('offered versions', () => {
  it.each([
    [['TLSv1.2', 'TLSv1.3'], ['TLSv1.2', 'TLSv1.3'], 0x0303, [0x0304, 0x0303]],
    [['TLSv1.2'], ['TLSv1.2'], 0x0303, null],
    [['TLSv1', 'TLSv1.1', 'TLSv1.2'], ['TLSv1', 'TLSv1.1', 'TLSv1.2'], 0x0303, null],
    // A hole: OpenSSL keeps the lowest contiguous run (ssl_get_min_max_version), as nginx does.
    [['TLSv1', 'TLSv1.2'], ['TLSv1'], 0x0301, null],
    [['TLSv1.1', 'TLSv1.3'], ['TLSv1.1'], 0x0302, null],
  ] as [TlsProtocol[], TlsProtocol[], number, number[] | null][])(
    '%j offers %j (legacy_version 0x%s)',
    async (protocols, offered, legacyVersion, supportedVersions) => {
      const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      try {
        const { observation: o, transcript } = await probeWithTranscript({ host: '127.0.0.1', port: server.port, protocols, timeoutMs: 3000 });
        expect(o.offeredProtocols).toEqual(offered);
        expect(transcript.clientHello!.legacyVersion).toBe(legacyVersion);
        expect(transcript.clientHello!.supportedVersions).toEqual(supportedVersions);
        expect(o.outcome).toBe('handshake');
        expect(o.protocol).toBe(offered[offered.length - 1]);
      } finally {
        await server.close();
      }
    },
  );
});
