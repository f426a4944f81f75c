/**
 * `probe --timeout` bounds the whole run, not each phase: loopback upstreams built to make one phase slow (a
 * server that stalls after the ClientHello from its n-th connection on, an AIA server that never answers or
 * trickles) end within about the timeout, name the phase that was cut, and keep the first handshake's verdict.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunDeadline } from '../../src/cli/run-deadline.js';
import { TestPki, type TestCert } from '../certs/test-pki.js';
import { runCli } from '../helpers/cli.js';

const closers: (() => void)[] = [];
let pki: TestPki;
let root: TestCert;

function listen(server: net.Server): Promise<number> {
  closers.push(() => server.close());
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

/** Tracks accepted sockets so that afterAll can close stalled ones. */
const sockets = new Set<net.Socket>();
function track(socket: net.Socket): void {
  sockets.add(socket);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
}

/**
 * A TCP front for `upstream`: the first `passes` connections reach it; every later one reads the ClientHello
 * and never answers (a server that stalls after the ClientHello).
 */
async function stallingFront(upstream: tls.Server, passes: number): Promise<number> {
  let n = 0;
  const front = net.createServer((socket) => {
    track(socket);
    if (n++ < passes) upstream.emit('connection', socket);
    else socket.resume();
  });
  return listen(front);
}

function tlsServer(opts: tls.TlsOptions): tls.Server {
  const server = tls.createServer({ ciphers: 'DEFAULT:@SECLEVEL=0', ...opts });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (s) => {
    track(s);
    // Answer the request probe sends after the handshake, as an HTTP upstream does (a bare close is a 502 for nginx).
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  });
  return server;
}

// Fronts count their connections: each run gets a fresh one.
let sniFront: () => Promise<number>;
let closedLoopFront: () => Promise<number>;
let protocolsFront: () => Promise<number>;
let silentAiaPort: number;
let tricklingAiaPort: number;
let healthyPort: number;

beforeAll(async () => {
  pki = new TestPki();
  root = pki.root('Deadline Root');
  const int = pki.issue('Deadline Intermediate', root, { ca: true });
  const other = pki.issue('other.test', root, { ca: false });
  const good = pki.issue('good.test', root, { ca: false });
  const key = (c: TestCert) => readFileSync(c.keyPath);

  // SNI what-if: no SNI gets other.test (no match for good.test); the what-if with SNI stalls.
  const otherOnly = tlsServer({ cert: other.pem, key: key(other) });
  sniFront = () => stallingFront(otherOnly, 1);

  // Closed loop: no SNI gets other.test, SNI good.test gets good.test (the what-if passes), the plan's
  // handshake (proxy_ssl_server_name on) is the third connection and stalls.
  const goodContext = tls.createSecureContext({ cert: good.pem, key: key(good) });
  const bySni = tlsServer({ cert: other.pem, key: key(other), SNICallback: (name, cb) => cb(null, name === 'good.test' ? goodContext : undefined) });
  closedLoopFront = () => stallingFront(bySni, 2);

  // Protocol what-ifs: the upstream speaks only TLS 1.1 (nginx 1.28 offers 1.2 and 1.3); the per-version probes stall.
  const tls11 = tlsServer({ cert: good.pem, key: key(good), minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
  protocolsFront = () => stallingFront(tls11, 1);

  // AIA: the leaf's issuer is not sent; its caIssuers server never answers, or trickles one byte at a time.
  const silent = net.createServer((s) => {
    track(s);
    s.resume();
  });
  const silentHttp = await listen(silent);
  const trickle = http.createServer((_req, res) => {
    track(res.socket!);
    res.writeHead(200, { 'content-type': 'application/pkix-cert', 'content-length': '100000' });
    const timer = setInterval(() => res.write(Buffer.from([0x30])), 100);
    res.on('close', () => clearInterval(timer));
    closers.push(() => clearInterval(timer));
  });
  const trickleHttp = await listen(trickle);
  const silentLeaf = pki.issue('silent-aia.test', int, { ca: false, aiaUrls: [`http://127.0.0.1:${silentHttp}/int.der`] });
  const trickleLeaf = pki.issue('trickle-aia.test', int, { ca: false, aiaUrls: [`http://127.0.0.1:${trickleHttp}/int.der`] });
  const silentTls = tlsServer({ cert: silentLeaf.pem, key: key(silentLeaf) });
  const trickleTls = tlsServer({ cert: trickleLeaf.pem, key: key(trickleLeaf) });
  silentAiaPort = await listen(silentTls);
  tricklingAiaPort = await listen(trickleTls);

  healthyPort = await listen(tlsServer({ cert: good.pem, key: key(good) }));
  // Load (and transform) the CLI's modules once, so that the timed runs measure the run, not vitest's loader.
  await runCli(['probe', `127.0.0.1:${healthyPort}`, '--ca', root.path, '--proxy-ssl-name', 'good.test', '--timeout', '2s', '--json']);
}, 60_000);

afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const c of closers) c();
  pki?.cleanup();
});

async function timedProbe(port: number, name: string, extra: string[] = []) {
  const t0 = performance.now();
  const run = await runCli(['probe', `127.0.0.1:${port}`, '--ca', root.path, '--proxy-ssl-name', name, '--nginx-version', '1.28.0', '--timeout', '2s', '--json', ...extra]);
  const wallMs = performance.now() - t0;
  return { run, doc: JSON.parse(run.stdout), wallMs };
}

describe('probe --timeout bounds the whole run', () => {
  it.each([
    { phase: 'sni-what-if', port: () => sniFront(), name: 'good.test', error: /does not match "good\.test"/ },
    { phase: 'closed-loop', port: () => closedLoopFront(), name: 'good.test', error: /does not match "good\.test"/ },
    // SNI on: a failed handshake without SNI is first retried with SNI (its own phase, tested above).
    { phase: 'protocol-what-if', port: () => protocolsFront(), name: 'good.test', error: /SSL_do_handshake\(\) failed/, extra: ['--proxy-ssl-server-name', 'on'] },
    { phase: 'aia-fetch', port: async () => silentAiaPort, name: 'silent-aia.test', error: /unable to verify the first certificate/ },
    { phase: 'aia-fetch', port: async () => tricklingAiaPort, name: 'trickle-aia.test', error: /unable to verify the first certificate/ },
  ])('a slow $phase ($name) is cut at 2 s, named, and the first verdict kept', async ({ phase, port, name, error, extra }) => {
    const { run, doc, wallMs } = await timedProbe(await port(), name, extra);
    // 2 s plus process-local work (diagnosis, rendering); before, each phase had its own 2 s (or 3 s) and this took 4 s or more.
    expect(wallMs).toBeLessThan(2750);
    expect(run.code).toBe(1);
    expect(doc.cut.phase).toBe(phase);
    expect(doc.cut.atMs).toBeGreaterThanOrEqual(1900);
    expect(doc.cut.atMs).toBeLessThan(2600);
    expect(doc.nginx.ok).toBe(false);
    expect(doc.nginx.error).toMatch(error);
    expect(doc.connection.outcome).not.toBe('timeout');
    if (phase === 'closed-loop') expect(doc.fix.verified).toBeNull();
    if (phase === 'aia-fetch') expect(doc.fetched[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/^timeout: /) });
  });

  it('says so in the text report, under the verdict', async () => {
    const run = await runCli(['probe', `127.0.0.1:${await sniFront()}`, '--ca', root.path, '--proxy-ssl-name', 'good.test', '--nginx-version', '1.28.0', '--timeout', '2s']);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^FAIL /);
    expect(lines[2]).toMatch(/^INCOMPLETE {2}--timeout ran out after \d+ ms: the SNI what-if handshake did not finish\. /);
  });

  it('a healthy upstream: no cut, every phase as before', async () => {
    const { doc, wallMs } = await timedProbe(healthyPort, 'good.test');
    expect(doc.nginx.ok).toBe(true);
    expect(doc).not.toHaveProperty('cut');
    expect(wallMs).toBeLessThan(2000);
  });
});

describe('RunDeadline', () => {
  it('gives each phase the least of its cap and what is left, and records the first cut', () => {
    let now = 1000;
    const d = new RunDeadline(5000, () => now);
    expect(d.allow(3000)).toBe(3000);
    now += 4000;
    expect(d.allow(3000)).toBe(1000);
    expect(d.allow()).toBe(1000);
    expect(d.expired()).toBe(false);
    expect(d.report()).toBeUndefined();
    now += 1500;
    expect(d.allow(3000)).toBe(0);
    expect(d.expired()).toBe(true);
    d.cut('aia-fetch');
    d.cut('aia-fetch');
    d.cut('closed-loop');
    expect(d.report()).toEqual({ phase: 'aia-fetch', atMs: 5500, skipped: ['closed-loop'] });
  });
});
