import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveTrafficKeys,
  hkdfExpandLabel,
  parseKeylogLine,
  tls13CipherSuite,
  Tls13RecordDecrypter,
} from '../../src/probe/tls13-decrypt.js';
import { RFC8448 } from './rfc8448-vectors.js';

const aes128 = tls13CipherSuite(0x1301)!;

function record(bytes: Uint8Array) {
  return { type: bytes[0], version: (bytes[1] << 8) | bytes[2], header: bytes.subarray(0, 5), fragment: bytes.subarray(5) };
}

describe('TLS 1.3 key derivation (RFC 8448 §3 known answers)', () => {
  it('derives the server handshake key and iv', () => {
    const { key, iv } = deriveTrafficKeys(aes128, RFC8448.serverHandshakeTrafficSecret);
    expect(key.toString('hex')).toBe(RFC8448.serverHandshakeKey.toString('hex'));
    expect(iv.toString('hex')).toBe(RFC8448.serverHandshakeIv.toString('hex'));
  });

  it('derives the server application and client handshake keys', () => {
    const app = deriveTrafficKeys(aes128, RFC8448.serverApplicationTrafficSecret);
    expect(app.key.toString('hex')).toBe(RFC8448.serverApplicationKey.toString('hex'));
    expect(app.iv.toString('hex')).toBe(RFC8448.serverApplicationIv.toString('hex'));
    const client = deriveTrafficKeys(aes128, RFC8448.clientHandshakeTrafficSecret);
    expect(client.key.toString('hex')).toBe(RFC8448.clientHandshakeKey.toString('hex'));
    expect(client.iv.toString('hex')).toBe(RFC8448.clientHandshakeIv.toString('hex'));
  });

  it('HKDF-Expand-Label output length follows the requested length (multi-block, SHA-384)', () => {
    const out = hkdfExpandLabel('sha384', Buffer.alloc(48, 1), 'key', new Uint8Array(0), 100);
    expect(out.length).toBe(100);
    expect(out.subarray(0, 32)).not.toEqual(hkdfExpandLabel('sha384', Buffer.alloc(48, 1), 'key', new Uint8Array(0), 32));
  });
});

describe('Tls13RecordDecrypter', () => {
  it('decrypts the RFC 8448 server flight and strips the inner content type', () => {
    const d = new Tls13RecordDecrypter(aes128, RFC8448.serverHandshakeTrafficSecret);
    const inner = d.decrypt(record(RFC8448.encryptedRecord));
    expect(inner).not.toBeNull();
    expect(inner!.type).toBe(22);
    expect(Buffer.from(inner!.content).equals(RFC8448.serverFlight)).toBe(true);
  });

  it('returns null under the wrong key and does not advance the sequence number', () => {
    const wrong = new Tls13RecordDecrypter(aes128, RFC8448.serverApplicationTrafficSecret);
    expect(wrong.decrypt(record(RFC8448.encryptedRecord))).toBeNull();
    const tampered = Buffer.from(RFC8448.encryptedRecord);
    tampered[100] ^= 1;
    const d = new Tls13RecordDecrypter(aes128, RFC8448.serverHandshakeTrafficSecret);
    expect(d.decrypt(record(tampered))).toBeNull();
    expect(d.decrypt(record(RFC8448.encryptedRecord))).not.toBeNull(); // still sequence 0
  });

  it.each([
    [0x1301, 'aes-128-gcm'],
    [0x1302, 'aes-256-gcm'],
    [0x1303, 'chacha20-poly1305'],
  ] as const)('suite %i (%s): per-record nonce = iv XOR sequence, padding stripped', (code, algorithm) => {
    const suite = tls13CipherSuite(code)!;
    const secret = Buffer.alloc(suite.hashLength, 7);
    const { key, iv } = deriveTrafficKeys(suite, secret);
    const d = new Tls13RecordDecrypter(suite, secret);
    for (let seq = 0; seq < 3; seq++) {
      const inner = Buffer.concat([Buffer.from(`message ${seq}`), Buffer.from([21]), Buffer.alloc(seq * 5)]); // type 21 + padding
      const nonce = Buffer.from(iv);
      nonce[11] ^= seq;
      const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
      const c = createCipheriv(algorithm, key, nonce, { authTagLength: 16 } as never) as ReturnType<typeof createCipheriv> & {
        setAAD(b: Buffer, o?: object): void;
        getAuthTag(): Buffer;
      };
      c.setAAD(header, { plaintextLength: inner.length });
      const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
      const out = d.decrypt(record(Buffer.concat([header, body])));
      expect(out?.type).toBe(21);
      expect(Buffer.from(out!.content).toString()).toBe(`message ${seq}`);
    }
  });

  it('KeyUpdate: next() derives "traffic upd" from the current secret', () => {
    const d = new Tls13RecordDecrypter(aes128, RFC8448.serverApplicationTrafficSecret);
    const expected = hkdfExpandLabel('sha256', RFC8448.serverApplicationTrafficSecret, 'traffic upd', new Uint8Array(0), 32);
    expect(Buffer.from(d.next().secret).equals(expected)).toBe(true);
  });
});

describe('parseKeylogLine', () => {
  it('reads NSS key log lines as Node emits them (with trailing newline)', () => {
    const line = `SERVER_HANDSHAKE_TRAFFIC_SECRET ${RFC8448.clientRandom.toUpperCase()} ${RFC8448.serverHandshakeTrafficSecret.toString('hex')}\n`;
    const e = parseKeylogLine(Buffer.from(line));
    expect(e?.label).toBe('SERVER_HANDSHAKE_TRAFFIC_SECRET');
    expect(e?.clientRandom).toBe(RFC8448.clientRandom);
    expect(e?.secret.equals(RFC8448.serverHandshakeTrafficSecret)).toBe(true);
  });

  it('rejects anything else', () => {
    expect(parseKeylogLine('# comment')).toBeUndefined();
    expect(parseKeylogLine('CLIENT_RANDOM abc def')).toBeUndefined();
  });
});
