/**
 * Regression tests for four small report defects of the hardening issue, each named after its defect.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPki, type TestCert } from '../certs/test-pki.js';
import { FIXTURE_CLOCK, FIXTURES_DIR, fixturePath } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

let pki: TestPki;
let root: TestCert;
let otherRoot: TestCert;
let int1: TestCert;
let int2: TestCert;
let httpServer: http.Server;
let aiaTls: tls.Server;
let manyTls: tls.Server;
let aiaPort: number;
let manyPort: number;
const outDirs: string[] = [];

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  pki = new TestPki();
  root = pki.root('Defects Root');
  otherRoot = pki.root('Defects Other Root');
  httpServer = http.createServer((req, res) => {
    const cert = req.url === '/int2.der' ? int2 : req.url === '/int1.der' ? int1 : undefined;
    if (cert) {
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      res.end(Buffer.from(cert.der));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const httpPort = await listen(httpServer);
  const url = (p: string) => `http://127.0.0.1:${httpPort}${p}`;
  // leaf <- int2 <- int1 <- root; the server sends the leaf alone; AIA yields int2 then int1, and int1's own
  // caIssuers URL answers 404, so the root stays missing. The bundle holds an unrelated root.
  int1 = pki.issue('Defects Int 1', root, { ca: true, aiaUrls: [url('/root.der')] });
  int2 = pki.issue('Defects Int 2', int1, { ca: true, aiaUrls: [url('/int1.der')] });
  const leaf = pki.issue('aia-levels.test', int2, { ca: false, aiaUrls: [url('/int2.der')] });
  aiaTls = tls.createServer({ cert: leaf.pem, key: readFileSync(leaf.keyPath) });
  aiaPort = await listen(aiaTls);

  // A server sending its leaf and 120 more certificates (OpenSSL sends a configured chain as is).
  const many = pki.issue('many.test', root, { ca: false });
  manyTls = tls.createServer({ cert: many.pem + int1.pem.repeat(120), key: readFileSync(many.keyPath) });
  manyPort = await listen(manyTls);
  for (const s of [aiaTls, manyTls]) s.on('tlsClientError', () => {});
}, 60_000);

afterAll(() => {
  httpServer?.close();
  aiaTls?.close();
  manyTls?.close();
  pki?.cleanup();
  for (const d of outDirs) rmSync(d, { recursive: true, force: true });
});

describe('small report defects', () => {
  it('text trust path names the right missing issuer when several AIA levels were fetched', async () => {
    const args = ['probe', `127.0.0.1:${aiaPort}`, '--ca', otherRoot.path, '--proxy-ssl-name', 'aia-levels.test', '--nginx-version', '1.28.0'];
    const doc = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(doc.fetched.map((f: { ok: boolean }) => f.ok)).toEqual([true, true, false]);
    expect(doc.path.map((p: { subject: string }) => p.subject)).toEqual(['CN=aia-levels.test', 'CN=Defects Int 2', 'CN=Defects Int 1']);
    const unknown = doc.findings.find((f: { code: string }) => f.code === 'UNKNOWN_CA');
    expect(unknown.evidence.missingIssuer).toBe('CN=Defects Root');

    const text = (await runCli(args)).stdout;
    const missingLine = text.split('\n').find((l) => l.includes('?? '));
    expect(missingLine).toMatch(/└─ \?\? CN=Defects Root {2}\[not sent, not in bundle\]$/);
  });

  it('text says when more than 100 certificates were sent and only 100 recorded', async () => {
    const args = ['probe', `127.0.0.1:${manyPort}`, '--ca', root.path, '--proxy-ssl-name', 'many.test', '--nginx-version', '1.28.0', '--no-fetch'];
    const doc = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(doc.connection.error.message).toMatch(/server sent 121 certificates; only the first 100 were recorded/);
    expect(doc.presentedChain).toHaveLength(100);
    const text = (await runCli(args)).stdout;
    expect(text).toContain('Chain as sent (100 recorded; the server sent 121, only the first 100 were kept):');
  });

  it('verify --out does not write "the upstream :0" into its files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-verify-out-'));
    outDirs.push(dir);
    const run = await runCli([
      'verify', '--chain', fixturePath('leaf.pem'), '--ca', fixturePath('root.pem'), '--intermediates', fixturePath('int1.pem'),
      '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString(), '--out', dir,
    ]);
    expect(run.code).toBe(1);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['presented-chain.pem', 'trusted-ca.pem', 'upstream-ssl.conf']);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/(^|\s):0\b/m);
    expect(readFileSync(join(dir, 'upstream-ssl.conf'), 'utf8')).toContain('the upstream upstream.test (judged offline from certificate files)');
    expect(readFileSync(join(dir, 'trusted-ca.pem'), 'utf8')).toContain('bundle for upstream.test (judged offline from certificate files)');
    expect(readFileSync(join(dir, 'presented-chain.pem'), 'utf8')).toMatch(/^# Certificates of the chain given to tlsdoctor verify, in order/);
  });

  it('explain exits 1 when no line is recognised, and the README says so', async () => {
    const run = await runCli(['explain', 'this is not an nginx line']);
    expect(run.code).toBe(1);
    const readme = readFileSync(join(FIXTURES_DIR, '..', 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `explain` |'));
    expect(row).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    // cells: "", command, 0, 1, 2, 3
    expect(cells[3]).toMatch(/no line recognised/);
  });
});
