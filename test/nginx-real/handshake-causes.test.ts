/**
 * Issue 10 against real nginx: for each upstream of the issue's table, real nginx's status, log level and line are
 * what `tlsdoctor probe` predicts; every nginx-fixable one turns 502 → 200 with the generated upstream-ssl.conf,
 * every other one stays failing and gets upstream-side advice only. Upstreams: test/helpers/handshake-upstreams.ts,
 * plus real nginx upstreams with `ssl_reject_handshake on` and `ssl_verify_client on | optional_no_ca` (serving a static
 * file: the matrix builds have no rewrite module, hence no `return`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { startHandshakeUpstream, type HandshakeUpstreamKind } from '../helpers/handshake-upstreams.js';
import net from 'node:net';
import { comparableLine, nginxBuilds, nginxUnavailableReason, parseErrorLog, proxyConfig, proxyOnce, startNginx, type NginxInstance } from '../helpers/nginx.js';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
checkExternal(unavailable);
if (unavailable) console.warn(`skipping handshake-cause tests on real nginx: ${unavailable}`);
const builds = nginxBuilds();
/** nginx as the *upstream* is the newest build at hand: ssl_reject_handshake exists only since 1.19.4; the front is under test. */
const upstreamBin = builds[builds.length - 1]?.bin;

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NGINX_BASE = ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${fixturePath('root.pem')}`, 'proxy_ssl_name upstream.test', 'proxy_ssl_verify_depth 2'];
const PROBE_BASE = ['--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--proxy-ssl-verify-depth', '2', '--no-fetch', '--warn', '0', '--timeout', '5s'];

interface Row {
  kind: HandshakeUpstreamKind;
  /** Extra nginx directives and the probe flags that model them. */
  nginx?: string[];
  probe?: string[];
  /** nginx proxies 200 with the generated files. */
  fixable: boolean;
}

const ROWS: Row[] = [
  { kind: 'sni-alert', fixable: true },
  { kind: 'sni-close', fixable: true },
  // Silent to a ClientHello without SNI: nginx waits proxy_connect_timeout (504); SNI cures it.
  { kind: 'sni-silent', fixable: true },
  { kind: 'dhe-1024', fixable: false },
  { kind: 'dhe-2047', fixable: false },
  { kind: 'ecdhe-p192', fixable: false },
  { kind: 'null-only', fixable: false },
  { kind: 'huge-chain', fixable: false },
  // After the handshake: the answer to the request decides.
  { kind: 'silent-close', fixable: false },
  { kind: 'tls10-only', nginx: ['proxy_ssl_protocols TLSv1 TLSv1.1 TLSv1.2'], probe: ['--proxy-ssl-protocols', 'TLSv1 TLSv1.1 TLSv1.2'], fixable: false },
  // The same at level 0: nginx completes, and so does the prediction.
  { kind: 'dhe-1024', nginx: ['proxy_ssl_ciphers DEFAULT:@SECLEVEL=0'], probe: ['--proxy-ssl-ciphers', 'DEFAULT:@SECLEVEL=0'], fixable: true },
  { kind: 'tls10-only', nginx: ['proxy_ssl_protocols TLSv1 TLSv1.1 TLSv1.2', 'proxy_ssl_ciphers DEFAULT:@SECLEVEL=0'], probe: ['--proxy-ssl-protocols', 'TLSv1 TLSv1.1 TLSv1.2', '--proxy-ssl-ciphers', 'DEFAULT:@SECLEVEL=0'], fixable: true },
];

async function upstream(kind: HandshakeUpstreamKind): Promise<number> {
  const u = await startHandshakeUpstream(kind);
  closers.push(() => u.close());
  return u.port;
}

async function predict(port: number, version: string, flags: string[] = [], out?: string) {
  const run = await runCli(['probe', `127.0.0.1:${port}`, ...PROBE_BASE, '--nginx-version', version, ...flags, ...(out ? ['--out', out] : []), '--json']);
  return JSON.parse(run.stdout);
}

describe.skipIf(builds.length === 0).each(builds)('handshake causes: tlsdoctor predicts what nginx $label does', (build) => {
  const version = build.version;

  it.each(ROWS.map((r) => [`${r.kind}${r.nginx ? ` with ${r.nginx.join('; ')}` : ''}`, r] as const))('%s', async (_title, row) => {
    const port = await upstream(row.kind);
    const theirs = await proxyOnce(port, [...NGINX_BASE, ...(row.nginx ?? [])], build.bin);
    const out = mkdtempSync(join(tmpdir(), 'tlsdoctor-hs-'));
    dirs.push(out);
    const doc = await predict(port, version, row.probe, out);
    expect({
      status: doc.nginx.status,
      level: doc.nginx.level,
      error: doc.nginx.error && comparableLine(version, doc.nginx.error),
    }).toEqual({ status: theirs.status, level: theirs.first?.level ?? null, error: theirs.first ? comparableLine(version, theirs.first.message) : null });
    if (doc.nginx.ok) return;
    if (!row.fixable) {
      expect(doc.fix.nginxFixable).toBe(false);
      expect(doc.fix.upstreamChanges.length).toBeGreaterThan(0);
      expect(JSON.stringify(doc.fix.directives)).not.toMatch(/SECLEVEL|proxy_ssl_ciphers|proxy_ssl_verify off/);
      return;
    }
    expect(doc.fix).toMatchObject({ nginxFixable: true, verified: true });
    const fixed = await proxyOnce(port, [`include ${join(out, 'upstream-ssl.conf')}`], build.bin);
    expect(fixed).toMatchObject({ status: 200, first: undefined });
  });

  it('not HTTP after the handshake: nginx logs it and passes the bytes on as HTTP/0.9 (no status line), as predicted', async () => {
    const port = await upstream('not-http');
    const front = await startNginx({ bin: build.bin, config: proxyConfig({ upstreamPort: port, directives: NGINX_BASE }) });
    closers.push(() => front.stop());
    // A raw request: node's HTTP client refuses an answer without a status line.
    const raw = await new Promise<string>((resolve, reject) => {
      const c = net.connect(front.port, '127.0.0.1', () => c.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
      let got = '';
      c.on('data', (b) => (got += b.toString('latin1')));
      c.on('end', () => resolve(got));
      c.on('error', reject);
      c.setTimeout(5000, () => c.destroy(new Error('no answer from nginx')));
    });
    expect(raw).toBe('SSH-2.0-OpenSSH_9.2\r\n');
    const first = parseErrorLog(front.errorLog())[0];
    const doc = await predict(port, version);
    expect({ level: doc.nginx.level, error: doc.nginx.error, status: doc.nginx.status }).toEqual({ level: first?.level, error: first?.message, status: 200 });
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(['NO_HTTP_RESPONSE']);
  });

  it('an nginx upstream with ssl_reject_handshake on in its default server: SNI_REQUIRED, 502 → 200', async () => {
    const cert = `${readFixture('leaf.pem')}${readFixture('int1.pem')}`;
    const up: NginxInstance = await startNginx({
      bin: upstreamBin,
      files: { 'upstream.pem': cert, 'upstream.key': readFixture('leaf.key.pem'), 'www/index.html': 'ok\n' },
      config: `    server { listen 127.0.0.1:__PORT__ ssl default_server; ssl_reject_handshake on; }
    server { listen 127.0.0.1:__PORT__ ssl; server_name upstream.test 127.0.0.1; ssl_certificate upstream.pem; ssl_certificate_key upstream.key; root __PREFIX__/www; }`,
    });
    closers.push(() => up.stop());
    const theirs = await proxyOnce(up.port, NGINX_BASE, build.bin);
    const out = mkdtempSync(join(tmpdir(), 'tlsdoctor-hs-'));
    dirs.push(out);
    const doc = await predict(up.port, version, [], out);
    expect({ status: doc.nginx.status, level: doc.nginx.level, error: doc.nginx.error }).toEqual({ status: theirs.status, level: theirs.first?.level, error: theirs.first?.message });
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('SNI_REQUIRED');
    expect(doc.fix.verified).toBe(true);
    expect(readFileSync(join(out, 'upstream-ssl.conf'), 'utf8')).toMatch(/^proxy_ssl_server_name on;$/m);
    expect(await proxyOnce(up.port, [`include ${join(out, 'upstream-ssl.conf')}`], build.bin)).toMatchObject({ status: 200, first: undefined });
  });

  async function verifyClientUpstream(mode: string): Promise<NginxInstance> {
    const up = await startNginx({
      bin: upstreamBin,
      files: { 'upstream.pem': `${readFixture('leaf.pem')}${readFixture('int1.pem')}`, 'upstream.key': readFixture('leaf.key.pem'), 'client-ca.pem': readFixture('client-ca.pem'), 'www/index.html': 'ok\n' },
      config: `    server { listen 127.0.0.1:__PORT__ ssl; ssl_certificate upstream.pem; ssl_certificate_key upstream.key;
        ssl_verify_client ${mode}; ssl_client_certificate client-ca.pem; root __PREFIX__/www; }`,
    });
    closers.push(() => up.stop());
    return up;
  }
  const clientFlags = (name: string) => ['--proxy-ssl-certificate', fixturePath(`${name}.pem`), '--proxy-ssl-certificate-key', fixturePath(`${name}.key.pem`)];
  const clientDirectives = (name: string) => [`proxy_ssl_certificate ${fixturePath(`${name}.pem`)}`, `proxy_ssl_certificate_key ${fixturePath(`${name}.key.pem`)}`];

  it('an nginx upstream with ssl_verify_client on: its 400 proxied and nothing logged (CLIENT_CERT_REQUIRED, CLIENT_CERT_REJECTED)', async () => {
    const up = await verifyClientUpstream('on');
    // No certificate: 400 "No required SSL certificate was sent".
    const none = await proxyOnce(up.port, NGINX_BASE, build.bin);
    expect(none).toMatchObject({ status: 400, first: undefined });
    const doc = await predict(up.port, version);
    expect(doc.nginx).toMatchObject({ ok: false, status: 400, level: null, error: null, answeredBy: 'upstream' });
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('CLIENT_CERT_REQUIRED');
    // A certificate from a CA it does not accept: 400 "The SSL certificate error".
    const other = await proxyOnce(up.port, [...NGINX_BASE, ...clientDirectives('client-other')], build.bin);
    expect(other).toMatchObject({ status: 400, first: undefined });
    const otherDoc = await predict(up.port, version, clientFlags('client-other'));
    expect(otherDoc.nginx).toMatchObject({ ok: false, status: 400, answeredBy: 'upstream' });
    expect(otherDoc.findings.map((f: { code: string }) => f.code)).toContain('CLIENT_CERT_REJECTED');
    // The certificate it accepts: 200 both ways.
    expect((await proxyOnce(up.port, [...NGINX_BASE, ...clientDirectives('client')], build.bin)).status).toBe(200);
    expect((await predict(up.port, version, clientFlags('client'))).nginx).toMatchObject({ ok: true, status: 200 });
  });

  it('an nginx upstream with ssl_verify_client optional_no_ca: asks, does not insist; 200 both ways', async () => {
    const up = await verifyClientUpstream('optional_no_ca');
    const theirs = await proxyOnce(up.port, NGINX_BASE, build.bin);
    expect(theirs).toMatchObject({ status: 200, first: undefined });
    const doc = await predict(up.port, version);
    expect(doc.connection.clientCertificateRequested).toBe(true);
    expect(doc.nginx).toMatchObject({ ok: true, status: 200, answeredBy: 'upstream' });
    expect(doc.findings.map((f: { code: string }) => f.code)).not.toContain('CLIENT_CERT_REQUIRED');
  });
});
