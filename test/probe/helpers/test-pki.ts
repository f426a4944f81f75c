/**
 * Throw-away certificates for the probe tests, made with the `openssl` CLI in a temp dir (EC P-256: fast).
 * Independent of certs-fixtures/: the probe tests need odd chains (duplicates, unrelated extras) and client
 * CAs with multi-attribute names, and must not wait for the shared fixtures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  subject: string; // as given to -subj
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  der: Buffer;
}

export interface TestPki {
  dir: string;
  /** A self-signed CA. `subj` in openssl form: `/C=DE/O=Example/CN=Root`. */
  root(subj: string): TestCert;
  /** `weak`: RSA-1024 key and a SHA-1 signature (a server needs @SECLEVEL=0 to even load it). */
  issue(subj: string, issuer: TestCert, opts?: { ca?: boolean; dns?: string[]; weak?: boolean }): TestCert;
  cleanup(): void;
}

export function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

export function createPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-probe-'));
  // A config without default extensions, so each certificate carries exactly what -addext says.
  const config = join(dir, 'req.cnf');
  writeFileSync(config, '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
  let n = 0;

  function make(subj: string, extensions: string[], issuer?: TestCert, weak = false): TestCert {
    const base = join(dir, `c${n++}`);
    const certPath = `${base}.crt`;
    const keyPath = `${base}.key`;
    const args = ['req', '-config', config, '-x509', '-new'];
    args.push(...(weak ? ['-newkey', 'rsa:1024', '-sha1'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha256']));
    args.push('-nodes', '-keyout', keyPath, '-out', certPath, '-subj', subj, '-days', '30');
    if (issuer) args.push('-CA', issuer.certPath, '-CAkey', issuer.keyPath);
    for (const e of extensions) args.push('-addext', e);
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const certPem = readFileSync(certPath, 'utf8');
    return { subject: subj, certPem, keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath, der: pemToDer(certPem) };
  }

  return {
    dir,
    root: (subj) => make(subj, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']),
    issue: (subj, issuer, opts = {}) =>
      make(
        subj,
        opts.ca
          ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
          : [
              'basicConstraints=CA:FALSE',
              'extendedKeyUsage=serverAuth,clientAuth',
              `subjectAltName=${(opts.dns ?? ['localhost']).map((d) => `DNS:${d}`).join(',')}`,
            ],
        issuer,
        opts.weak,
      ),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
