/**
 * Broken upstreams on 127.0.0.1 for `tlsdoctor demo`, built from certs-fixtures/manifest.json. Each TLS server
 * sends exactly the scenario's certificate list in order (node:tls hands extra PEM certificates to
 * SSL_CTX_add1_chain_cert; OpenSSL sends a configured chain as is).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { FIXTURES_DIR, PKI_DIR } from './fixtures-dir.js';

export interface DemoScenario {
  id: string;
  description: string;
  server: 'tls' | 'plain-http' | 'refused' | 'timeout';
  serve?: string[];
  key?: string;
  sniCerts?: Record<string, { serve: string[]; key: string }>;
  tls?: ('TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3')[];
  proxySslName: string;
  sni: boolean;
  depth: number;
  trusted: string[];
  proxySslProtocols?: string[];
}

export function loadDemoScenarios(): DemoScenario[] {
  const manifest = JSON.parse(readFileSync(join(FIXTURES_DIR, 'manifest.json'), 'utf8')) as { scenarios: DemoScenario[] };
  return manifest.scenarios;
}

export interface RunningUpstream {
  port: number;
  close(): Promise<void>;
}

const pem = (file: string) => readFileSync(join(PKI_DIR, file), 'utf8');
/** The upstream side may present weak certificates and old protocols: that is what is being diagnosed. */
const SERVER_CIPHERS = 'DEFAULT:@SECLEVEL=0';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startDemoUpstream(s: DemoScenario): Promise<RunningUpstream> {
  const sockets = new Set<net.Socket>();
  const track = (sock: net.Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
  };
  if (s.server === 'refused') {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    return { port, close: async () => {} };
  }
  if (s.server === 'timeout') {
    const server = net.createServer(track);
    return { port: await listen(server), close: closer(server, sockets) };
  }
  if (s.server === 'plain-http') {
    const server = net.createServer((sock) => {
      track(sock);
      sock.once('data', () => sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    return { port: await listen(server), close: closer(server, sockets) };
  }
  const versions = s.tls ?? ['TLSv1.2', 'TLSv1.3'];
  const context = (serve: string[], key: string) => ({ cert: serve.map(pem).join(''), key: pem(key) });
  const sni = s.sniCerts ?? {};
  const server = tls.createServer({
    ...context(s.serve ?? [], s.key ?? ''),
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    ciphers: SERVER_CIPHERS,
    SNICallback: (name, cb) => {
      const alt = sni[name.toLowerCase()];
      cb(null, alt ? tls.createSecureContext({ ...context(alt.serve, alt.key), ciphers: SERVER_CIPHERS }) : undefined);
    },
  });
  server.on('secureConnection', (sock) => {
    sock.on('error', () => {});
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'));
  });
  server.on('connection', track);
  server.on('tlsClientError', () => {});
  return { port: await listen(server), close: closer(server, sockets) };
}
