/**
 * Throw-away PKI for the loader and AIA tests, made with the `openssl` CLI in a temp dir (P-256 keys: fast).
 * Certificates are valid from now for ten years: generated per run, so nothing expires under the tests.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  name: string;
  pem: string;
  der: Uint8Array;
  /** Path of the PEM certificate and of its PEM PKCS#8 key. */
  path: string;
  keyPath: string;
}

export function openssl(args: string[], cwd: string): Buffer {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-pki-'));

  /** A self-signed CA. */
  root(name: string): TestCert {
    const keyPath = this.key(name);
    const path = join(this.dir, `${name}.pem`);
    openssl(
      ['req', '-x509', '-new', '-key', keyPath, '-subj', `/CN=${name}`, '-days', '3650', '-out', path,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      this.dir,
    );
    return this.load(name, path, keyPath);
  }

  /** A certificate issued by `issuer`, a CA or a leaf, optionally with a caIssuers URL. */
  issue(name: string, issuer: TestCert, opts: { ca: boolean; aiaUrls?: string[] }): TestCert {
    const keyPath = this.key(name);
    const csr = join(this.dir, `${name}.csr`);
    openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${name}`, '-out', csr], this.dir);
    const ext = join(this.dir, `${name}.ext`);
    const lines = [
      opts.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
      opts.ca ? 'keyUsage=critical,keyCertSign,cRLSign' : 'keyUsage=critical,digitalSignature',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ];
    if (opts.aiaUrls?.length) lines.push(`authorityInfoAccess=${opts.aiaUrls.map((u) => `caIssuers;URI:${u}`).join(',')}`);
    writeFileSync(ext, `${lines.join('\n')}\n`);
    const path = join(this.dir, `${name}.pem`);
    openssl(
      ['x509', '-req', '-in', csr, '-CA', issuer.path, '-CAkey', issuer.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
        '-days', '3650', '-extfile', ext, '-out', path],
      this.dir,
    );
    return this.load(name, path, keyPath);
  }

  file(name: string, content: string | Uint8Array): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private key(name: string): string {
    const keyPath = join(this.dir, `${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath], this.dir);
    return keyPath;
  }

  private load(name: string, path: string, keyPath: string): TestCert {
    const der = new Uint8Array(openssl(['x509', '-in', path, '-outform', 'DER'], this.dir));
    return { name, pem: readFileSync(path, 'latin1'), der, path, keyPath };
  }
}

export function hex(u: Uint8Array): string {
  return Buffer.from(u).toString('hex');
}
