/**
 * `verify` judges files as `probe` judges a live upstream (same JSON, same codes, same exit codes);
 * `inspect` describes files, naming private keys without printing them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_CLOCK, fixturePath, loadScenario, readFixture, scenarios } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-verify-'));
const at = ['--at', FIXTURE_CLOCK.toISOString()];
const keyPem = readFixture('leaf.key.pem');

describe('verify: every certificate scenario judged offline as nginx would', () => {
  // Scenarios decided by certificates alone (not by the handshake): the served chain is the file.
  const offline = scenarios().filter((s) => s.server === 'tls' && !s.sni && !s.sniCerts && s.clientAuth?.mode !== 'required' && !/^tls1/.test(s.id));
  it.each(offline.map((s) => [s.id, s] as const))('%s', async (_id, s) => {
    const l = loadScenario(s.id);
    const chain = join(dir, `${s.id}-chain.pem`);
    writeFileSync(chain, l.pem.serve.join(''));
    const args = ['verify', '--chain', chain, '--json', ...at, '--proxy-ssl-name', s.proxySslName, '--proxy-ssl-verify-depth', String(s.depth)];
    for (const t of l.paths.trusted) args.push('--ca', t);
    const run = await runCli(args);
    const doc = JSON.parse(run.stdout);
    expect(doc.command).toBe('verify');
    expect(doc.nginx.ok).toBe(s.expected.nginxOk);
    if (s.expected.nginxError) expect(doc.nginx.error).toBe(s.expected.nginxError);
    expect(run.code).toBe(s.expected.nginxOk ? 0 : 1);
    const codes = doc.findings.map((f: { code: string }) => f.code);
    for (const c of s.expected.findings) expect(codes).toContain(c);
  });

  it('--untrusted adds what the server would send after the chain; --at moves the clock', async () => {
    const base = ['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--json'];
    const now = JSON.parse((await runCli([...base, ...at])).stdout);
    expect(now.nginx.ok).toBe(true);
    expect(now.presentedChain).toHaveLength(2);
    const later = JSON.parse((await runCli([...base, '--at', '2047-01-01T00:00:00Z'])).stdout);
    expect(later.nginx.error).toBe('upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream');
  });

  it('warns (EXPIRES_SOON) about every path certificate within --warn, without failing', async () => {
    const base = ['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--json', '--at', '2045-12-20T00:00:00Z'];
    const run = await runCli(base);
    expect(run.code).toBe(0);
    const soon = JSON.parse(run.stdout).findings.filter((f: { code: string }) => f.code === 'EXPIRES_SOON');
    expect(soon.map((f: { cert: { depth: number } }) => f.cert.depth)).toEqual([0, 1, 2]);
    expect(soon[0].severity).toBe('warning');
    expect(soon[0].evidence.daysLeft).toBe(12);
    const off = JSON.parse((await runCli([...base, '--warn', '0'])).stdout);
    expect(off.findings.filter((f: { code: string }) => f.code === 'EXPIRES_SOON')).toEqual([]);
  });

  it('a bundle of thousands of certificates and a cert/issuer loop stay bounded and correct', async () => {
    const many = join(dir, 'many.pem');
    const roots = readFixture('bundle-150-roots.pem');
    writeFileSync(many, roots.repeat(20)); // 3,020 certificates, duplicates included
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', many, '--proxy-ssl-name', 'upstream.test', '--json', ...at]);
    expect(JSON.parse(run.stdout).nginx.ok).toBe(true);
  });
});

describe('inspect', () => {
  it('describes every certificate, who issues whom, duplicates, and names a private key without printing it', async () => {
    const file = join(dir, 'mixed.pem');
    writeFileSync(file, readFixture('leaf.pem') + keyPem + readFixture('int1.pem') + readFixture('root.pem') + readFixture('int1.pem'));
    const run = await runCli(['inspect', file, '--json', ...at]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(keyPem.split('\n')[1]);
    const f = JSON.parse(run.stdout).files[0];
    expect(f.certificateCount).toBe(4);
    expect(f.privateKeys).toBe(1);
    const [leaf, int1, root, dup] = f.certificates;
    expect(leaf.dnsNames).toEqual(['localhost', 'upstream.test']);
    expect(leaf.issuedBy).toEqual([1, 3]);
    expect(int1.issues).toContain(0);
    expect(int1.issuedBy).toEqual([2]);
    expect(root.selfSigned).toBe(true);
    expect(root.isCa).toBe(true);
    expect(dup.duplicateOf).toBe(1);
    expect(leaf.daysLeft).toBeGreaterThan(7000);
    for (const key of ['subject', 'issuer', 'notBefore', 'notAfter', 'keyType', 'signatureAlgorithm', 'subjectKeyId', 'authorityKeyId', 'aiaCaIssuers', 'sha256', 'keyUsage', 'pathLen']) {
      expect(leaf).toHaveProperty(key);
    }
    const text = await runCli(['inspect', file, ...at]);
    expect(text.stdout).toMatch(/1 private key\(s\) \(not shown\)/);
    expect(text.stdout).toMatch(/duplicate of #1/);
  });

  it('reads DER and PKCS#7', async () => {
    const der = join(dir, 'root.der');
    writeFileSync(der, execFileSync('openssl', ['x509', '-in', fixturePath('root.pem'), '-outform', 'DER']));
    const p7 = join(dir, 'chain.p7b');
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', fixturePath('leaf.pem'), '-certfile', fixturePath('int1.pem'), '-outform', 'DER', '-out', p7]);
    const run = await runCli(['inspect', der, p7, '--json', ...at]);
    const doc = JSON.parse(run.stdout);
    expect(doc.files.map((f: { certificateCount: number }) => f.certificateCount)).toEqual([1, 2]);
  });

  it('a file with garbage in a PEM block is a one-line error naming the file', async () => {
    const bad = join(dir, 'garbage.pem');
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n');
    const run = await runCli(['inspect', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('garbage.pem');
  });
});
