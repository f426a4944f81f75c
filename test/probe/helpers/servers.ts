/**
 * Loopback servers for the probe tests (127.0.0.1 only, OS-chosen ports). Every server tracks its sockets
 * and destroys them on close, so a test cannot leak a connection.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';

export interface Started {
  host: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export interface TlsTestServer extends Started {
  /** SNI names seen by SNICallback (it runs only when the ClientHello has a server_name). */
  sniSeen: string[];
  /** `servername` of each completed handshake (false: none). */
  handshakes: { servername: string | false; cipher: string; protocol: string | null }[];
  clientErrors: Error[];
}

export async function startTlsServer(options: tls.TlsOptions, host = '127.0.0.1'): Promise<TlsTestServer> {
  const sniSeen: string[] = [];
  const handshakes: TlsTestServer['handshakes'] = [];
  const clientErrors: Error[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({
    SNICallback: (name, cb) => {
      sniSeen.push(name);
      cb(null, undefined);
    },
    ...options,
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s) => {
    handshakes.push({ servername: s.servername as string | false, cipher: s.getCipher().name, protocol: s.getProtocol() });
    s.on('error', () => {});
    s.on('data', () => {});
  });
  server.on('tlsClientError', (err) => clientErrors.push(err));
  const port = await listen(server, host);
  return { host, port, sniSeen, handshakes, clientErrors, close: closer(server, sockets) };
}

export interface RawTestServer extends Started {
  sockets: net.Socket[];
  /** Resolves with the first bytes the first client sent. */
  firstBytes: Promise<Buffer>;
}

export async function startRawServer(onConnection: (s: net.Socket) => void): Promise<RawTestServer> {
  const all: net.Socket[] = [];
  const live = new Set<net.Socket>();
  let gotFirst!: (b: Buffer) => void;
  const firstBytes = new Promise<Buffer>((r) => (gotFirst = r));
  const server = net.createServer((s) => {
    all.push(s);
    live.add(s);
    s.on('close', () => live.delete(s));
    s.on('error', () => {});
    s.once('data', (b) => gotFirst(b));
    onConnection(s);
  });
  const port = await listen(server);
  return { host: '127.0.0.1', port, sockets: all, firstBytes, close: closer(server, live) };
}

/** A port nothing listens on: bind, read the number, close. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** `openssl s_server` on 127.0.0.1 (it alerts on a bad client certificate, which node:tls cannot). */
export async function startOpensslServer(args: string[]): Promise<Started> {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`openssl s_server did not start: ${out}`));
    }, 5000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl s_server exited ${code}: ${out}`));
    });
  });
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Waits (up to 2 s) for a condition that another socket's events will make true. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
