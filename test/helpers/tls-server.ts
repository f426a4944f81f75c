/**
 * Loopback servers for the fixture scenarios (certs-fixtures/manifest.json).
 *
 *   const server = await startScenarioServer('leaf-only-sent');   // or a Scenario / LoadedScenario
 *   ... connect to server.host:server.port ...
 *   await server.close();
 *
 * A `tls` server sends exactly the scenario's `serve` list, in order: node:tls passes the extra certificates
 * of a multi-certificate `cert` PEM to SSL_CTX_add1_chain_cert, and OpenSSL sends an explicit chain as is
 * (ssl_add_cert_chain: no re-ordering, de-duplication or completion when a chain is configured). Checked by
 * test/fixtures/fixtures.test.ts with `openssl s_client -showcerts`.
 * Every TLS connection that sends an HTTP request gets a minimal `HTTP/1.1 200 OK`, so nginx can proxy.
 *
 * Client-auth scenarios run `openssl s_server -Verify` instead, by default. Node's server cannot fail a
 * handshake over a bad client certificate: its OpenSSL verify callback always returns 1 and JS destroys the
 * socket after the handshake (src/crypto/crypto_tls.cc VerifyCallback + _tls_wrap.js onhandshakedone), so the
 * client sees an EOF instead of the `alert unknown ca (48)` an OpenSSL-verifying upstream sends (NGINX.md).
 * `{ clientAuthServer: 'node' }` forces node:tls (requestCert + rejectUnauthorized) for those too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { FixtureTlsVersion, LoadedScenario, Scenario } from './fixtures.js';
import { loadScenario } from './fixtures.js';

export interface ScenarioServer {
  host: '127.0.0.1';
  port: number;
  /** Errors node:tls reported for client connections (alerts sent, failed handshakes), for diagnostics. */
  tlsErrors: Error[];
  close(): Promise<void>;
}

export interface ScenarioServerOptions {
  /** Body of the 200 response (default: `ok <scenario id>\n`; `openssl s_server -www` sends its status page). */
  body?: string;
  /** Server for `clientAuth: required` scenarios (default `openssl`: alerts like an OpenSSL-verifying upstream). */
  clientAuthServer?: 'openssl' | 'node';
}

const HOST = '127.0.0.1' as const;

/**
 * Security level 0 on the upstream side: the server must be able to *present* a SHA-1-signed or RSA-1024
 * certificate and speak TLS 1.0 (OpenSSL 3.0 refuses to load such certificates at level 1, Node's default).
 * It changes nothing about what the client (nginx, tlsdoctor) accepts.
 */
const SERVER_CIPHERS = 'DEFAULT:@SECLEVEL=0';

export async function startScenarioServer(
  scenario: string | Scenario | LoadedScenario,
  opts: ScenarioServerOptions = {},
): Promise<ScenarioServer> {
  const id = typeof scenario === 'string' ? scenario : scenario.id;
  const s = loadScenario(id);
  switch (s.server) {
    case 'tls':
      if (s.clientAuth?.mode === 'required' && opts.clientAuthServer !== 'node') return startOpensslServer(s);
      return startTlsServer(s, opts.body ?? `ok ${s.id}\n`);
    case 'plain-http':
      return startPlainHttpServer();
    case 'refused':
      return refusedPort();
    case 'timeout':
      return startSilentServer();
  }
}

const VERSION_ORDER: FixtureTlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function versionRange(versions: FixtureTlsVersion[]): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const sorted = [...versions].sort((a, b) => VERSION_ORDER.indexOf(a) - VERSION_ORDER.indexOf(b));
  return { minVersion: sorted[0] as tls.SecureVersion, maxVersion: sorted[sorted.length - 1] as tls.SecureVersion };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolvePort((server.address() as net.AddressInfo).port);
    });
  });
}

/** Tracks sockets so close() does not wait for clients (nginx keeps upstream connections open). */
function closer(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((done) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => done());
    });
}

async function startTlsServer(s: LoadedScenario, body: string): Promise<ScenarioServer> {
  if (!s.pem.key || s.pem.serve.length === 0 || !s.tls) throw new Error(`scenario ${s.id}: tls server without certificates`);
  const { minVersion, maxVersion } = versionRange(s.tls);
  const clientAuth: tls.TlsOptions =
    s.pem.clientCa !== undefined ? { requestCert: true, rejectUnauthorized: true, ca: s.pem.clientCa } : {};
  const common = { ciphers: SERVER_CIPHERS, minVersion, maxVersion };
  const sniContexts = new Map<string, tls.SecureContext>();
  for (const [name, chain] of Object.entries(s.pem.sni)) {
    sniContexts.set(
      name.toLowerCase(),
      tls.createSecureContext({ ...common, cert: chain.serve.join(''), key: chain.key, ca: clientAuth.ca }),
    );
  }
  const tlsErrors: Error[] = [];
  const server = tls.createServer({
    ...common,
    ...clientAuth,
    cert: s.pem.serve.join(''),
    key: s.pem.key,
    // Undefined context = keep the default certificate (the "no SNI / unknown name" vhost).
    SNICallback:
      sniContexts.size > 0 ? (servername, cb) => cb(null, sniContexts.get(servername.toLowerCase())) : undefined,
  });
  server.on('tlsClientError', (err) => tlsErrors.push(err));
  server.on('secureConnection', (socket) => answerHttp(socket, body));
  const close = closer(server);
  const port = await listen(server);
  return { host: HOST, port, tlsErrors, close };
}

/** Reads one request head and answers it: enough for nginx's proxy module (HTTP/1.0 + Connection: close). */
function answerHttp(socket: net.Socket, body: string): void {
  let head = '';
  socket.setEncoding('latin1');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    head += chunk;
    if (!head.includes('\r\n\r\n')) return;
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}

async function startPlainHttpServer(): Promise<ScenarioServer> {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    // Answer the first bytes, whatever they are (a TLS ClientHello included): OpenSSL then reads "HTTP" as a
    // record header and fails with "wrong version number".
    socket.once('data', () =>
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    );
  });
  const close = closer(server);
  const port = await listen(server);
  return { host: HOST, port, tlsErrors: [], close };
}

/** Accepts TCP and never writes: the handshake times out on the client side. */
async function startSilentServer(): Promise<ScenarioServer> {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
  });
  const close = closer(server);
  const port = await listen(server);
  return { host: HOST, port, tlsErrors: [], close };
}

/**
 * A port that was just bound and released. Another process could take it in between; on loopback with
 * OS-chosen ports that is rare enough for tests.
 */
async function refusedPort(): Promise<ScenarioServer> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((done) => server.close(() => done()));
  return { host: HOST, port, tlsErrors: [], close: async () => {} };
}

/**
 * `openssl s_server -Verify 1 -verify_return_error`: requires a client certificate and fails the handshake
 * when it does not verify against the client CA (alert 48 for an unknown CA, 40 under TLS 1.2 / 116 under
 * TLS 1.3 when none is sent). `-www` answers any GET with `HTTP/1.0 200 ok` and a status page.
 */
async function startOpensslServer(s: LoadedScenario): Promise<ScenarioServer> {
  if (!s.paths.key || s.paths.serve.length === 0 || !s.tls || !s.paths.clientCa) {
    throw new Error(`scenario ${s.id}: openssl server needs certificates and a client CA`);
  }
  if (Object.keys(s.pem.sni).length > 0) throw new Error(`scenario ${s.id}: SNI certificates are not supported with s_server`);
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-s_server-'));
  const { minVersion, maxVersion } = versionRange(s.tls);
  const args = [
    's_server',
    '-accept', `${HOST}:0`,
    '-cert', s.paths.serve[0]!,
    '-key', s.paths.key,
    '-Verify', '1',
    '-verify_return_error',
    '-CAfile', s.paths.clientCa,
    '-no-CApath',
    '-no-CAstore',
    '-www',
    '-cipher', SERVER_CIPHERS,
    // SSL_CONF commands; the names are the same as ours (TLSv1 ... TLSv1.3).
    '-min_protocol', minVersion,
    '-max_protocol', maxVersion,
  ];
  if (s.pem.serve.length > 1) {
    // -cert_chain is sent as given after the leaf (SSL_CTX_use_cert_and_key with an explicit chain).
    const chainFile = join(dir, 'chain.pem');
    writeFileSync(chainFile, s.pem.serve.slice(1).join(''));
    args.push('-cert_chain', chainFile);
  }
  const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const port = await acceptedPort(child);
    const close = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          done();
          return;
        }
        child.once('exit', () => {
          cleanup();
          done();
        });
        child.kill('SIGTERM');
      });
    return { host: HOST, port, tlsErrors: [], close };
  } catch (err) {
    child.kill('SIGTERM');
    cleanup();
    throw err;
  }
}

/** s_server prints `ACCEPT 127.0.0.1:<port>` once listening (with the port the OS chose for :0). */
function acceptedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`openssl s_server did not start: ${err || out}`)), 10_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (err += chunk));
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /ACCEPT [^\s]*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`openssl s_server exited (${code}): ${err || out}`)));
  });
}
