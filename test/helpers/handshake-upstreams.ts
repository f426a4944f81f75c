/**
 * Loopback upstreams whose handshake nginx's OpenSSL refuses (or completes, then gets an HTTP error), one per row
 * of issue 10's table. Certificates are the fixture PKI's (leaf.pem + int1.pem for upstream.test, root in root.pem);
 * the suites that need an RSA key (DHE-RSA, ECDHE-RSA, NULL-SHA256) get an RSA-2048 leaf for upstream.test issued by
 * int1 when the module loads, valid from now for ten years: run those without --at.
 * Every connection is counted, so a test can assert how many handshakes the probe made.
 *
 *   const u = await startHandshakeUpstream('dhe-1024');  ... u.port, u.connections ...  await u.close();
 */
import { execFileSync } from 'node:child_process';
import { getDiffieHellman } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fixturePath, readFixture } from './fixtures.js';

export type HandshakeUpstreamKind =
  | 'healthy'
  /** DHE suites only, with the 1024-bit MODP group of RFC 2409 (Oakley group 2): "dh key too small" at level 2. */
  | 'dhe-1024'
  /** DHE suites only, with a 2047-bit group: one bit short of level 2's 2048 (BN_security_bits gives 80). */
  | 'dhe-2047'
  /** ECDHE suites only, on the 192-bit curve prime192v1 (96 security bits). */
  | 'ecdhe-p192'
  /** NULL-SHA256 only: no cipher nginx offers. */
  | 'null-only'
  /** TLS 1.0 only. */
  | 'tls10-only'
  /** TLS 1.3 only: nginx before 1.23.4 offers at most TLS 1.2 to upstreams by default (src/nginx/version-behaviour.ts). */
  | 'tls13-only'
  /** leaf + intermediate + copies of the root over OpenSSL's 100 KiB max_cert_list. */
  | 'huge-chain'
  /** Alert 112 (unrecognized_name) to a ClientHello without SNI, as nginx's `ssl_reject_handshake on`. */
  | 'sni-alert'
  /** Closes the connection on a ClientHello without SNI. */
  | 'sni-close'
  /** Says nothing to a ClientHello without SNI (keeps the connection open): a timeout after the ClientHello. */
  | 'sni-silent'
  /** Asks for a client certificate without requiring it, answers 400 without one (nginx's `ssl_verify_client on`). */
  | 'verify-client'
  /** Completes the handshake, then closes when the request arrives, without an answer. */
  | 'silent-close'
  /** Completes the handshake and answers the request with a line that is not HTTP. */
  | 'not-http';

export interface HandshakeUpstream {
  port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

const LEAF = readFixture('leaf.pem');
const INT = readFixture('int1.pem');
const KEY = readFixture('leaf.key.pem');
const ROOT = readFixture('root.pem');
const CLIENT_CA = readFixture('client-ca.pem');

/** DER of PKCS#3 DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }, as PEM. */
function dhParamsPem(prime: Buffer, generator: Buffer): string {
  const len = (n: number) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
  const int = (b: Buffer) => {
    const v = b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
    return Buffer.concat([Buffer.from([0x02]), len(v.length), v]);
  };
  const body = Buffer.concat([int(prime), int(generator)]);
  const der = Buffer.concat([Buffer.from([0x30]), len(body.length), body]);
  return `-----BEGIN DH PARAMETERS-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END DH PARAMETERS-----\n`;
}

const MODP2 = getDiffieHellman('modp2');

/**
 * A 2047-bit group, made once with `openssl dhparam 2047` (OpenSSL 3.0.22; 26 s, too slow for every run). Public
 * parameters, no secret: the server's key pair is generated per handshake.
 */
const DH_2047 = `-----BEGIN DH PARAMETERS-----
MIIBBwKCAQBTB0L9BjwQoIMnqBqNcownsoqCxEcp1dGouAvtBNzuvxMhL/JZGMmu
20H7ijz7WYAdA7AqN4BW87X2ou0pkH3cEdfRxa2ZYP9ZvLNyTUiyI6gmxjrRBEHu
043qXtu0HWJ8FnBSJzP8HXOPoArc5qLEprQ5BgPS3d2SlgWD/M4nWZAEFD13jjDW
fCwtrH230E9+J6a6k+k3Y+BT68XBoPVsj+jv6o+oNt6H7ntSqS0OSO87uqRc2GiD
Pm6I0sVkOgUvJRkpWuM8NtCU5omLI2jFz5JfOwt7PG741L/6fbsc4gCpg38GeUE4
h9iOq/xd7c+NztXupBb8p0g4WXD+ZxLHAgEC
-----END DH PARAMETERS-----
`;

/** An RSA-2048 leaf for upstream.test under the fixture intermediate (int1 has an RSA key), made once, kept in memory. */
function rsaLeaf(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-rsa-leaf-'));
  try {
    const [key, csr, cert] = ['leaf.key', 'leaf.csr', 'leaf.pem'].map((f) => join(dir, f));
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=upstream.test', '-addext', 'subjectAltName=DNS:upstream.test'], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', fixturePath('int1.pem'), '-CAkey', fixturePath('int1.key.pem'), '-days', '3650', '-copy_extensions', 'copy', '-out', cert], { stdio: 'ignore' });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
let rsa: { cert: string; key: string } | undefined;
const rsaBase = (): tls.TlsOptions => {
  rsa ??= rsaLeaf();
  return { key: rsa.key, cert: rsa.cert + INT };
};

/** Every TLS connection gets one minimal HTTP answer to its request. */
function answer(status: string) {
  return (s: tls.TLSSocket) => {
    s.on('error', () => {});
    s.once('data', () => s.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`));
  };
}

function tlsOptions(kind: HandshakeUpstreamKind): tls.TlsOptions {
  // Level 0 on the server side only, so it can serve what the client must refuse.
  const base: tls.TlsOptions = { key: KEY, cert: LEAF + INT, ciphers: 'DEFAULT:@SECLEVEL=0' };
  switch (kind) {
    case 'dhe-1024':
      return { ...base, ...rsaBase(), dhparam: dhParamsPem(MODP2.getPrime(), MODP2.getGenerator()), ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2' };
    case 'dhe-2047':
      return { ...base, ...rsaBase(), dhparam: DH_2047, ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2' };
    case 'ecdhe-p192':
      return { ...base, ...rsaBase(), ecdhCurve: 'prime192v1', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2' };
    case 'null-only':
      return { ...base, ...rsaBase(), ciphers: 'NULL-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2' };
    case 'tls10-only':
      return { ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1' };
    case 'tls13-only':
      return { ...base, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
    case 'huge-chain': {
      const copies = Math.ceil(110_000 / Buffer.from(ROOT.replace(/-----[^-]+-----|\s/g, ''), 'base64').length);
      return { ...base, cert: LEAF + INT + ROOT.repeat(copies) };
    }
    case 'verify-client':
      return { ...base, requestCert: true, rejectUnauthorized: false, ca: CLIENT_CA };
    default:
      return base;
  }
}

/** The server_name extension (type 0) in a ClientHello record: enough for a test front that needs to know. */
function hasSni(hello: Buffer): boolean {
  return hello.includes(Buffer.from('upstream.test'));
}

export async function startHandshakeUpstream(kind: HandshakeUpstreamKind): Promise<HandshakeUpstream> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const track = (s: net.Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const onRequest =
    kind === 'verify-client'
      ? (s: tls.TLSSocket) => {
          s.on('error', () => {});
          // As nginx's ngx_http_process_request: no certificate → 400 "No required SSL certificate was sent";
          // one from a CA it does not accept → 400 "The SSL certificate error".
          s.once('data', () => {
            const cert = s.getPeerCertificate();
            const status = !cert || Object.keys(cert).length === 0 ? '400 No required SSL certificate was sent' : s.authorized ? '200 OK' : '400 The SSL certificate error';
            s.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
          });
        }
      : kind === 'silent-close'
        ? (t: tls.TLSSocket) => {
            t.on('error', () => {});
            t.once('data', () => t.end());
          }
        : kind === 'not-http'
          ? (t: tls.TLSSocket) => {
              t.on('error', () => {});
              t.once('data', () => t.end('SSH-2.0-OpenSSH_9.2\r\n'));
            }
          : answer('200 OK');
  const server = tls.createServer(tlsOptions(kind), onRequest);
  server.on('tlsClientError', () => {});
  const sniFront = kind === 'sni-alert' || kind === 'sni-close' || kind === 'sni-silent';
  // An SNI front hands ClientHellos with SNI to the TLS server and refuses the others itself.
  const front = sniFront
    ? net.createServer((c) => {
        track(c);
        c.once('data', (hello: Buffer) => {
          if (!hasSni(hello)) {
            if (kind === 'sni-alert') c.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112]));
            else if (kind === 'sni-close') c.destroy();
            // sni-silent: nothing; the client's timeout ends it (the socket is destroyed on close).
            return;
          }
          c.pause();
          server.emit('connection', c);
          c.unshift(hello);
          c.resume();
        });
      })
    : undefined;
  if (!front) server.on('connection', track);
  const listening = front ?? server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const port = (listening.address() as net.AddressInfo).port;
  return {
    port,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    },
  };
}
