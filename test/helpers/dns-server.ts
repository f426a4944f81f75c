/**
 * A minimal authoritative DNS server on 127.0.0.1 (UDP) for tests: answers A and AAAA queries for a fixed zone
 * (RFC 1035 §4.1 message format), NXDOMAIN for any other name, an empty answer for other types. It never forwards:
 * no test query leaves the machine. Every question it receives is recorded, so a test can assert that none was
 * asked (an IP literal resolves nothing).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, what `--resolver` takes. */
  address: string;
  port: number;
  /** `name TYPE` of every question received, in order. */
  questions: string[];
  close(): Promise<void>;
}

/** name (lower case, no trailing dot) → addresses (IPv4 and IPv6 literals). */
export type TestZone = Record<string, string[]>;

const TYPE_A = 1;
const TYPE_AAAA = 28;

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i];
    if (len > 63) throw new Error('compressed or bad label in a question');
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, k) => b.writeUInt16BE(parseInt(g || '0', 16), k * 2));
  return b;
}

function rdata(address: string): Buffer {
  return isIPv6(address) ? ipv6Bytes(address) : Buffer.from(address.split('.').map(Number));
}

function answer(query: Buffer, zone: TestZone, questions: string[]): Buffer | null {
  if (query.length < 12) return null;
  const { name, end } = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  questions.push(`${name} ${qtype === TYPE_A ? 'A' : qtype === TYPE_AAAA ? 'AAAA' : qtype}`);
  const known = Object.prototype.hasOwnProperty.call(zone, name);
  const records = known ? zone[name].filter((a) => (qtype === TYPE_AAAA ? isIPv6(a) : qtype === TYPE_A ? !isIPv6(a) : false)) : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for names outside the zone.
  header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const question = query.subarray(12, end + 4);
  const answers = records.map((a) => {
    const data = rdata(a);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

export async function startDnsServer(zone: TestZone): Promise<TestDnsServer> {
  const socket: Socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let reply: Buffer | null = null;
    try {
      reply = answer(msg, zone, questions);
    } catch {
      reply = null;
    }
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    questions,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
