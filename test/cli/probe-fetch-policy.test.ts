/**
 * `probe --fetch-deny / --fetch-allow`: a refused AIA fetch is reported like any failed fetch (fetched[] with the
 * reason, one stderr line), sends nothing, and never counts as having found the missing issuer. Loopback only.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPki, type TestCert } from '../certs/test-pki.js';
import { runCli } from '../helpers/cli.js';

let hits = 0;
let connections = 0;
let httpServer: http.Server;
let tlsServer: tls.Server;
let pki: TestPki;
let root: TestCert;
let int: TestCert;
let port: number;
let aiaUrl: string;

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  pki = new TestPki();
  root = pki.root('Fetch Policy Root');
  int = pki.issue('Fetch Policy Intermediate', root, { ca: true });
  httpServer = http.createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/pkix-cert' });
    res.end(Buffer.from(int.der));
  });
  httpServer.on('connection', () => connections++);
  aiaUrl = `http://127.0.0.1:${await listen(httpServer)}/int.der`;
  const leaf = pki.issue('aia.test', int, { ca: false, aiaUrls: [aiaUrl] });
  tlsServer = tls.createServer({ cert: leaf.pem, key: readFileSync(leaf.keyPath) });
  tlsServer.on('tlsClientError', () => {});
  port = await listen(tlsServer);
});

afterAll(() => {
  httpServer?.close();
  tlsServer?.close();
  pki?.cleanup();
});

const probeArgs = () => ['probe', `127.0.0.1:${port}`, '--ca', root.path, '--proxy-ssl-name', 'aia.test', '--json'];

describe('probe --fetch-deny / --fetch-allow', () => {
  it('--fetch-deny 127.0.0.0/8: refused, reported in fetched[] and on stderr, nothing sent, issuer still missing', async () => {
    hits = 0;
    connections = 0;
    const run = await runCli([...probeArgs(), '--fetch-deny', '127.0.0.0/8']);
    expect(run.code).toBe(1);
    expect(hits).toBe(0);
    expect(connections).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.fetched).toEqual([
      { url: aiaUrl, ok: false, detail: `blocked: 127.0.0.1 is refused by 127.0.0.0/8: --fetch-deny (allow it with --fetch-allow 127.0.0.1): ${aiaUrl}` },
    ]);
    expect(run.stderr).toBe(`tlsdoctor: not fetching ${aiaUrl}: 127.0.0.1 is refused by 127.0.0.0/8: --fetch-deny (allow it with --fetch-allow 127.0.0.1)\n`);
    const missing = doc.findings.find((f: { code: string }) => f.code === 'MISSING_INTERMEDIATE');
    expect(missing).toBeDefined();
    expect(missing.evidence.foundIn).not.toBe('fetched');
    expect(doc.fix.verified).not.toBe(true);
  });

  it('a more specific --fetch-allow wins over a --fetch-deny block', async () => {
    hits = 0;
    const run = await runCli([...probeArgs(), '--fetch-deny', '127.0.0.0/8', '--fetch-allow', '127.0.0.1']);
    const doc = JSON.parse(run.stdout);
    expect(hits).toBe(1);
    expect(doc.fetched[0]).toMatchObject({ ok: true });
    expect(doc.findings.find((f: { code: string }) => f.code === 'MISSING_INTERMEDIATE').evidence.foundIn).toBe('fetched');
  });

  it.each([
    [['--fetch-deny', '127.0.0.1/8'], '--fetch-deny 127.0.0.1/8: host bits set after /8 (did you mean 127.0.0.0/8?)'],
    [['--fetch-allow', 'http://pki.example/'], '--fetch-allow "http://pki.example/": not an IP address, a CIDR block'],
    [['--fetch-allow', '10.0.0.0/8,'], '--fetch-allow: empty entry'],
  ])('%j is a usage error: one line, exit 2, nothing probed', async (extra, message) => {
    hits = 0;
    const run = await runCli([...probeArgs(), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(hits).toBe(0);
  });

  it('--help lists the options (probe and nginx)', async () => {
    for (const cmd of ['probe', 'nginx']) {
      const run = await runCli([cmd, '--help']);
      expect(run.stdout).toContain('--fetch-allow <cidr|host,...>');
      expect(run.stdout).toContain('--fetch-deny <cidr|host,...>');
    }
  });
});
