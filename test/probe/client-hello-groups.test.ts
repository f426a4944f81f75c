/**
 * The groups nginx's ClientHello offers: its `proxy_ssl_conf_command Groups`, else OpenSSL 3.0's default list and one
 * X25519 key share, on every Node (OpenSSL 3.5 in Node 22.23.5 and 24.22.3 would lead with X25519MLKEM768 and a
 * second key share). Read from the ClientHello a plain TCP server receives.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/probe/probe.js';
import type { ProbeParams } from '../../src/probe/types.js';

let server: net.Server;
let port = 0;
let seen: ((hello: Buffer) => void) | undefined;

beforeAll(async () => {
  server = net.createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        seen?.(buf.subarray(5, 5 + buf.readUInt16BE(3)));
        s.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

/** supported_groups (10) and the groups of key_share (51), hex, from a ClientHello handshake message. */
function groupsOf(hs: Buffer): { groups: string[]; keyShares: string[] } {
  let p = 4 + 2 + 32;
  p += 1 + hs[p];
  p += 2 + hs.readUInt16BE(p);
  p += 1 + hs[p];
  const end = p + 2 + hs.readUInt16BE(p);
  p += 2;
  const out = { groups: [] as string[], keyShares: [] as string[] };
  while (p < end) {
    const type = hs.readUInt16BE(p);
    const data = hs.subarray(p + 4, p + 4 + hs.readUInt16BE(p + 2));
    if (type === 10) for (let i = 2; i < 2 + data.readUInt16BE(0); i += 2) out.groups.push(data.readUInt16BE(i).toString(16));
    if (type === 51) for (let q = 2; q < data.length; q += 4 + data.readUInt16BE(q + 2)) out.keyShares.push(data.readUInt16BE(q).toString(16));
    p += 4 + data.length;
  }
  return out;
}

async function helloOf(client: ProbeParams['client']) {
  const hello = new Promise<Buffer>((r) => (seen = r));
  await probe({ host: '127.0.0.1', port, protocols: ['TLSv1.2', 'TLSv1.3'], timeoutMs: 3000, ...(client ? { client } : {}) });
  return groupsOf(await hello);
}

describe('the groups offered as nginx', () => {
  it("without Groups: OpenSSL 3.0's default list, one X25519 key share", async () => {
    expect(await helloOf({ cipherString: 'HIGH:!aNULL:!MD5:@SECLEVEL=2' })).toEqual({
      groups: ['1d', '17', '1e', '19', '18', '100', '101', '102', '103', '104'],
      keyShares: ['1d'],
    });
  });

  it('with proxy_ssl_conf_command Groups: those', async () => {
    expect(await helloOf({ cipherString: 'HIGH:!aNULL:!MD5:@SECLEVEL=2', groups: 'P-384:P-256' })).toEqual({ groups: ['18', '17'], keyShares: ['18'] });
  });
});
