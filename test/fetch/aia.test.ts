import { X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chaseIssuers, fetchCaIssuers, type FetchCaIssuersOptions, type FetchCaIssuersResult } from '../../src/fetch/aia.js';
import { TestPki, hex, openssl, type TestCert } from '../certs/test-pki.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const requests: string[] = [];
let server: Server;
let base: string;
let pki: TestPki;
let root: TestCert;
let inter2: TestCert;
let inter1: TestCert;
let leaf: TestCert;
let noAia: TestCert;
let echo: TestCert;
let loopy: TestCert;
/** Bytes the /huge handler had written when its connection closed. */
let hugeSent: number | undefined;
let slowClosed = false;

const MB = 1024 * 1024;
const opts: FetchCaIssuersOptions = { timeoutMs: 5_000, maxBytes: MB, maxRedirects: 3 };

function serve(body: Uint8Array | string, type = 'application/pkix-cert'): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}
const redirect =
  (location: string, status = 302): Handler =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };

/** caIssuers URLs as OpenSSL prints them in `X509Certificate#infoAccess` (what the real parser will give). */
function aiaOf(der: Uint8Array): string[] {
  const info = new X509Certificate(der).infoAccess ?? '';
  return info
    .split('\n')
    .filter((l) => l.startsWith('CA Issuers - URI:'))
    .map((l) => l.slice('CA Issuers - URI:'.length));
}

const fail = (r: FetchCaIssuersResult) => (r.ok ? { ok: true } : { ok: false, reason: r.reason, detail: r.detail });

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const h = routes.get(req.url ?? '');
    if (h) h(req, res);
    else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  pki = new TestPki();
  root = pki.root('AIA Root');
  inter2 = pki.issue('AIA Intermediate 2', root, { ca: true, aiaUrls: [`${base}/root.der`] });
  inter1 = pki.issue('AIA Intermediate 1', inter2, { ca: true, aiaUrls: [`ldap://ldap.invalid/cn=x`, `${base}/inter2.der`] });
  leaf = pki.issue('aia-leaf.test', inter1, { ca: false, aiaUrls: [`${base}/inter1.der`] });
  noAia = pki.issue('No AIA Intermediate', root, { ca: true });
  echo = pki.issue('Echo Intermediate', root, { ca: true, aiaUrls: [`${base}/echo-again.der`] });
  loopy = pki.issue('Loopy Intermediate', root, { ca: true, aiaUrls: [`${base}/loopy.der`] });
  const p7 = (certs: TestCert[]) =>
    new Uint8Array(openssl(['crl2pkcs7', '-nocrl', '-certfile', pki.file(`p7-${certs.length}.pem`, certs.map((c) => c.pem).join('')), '-outform', 'DER'], pki.dir));

  routes.set('/root.der', serve(root.der));
  routes.set('/inter2.der', serve(inter2.der));
  routes.set('/inter1.der', serve(inter1.der));
  routes.set('/leaf.der', serve(leaf.der));
  routes.set('/inter1.pem', serve(inter1.pem, 'application/x-pem-file'));
  routes.set('/chain.p7c', serve(p7([inter1, inter2]), 'application/pkcs7-mime'));
  routes.set('/no-aia.der', serve(noAia.der));
  routes.set('/echo.der', serve(echo.der));
  routes.set('/echo-again.der', serve(echo.der));
  routes.set('/loopy.der', serve(loopy.der));
  routes.set('/not-cert', serve('<html><body>Welcome to nginx!</body></html>', 'text/html'));
  routes.set('/empty', serve(''));
  routes.set('/key', serve(new Uint8Array(openssl(['pkey', '-in', leaf.keyPath, '-outform', 'DER'], pki.dir))));
  routes.set('/error', (_req, res) => {
    res.writeHead(500);
    res.end('boom');
  });
  routes.set('/loop-a', redirect('/loop-b'));
  routes.set('/loop-b', redirect('/loop-a'));
  routes.set('/r1', redirect('/r2', 301));
  routes.set('/r2', redirect('/r3', 307));
  routes.set('/r3', redirect('inter2.der', 308)); // relative Location
  routes.set('/to-file', redirect('file:///etc/passwd'));
  routes.set('/to-ldap', redirect('ldap://ldap.invalid/cn=ca'));
  routes.set('/to-localhost', redirect(`http://localhost:${(server.address() as AddressInfo).port}/inter1.der`));
  routes.set('/no-location', (_req, res) => {
    res.writeHead(302);
    res.end();
  });
  routes.set('/huge', (_req, res) => {
    // 50 MB, chunked (no Content-Length), written only as fast as the client reads.
    res.writeHead(200, { 'content-type': 'application/pkix-cert' });
    const chunk = Buffer.alloc(64 * 1024, 0x30);
    let sent = 0;
    const pump = () => {
      while (sent < 50 * MB && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (hugeSent = sent));
    pump();
  });
  routes.set('/huge-declared', (_req, res) => {
    res.writeHead(200, { 'content-length': String(50 * MB) });
    res.write(Buffer.alloc(1024));
  });
  routes.set('/slow-body', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pkix-cert' });
    const t = setInterval(() => res.write('0'), 50);
    res.on('close', () => {
      clearInterval(t);
      slowClosed = true;
    });
  });
  routes.set('/slow-headers', () => undefined); // never answers
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  pki.cleanup();
});

describe('fetchCaIssuers', () => {
  it('fetches a DER certificate', async () => {
    const r = await fetchCaIssuers(`${base}/inter1.der`, opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ders.map(hex)).toEqual([hex(inter1.der)]);
    expect(r).toMatchObject({ url: `${base}/inter1.der`, finalUrl: `${base}/inter1.der`, contentType: 'application/pkix-cert', bytes: inter1.der.length });
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('fetches a PKCS#7 certs-only bundle (.p7c) and a PEM body', async () => {
    const p = await fetchCaIssuers(`${base}/chain.p7c`, opts);
    expect(p.ok && p.ders.map(hex)).toEqual([hex(inter1.der), hex(inter2.der)]);
    const pem = await fetchCaIssuers(`${base}/inter1.pem`, opts);
    expect(pem.ok && pem.ders.map(hex)).toEqual([hex(inter1.der)]);
  });

  it('follows redirects, relative ones too, up to the cap', async () => {
    const r = await fetchCaIssuers(`${base}/r1`, opts);
    expect(r.ok && { finalUrl: r.finalUrl, ders: r.ders.map(hex) }).toEqual({ finalUrl: `${base}/inter2.der`, ders: [hex(inter2.der)] });
    const capped = await fetchCaIssuers(`${base}/r1`, { ...opts, maxRedirects: 2 });
    expect(fail(capped)).toMatchObject({ ok: false, reason: 'too-many-redirects' });
    const none = await fetchCaIssuers(`${base}/r1`, { ...opts, maxRedirects: 0 });
    expect(fail(none)).toMatchObject({ ok: false, reason: 'too-many-redirects' });
  });

  it('stops a redirect loop', async () => {
    const r = await fetchCaIssuers(`${base}/loop-a`, { ...opts, maxRedirects: 50 });
    expect(fail(r)).toEqual({ ok: false, reason: 'too-many-redirects', detail: `redirect loop: ${base}/loop-b -> ${base}/loop-a` });
  });

  it('refuses non-http schemes, first and on every redirect hop', async () => {
    for (const url of ['file:///etc/passwd', 'ldap://ldap.example/cn=CA?cACertificate', 'data:application/pkix-cert;base64,MAA=', 'ftp://x/y', 'not a url']) {
      expect(fail(await fetchCaIssuers(url, opts))).toMatchObject({ ok: false, reason: 'scheme' });
    }
    const before = requests.length;
    const r = await fetchCaIssuers(`${base}/to-file`, opts);
    expect(fail(r)).toMatchObject({ ok: false, reason: 'scheme' });
    expect(r.ok || r.detail).toContain('file:///etc/passwd');
    expect(requests.slice(before)).toEqual(['/to-file']);
    expect(fail(await fetchCaIssuers(`${base}/to-ldap`, opts))).toMatchObject({ ok: false, reason: 'scheme' });
  });

  it('asks allowHosts before the first request and before every redirect', async () => {
    const allowHosts = (h: string) => h === '127.0.0.1';
    const before = requests.length;
    const port = (server.address() as AddressInfo).port;
    const r = await fetchCaIssuers(`http://localhost:${port}/inter1.der`, { ...opts, allowHosts });
    expect(fail(r)).toMatchObject({ ok: false, reason: 'blocked' });
    expect(requests.length).toBe(before); // nothing was sent
    const hop = await fetchCaIssuers(`${base}/to-localhost`, { ...opts, allowHosts });
    expect(fail(hop)).toMatchObject({ ok: false, reason: 'blocked' });
    expect(requests.slice(before)).toEqual(['/to-localhost']);
  });

  it('reports HTTP errors with their status', async () => {
    expect(fail(await fetchCaIssuers(`${base}/missing`, opts))).toEqual({ ok: false, reason: 'http-status', detail: `HTTP 404 from ${base}/missing` });
    expect(fail(await fetchCaIssuers(`${base}/error`, opts))).toMatchObject({ reason: 'http-status', detail: `HTTP 500 from ${base}/error` });
    expect(fail(await fetchCaIssuers(`${base}/no-location`, opts))).toMatchObject({ reason: 'http-status' });
  });

  it('cuts a 50 MB streamed body at the cap', async () => {
    hugeSent = undefined;
    const r = await fetchCaIssuers(`${base}/huge`, opts);
    expect(fail(r)).toEqual({ ok: false, reason: 'too-large', detail: `${base}/huge sent more than ${MB} bytes (stopped reading)` });
    await vi.waitFor(() => expect(hugeSent).toBeDefined());
    expect(hugeSent).toBeLessThan(25 * MB); // the connection was dropped, not drained
  });

  it('refuses a body announced larger than the cap without reading it', async () => {
    const r = await fetchCaIssuers(`${base}/huge-declared`, opts);
    expect(fail(r)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(r.ok || r.detail).toContain('announces 52428800 bytes');
  });

  it('times out a trickling body and a server that never answers, and drops the connection', async () => {
    slowClosed = false;
    const r = await fetchCaIssuers(`${base}/slow-body`, { ...opts, timeoutMs: 300 });
    expect(fail(r)).toEqual({ ok: false, reason: 'timeout', detail: `no complete answer from ${base}/slow-body within 300 ms` });
    await vi.waitFor(() => expect(slowClosed).toBe(true));
    const h = await fetchCaIssuers(`${base}/slow-headers`, { ...opts, timeoutMs: 300 });
    expect(fail(h)).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('says not-certificate for HTML, an empty body and a private key, without quoting the body', async () => {
    const html = await fetchCaIssuers(`${base}/not-cert`, opts);
    expect(fail(html)).toMatchObject({ ok: false, reason: 'not-certificate' });
    expect(html.ok || html.detail).not.toContain('Welcome');
    expect(fail(await fetchCaIssuers(`${base}/empty`, opts))).toMatchObject({ reason: 'not-certificate' });
    expect(fail(await fetchCaIssuers(`${base}/key`, opts))).toMatchObject({ reason: 'not-certificate' });
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await fetchCaIssuers(`http://127.0.0.1:${port}/x.der`, opts);
    expect(fail(r)).toMatchObject({ ok: false, reason: 'network' });
    expect(r.ok || r.detail).toContain('ECONNREFUSED');
  });
});

describe('chaseIssuers', () => {
  const chaseOpts = { ...opts, timeoutMs: 2_000 };
  const summary = (r: Awaited<ReturnType<typeof chaseIssuers>>) => ({
    stop: r.stop,
    certs: r.certs.map((c) => [c.hop, hex(c.der), c.url]),
    fetches: r.fetches.map((f) => [f.url, f.ok ? 'ok' : f.reason]),
  });

  it('climbs leaf → intermediate 1 → intermediate 2 → self-signed root, skipping the ldap: alternative', async () => {
    const r = await chaseIssuers({ aiaUrls: aiaOf(leaf.der), der: leaf.der }, aiaOf, chaseOpts);
    expect(summary(r)).toEqual({
      stop: 'self-signed',
      certs: [
        [1, hex(inter1.der), `${base}/inter1.der`],
        [2, hex(inter2.der), `${base}/inter2.der`],
        [3, hex(root.der), `${base}/root.der`],
      ],
      fetches: [
        [`${base}/inter1.der`, 'ok'],
        ['ldap://ldap.invalid/cn=x', 'scheme'],
        [`${base}/inter2.der`, 'ok'],
        [`${base}/root.der`, 'ok'],
      ],
    });
    expect(r.certs[2].sha256).toBe(new X509Certificate(root.der).fingerprint256.replaceAll(':', '').toLowerCase());
  });

  it('climbs from the top of a PKCS#7 bundle', async () => {
    const r = await chaseIssuers({ aiaUrls: [`${base}/chain.p7c`] }, aiaOf, chaseOpts);
    expect(summary(r).certs.map((c) => c[1])).toEqual([hex(inter1.der), hex(inter2.der), hex(root.der)]);
    expect(r.stop).toBe('self-signed');
    expect(r.fetches).toHaveLength(2); // the bundle, then the root from inter2's AIA (inter1's issuer was in the bundle)
  });

  it('stops at maxHops (ceiling 4)', async () => {
    const r = await chaseIssuers({ aiaUrls: aiaOf(leaf.der) }, aiaOf, { ...chaseOpts, maxHops: 2 });
    expect(r.stop).toBe('max-hops');
    expect(r.certs.map((c) => hex(c.der))).toEqual([hex(inter1.der), hex(inter2.der)]);
    expect(r.detail).toContain(`${base}/root.der`);
  });

  it('detects a loop by URL and by certificate', async () => {
    const byUrl = await chaseIssuers({ aiaUrls: [`${base}/loopy.der`] }, aiaOf, chaseOpts);
    expect({ stop: byUrl.stop, n: byUrl.fetches.length }).toEqual({ stop: 'loop', n: 1 });
    const byCert = await chaseIssuers({ aiaUrls: [`${base}/echo.der`] }, aiaOf, chaseOpts);
    expect({ stop: byCert.stop, n: byCert.fetches.length, certs: byCert.certs.length }).toEqual({ stop: 'loop', n: 2, certs: 1 });
    const backToStart = await chaseIssuers({ aiaUrls: [`${base}/leaf.der`], der: leaf.der }, aiaOf, chaseOpts);
    expect(backToStart.stop).toBe('loop');
  });

  it('stops when a certificate has no caIssuers URL, or when every URL fails', async () => {
    expect((await chaseIssuers({ aiaUrls: [] }, aiaOf, chaseOpts)).stop).toBe('no-aia');
    const noAiaChase = await chaseIssuers({ aiaUrls: [`${base}/no-aia.der`] }, aiaOf, chaseOpts);
    expect({ stop: noAiaChase.stop, certs: noAiaChase.certs.length }).toEqual({ stop: 'no-aia', certs: 1 });
    const failed = await chaseIssuers({ aiaUrls: [`${base}/missing`, `${base}/not-cert`] }, aiaOf, chaseOpts);
    expect(summary(failed)).toEqual({
      stop: 'fetch-failed',
      certs: [],
      fetches: [
        [`${base}/missing`, 'http-status'],
        [`${base}/not-cert`, 'not-certificate'],
      ],
    });
  });

  it('treats an aiaOf that throws as no URL', async () => {
    const r = await chaseIssuers({ aiaUrls: [`${base}/inter1.der`] }, () => {
      throw new Error('parser not ready');
    }, chaseOpts);
    expect(r.stop).toBe('no-aia');
  });
});
