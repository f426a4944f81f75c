/**
 * The offline rules whose claim is about what nginx does, checked against real nginx (Debian's build): where
 * `tlsdoctor lint` says VERIFY_DEPTH_TOO_SMALL, nginx fails (it logs "(2:unable to get issuer certificate)": OpenSSL's
 * 22 comes first and nginx logs the last error) and passes once
 * the depth is what the finding asks; where it says PROXY_SSL_NAME_IS_IP, an upstream certificate with only an IP
 * SAN for that address fails ("does not match"), and the suggested DNS proxy_ssl_name passes. The lint sees the same
 * directives nginx runs with (proxyConfig's location).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';
import { readFixture } from '../helpers/fixtures.js';
import { nginxUnavailableReason, proxyConfig, proxyOnce } from '../helpers/nginx.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping lint-gate real-nginx tests: ${unavailable}`);

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-lint-real-'));
const servers: tls.Server[] = [];
afterAll(() => {
  servers.forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

async function serve(chain: string[], key: string): Promise<number> {
  const s = tls.createServer({ cert: chain.map(readFixture).join(''), key: readFixture(key) }, (c) => c.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  s.on('tlsClientError', () => {});
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

/** `tlsdoctor lint` of the location proxyOnce runs, as rule ids. */
async function lintCodes(port: number, directives: string[]): Promise<string[]> {
  const conf = join(dir, `nginx-${port}-${directives.length}.conf`);
  writeFileSync(conf, `events {}\nhttp {\n${proxyConfig({ upstreamPort: port, directives }).replace('__PORT__', '8080')}\n}\n`);
  const r = await runCli(['lint', conf, '--format', 'json', '--nginx-version', '1.22.1']);
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout).lints as { code: string }[]).map((l) => l.code);
}

describe.skipIf(unavailable)('offline rules against real nginx', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = join(dir, 'root-int1-int2.pem');
    writeFileSync(bundle, ['root.pem', 'int1.pem', 'int2.pem'].map(readFixture).join(''));
  });

  it('VERIFY_DEPTH_TOO_SMALL: the bundle forms root > int1 > int2; a leaf under int2 fails at depth 1, passes at 2', async () => {
    const port = await serve(['leaf-int2.pem'], 'leaf-int2.key.pem');
    const base = ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${bundle}`, 'proxy_ssl_name upstream.test'];
    expect(await lintCodes(port, base)).toEqual(['VERIFY_DEPTH_TOO_SMALL']);
    const shallow = await proxyOnce(port, base);
    expect(shallow.status).toBe(502);
    expect(shallow.first?.message).toBe('upstream SSL certificate verify error: (2:unable to get issuer certificate) while SSL handshaking to upstream');
    const deep = [...base, 'proxy_ssl_verify_depth 2'];
    expect(await lintCodes(port, deep)).toEqual([]);
    expect((await proxyOnce(port, deep)).status).toBe(200);
  });

  it('PROXY_SSL_NAME_IS_IP: an IP SAN alone does not satisfy nginx; the DNS name does', async () => {
    const port = await serve(['leaf-ip-san.pem', 'int1.pem'], 'leaf-ip-san.key.pem');
    const root = join(dir, 'root.pem');
    writeFileSync(root, readFixture('root.pem'));
    const byIp = ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${root}`];
    expect(await lintCodes(port, byIp)).toEqual(['PROXY_SSL_NAME_IS_IP']);
    const ip = await proxyOnce(port, byIp);
    expect(ip.status).toBe(502);
    expect(ip.first?.message).toContain('upstream SSL certificate does not match "127.0.0.1"');
    const byName = [...byIp, 'proxy_ssl_name upstream.test'];
    expect(await lintCodes(port, byName)).toEqual([]);
    expect((await proxyOnce(port, byName)).status).toBe(200);
  });
});
