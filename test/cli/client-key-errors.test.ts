/**
 * Client certificate/key problems (hardening issue): a key that does not match its certificate, an encrypted key,
 * an unparsable key or certificate, a key file holding no key. Before, probe/check ended in "internal error"
 * (exit 3) without naming the files, and `tlsdoctor nginx` said the same where nginx refuses to start.
 * Now: probe and check name both files (exit 2; a check target is UNKNOWN), `nginx` reports nginx's [emerg].
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { checkNginxConfig, nginxUnavailableReason, proxyConfig } from '../helpers/nginx.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

let dir: string;
let healthy: ScenarioServer;
/** A TCP listener that counts connections: a refused input must not reach the network at all. */
let listener: Server;
let connections = 0;
const keyPem = readFixture('client.key.pem');
const keyBodyLine = keyPem.split('\n')[1];

const f: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-client-key-'));
  const write = (name: string, text: string) => {
    f[name] = join(dir, name);
    writeFileSync(f[name], text);
  };
  const key = createPrivateKey(keyPem);
  write('client.pem', readFixture('client.pem'));
  write('client.key', keyPem);
  write('other.key', readFixture('client-other.key.pem'));
  write('enc-pkcs8.key', key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string);
  // The traditional (OpenSSL 1.0) form: "Proc-Type: 4,ENCRYPTED" under an EC PRIVATE KEY label.
  write('enc-sec1.key', key.export({ format: 'pem', type: 'sec1', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string);
  write('garbage.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  write('garbage.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  write('text.pem', 'not a certificate\n');
  write('password.txt', 'secret\n');
  healthy = await startScenarioServer('healthy');
  listener = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
});

afterAll(async () => {
  await healthy?.close();
  await new Promise<void>((done) => (listener ? listener.close(() => done()) : done()));
  rmSync(dir, { recursive: true, force: true });
});

const listenerTarget = () => {
  const a = listener.address();
  return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
};

describe('probe: a bad client certificate/key pair is exit 2 naming both files, before any connection', () => {
  it.each([
    ['a key that does not match the certificate', 'client.pem', 'other.key', /does not match .*key values mismatch/],
    ['an encrypted key (PKCS#8)', 'client.pem', 'enc-pkcs8.key', /encrypted and tlsdoctor has no pass phrase support/],
    ['an encrypted key (traditional, Proc-Type)', 'client.pem', 'enc-sec1.key', /encrypted and tlsdoctor has no pass phrase support/],
    ['a key that cannot be parsed', 'client.pem', 'garbage.key', /the private key cannot be parsed \(error:1E08010C:DECODER routines::unsupported/],
    ['a key file holding a certificate, no key', 'client.pem', 'client.pem', /holds no PEM private key/],
    ['a certificate that cannot be parsed', 'garbage.pem', 'client.key', /the certificate cannot be parsed/],
    ['a certificate file holding no certificate', 'text.pem', 'client.key', /holds no PEM certificate/],
  ])('%s', async (_name, cert, key, message) => {
    const before = connections;
    const run = await runCli(['probe', listenerTarget(), '--timeout', '2s', '--proxy-ssl-certificate', f[cert], '--proxy-ssl-certificate-key', f[key]]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toContain(f[cert]);
    expect(lines[0]).toContain(f[key]);
    expect(run.stderr).not.toContain(keyBodyLine);
    expect(connections).toBe(before);
  });

  it('the matching pair is accepted (the check does not refuse good input)', async () => {
    const run = await runCli(['probe', `127.0.0.1:${healthy.port}`, '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'localhost', '--no-fetch', '--timeout', '2s',
      '--proxy-ssl-certificate', f['client.pem'], '--proxy-ssl-certificate-key', f['client.key']]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('check: a bad pair makes its target UNKNOWN, naming both files; the other targets are checked', () => {
  it('cert=/key= mismatched and encrypted among healthy targets', async () => {
    const addr = `127.0.0.1:${healthy.port}`;
    const targets = join(dir, 'targets.txt');
    writeFileSync(
      targets,
      `${addr} label.n=ok\n` +
        `${addr} cert=client.pem key=other.key label.n=mismatch\n` +
        `${addr} cert=client.pem key=enc-pkcs8.key label.n=encrypted\n` +
        `${addr} cert=client.pem key=client.key label.n=good-pair\n`,
    );
    const run = await runCli(['check', '--json', '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'localhost', '--timeout', '2s', '--targets', targets], { cwd: dir });
    const doc = JSON.parse(run.stdout) as { targets: { labels: { n: string }; status: string; error: { code: string; message: string } | null }[] };
    const byN = Object.fromEntries(doc.targets.map((t) => [t.labels.n, t]));
    expect(byN.ok.status).toBe('OK');
    expect(byN['good-pair'].status).toBe('OK');
    expect(byN.mismatch).toMatchObject({ status: 'UNKNOWN', error: { code: 'CLIENT_KEY_MISMATCH' } });
    expect(byN.mismatch.error!.message).toBe(
      `client key ${f['other.key']} does not match client certificate ${f['client.pem']}: it is not the certificate's private key (nginx: key values mismatch)`,
    );
    expect(byN.encrypted).toMatchObject({ status: 'UNKNOWN', error: { code: 'CLIENT_KEY_ENCRYPTED' } });
    expect(byN.encrypted.error!.message).toContain(f['enc-pkcs8.key']);
    expect(byN.encrypted.error!.message).toContain(f['client.pem']);
    expect(run.stdout).not.toContain(keyBodyLine);
    expect(run.code).toBe(3);
  });
});

function nginxConf(cert: string, key: string, extra = ''): string {
  const p = join(dir, `nginx-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(
    p,
    `events {}\nhttp {\n  server {\n    listen 127.0.0.1:8080;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n` +
      `      proxy_ssl_certificate ${cert};\n      proxy_ssl_certificate_key ${key};\n${extra}    }\n  }\n}\n`,
  );
  return p;
}

interface NginxDoc {
  refusesToStart: boolean;
  upstreams: { skipped: string | null; refusesToStart: boolean; nginx: { ok: boolean; status: number | null; level: string; error: string } | null; notes: string[] }[];
  locations: { ok: boolean | null; status: number | null; lines: { level: string; error: string }[] }[];
}

describe('nginx: a client pair nginx cannot load is its [emerg] refusal to start, not "clients get 502"', () => {
  const mismatchEmerg = () => `SSL_CTX_use_PrivateKey("${f['other.key']}") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)`;

  it('a mismatched key', async () => {
    const conf = nginxConf(f['client.pem'], f['other.key']);
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', conf]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.refusesToStart).toBe(true);
    expect(doc.upstreams[0]).toMatchObject({
      refusesToStart: true,
      skipped: 'nginx refuses to start: it cannot load the client certificate (see its [emerg] line)',
      nginx: { ok: false, status: null, level: 'emerg', error: mismatchEmerg() },
    });
    expect(doc.locations[0]).toMatchObject({ ok: false, status: null, lines: [{ level: 'emerg', error: mismatchEmerg() }] });

    const text = await runCli(['nginx', '--no-probe', '--nginx-version', '1.22.1', conf]);
    expect(text.stdout).toContain('FAIL  nginx does not start:');
    expect(text.stdout).toContain(`[emerg] ${mismatchEmerg()}`);
    expect(text.stdout).not.toMatch(/clients get 502/);
  });

  it('an encrypted key: nginx cannot read it without a pass phrase', async () => {
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', nginxConf(f['client.pem'], f['enc-pkcs8.key'])]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.locations[0].lines[0].error).toMatch(
      new RegExp(`^cannot load certificate key "${f['enc-pkcs8.key']}": PEM_read_bio_PrivateKey\\(\\) failed \\(SSL: .*PEM routines::bad password read\\)$`),
    );
  });

  it('an encrypted key with proxy_ssl_password_file starts nginx: probed without the client certificate, said so', async () => {
    const conf = nginxConf(f['client.pem'], f['enc-pkcs8.key'], `      proxy_ssl_password_file ${f['password.txt']};\n`);
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', conf]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.refusesToStart).toBe(false);
    expect(doc.upstreams[0].notes.join(' ')).toContain('is encrypted (proxy_ssl_password_file): probed without the client certificate');
  });

  it('an inline data: key is neither read nor ever echoed', async () => {
    const inline = `"data:${keyPem.replace(/\n/g, '\\n')}"`;
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', nginxConf(f['client.pem'], inline)]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(keyBodyLine);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.upstreams[0].notes).toContain('the client certificate or key is given inline (data:): probed without it');
  });

  it('a missing key file is nginx\'s BIO_new_file() [emerg]', async () => {
    const missing = join(dir, 'missing.key');
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', nginxConf(f['client.pem'], missing)]);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.locations[0].lines[0].error).toBe(
      `cannot load certificate key "${missing}": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(${missing}, r) error:10000080:BIO routines::no such file)`,
    );
  });
});

const noNginx = nginxUnavailableReason();

describe.skipIf(noNginx !== null)('the [emerg] lines are nginx\'s own (real nginx -t)', () => {
  it.each([
    ['a mismatched key', 'client.pem', 'other.key'],
    ['an encrypted key', 'client.pem', 'enc-pkcs8.key'],
    ['a key file holding no key', 'client.pem', 'client.pem'],
    ['a certificate file holding no certificate', 'text.pem', 'client.key'],
  ])('%s', async (_name, cert, key) => {
    const real = await checkNginxConfig({
      config: proxyConfig({ upstreamPort: 1, directives: [`proxy_ssl_certificate ${f[cert]}`, `proxy_ssl_certificate_key ${f[key]}`] }),
    });
    expect(real.ok).toBe(false);
    const emerg = /\[emerg\] \d+#\d+: (.*)/.exec(real.output)?.[1];
    expect(emerg).toBeDefined();
    const run = await runCli(['nginx', '--no-probe', '--json', '--nginx-version', '1.22.1', nginxConf(f[cert], f[key])]);
    const doc = JSON.parse(run.stdout) as NginxDoc;
    expect(doc.locations[0].lines[0]).toEqual({ server: '127.0.0.1:1', level: 'emerg', error: emerg });
  });
});
