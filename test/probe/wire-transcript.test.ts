import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WireTranscript } from '../../src/probe/wire-transcript.js';
import { plaintextRecord, RFC8448 } from './rfc8448-vectors.js';

const limits = { maxCertificates: 100, maxMessageBytes: 1 << 20 };
const keylog = (label: string, secret: Buffer, random = RFC8448.clientRandom) =>
  `${label} ${random} ${secret.toString('hex')}\n`;
// The RFC 8448 server Certificate holds one certificate of 0x1b0 bytes starting at this offset of the flight.
const certStart = 4 + 0x24 + 4 + 1 + 3 + 3;
const rfcCert = RFC8448.serverFlight.subarray(certStart, certStart + 0x1b0);

function feed(t: WireTranscript, server: Buffer, chunk: number) {
  for (let i = 0; i < server.length; i += chunk) t.pushServer(server.subarray(i, i + chunk));
}

describe('WireTranscript on the RFC 8448 §3 handshake', () => {
  const serverBytes = Buffer.concat([plaintextRecord(22, RFC8448.serverHello), RFC8448.encryptedRecord]);

  it.each([1, 7, serverBytes.length])('decrypts the server flight when the secret arrives later (chunks of %i)', (chunk) => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    feed(t, serverBytes, chunk);
    expect(t.tls13).toBe(true);
    expect(t.certificateMessageSeen).toBe(false); // still waiting for the key
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret));
    expect(t.problems).toEqual([]);
    expect(t.clientHello?.serverName).toBe('server');
    expect(t.certificateMessageSeen).toBe(true);
    expect(t.certificates.map((c) => Buffer.from(c).toString('hex'))).toEqual([rfcCert.toString('hex')]);
    expect(t.serverFinished).toBe(true);
    expect(t.certificateRequested).toBe(false);
  });

  it('decrypts as records arrive when the secret came first', () => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t.pushServer(plaintextRecord(22, RFC8448.serverHello));
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret));
    t.pushServer(Buffer.from([20, 3, 3, 0, 1, 1])); // middlebox-compatibility ChangeCipherSpec: ignored
    t.pushServer(RFC8448.encryptedRecord);
    expect(t.certificates).toHaveLength(1);
  });

  it('ignores a secret for another ClientHello.random', () => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    feed(t, serverBytes, serverBytes.length);
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret, '00'.repeat(32)));
    expect(t.certificateMessageSeen).toBe(false);
    expect(t.problems.join()).toMatch(/another ClientHello.random/);
  });

  it('reports an undecryptable record instead of throwing', () => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t.pushServer(plaintextRecord(22, RFC8448.serverHello));
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.clientHandshakeTrafficSecret)); // wrong secret
    t.pushServer(RFC8448.encryptedRecord);
    expect(t.certificateMessageSeen).toBe(false);
    expect(t.problems.join()).toMatch(/does not decrypt/);
  });

  it('caps the certificates kept but counts them all', () => {
    const t = new WireTranscript({ maxCertificates: 0, maxMessageBytes: 1 << 20 });
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t.pushServer(serverBytes);
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret));
    expect(t.certificates).toHaveLength(0);
    expect(t.certificateCount).toBe(1);
  });
});

/** A TLS 1.3 protected record (AES-128-GCM) carrying `inner` of content type `type`. */
function protect(key: Buffer, iv: Buffer, seq: number, type: number, inner: number[]): Buffer {
  const plain = Buffer.from([...inner, type]);
  const header = Buffer.from([23, 3, 3, 0, plain.length + 16]);
  const nonce = Buffer.from(iv);
  nonce[11] ^= seq;
  const c = createCipheriv('aes-128-gcm', key, nonce);
  c.setAAD(header);
  return Buffer.concat([header, c.update(plain), c.final(), c.getAuthTag()]);
}

describe('WireTranscript, TLS 1.3 alerts by key epoch', () => {
  it('an alert under the handshake keys (before the server Finished) is a handshake-epoch alert', () => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t.pushServer(plaintextRecord(22, RFC8448.serverHello));
    t.pushServer(protect(RFC8448.serverHandshakeKey, RFC8448.serverHandshakeIv, 0, 21, [2, 40]));
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret));
    expect(t.serverAlerts).toEqual([{ level: 2, description: 40, epoch: 'handshake' }]);
  });

  it('after the server Finished, records use the application keys: alert 116 and NewSessionTicket', () => {
    const t = new WireTranscript(limits);
    t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t.pushServer(Buffer.concat([plaintextRecord(22, RFC8448.serverHello), RFC8448.encryptedRecord]));
    t.pushServer(protect(RFC8448.serverApplicationKey, RFC8448.serverApplicationIv, 0, 22, [4, 0, 0, 0]));
    t.pushServer(protect(RFC8448.serverApplicationKey, RFC8448.serverApplicationIv, 1, 21, [2, 116]));
    t.addKeylog(keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', RFC8448.serverHandshakeTrafficSecret));
    expect(t.serverFinished).toBe(true);
    expect(t.serverAlerts).toEqual([]); // the application secret has not been logged yet
    t.addKeylog(keylog('SERVER_TRAFFIC_SECRET_0', RFC8448.serverApplicationTrafficSecret));
    expect(t.newSessionTicket).toBe(true);
    expect(t.serverAlerts).toEqual([{ level: 2, description: 116, epoch: 'application' }]);
    expect(t.problems).toEqual([]);
  });
});

describe('WireTranscript, plaintext (TLS 1.2) details', () => {
  it('reads a plaintext fatal alert and stops at ChangeCipherSpec', () => {
    const t = new WireTranscript(limits);
    t.pushServer(Buffer.from([21, 3, 3, 0, 2, 2, 40]));
    expect(t.serverAlerts).toEqual([{ level: 2, description: 40, epoch: 'plaintext' }]);
    const t2 = new WireTranscript(limits);
    t2.pushServer(Buffer.from([20, 3, 3, 0, 1, 1, 21, 3, 3, 0, 26, ...Array(26).fill(7)])); // encrypted alert
    expect(t2.serverAlerts).toEqual([]);
  });

  it('flags a non-TLS server', () => {
    const t = new WireTranscript(limits);
    t.pushServer(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    expect(t.serverStreamState).toBe('not-tls');
    expect(Buffer.from(t.serverHead).toString()).toBe('HTTP/1.1 400 Bad Request\r\n');
  });
});
