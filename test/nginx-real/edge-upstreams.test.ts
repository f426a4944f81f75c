/**
 * Upstreams outside the fixture catalogue that misbehave at the TCP/TLS level: what real nginx logs must be what
 * tlsdoctor predicts (a FIN is logged without errno, a reset with "(104: ...)", other bytes as "wrong version
 * number", a server alert with its number).
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { comparableLine, MATRIX_SKIP_NOTE, matrixBuilds, nginxBuilds, nginxUnavailableReason, proxyOnce } from '../helpers/nginx.js';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
checkExternal(unavailable);
if (unavailable) console.warn(`skipping edge-upstream tests on Debian's nginx: ${unavailable}`);
const builds = nginxBuilds();
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

const servers: net.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

const quiet = (t: tls.Server) => {
  t.on('tlsClientError', () => {});
  return t;
};

const KINDS: Record<string, () => net.Server> = {
  'accepts then closes (FIN)': () => net.createServer((s) => s.end()),
  'accepts then resets (RST)': () => net.createServer((s) => s.resetAndDestroy()),
  // Answers the ClientHello with its banner. A banner sent at accept races nginx's ClientHello: when it wins, nginx
  // with the CVE-2026-1642 fix (1.28.2, 1.29.5, Debian's patched 1.22.1) logs "upstream prematurely sent response"
  // and older builds read the plain text as the response (the CVE); measured, not predictable from the server.
  'speaks SSH': () => net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.write('SSH-2.0-OpenSSH_9.2\r\n')); }),
  'closes after the ClientHello': () => net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.end()); }),
  'shares no cipher': () => quiet(tls.createServer({ cert: readFixture('leaf.pem'), key: readFixture('leaf.key.pem'), ciphers: 'NULL-SHA256', maxVersion: 'TLSv1.2' })),
};

describe.skipIf(builds.length === 0).each(builds)('edge upstreams: tlsdoctor predicts what nginx $label logs', (build) => {
  const version = build.version;
  it.each(Object.keys(KINDS))('%s', async (kind) => {
    const server = KINDS[kind]();
    servers.push(server);
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    const { status, first } = await proxyOnce(port, ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${fixturePath('root.pem')}`, 'proxy_ssl_name upstream.test'], build.bin);
    const run = await runCli(['probe', `127.0.0.1:${port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--nginx-version', version, '--json', '--no-fetch', '--timeout', '3s']);
    const doc = JSON.parse(run.stdout);
    const ours = { status: doc.nginx.status, level: doc.nginx.level, error: doc.nginx.error && comparableLine(version, doc.nginx.error) };
    const theirs = { status, level: first?.level, error: first && comparableLine(version, first.message) };
    if (kind.includes('RST') && ours.error !== theirs.error) {
      // A reset right after accept races the connect: when it beats nginx's connect check nginx logs it as a
      // connect() failure, otherwise as a peer close in the handshake. Both are the same fault; only accept those.
      const forms = [
        'peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream',
        'connect() failed (104: Connection reset by peer) while connecting to upstream',
      ].map((f) => comparableLine(version, f));
      expect({ ours, theirs, ok: forms.includes(ours.error) && forms.includes(theirs.error ?? '') && ours.status === theirs.status }).toMatchObject({ ok: true });
      return;
    }
    if (kind.includes('FIN') && ours.error !== theirs.error) {
      // A FIN right after accept can reach nginx before it starts TLS on the connection: the read handler then runs
      // ngx_http_upstream_process_header() with no SSL yet, recv() returns 0, and nginx logs a premature close
      // instead of the handshake failure tlsdoctor predicts (every version; measured on 1.26.3 under load).
      expect(theirs).toEqual({ status: ours.status, level: 'error', error: 'upstream prematurely closed connection while reading response header from upstream' });
      return;
    }
    expect(ours).toEqual(theirs);
  });
});
