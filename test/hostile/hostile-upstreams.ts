/**
 * Upstreams that misbehave on purpose, on 127.0.0.1 only: each answers our ClientHello the way a broken or
 * hostile server might (slowly, with garbage, forever, with a reset...). Used by hostile-upstreams.test.ts
 * through the CLI in-process; every server tracks its sockets and timers and destroys them on close.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { fixturePath, pemToDers, readFixture } from '../helpers/fixtures.js';

export type HostileKind =
  | 'slowloris'
  | 'garbage'
  | 'endless-records'
  | 'alert-storm'
  | 'many-certificates'
  | 'huge-certificate-message'
  | 'reset-on-accept'
  | 'reset-mid-handshake'
  | 'silent'
  | 'close-after-client-hello'
  | 'http';

export const HOSTILE_KINDS: readonly HostileKind[] = [
  'slowloris',
  'garbage',
  'endless-records',
  'alert-storm',
  'many-certificates',
  'huge-certificate-message',
  'reset-on-accept',
  'reset-mid-handshake',
  'silent',
  'close-after-client-hello',
  'http',
];

export interface HostileUpstream {
  host: '127.0.0.1';
  port: number;
  /** Bytes written to clients so far (raw servers only). */
  sent(): number;
  /** Client connections accepted so far. */
  accepted(): number;
  /** Client connections still open: 0 once the client has closed its side (or been reset). */
  open(): number;
  close(): Promise<void>;
}

const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const record = (type: number, body: number[] | Buffer) => Buffer.from([type, 3, 3, (body.length >> 8) & 0xff, body.length & 0xff, ...body]);

/** A TLS 1.2 ServerHello (ECDHE-RSA-AES128-GCM-SHA256 + renegotiation_info, which OpenSSL 3 requires) as one record. */
export function serverHelloRecord(): Buffer {
  const hello = [3, 3, ...Array<number>(32).fill(7), 0, 0xc0, 0x2f, 0, 0, 5, 0xff, 0x01, 0, 1, 0];
  return record(22, [2, ...u24(hello.length), ...hello]);
}

/** How many certificates `many-certificates` sends: over the probe's 100-per-message cap, under OpenSSL's 100 KiB. */
export const MANY_CERTIFICATES = 106;
/** Size the `huge-certificate-message` Certificate message claims and sends: over 1 MiB. */
export const HUGE_MESSAGE_BYTES = 1200 * 1024;

type RawBehaviour = (s: net.Socket, track: (t: NodeJS.Timeout) => void, count: (n: number) => void) => void;

/** Writes `chunk` as fast as the socket drains, until `limit` bytes (or the socket dies). */
function pump(s: net.Socket, chunk: Buffer, limit: number, count: (n: number) => void): void {
  let sent = 0;
  const go = () => {
    while (!s.destroyed && sent < limit) {
      sent += chunk.length;
      count(chunk.length);
      if (!s.write(chunk)) return void s.once('drain', go);
    }
  };
  go();
}

const RAW: Record<Exclude<HostileKind, 'many-certificates' | 'http'>, RawBehaviour> = {
  // A valid ServerHello, one byte every 200 ms: each read makes progress, none completes the message.
  slowloris: (s, track, count) => {
    s.once('data', () => {
      const bytes = serverHelloRecord();
      let i = 0;
      const drip = setInterval(() => {
        if (s.destroyed || i >= bytes.length) return clearInterval(drip);
        count(1);
        s.write(bytes.subarray(i, ++i));
      }, 200);
      track(drip);
    });
  },
  // Bytes that are no TLS record: not a handshake type, and a 0xffff length.
  garbage: (s, _track, count) => {
    s.once('data', () => {
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 17) & 0xff));
      junk[0] = 0xde;
      count(junk.length);
      s.write(junk);
    });
  },
  // Well-formed handshake records forever: empty HelloRequests, which an OpenSSL client mid-handshake skips
  // without counting them (tls_get_message_header, statem_lib.c), so only our own limits can stop it.
  'endless-records': (s, _track, count) => {
    s.once('data', () => pump(s, Buffer.concat(Array<Buffer>(1024).fill(record(22, [0, 0, 0, 0]))), 64 * 1024 * 1024, count));
  },
  // Warning alerts (user_canceled) without end.
  'alert-storm': (s, _track, count) => {
    s.once('data', () => pump(s, Buffer.concat(Array<Buffer>(2048).fill(record(21, [1, 90]))), 64 * 1024 * 1024, count));
  },
  // ServerHello, then a Certificate message that claims and carries 1.2 MiB of real certificate entries.
  'huge-certificate-message': (s, _track, count) => {
    s.once('data', () => {
      const der = pemToDers(readFixture('leaf.pem'))[0];
      const entry = Buffer.from([...u24(der.length), ...der]);
      const entries = Buffer.concat(Array<Buffer>(Math.ceil(HUGE_MESSAGE_BYTES / entry.length)).fill(entry)).subarray(0, HUGE_MESSAGE_BYTES - 3);
      const message = Buffer.concat([Buffer.from([11, ...u24(entries.length + 3), ...u24(entries.length)]), entries]);
      const records: Buffer[] = [serverHelloRecord()];
      for (let at = 0; at < message.length; at += 16384) records.push(record(22, message.subarray(at, at + 16384)));
      count(records.reduce((n, r) => n + r.length, 0));
      for (const r of records) if (!s.destroyed) s.write(r);
    });
  },
  'reset-on-accept': (s) => {
    s.resetAndDestroy();
  },
  // Half a ServerHello, then RST.
  'reset-mid-handshake': (s, _track, count) => {
    s.once('data', () => {
      const hello = serverHelloRecord();
      count(20);
      s.write(hello.subarray(0, 20), () => s.resetAndDestroy());
    });
  },
  silent: () => {},
  'close-after-client-hello': (s) => {
    s.once('data', () => s.end());
  },
};

export async function startHostileUpstream(kind: HostileKind): Promise<HostileUpstream> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let sent = 0;
  let server: net.Server;
  if (kind === 'many-certificates') {
    server = manyCertificatesServer();
  } else if (kind === 'http') {
    server = http.createServer((_req, res) => res.end('hello\n'));
  } else {
    const behave = RAW[kind];
    server = net.createServer((s) => {
      s.on('error', () => {});
      behave(s, (t) => timers.add(t), (n) => (sent += n));
      // Keep reading what the client sends (discarded), so its FIN is seen and the socket closes.
      if (!s.destroyed) s.resume();
    });
  }
  let accepted = 0;
  server.on('connection', (s: net.Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    sent: () => sent,
    accepted: () => accepted,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** node:tls with the fixture leaf, then the intermediate and the root repeated: MANY_CERTIFICATES in one message. */
function manyCertificatesServer(): tls.Server {
  const root = readFixture('root.pem');
  const chain = readFixture('leaf.pem') + readFixture('int1.pem') + root.repeat(MANY_CERTIFICATES - 2);
  const server = tls.createServer({ key: readFixture('leaf.key.pem'), cert: chain, maxVersion: 'TLSv1.2' });
  server.on('secureConnection', (s) => {
    s.on('error', () => {});
    s.on('data', () => {});
  });
  return server;
}

export const FIXTURE_ROOT = fixturePath('root.pem');
