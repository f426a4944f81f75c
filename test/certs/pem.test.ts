import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateBlobs } from '../../src/certs/load.js';
import { pemWithHeader, toPem } from '../../src/certs/pem.js';
import { TestPki, hex, type TestCert } from './test-pki.js';

let pki: TestPki;
let root: TestCert;
let inter: TestCert;
let leaf: TestCert;
let evilRoot: TestCert;
let evilLeaf: TestCert;

/** `openssl verify`; returns [exit status, output]. */
function verify(args: string[]): [number, string] {
  const r = spawnSync('openssl', ['verify', ...args], { cwd: pki.dir, encoding: 'utf8' });
  return [r.status ?? -1, `${r.stdout}${r.stderr}`];
}

beforeAll(() => {
  pki = new TestPki();
  root = pki.root('Test Root');
  inter = pki.issue('Test Intermediate', root, { ca: true });
  leaf = pki.issue('leaf.test', inter, { ca: false });
  evilRoot = pki.root('Evil Root');
  evilLeaf = pki.issue('evil.test', evilRoot, { ca: false });
});
afterAll(() => pki.cleanup());

describe('toPem', () => {
  it('writes exactly what `openssl x509` writes', () => {
    expect(toPem(leaf.der)).toBe(leaf.pem);
    expect(toPem(root.der)).toBe(root.pem);
  });

  it('takes other labels and refuses invalid ones', () => {
    expect(toPem(new Uint8Array([1, 2, 3]), 'PKCS7')).toBe('-----BEGIN PKCS7-----\nAQID\n-----END PKCS7-----\n');
    expect(() => toPem(leaf.der, 'BAD-LABEL')).toThrow(RangeError);
    expect(() => toPem(leaf.der, 'X\n-----BEGIN CERTIFICATE')).toThrow(RangeError);
  });
});

describe('pemWithHeader', () => {
  const header = (c: TestCert) => [`subject: CN=${c.name}`, `sha256: ${hex(c.der)}`.slice(0, 80), '', 'valid until 2036'];

  it('puts # comment lines before the block', () => {
    const out = pemWithHeader(root.der, header(root));
    expect(out).toBe(`# subject: CN=Test Root\n# ${header(root)[1]}\n#\n# valid until 2036\n${root.pem}`);
  });

  it('is read by OpenSSL as a trust bundle (`openssl verify -CAfile`, the loader nginx uses) and by our reader', () => {
    const trusted = pki.file('trusted-ca.pem', pemWithHeader(root.der, header(root)));
    const presented = pki.file('presented-chain.pem', [leaf, inter].map((c) => pemWithHeader(c.der, header(c))).join(''));
    expect(verify(['-CAfile', trusted, '-untrusted', presented, leaf.path])).toEqual([0, `${leaf.path}: OK\n`]);
    // `openssl x509` reads the first certificate of the commented file.
    expect(execFileSync('openssl', ['x509', '-in', presented, '-noout', '-subject'], { encoding: 'utf8' })).toBe('subject=CN = leaf.test\n');
    const r = readCertificateBlobs(new Uint8Array(readFileSync(presented)), 'presented-chain.pem');
    expect(r.ders.map(hex)).toEqual([hex(leaf.der), hex(inter.der)]);
    expect(r.warnings).toEqual([]);
  });

  it('cannot be used to smuggle a certificate into a bundle through a hostile subject', () => {
    const block = evilRoot.pem.trimEnd();
    const hostile = [
      `subject: CN=x\n${block}\n# `, // newline injection
      `subject: CN=x\r${block.replaceAll('\n', '\r')}`, // CR-only line ends
      `subject: ${block.replaceAll('\n', '')}`, // the whole block on the comment line
      `subject: CN=x\u2028${block.replaceAll('\n', '\u2028')}`,
    ];
    const text = pemWithHeader(root.der, hostile);
    expect(text.split('\n').filter((l) => l.includes('-----BEGIN'))).toEqual(['-----BEGIN CERTIFICATE-----']);
    expect(text.split('\n').filter((l) => l.startsWith('#') && l.includes('-----'))).toEqual([]);
    const bundle = pki.file('hostile-ca.pem', text);
    // OpenSSL loads only the real root: the evil leaf does not verify, the good chain does.
    expect(verify(['-CAfile', bundle, evilLeaf.path])[0]).not.toBe(0);
    expect(verify(['-CAfile', bundle, '-untrusted', inter.path, leaf.path])[0]).toBe(0);
    expect(readCertificateBlobs(new Uint8Array(Buffer.from(text, 'latin1')), 'hostile-ca.pem').ders.map(hex)).toEqual([hex(root.der)]);
  });

  // nginx loads proxy_ssl_trusted_certificate with SSL_CTX_load_verify_locations at configuration time, so
  // `nginx -t` fails when the file yields no certificate: a commented bundle must pass, comments alone must not.
  it.skipIf(!existsSync('/usr/sbin/nginx'))('is accepted by nginx as proxy_ssl_trusted_certificate (nginx -t)', () => {
    const prefix = join(pki.dir, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const nginxT = (bundle: string) => {
      const conf = join(prefix, 'nginx.conf');
      writeFileSync(
        conf,
        `error_log stderr;\npid ${join(prefix, 'nginx.pid')};\nevents {}\nhttp {\n  access_log off;\n  server {\n` +
          `    listen unix:${join(prefix, 'sock')};\n    location / {\n      proxy_pass https://127.0.0.1:9;\n` +
          `      proxy_ssl_verify on;\n      proxy_ssl_trusted_certificate ${bundle};\n    }\n  }\n}\n`,
      );
      const r = spawnSync('/usr/sbin/nginx', ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const good = nginxT(pki.file('nginx-ca.pem', pemWithHeader(root.der, header(root))));
    expect(good.out).toContain('test is successful');
    expect(good.status).toBe(0);
    // Control: the same file without its BEGIN/END lines holds no certificate for nginx.
    const noBlock = nginxT(pki.file('nginx-noblock.pem', pemWithHeader(root.der, header(root)).replace(/^-----.*$\n?/gm, '')));
    expect(noBlock.status).not.toBe(0);
    expect(noBlock.out).toContain('no certificate or crl found');
  });
});
