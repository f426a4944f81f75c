/**
 * Runs `openssl verify` the way nginx configures OpenSSL for upstreams, for differential tests:
 *   openssl verify -purpose sslserver -auth_level <level> -verify_depth <depth> -attime <t>
 *                  [-verify_hostname <name>] -CAfile trusted.pem -no-CApath -no-CAstore [-untrusted chain.pem] leaf.pem
 * The CLI's callback stops at the first error outside its continue list, so what it prints is a prefix of
 * the errors nginx's always-continue callback sees.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliVerdict {
  ok: boolean;
  /** `code@depth` of each error printed, in order. */
  errors: string[];
  output: string;
}

export function opensslVerify(opts: {
  leafPem: string;
  untrustedPems?: string[];
  trustedPems: string[];
  at: Date;
  depth?: number;
  level?: number;
  hostname?: string;
}): CliVerdict {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-verify-'));
  try {
    writeFileSync(join(dir, 'leaf.pem'), opts.leafPem);
    writeFileSync(join(dir, 'trusted.pem'), opts.trustedPems.join(''));
    const args = ['verify', '-purpose', 'sslserver', '-auth_level', String(opts.level ?? 2)];
    args.push('-verify_depth', String(opts.depth ?? 1), '-attime', String(Math.floor(opts.at.getTime() / 1000)));
    if (opts.hostname !== undefined) args.push('-verify_hostname', opts.hostname);
    // Only the bundle is trusted, as with proxy_ssl_trusted_certificate: without -no-CApath -no-CAstore,
    // setup_verify() (apps/lib/apps.c) also adds the system store (test/differential/README.md).
    args.push('-CAfile', 'trusted.pem', '-no-CApath', '-no-CAstore');
    if (opts.untrustedPems && opts.untrustedPems.length > 0) {
      writeFileSync(join(dir, 'untrusted.pem'), opts.untrustedPems.join(''));
      args.push('-untrusted', 'untrusted.pem');
    }
    args.push('leaf.pem');
    let output: string;
    let ok = true;
    try {
      output = execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
      ok = false;
    }
    const errors = [...output.matchAll(/^error (\d+) at (-?\d+) depth lookup:/gm)].map((m) => `${m[1]}@${m[2]}`);
    return { ok: ok && errors.length === 0, errors, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
