/**
 * probe follows the leaf's AIA caIssuers URL to a local HTTP server when the server omits its intermediate:
 * visible (fetched[]), bounded, optional (--no-fetch), and an unreachable URL is reported, not fatal.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPki, type TestCert } from '../certs/test-pki.js';
import { runCli } from '../helpers/cli.js';

let hits = 0;
let httpServer: http.Server;
let tlsServer: tls.Server;
let deadTls: tls.Server;
let pki: TestPki;
let root: TestCert;
let int: TestCert;
let port: number;
let deadPort: number;

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  pki = new TestPki();
  root = pki.root('AIA Test Root');
  int = pki.issue('AIA Test Intermediate', root, { ca: true });
  httpServer = http.createServer((req, res) => {
    hits++;
    if (req.url === '/int.der') {
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      res.end(Buffer.from(int.der));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const httpPort = await listen(httpServer);
  // A port with nothing behind it, for the unreachable case.
  const probe = net.createServer();
  const closedPort = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));

  const leaf = pki.issue('aia.test', int, { ca: false, aiaUrls: [`http://127.0.0.1:${httpPort}/int.der`] });
  const deadLeaf = pki.issue('dead-aia.test', int, { ca: false, aiaUrls: [`http://127.0.0.1:${closedPort}/int.der`] });
  tlsServer = tls.createServer({ cert: leaf.pem, key: readFileSync(leaf.keyPath) });
  deadTls = tls.createServer({ cert: deadLeaf.pem, key: readFileSync(deadLeaf.keyPath) });
  for (const s of [tlsServer, deadTls]) s.on('tlsClientError', () => {});
  port = await listen(tlsServer);
  deadPort = await listen(deadTls);
});

afterAll(() => {
  httpServer?.close();
  tlsServer?.close();
  deadTls?.close();
  pki?.cleanup();
});

describe('probe and AIA', () => {
  it('fetches the missing intermediate, names it, and verifies the fix with it', async () => {
    hits = 0;
    const run = await runCli(['probe', `127.0.0.1:${port}`, '--ca', root.path, '--proxy-ssl-name', 'aia.test', '--json']);
    const doc = JSON.parse(run.stdout);
    expect(hits).toBe(1);
    expect(doc.nginx.error).toBe('upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
    expect(doc.fetched).toHaveLength(1);
    expect(doc.fetched[0]).toMatchObject({ ok: true });
    expect(doc.fetched[0].url).toMatch(/\/int\.der$/);
    const missing = doc.findings.find((f: { code: string }) => f.code === 'MISSING_INTERMEDIATE');
    expect(missing.evidence.foundIn).toBe('fetched');
    expect(missing.cert.subject).toContain('AIA Test Intermediate');
    expect(doc.fix.verified).toBe(true);
    const bundle = doc.fix.files.find((f: { name: string }) => f.name === 'trusted-ca.pem').content;
    expect(bundle).toContain(int.pem.trim().split('\n')[1]);
  });

  it('says on stderr what it fetches from where (text mode)', async () => {
    const run = await runCli(['probe', `127.0.0.1:${port}`, '--ca', root.path, '--proxy-ssl-name', 'aia.test']);
    expect(run.stderr).toMatch(/fetching the issuer of .* from http:\/\/127\.0\.0\.1:\d+\/int\.der/);
  });

  it('--no-fetch makes no request', async () => {
    hits = 0;
    const run = await runCli(['probe', `127.0.0.1:${port}`, '--ca', root.path, '--proxy-ssl-name', 'aia.test', '--json', '--no-fetch']);
    const doc = JSON.parse(run.stdout);
    expect(hits).toBe(0);
    expect(doc.fetched).toEqual([]);
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('MISSING_INTERMEDIATE');
  });

  it('an unreachable AIA URL is reported, not fatal', async () => {
    const run = await runCli(['probe', `127.0.0.1:${deadPort}`, '--ca', root.path, '--proxy-ssl-name', 'dead-aia.test', '--json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.fetched[0].ok).toBe(false);
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('MISSING_INTERMEDIATE');
  });
});
