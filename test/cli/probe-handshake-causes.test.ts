/**
 * Issue 10: every handshake failure named and fixed. The probe's first handshake is nginx's OpenSSL client (its
 * cipher list at its security level); when it fails, what-if handshakes change one setting at a time and the one
 * that completes names the cause. One loopback upstream per row of the table (test/helpers/handshake-upstreams.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { startHandshakeUpstream, type HandshakeUpstream, type HandshakeUpstreamKind } from '../helpers/handshake-upstreams.js';
import { runCli } from '../helpers/cli.js';

const KINDS: HandshakeUpstreamKind[] = ['healthy', 'dhe-1024', 'dhe-2047', 'ecdhe-p192', 'null-only', 'huge-chain', 'sni-alert', 'sni-close', 'sni-silent', 'verify-client', 'tls10-only', 'silent-close', 'not-http'];
const up = {} as Record<HandshakeUpstreamKind, HandshakeUpstream>;
const dirs: string[] = [];

beforeAll(async () => {
  for (const k of KINDS) up[k] = await startHandshakeUpstream(k);
});
afterAll(async () => {
  for (const k of KINDS) await up[k]?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// No --at: the RSA leaf of the DHE/NULL upstreams is made now (test/helpers/handshake-upstreams.ts); the fixtures last until 2046.
const base = ['--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--proxy-ssl-verify-depth', '2', '--nginx-version', '1.22.1', '--no-fetch', '--warn', '0'];

async function probeJson(kind: HandshakeUpstreamKind, extra: string[] = []) {
  const run = await runCli(['probe', `127.0.0.1:${up[kind].port}`, ...base, ...extra, '--json']);
  const doc = JSON.parse(run.stdout);
  return { run, doc, codes: doc.findings.map((f: { code: string }) => f.code) as string[] };
}

const finding = (doc: { findings: { code: string; evidence: Record<string, unknown> }[] }, code: string) => doc.findings.find((f) => f.code === code)!;

describe('a healthy upstream', () => {
  it('gets one connection: the handshake and the request, no what-if', async () => {
    const before = up.healthy.connections;
    const { run, doc } = await probeJson('healthy');
    expect(run.code).toBe(0);
    expect(up.healthy.connections - before).toBe(1);
    expect(doc.whatIfs).toBeUndefined();
    expect(doc.connection.response).toMatchObject({ status: 200, statusLine: 'HTTP/1.1 200 OK' });
    expect(doc.connection.request).toEqual({ path: '/', host: `127.0.0.1:${up.healthy.port}` });
    expect(doc.nginx).toMatchObject({ ok: true, status: 200, answeredBy: 'upstream' });
    expect(doc.client).toMatchObject({ cipherString: 'DEFAULT:@SECLEVEL=2', seclevel: 2 });
    expect(doc.client.differences[0]).toMatch(/node's bundled OpenSSL/);
  });

  it('--no-request: handshake only', async () => {
    const { doc } = await probeJson('healthy', ['--no-request']);
    expect(doc.connection.response).toBeUndefined();
    expect(doc.nginx.ok).toBe(true);
  });
});

describe('DHE with a 1024-bit group', () => {
  it('fails as nginx does at level 2, [crit] dh key too small, WEAK_EPHEMERAL_KEY from the level-0 what-if, fix upstream-side only', async () => {
    const { run, doc, codes } = await probeJson('dhe-1024');
    expect(run.code).toBe(1);
    expect(doc.nginx).toMatchObject({ ok: false, status: 502, level: 'crit', answeredBy: 'nginx' });
    expect(doc.nginx.error).toBe('SSL_do_handshake() failed (SSL: error:0A00018A:SSL routines::dh key too small) while SSL handshaking to upstream');
    expect(codes).toContain('WEAK_EPHEMERAL_KEY');
    expect(codes).not.toContain('HANDSHAKE_FAILED');
    expect(finding(doc, 'WEAK_EPHEMERAL_KEY').evidence).toMatchObject({ keyType: 'DH', bits: 1024, securityBits: 80, seclevel: 2, minimumBits: 2048 });
    expect(doc.whatIfs.succeeded).toBe('seclevel-0');
    expect(doc.whatIfs.tried.map((t: { id: string }) => t.id)).toEqual(['sni', 'seclevel-0']);
    // The chain seen in the completing variant is the presented chain, and the trust analysis ran on it.
    expect(doc.presentedChain.map((c: { subject: string }) => c.subject)).toEqual([expect.stringContaining('upstream.test'), expect.stringContaining('Intermediate')]);
    expect(doc.anchored).toBe(true);
    expect(doc.fix.nginxFixable).toBe(false);
    expect(doc.fix.upstreamChanges[0]).toMatch(/DH group of at least 2048 bits/);
    expect(JSON.stringify(doc.fix.directives)).not.toMatch(/SECLEVEL|proxy_ssl_ciphers/);
  });

  it('completes at @SECLEVEL=0 in proxy_ssl_ciphers, as nginx does', async () => {
    const { run, doc } = await probeJson('dhe-1024', ['--proxy-ssl-ciphers', 'DEFAULT:@SECLEVEL=0']);
    expect(doc.nginx.ok).toBe(true);
    expect(run.code).toBe(0);
    expect(doc.client.seclevel).toBe(0);
    expect(doc.connection.ephemeralKey).toEqual({ type: 'DH', bits: 1024 });
  });
});

describe('DHE with a 2047-bit group', () => {
  it('is one bit short of level 2: [crit] dh key too small, 80 security bits', async () => {
    const { doc, codes } = await probeJson('dhe-2047');
    expect(doc.nginx).toMatchObject({ ok: false, status: 502, level: 'crit' });
    expect(doc.nginx.error).toMatch(/dh key too small/);
    expect(codes).toContain('WEAK_EPHEMERAL_KEY');
    expect(finding(doc, 'WEAK_EPHEMERAL_KEY').evidence).toMatchObject({ bits: 2047, securityBits: 80, minimumBits: 2048 });
  });
});

describe('ECDHE on a 192-bit curve', () => {
  it('is named from the what-if that offers every group', async () => {
    const { doc, codes } = await probeJson('ecdhe-p192');
    expect(doc.nginx).toMatchObject({ ok: false, status: 502 });
    expect(codes).toContain('WEAK_EPHEMERAL_KEY');
    expect(finding(doc, 'WEAK_EPHEMERAL_KEY').evidence).toMatchObject({ group: 'prime192v1', bits: 192, securityBits: 96, seclevel: 2 });
    expect(doc.whatIfs.succeeded).toBe('wide-groups');
  });
});

describe('NULL cipher suites only', () => {
  it('CIPHER_MISMATCH with what the server accepts and what nginx offers; no nginx fix enables the suite', async () => {
    const { doc, codes } = await probeJson('null-only');
    expect(doc.nginx).toMatchObject({ ok: false, status: 502, level: 'error' });
    expect(doc.nginx.error).toMatch(/sslv3 alert handshake failure:SSL alert number 40/);
    expect(codes).toContain('CIPHER_MISMATCH');
    expect(finding(doc, 'CIPHER_MISMATCH').evidence).toMatchObject({ accepted: 'NULL-SHA256', acceptedIsWeak: true, offered: 'DEFAULT', seclevel: 2 });
    expect(doc.whatIfs.succeeded).toBe('wide-ciphers');
    expect(doc.fix.nginxFixable).toBe(false);
    expect(JSON.stringify(doc.fix.directives)).not.toMatch(/NULL|SECLEVEL|proxy_ssl_ciphers/);
  });
});

describe('a certificate list over 100 KiB', () => {
  it('[error] excessive message size, CERT_LIST_TOO_LARGE with size and limit, no what-if', async () => {
    const { doc, codes } = await probeJson('huge-chain');
    expect(doc.nginx).toMatchObject({ ok: false, status: 502, level: 'error' });
    expect(doc.nginx.error).toBe('SSL_do_handshake() failed (SSL: error:0A000098:SSL routines::excessive message size) while SSL handshaking to upstream');
    expect(codes).toEqual(['CERT_LIST_TOO_LARGE']);
    const e = finding(doc, 'CERT_LIST_TOO_LARGE').evidence;
    expect(e.limit).toBe(102400);
    expect(e.bytes as number).toBeGreaterThan(102400);
    expect(doc.whatIfs).toBeUndefined();
    expect(doc.fix.upstreamChanges[0]).toMatch(/shorter certificate list/);
  });
});

describe('an upstream that needs SNI', () => {
  for (const kind of ['sni-alert', 'sni-close'] as const) {
    it(`${kind}: SNI_REQUIRED, fixed by proxy_ssl_server_name on, proven by a handshake`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-sni-'));
      dirs.push(dir);
      const { run, doc, codes } = await probeJson(kind, ['--out', dir]);
      expect(run.code).toBe(1);
      expect(doc.nginx).toMatchObject({ ok: false, status: 502 });
      if (kind === 'sni-alert') {
        expect(doc.nginx).toMatchObject({ level: 'crit', error: 'SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream' });
      } else {
        expect(doc.nginx).toMatchObject({ level: 'error', error: 'peer closed connection in SSL handshake while SSL handshaking to upstream' });
      }
      expect(codes).toEqual(['SNI_REQUIRED']);
      expect(finding(doc, 'SNI_REQUIRED').evidence).toMatchObject({ refusedWithoutSni: true, name: 'upstream.test', withSni: expect.stringContaining('upstream.test') });
      expect(doc.fix).toMatchObject({ nginxFixable: true, verified: true, verifiedBy: 'handshake' });
      const conf = readFileSync(join(dir, 'upstream-ssl.conf'), 'utf8');
      expect(conf).toMatch(/^proxy_ssl_server_name on;$/m);
      expect(readFileSync(join(dir, 'presented-chain.pem'), 'utf8')).toContain(readFixture('leaf.pem').trim());
    });
  }

  it('sni-silent: a timeout after a ClientHello without SNI leaves time for the SNI what-if, which names the cause', async () => {
    const t0 = performance.now();
    const { run, doc } = await probeJson('sni-silent', ['--timeout', '3s']);
    const wallMs = performance.now() - t0;
    expect(wallMs).toBeLessThan(4_500); // --timeout 3s bounds the run; the margin is process-local work on a loaded machine
    expect(run.code).toBe(1);
    // nginx waits proxy_connect_timeout and answers 504; what would make it work is SNI.
    expect(doc.nginx).toMatchObject({ ok: false, status: 504, error: 'upstream timed out (110: Connection timed out) while SSL handshaking to upstream' });
    expect(finding(doc, 'SNI_REQUIRED').evidence).toMatchObject({ refusedWithoutSni: true, name: 'upstream.test' });
    expect(doc.fix).toMatchObject({ nginxFixable: true, verified: true });
  });
});

describe('probe and explain share one catalogue', () => {
  // explain ranks causes from the line alone; the probe's what-ifs pick one of them, never another.
  it.each([
    ['sni-alert', 'SNI_REQUIRED', true],
    ['dhe-1024', 'WEAK_EPHEMERAL_KEY', true],
    ['huge-chain', 'CERT_LIST_TOO_LARGE', true],
    ['null-only', 'CIPHER_MISMATCH', false],
    // After the handshake: the request's answer (the two response-header lines).
    ['silent-close', 'NO_HTTP_RESPONSE', true],
    ['not-http', 'NO_HTTP_RESPONSE', true],
  ] as const)('%s: the probe names %s, among explain\'s causes for its predicted line', async (kind, code, first) => {
    const { doc, codes } = await probeJson(kind);
    expect(codes[0]).toBe(code);
    const line = `2026/11/22 12:00:00 [${doc.nginx.level}] 1#1: *1 ${doc.nginx.error}, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "https://127.0.0.1:${up[kind].port}/", host: "x"`;
    const explained = JSON.parse((await runCli(['explain', '--json'], { stdin: line + '\n' })).stdout);
    expect(explained.explanation.causes).toContain(code);
    if (first) expect(explained.explanation.causes[0]).toBe(code);
  });
});

describe('an upstream that asks for a client certificate and answers 400 without one', () => {
  it('predicts the upstream 400 proxied by nginx, with nothing logged: CLIENT_CERT_REQUIRED', async () => {
    const { run, doc, codes } = await probeJson('verify-client');
    expect(run.code).toBe(1);
    expect(doc.nginx).toMatchObject({ ok: false, status: 400, level: null, error: null, stage: 'response', answeredBy: 'upstream' });
    expect(codes).toContain('CLIENT_CERT_REQUIRED');
    expect(finding(doc, 'CLIENT_CERT_REQUIRED').evidence).toMatchObject({ during: 'response', status: 400, acceptableCaNames: [expect.stringContaining('Client CA')] });
    expect(doc.fix.directives.map((d: { line: string }) => d.line)).toContain('proxy_ssl_certificate /etc/nginx/tls/client.crt;');
  });

  it('a certificate from a CA it does not accept: CLIENT_CERT_REJECTED', async () => {
    const { doc, codes } = await probeJson('verify-client', ['--proxy-ssl-certificate', fixturePath('client-other.pem'), '--proxy-ssl-certificate-key', fixturePath('client-other.key.pem')]);
    expect(doc.nginx).toMatchObject({ ok: false, status: 400, answeredBy: 'upstream' });
    expect(codes).toContain('CLIENT_CERT_REJECTED');
    expect(finding(doc, 'CLIENT_CERT_REJECTED').evidence).toMatchObject({ during: 'response', status: 400, issuerAmongAcceptable: false });
  });

  it('with the accepted client certificate: 200', async () => {
    const { doc } = await probeJson('verify-client', ['--proxy-ssl-certificate', fixturePath('client.pem'), '--proxy-ssl-certificate-key', fixturePath('client.key.pem')]);
    expect(doc.nginx).toMatchObject({ ok: true, status: 200 });
  });

  it('--no-request keeps the handshake-only verdict', async () => {
    const { doc } = await probeJson('verify-client', ['--no-request']);
    expect(doc.nginx.ok).toBe(true);
  });
});

describe('after the handshake, no HTTP answer', () => {
  it.each([
    ['silent-close', 502, 'nginx', 'upstream prematurely closed connection while reading response header from upstream'],
    // ngx_http_proxy_process_status_line(): logged, then passed on as HTTP/0.9 with status 200.
    ['not-http', 200, 'upstream', 'upstream sent no valid HTTP/1.0 header while reading response header from upstream'],
  ] as const)('%s: NO_HTTP_RESPONSE, nginx answers %i and logs it; handshake-only sees nothing', async (kind, status, by, line) => {
    const { doc, codes } = await probeJson(kind);
    expect(doc.nginx).toMatchObject({ ok: false, status, level: 'error', error: line, stage: 'response', answeredBy: by });
    expect(codes).toEqual(['NO_HTTP_RESPONSE']);
    expect(doc.fix.nginxFixable).toBe(false);
    expect((await probeJson(kind, ['--no-request'])).doc.nginx.ok).toBe(true);
  });
});

describe('TLS 1.0 only', () => {
  it('at level 2: legacy sigalg, the chain seen at level 0; at @SECLEVEL=0 it completes', async () => {
    const l2 = await probeJson('tls10-only', ['--proxy-ssl-protocols', 'TLSv1 TLSv1.1 TLSv1.2']);
    expect(l2.doc.nginx.error).toMatch(/legacy sigalg disallowed or unsupported/);
    expect(l2.codes).toContain('PROTOCOL_MISMATCH');
    expect(l2.doc.presentedChain.length).toBe(2);
    const l0 = await probeJson('tls10-only', ['--proxy-ssl-protocols', 'TLSv1 TLSv1.1 TLSv1.2', '--proxy-ssl-ciphers', 'DEFAULT:@SECLEVEL=0']);
    expect(l0.doc.nginx.ok).toBe(true);
  });
});

describe('options', () => {
  it('refuse a bad conf command, cipher list or request path with exit 2 and one line', async () => {
    for (const args of [
      ['--proxy-ssl-conf-command', 'Groups'],
      ['--proxy-ssl-ciphers', 'DEFAULT HIGH'],
      ['--request-path', 'no-slash'],
      ['--request-path', '/a b'],
    ]) {
      const run = await runCli(['probe', `127.0.0.1:${up.healthy.port}`, ...base, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a Groups conf command is applied to the handshake', async () => {
    const { doc } = await probeJson('ecdhe-p192', ['--proxy-ssl-conf-command', 'Groups prime192v1:P-256', '--proxy-ssl-ciphers', 'DEFAULT:@SECLEVEL=0']);
    expect(doc.nginx.ok).toBe(true);
    expect(doc.connection.ephemeralKey).toMatchObject({ type: 'ECDH', name: 'prime192v1' });
  });
});

describe('the run deadline', () => {
  it('bounds the what-ifs: a stalling variant is cut, named handshake-what-if, and the first verdict kept', async () => {
    // The first connection gets alert 112; every later one (the what-ifs) is accepted and never answered.
    let n = 0;
    const held: import('node:net').Socket[] = [];
    const { createServer } = await import('node:net');
    const server = createServer((s) => {
      s.on('error', () => {});
      held.push(s);
      if (n++ === 0) s.once('data', () => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const started = Date.now();
      const run = await runCli(['probe', `127.0.0.1:${port}`, ...base, '--timeout', '1500ms', '--json']);
      const doc = JSON.parse(run.stdout);
      // 1.5 s plus process-local work (the first run in a process also loads the command modules).
      expect(Date.now() - started).toBeLessThan(3000);
      expect(doc.cut.phase).toBe('handshake-what-if');
      expect(doc.cut.atMs).toBeGreaterThanOrEqual(1400);
      expect(doc.cut.atMs).toBeLessThan(1800);
      expect(doc.nginx.error).toMatch(/unrecognized name:SSL alert number 112/);
      expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(['HANDSHAKE_FAILED']);
      expect(doc.findings[0].evidence.likelyCauses).toEqual(['SNI_REQUIRED']);
    } finally {
      held.forEach((s) => s.destroy());
      server.close();
    }
  });
});

describe('check (a permissive observer, handshake only)', () => {
  it('predicts the DH refusal nginx makes at level 2 from the observed ephemeral key', async () => {
    const run = await runCli(['check', `127.0.0.1:${up['dhe-1024'].port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--proxy-ssl-verify-depth', '2', '--nginx-version', '1.22.1', '--json']);
    const r = JSON.parse(run.stdout).targets[0];
    expect(JSON.stringify(r)).toContain('dh key too small');
    expect(JSON.stringify(r)).toContain('WEAK_EPHEMERAL_KEY');
    expect(run.code).toBe(2); // CRITICAL
  });

  it('handshake only by default; --request-path sees the 400 of an upstream that wants a client certificate', async () => {
    const args = ['check', `127.0.0.1:${up['verify-client'].port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--proxy-ssl-verify-depth', '2', '--nginx-version', '1.22.1', '--warn', '1d', '--crit', '1d', '--json'];
    const plain = await runCli(args);
    expect(JSON.parse(plain.stdout).targets[0].nginx).toMatchObject({ ok: true });
    const before = up['verify-client'].connections;
    const asked = await runCli([...args, '--request-path', '/health']);
    expect(up['verify-client'].connections - before).toBe(1);
    expect(JSON.parse(asked.stdout).targets[0].nginx).toMatchObject({ ok: false, status: 400, answeredBy: 'upstream' });
    expect(asked.code).toBe(2);
    expect((await runCli([...args, '--request-path', 'x'])).code).toBe(3); // check's usage errors are UNKNOWN
  });
});

describe('tlsdoctor nginx', () => {
  it('probes with the location\'s proxy_ssl_ciphers: @SECLEVEL=0 completes the DHE-1024 handshake, the default fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-nginx-ciphers-'));
    dirs.push(dir);
    const conf = (ciphers: string) => `events {}
http {
  server {
    listen 8080;
    location / {
      proxy_pass https://127.0.0.1:${up['dhe-1024'].port};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${fixturePath('root.pem')};
      proxy_ssl_name upstream.test;
      proxy_ssl_verify_depth 2;
      ${ciphers}
    }
  }
}
`;
    const { writeFileSync } = await import('node:fs');
    const results: unknown[] = [];
    for (const [name, line] of [['default.conf', ''], ['level0.conf', 'proxy_ssl_ciphers DEFAULT:@SECLEVEL=0;']]) {
      writeFileSync(join(dir, name), conf(line));
      const run = await runCli(['nginx', join(dir, name), '--json', '--nginx-version', '1.22.1', '--no-fetch']);
      results.push(JSON.parse(run.stdout).upstreams[0].nginx);
    }
    expect(results[0]).toMatchObject({ ok: false, status: 502, level: 'crit', error: expect.stringContaining('dh key too small') });
    expect(results[1]).toMatchObject({ ok: true });
  });
});
