/**
 * One TLS upstream spread over several loopback addresses on the same port, each address serving its own fixture
 * scenario (a healthy node, a node that forgot its intermediate...): what nginx sees behind a name with several
 * A/AAAA records. Linux routes all of 127.0.0.0/8 to lo, and ::1 is on lo when IPv6 is enabled (ipv6Loopback()
 * says whether it is, for a skip). `null` leaves an address without a listener: connection refused, on loopback.
 */
import { execFileSync } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import tls from 'node:tls';
import { loadScenario } from './fixtures.js';

export interface MultiAddressUpstream {
  port: number;
  /** TCP connections accepted per address, to count handshakes. */
  connections: Record<string, number>;
  close(): Promise<void>;
}

/** ::1 is configured on lo (`ip -6 addr show lo`), so tests may listen and connect there. */
export function ipv6Loopback(): boolean {
  try {
    return execFileSync('ip', ['-6', 'addr', 'show', 'lo'], { encoding: 'utf8' }).includes('::1/128');
  } catch {
    return false;
  }
}

function tlsServer(scenario: string, onConnection: () => void): tls.Server {
  const s = loadScenario(scenario);
  return tls.createServer(
    { cert: s.pem.serve.join(''), key: s.pem.key, minVersion: 'TLSv1.2', ciphers: 'DEFAULT:@SECLEVEL=0' },
    (sock) => {
      sock.on('error', () => {});
      sock.once('data', () => sock.end(`HTTP/1.1 200 OK\r\ncontent-length: ${scenario.length + 1}\r\nconnection: close\r\n\r\n${scenario}\n`));
    },
  )
    .on('tlsClientError', () => {})
    .on('connection', onConnection);
}

function listen(server: tls.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** A port free on every one of `hosts` (chosen on the first, then tried on the others; retried on a clash). */
async function startOn(plan: Record<string, string | null>, connections: Record<string, number>): Promise<{ port: number; servers: tls.Server[] }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const servers: tls.Server[] = [];
    try {
      let port = 0;
      // Reserve the port on 127.0.0.1 too (nginx listens there): the upstream port must not be nginx's.
      const guard = createNetServer();
      port = await listen(guard as unknown as tls.Server, '127.0.0.1', 0);
      if ('127.0.0.1' in plan) await new Promise<void>((r) => guard.close(() => r()));
      for (const [host, scenario] of Object.entries(plan)) {
        if (scenario === null) continue;
        connections[host] = 0;
        const s = tlsServer(scenario, () => void connections[host]++);
        servers.push(s);
        await listen(s, host, port);
      }
      if (guard.listening) await new Promise<void>((r) => guard.close(() => r()));
      return { port, servers };
    } catch {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  }
  throw new Error('no common free port on the loopback addresses');
}

/** `{ '127.0.0.2': 'healthy', '127.0.0.3': 'partial-chain-bundle', '::1': 'healthy' }` */
export async function startMultiAddressUpstream(plan: Record<string, string | null>): Promise<MultiAddressUpstream> {
  const connections: Record<string, number> = {};
  const { port, servers } = await startOn(plan, connections);
  return {
    port,
    connections,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
