/**
 * The real-nginx harness itself, and the nginx behaviours from shared/NGINX.md that no certificate fixture covers
 * (defaults, start-up refusals, transport failures, session reuse). Uses its own throwaway PKI made with the
 * `openssl` CLI so it does not depend on certs-fixtures/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkNginxConfig,
  NginxStartError,
  nginxBuildInfo,
  nginxUnavailableReason,
  parseErrorLog,
  proxyConfig,
  startNginx,
  type NginxInstance,
} from '../helpers/nginx.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
// .ci/run installs nginx and sets TLSDOCTOR_REQUIRE_EXTERNALS: there a missing nginx fails instead of skipping.
checkExternal(unavailable);
if (unavailable) console.warn(`skipping real-nginx tests: ${unavailable}`);

/** A throwaway PKI: root → intermediate → leaf (SAN DNS:localhost only), a self-signed cert, an unrelated root. */
interface Pki {
  root: string;
  intermediate: string;
  leaf: string;
  leafKey: string;
  selfSigned: string;
  selfSignedKey: string;
  otherRoot: string;
}

function makePki(dir: string): Pki {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const key = (name: string): void => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
  const ca = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
  writeFileSync(join(dir, 'ca.ext'), ca);
  writeFileSync(
    join(dir, 'leaf.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n',
  );
  for (const k of ['root', 'int', 'leaf', 'self', 'other']) key(`${k}.key`);
  const selfSign = (k: string, cn: string, ext: string): void =>
    run(['req', '-x509', '-new', '-key', `${k}.key`, '-out', `${k}.pem`, '-days', '30', '-subj', `/CN=${cn}`, '-extensions', 'v3', '-config', ext]);
  writeFileSync(join(dir, 'root.cnf'), `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${ca}`);
  writeFileSync(
    join(dir, 'self.cnf'),
    '[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n',
  );
  selfSign('root', 'Harness Root', 'root.cnf');
  selfSign('other', 'Harness Other Root', 'root.cnf');
  selfSign('self', 'localhost', 'self.cnf');
  const issue = (k: string, cn: string, issuer: string, ext: string): void => {
    run(['req', '-new', '-key', `${k}.key`, '-out', `${k}.csr`, '-subj', `/CN=${cn}`]);
    run(['x509', '-req', '-in', `${k}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
      '-out', `${k}.pem`, '-days', '30', '-extfile', ext]);
  };
  issue('int', 'Harness Intermediate', 'root', 'ca.ext');
  issue('leaf', 'localhost', 'int', 'leaf.ext');
  const r = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    root: r('root.pem'),
    intermediate: r('int.pem'),
    leaf: r('leaf.pem'),
    leafKey: r('leaf.key'),
    selfSigned: r('self.pem'),
    selfSignedKey: r('self.key'),
    otherRoot: r('other.pem'),
  };
}

interface Upstream {
  port: number;
  close(): Promise<void>;
}

function listen(server: NetServer, sockets: Set<Socket>): Promise<Upstream> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no address');
      resolve({
        port: addr.port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** A TLS upstream answering every request with `200 upstream-ok`. */
function tlsUpstream(opts: TlsOptions): Promise<Upstream> {
  const server = createTlsServer(opts, (sock) => {
    sock.on('error', () => {});
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\nupstream-ok'));
  });
  server.on('tlsClientError', () => {});
  return listen(server, new Set());
}

const VERIFY_PREFIX = 'upstream SSL certificate verify error:';
const HANDSHAKING = 'while SSL handshaking to upstream';

describe.skipIf(unavailable !== null)('real nginx harness', () => {
  let dir: string;
  let pki: Pki;
  let chained: Upstream; // sends leaf + intermediate
  let leafOnly: Upstream; // sends the leaf only
  let selfSigned: Upstream;
  const started: NginxInstance[] = [];

  async function nginxFor(upstreamPort: number, directives: string[], files: Record<string, string> = {}, host?: string) {
    const n = await startNginx({ config: proxyConfig({ upstreamPort, upstreamHost: host, directives }), files });
    started.push(n);
    return n;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-harness-pki-'));
    pki = makePki(dir);
    chained = await tlsUpstream({ key: pki.leafKey, cert: pki.leaf + pki.intermediate });
    leafOnly = await tlsUpstream({ key: pki.leafKey, cert: pki.leaf });
    selfSigned = await tlsUpstream({ key: pki.selfSignedKey, cert: pki.selfSigned });
  });

  afterAll(async () => {
    for (const n of started) await n.stop();
    await Promise.all([chained, leafOnly, selfSigned].filter(Boolean).map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the nginx version and the OpenSSL it was built with from `nginx -V`', () => {
    const info = nginxBuildInfo();
    const v = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr;
    expect(v).toContain(`nginx/${info.version}`);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.builtWithOpenssl).toMatch(/^OpenSSL \d+\.\d+\.\d+/);
  });

  it('proxies to a self-signed upstream with 200 by default: proxy_ssl_verify is off', async () => {
    const n = await nginxFor(selfSigned.port, []);
    const res = await n.request('/');
    expect(res).toEqual({ status: 200, body: 'upstream-ok' });
    expect(parseErrorLog(n.errorLog())).toEqual([]);
  });

  it('refuses to start with verify on and no trusted certificate: [emerg], and startNginx says so', async () => {
    const params = { config: proxyConfig({ upstreamPort: chained.port, directives: ['proxy_ssl_verify on'] }) };
    const check = await checkNginxConfig(params);
    expect(check.ok).toBe(false);
    expect(check.output).toContain('[emerg] no proxy_ssl_trusted_certificate for proxy_ssl_verify');
    const err = await startNginx(params).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NginxStartError);
    expect((err as NginxStartError).errorLogText).toContain('no proxy_ssl_trusted_certificate for proxy_ssl_verify');
  });

  it('refuses to start with an empty or missing bundle: [emerg] SSL_CTX_load_verify_locations', async () => {
    for (const [file, files] of [['empty.pem', { 'empty.pem': '' }], ['missing.pem', {}]] as const) {
      const check = await checkNginxConfig({
        config: proxyConfig({ upstreamPort: chained.port, directives: ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${file}`] }),
        files,
      });
      expect(check.ok, file).toBe(false);
      expect(check.output).toMatch(new RegExp(`\\[emerg\\] SSL_CTX_load_verify_locations\\("[^"]*/${file}"\\) failed`));
    }
  });

  it('accepts a chain sent with its intermediate when proxy_ssl_name is a name the leaf holds', async () => {
    const n = await nginxFor(chained.port, ['proxy_ssl_verify on', 'proxy_ssl_trusted_certificate ca.pem', 'proxy_ssl_name localhost'], {
      'ca.pem': pki.root,
    });
    expect(await n.request('/')).toEqual({ status: 200, body: 'upstream-ok' });
  });

  it('logs 21 when the server sends the leaf only and the bundle has the root', async () => {
    const n = await nginxFor(leafOnly.port, ['proxy_ssl_verify on', 'proxy_ssl_trusted_certificate ca.pem', 'proxy_ssl_name localhost'], {
      'ca.pem': pki.root,
    });
    expect((await n.request('/')).status).toBe(502);
    const [line] = parseErrorLog(n.errorLog());
    expect(line.level).toBe('error');
    expect(line.message).toBe(`${VERIFY_PREFIX} (21:unable to verify the first certificate) ${HANDSHAKING}`);
    // The request context follows the message (ngx_http_log_error): the line names the upstream it tried.
    expect(line.raw).toContain(`upstream: "https://127.0.0.1:${leafOnly.port}/"`);
  });

  it('checks the name against proxy_ssl_name = $proxy_host: an IP target does not match a DNS-only leaf', async () => {
    const n = await nginxFor(chained.port, ['proxy_ssl_verify on', 'proxy_ssl_trusted_certificate ca.pem'], { 'ca.pem': pki.root });
    expect((await n.request('/')).status).toBe(502);
    expect(parseErrorLog(n.errorLog()).map((l) => l.message)).toEqual([
      `upstream SSL certificate does not match "127.0.0.1" ${HANDSHAKING}`,
    ]);
  });

  it('logs wrong version number for a plain-HTTP upstream', async () => {
    const plain = createHttpServer((_req, res) => res.end('plain'));
    const up = await listen(plain, new Set());
    try {
      const n = await nginxFor(up.port, []);
      expect((await n.request('/')).status).toBe(502);
      expect(parseErrorLog(n.errorLog()).map((l) => l.message)).toEqual([
        `SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) ${HANDSHAKING}`,
      ]);
    } finally {
      await up.close();
    }
  });

  it('logs connect() failed (111) for a closed port', async () => {
    const probe = createNetServer();
    const up = await listen(probe, new Set());
    const port = up.port;
    await up.close(); // nothing listens on this port any more
    const n = await nginxFor(port, []);
    expect((await n.request('/')).status).toBe(502);
    expect(parseErrorLog(n.errorLog()).map((l) => l.message)).toEqual([
      'connect() failed (111: Connection refused) while connecting to upstream',
    ]);
  });

  it('answers 504 when the upstream accepts TCP but never speaks TLS (proxy_connect_timeout bounds the handshake)', async () => {
    const silent = createNetServer((s) => s.on('error', () => {}));
    const up = await listen(silent, new Set());
    try {
      const n = await nginxFor(up.port, ['proxy_connect_timeout 1s']);
      expect((await n.request('/')).status).toBe(504);
      expect(parseErrorLog(n.errorLog()).map((l) => l.message)).toEqual([
        `upstream timed out (110: Connection timed out) ${HANDSHAKING}`,
      ]);
    } finally {
      await up.close();
    }
  });

  it('reload() re-reads the bundle: an unrelated root gives 502, the right root after reload gives 200', async () => {
    const n = await nginxFor(chained.port, ['proxy_ssl_verify on', 'proxy_ssl_trusted_certificate ca.pem', 'proxy_ssl_name localhost'], {
      'ca.pem': pki.otherRoot,
    });
    expect((await n.request('/')).status).toBe(502);
    expect(n.takeErrorLog().join('\n')).toContain('(20:unable to get local issuer certificate)');
    writeFileSync(join(n.prefix, 'ca.pem'), pki.root);
    await n.reload();
    expect((await n.request('/')).status).toBe(200);
  });

  it('stop() kills nginx and removes its prefix', async () => {
    const n = await startNginx({ config: proxyConfig({ upstreamPort: selfSigned.port }) });
    const pid = Number(readFileSync(join(n.prefix, 'nginx.pid'), 'utf8'));
    await n.stop();
    expect(existsSync(n.prefix)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(n.request('/', { timeoutMs: 2_000 })).rejects.toThrow();
  });

  // shared/NGINX.md "Session reuse": a cached session keeps the verify result of the handshake that created it.
  // This is why the helper turns proxy_ssl_session_reuse off unless a config mentions it.
  describe('session reuse across locations with different trust', () => {
    const locations = (reuse: 'on' | 'off'): string => `
    server {
        listen 127.0.0.1:__PORT__;
        proxy_ssl_session_reuse ${reuse};
        proxy_ssl_verify on;
        proxy_ssl_name localhost;
        location /pin/ { proxy_pass https://127.0.0.1:${selfSigned.port}/; proxy_ssl_trusted_certificate pin.pem; }
        location /root/ { proxy_pass https://127.0.0.1:${selfSigned.port}/; proxy_ssl_trusted_certificate root.pem; }
    }`;
    const files = (): Record<string, string> => ({ 'pin.pem': pki.selfSigned, 'root.pem': pki.root });

    it('with reuse on, a location that does not trust the upstream answers 200 after one that pins it', async () => {
      const n = await startNginx({ config: locations('on'), files: files() });
      started.push(n);
      expect((await n.request('/pin/')).status).toBe(200);
      expect((await n.request('/root/')).status).toBe(200); // the reused session carries the pinned verdict
    });

    it('with reuse on in the other order, both answer 502', async () => {
      const n = await startNginx({ config: locations('on'), files: files() });
      started.push(n);
      expect((await n.request('/root/')).status).toBe(502);
      expect((await n.request('/pin/')).status).toBe(502);
    });

    it('with reuse off (the helper default), each location keeps its own verdict', async () => {
      const n = await startNginx({ config: locations('off'), files: files() });
      started.push(n);
      expect((await n.request('/pin/')).status).toBe(200);
      expect((await n.request('/root/')).status).toBe(502);
      expect(parseErrorLog(n.errorLog()).map((l) => l.message)).toEqual([
        `${VERIFY_PREFIX} (18:self-signed certificate) ${HANDSHAKING}`,
      ]);
    });
  });
});
