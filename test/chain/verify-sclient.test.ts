/**
 * The whole error list, not just the verdict: `openssl s_client`'s verify callback, like nginx's
 * ngx_ssl_verify_callback, returns 1 after printing each error, so over a real TLS handshake (loopback,
 * `openssl s_server`, port chosen by the OS) it prints every error OpenSSL 3.0 reports, in order, with its
 * depth. verifyChain's `errors` must equal that list exactly. The auth level is the TLS security level
 * (ssl_verify_cert_chain sets it from SSL_get_security_level), 2 here as on Debian/Ubuntu.
 */
import { spawn, execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify.js';
import { EKU_CLIENT, NOW, issue, standardChain, type Issued } from './helpers/make-pki.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-sclient-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keyPem(i: Issued): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', i.keys.privateKey as unknown as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

/** Serves `sent` with s_server and returns the errors s_client's callback printed, as `code@depth`. */
async function sclientErrors(sent: Issued[], trusted: Issued[], opts: { at?: Date; depth?: number } = {}): Promise<string[]> {
  const id = Math.random().toString(36).slice(2);
  const f = (n: string) => join(dir, `${id}-${n}`);
  writeFileSync(f('leaf.pem'), sent[0].pem);
  writeFileSync(f('leaf.key'), await keyPem(sent[0]));
  writeFileSync(f('chain.pem'), sent.slice(1).map((s) => s.pem).join('') || '\n');
  writeFileSync(f('trusted.pem'), trusted.map((t) => t.pem).join(''));
  const serverArgs = ['s_server', '-accept', '127.0.0.1:0', '-naccept', '1', '-cert', f('leaf.pem'), '-key', f('leaf.key'), '-cipher', 'DEFAULT@SECLEVEL=0', '-tls1_2', '-www'];
  if (sent.length > 1) serverArgs.push('-cert_chain', f('chain.pem'));
  const server = spawn('openssl', serverArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = out.match(/ACCEPT 127\.0\.0\.1:(\d+)/);
        if (m) resolve(m[1]);
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.on('exit', (code) => reject(new Error(`s_server exited ${code}: ${out}`)));
      setTimeout(() => reject(new Error(`s_server did not start: ${out}`)), 10_000);
    });
    const clientArgs = ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', f('trusted.pem'), '-cipher', 'DEFAULT@SECLEVEL=2'];
    clientArgs.push('-verify_depth', String(opts.depth ?? 1), '-attime', String(Math.floor((opts.at ?? NOW).getTime() / 1000)));
    const output = await new Promise<string>((resolve) => {
      const child = execFile('openssl', clientArgs, { timeout: 15_000 }, (_e, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
      child.stdin?.end();
    });
    // No callback at all means no handshake: fail loudly rather than compare an empty list.
    if (!/^depth=/m.test(output)) throw new Error(`s_client saw no certificate:\n${output}`);
    const errors: string[] = [];
    let depth = -1;
    for (const line of output.split('\n')) {
      const d = line.match(/^depth=(-?\d+)/);
      if (d) depth = Number(d[1]);
      const e = line.match(/^verify error:num=(\d+):/);
      if (e) errors.push(`${e[1]}@${depth}`);
    }
    return errors;
  } finally {
    server.kill();
  }
}

function ours(sent: Issued[], trusted: Issued[], opts: { at?: Date; depth?: number } = {}): string[] {
  const r = verifyChain({ sent: sent.map((s) => s.cert), trusted: trusted.map((t) => t.cert), at: opts.at ?? NOW, depth: opts.depth ?? 1, seclevel: 2 });
  return r.errors.map((e) => `${e.code}@${e.depth}`);
}

describe('verifyChain errors equal what an always-continue callback sees over TLS (openssl s_client, 3.0)', () => {
  it.each([
    ['complete chain', async () => { const c = await standardChain(); return { sent: [c.leaf, c.inter], trusted: [c.root] }; }, []],
    ['leaf only, root trusted', async () => { const c = await standardChain(); return { sent: [c.leaf], trusted: [c.root] }; }, ['20@0', '21@0']],
    ['expired leaf, intermediate missing', async () => {
      const c = await standardChain({ leaf: { notAfter: new Date(NOW.getTime() - DAY) } });
      return { sent: [c.leaf], trusted: [c.root] };
    }, ['20@0', '21@0', '10@0']],
    ['weak leaf key, intermediate missing', async () => {
      const c = await standardChain({ leaf: { key: 'rsa1024' } });
      return { sent: [c.leaf], trusted: [c.root] };
    }, ['66@0', '66@0', '21@0']],
    ['two intermediates, depth 1', async () => {
      const c = await standardChain();
      const i2 = await issue({ subject: 'CN=Second Intermediate', ca: true, issuer: { cert: c.inter.x, keys: c.inter.keys } });
      const leaf = await issue({ subject: 'CN=host.test', dns: ['host.test'], issuer: { cert: i2.x, keys: i2.keys } });
      return { sent: [leaf, i2, c.inter], trusted: [c.root] };
    }, ['22@2', '20@2']],
    ['root sent, not trusted', async () => {
      const c = await standardChain();
      const other = await issue({ subject: 'CN=Other Root', ca: true });
      return { sent: [c.leaf, c.inter, c.root], trusted: [other], depth: 2 };
    }, ['19@2']],
    ['bundle holds only the intermediate', async () => { const c = await standardChain(); return { sent: [c.leaf], trusted: [c.inter] }; }, ['2@1']],
    ['self-signed leaf', async () => {
      const self = await issue({ subject: 'CN=host.test', dns: ['host.test'] });
      const other = await issue({ subject: 'CN=Other Root', ca: true });
      return { sent: [self], trusted: [other] };
    }, ['18@0']],
    ['SHA-1 leaf and clientAuth-only EKU', async () => {
      const c = await standardChain({ leaf: { hash: 'SHA-1', eku: [EKU_CLIENT] } });
      return { sent: [c.leaf, c.inter], trusted: [c.root] };
    }, ['26@0', '68@0']],
  ] as const)('%s', async (_name, make, expected) => {
    const s = (await make()) as { sent: Issued[]; trusted: Issued[]; depth?: number };
    const opts = { depth: s.depth };
    expect(ours(s.sent, s.trusted, opts)).toEqual(expected);
    expect(await sclientErrors(s.sent, s.trusted, opts)).toEqual(expected);
  }, 30_000);
});
