/**
 * Every failure becomes a ProbeOutcome, never an exception or a hang, and the sockets are always closed.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, probeWithTranscript, PROBE_LIMITS } from '../../src/probe/probe.js';
import { createPki, type TestCert, type TestPki } from './helpers/test-pki.js';
import { freePort, startRawServer, startTlsServer, until } from './helpers/servers.js';

let pki: TestPki;
let leaf: TestCert;
beforeAll(() => {
  pki = createPki();
  leaf = pki.issue('/CN=fail.test', pki.root('/CN=Fail Root'));
});
afterAll(() => pki.cleanup());

const u24 = (n: number) => [n >> 16, (n >> 8) & 0xff, n & 0xff];
const closedOnServer = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('not TLS', () => {
  it('plain HTTP server: not-tls with a printable preview and OpenSSL\'s reason', async () => {
    const server = http.createServer((_req, res) => res.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const o = await probe({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 3000 });
      expect(o.outcome).toBe('not-tls');
      expect(o.nonTlsPreview).toMatch(/^HTTP\/1\.1 400 Bad Request\\r\\n/);
      expect(o.error?.opensslReason).toBe('wrong version number');
      expect(o.sentChain).toEqual([]);
      expect(o.protocol).toBeUndefined();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a server that speaks first (SSH banner)', async () => {
    const server = await startRawServer((s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('not-tls');
      expect(o.nonTlsPreview).toBe('SSH-2.0-OpenSSH_9.6\\r\\n');
    } finally {
      await server.close();
    }
  });
});

describe('TCP-level failures', () => {
  it('refused: nothing listens on the port', async () => {
    const port = await freePort();
    const o = await probe({ host: '127.0.0.1', port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
    expect(o.outcome).toBe('refused');
    expect(o.error?.code).toBe('ECONNREFUSED');
    expect(o.address).toBeUndefined();
    expect(o.timings.connectMs).toBeUndefined();
    expect(o.sni).toBeNull();
  });

  it('timeout: TCP accepted, never a byte back; returns at the deadline and closes the socket', async () => {
    const server = await startRawServer(() => {});
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 300 });
      expect(o.outcome).toBe('timeout');
      expect(o.error?.code).toBe('TIMEOUT');
      expect(o.timings.connectMs).toBeDefined();
      expect((await server.firstBytes)[0]).toBe(22); // our ClientHello went out
      await closedOnServer(server.sockets[0]);
      expect(server.sockets[0].destroyed).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('closed: the server reads the ClientHello and closes (FIN) without an alert', async () => {
    const server = await startRawServer((s) => s.once('data', () => s.end()));
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('closed');
      expect(o.error?.code).toBe('ECONNRESET');
    } finally {
      await server.close();
    }
  });

  it('network-error: connection reset (RST) before any byte from the server', async () => {
    const server = await startRawServer((s) => s.once('data', () => s.resetAndDestroy()));
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('network-error');
      expect(o.error?.code).toBe('ECONNRESET');
    } finally {
      await server.close();
    }
  });
});

describe('capture before a failure', () => {
  it('a server that stalls after its Certificate: timeout, with the chain it did send', async () => {
    // TLS 1.2 ServerHello (ECDHE-ECDSA-AES128-GCM-SHA256 + renegotiation_info), then Certificate, then silence.
    const hello = [3, 3, ...Array(32).fill(7), 0, 0xc0, 0x2b, 0, 0, 5, 0xff, 0x01, 0, 1, 0];
    const certList = [...u24(leaf.der.length), ...leaf.der];
    const certMsg = [11, ...u24(certList.length + 3), ...u24(certList.length), ...certList];
    const flight = [2, ...u24(hello.length), ...hello, ...certMsg];
    const server = await startRawServer((s) => s.once('data', () => s.write(Buffer.from([22, 3, 3, flight.length >> 8, flight.length & 0xff, ...flight]))));
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 300 });
      expect(o.outcome).toBe('timeout');
      expect(o.protocol).toBe('TLSv1.2');
      expect(o.cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
      expect(o.sentChain.map((c) => Buffer.from(c).toString('hex'))).toEqual([leaf.der.toString('hex')]);
    } finally {
      await server.close();
    }
  });
});

describe('IPv6', () => {
  it('probes [::1] when the host has IPv6 loopback', async (ctx) => {
    let server;
    try {
      server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem }, '::1');
    } catch {
      ctx.skip();
      return;
    }
    try {
      const o = await probe({ host: '::1', port: server.port, protocols: ['TLSv1.3'], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.address).toBe('::1');
    } finally {
      await server.close();
    }
  });
});

describe('alerts and local TLS errors', () => {
  it('protocol mismatch: TLS 1.3-only server, client offers TLS 1.2 → alert 70', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1.3' });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('alert');
      expect(o.alert).toEqual({ description: 70, name: 'protocol_version', during: 'handshake' });
      expect(o.error?.opensslReason).toBe('tlsv1 alert protocol version');
      expect(o.protocol).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('an alert record parsed from the wire (a server that answers any ClientHello with fatal 40)', async () => {
    const server = await startRawServer((s) => s.once('data', () => s.end(Buffer.from([21, 3, 3, 0, 2, 2, 40]))));
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(transcript.serverAlerts).toEqual([{ level: 2, description: 40, epoch: 'plaintext' }]);
      expect(o.alert).toEqual({ description: 40, name: 'handshake_failure', during: 'handshake' });
    } finally {
      await server.close();
    }
  });

  it('local error: server picks TLS 1.1, which we did not offer → tls-error "unsupported protocol"', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('tls-error');
      expect(o.error).toMatchObject({ code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', opensslReason: 'unsupported protocol' });
      expect(o.protocol).toBe('TLSv1.1'); // the ServerHello was read
    } finally {
      await server.close();
    }
  });

  it('no protocols offered → tls-error "no protocols available"', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: [], timeoutMs: 3000 });
      expect(o.outcome).toBe('tls-error');
      expect(o.error?.opensslReason).toBe('no protocols available');
      expect(o.offeredProtocols).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('observing weak servers', () => {
  it('TLS 1.0 with an RSA-1024, SHA-1-signed certificate completes (judged later, not here)', async () => {
    const weak = pki.issue('/CN=weak.test', pki.root('/CN=Weak Root'), { weak: true });
    const server = await startTlsServer({ key: weak.keyPem, cert: weak.certPem, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    try {
      const o = await probe({ host: server.host, port: server.port, protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], timeoutMs: 3000 });
      expect(o.outcome).toBe('handshake');
      expect(o.protocol).toBe('TLSv1');
      expect(o.sentChain.map((c) => Buffer.from(c).toString('hex'))).toEqual([weak.der.toString('hex')]);
    } finally {
      await server.close();
    }
  });
});

describe('caller errors', () => {
  it('an unusable client certificate rejects with BAD_CLIENT_CERT before connecting', async () => {
    const port = await freePort();
    await expect(
      probe({ host: '127.0.0.1', port, protocols: ['TLSv1.2'], clientCert: { cert: 'not a pem', key: leaf.keyPem }, timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'BAD_CLIENT_CERT' });
  });
});

describe('bounds', () => {
  it('server bytes beyond the capture limit: cut off and classified', async () => {
    const server = await startTlsServer({ key: leaf.keyPem, cert: leaf.certPem, maxVersion: 'TLSv1.2' });
    try {
      const { observation: o } = await probeWithTranscript(
        { host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 },
        { ...PROBE_LIMITS, maxServerBytes: 100 },
      );
      expect(o.outcome).toBe('tls-error');
      expect(o.error?.code).toBe('CAPTURE_LIMIT');
    } finally {
      await server.close();
    }
  });

  it('hostile: ServerHello then a Certificate message claiming 16 MiB and endless bytes', async () => {
    // TLS 1.2 ServerHello: ECDHE-RSA-AES128-GCM-SHA256, renegotiation_info (OpenSSL 3 refuses servers without it).
    const hello = [3, 3, ...Array(32).fill(7), 0, 0xc0, 0x2f, 0, 0, 5, 0xff, 0x01, 0, 1, 0];
    const serverHello = [2, 0, 0, hello.length, ...hello];
    const flood = Buffer.alloc(16384, 0x30);
    let sent = 0;
    const server = await startRawServer((s) =>
      s.once('data', () => {
        s.write(Buffer.from([22, 3, 3, 0, serverHello.length, ...serverHello]));
        s.write(Buffer.from([22, 3, 3, 0x40, 0x00, 11, 0xff, 0xff, 0xff]));
        const pump = () => {
          while (!s.destroyed && sent < 64 * 1024 * 1024 && s.write(flood)) sent += flood.length;
          if (!s.destroyed) s.once('drain', pump);
        };
        pump();
      }),
    );
    try {
      const { observation: o, transcript } = await probeWithTranscript({ host: server.host, port: server.port, protocols: ['TLSv1.2'], timeoutMs: 3000 });
      // OpenSSL refuses the message first (its max_cert_list, 100 KiB); our own limit is the backstop.
      expect(o.outcome).toBe('tls-error');
      expect(o.error?.opensslReason).toBe('excessive message size');
      expect(o.protocol).toBe('TLSv1.2');
      expect(o.sentChain).toEqual([]);
      expect(transcript.serverBytes).toBeLessThan(2 * 1024 * 1024);
      await until(() => server.sockets[0]?.destroyed === true);
      expect(server.sockets[0].destroyed).toBe(true);
    } finally {
      await server.close();
    }
  });
});
