/**
 * Reading TLS 1.3 protected records with the secrets OpenSSL hands us through the `keylog` event (NSS key
 * log format). TLS 1.3 encrypts everything after the ServerHello — EncryptedExtensions, CertificateRequest,
 * Certificate, and alerts — so this is the only way to see the Certificate message exactly as sent.
 *
 * RFC 8446 §7.1 (HKDF-Expand-Label), §7.3 (traffic keys), §5.2-5.3 (record protection and per-record nonce),
 * §5.4 (inner content type and padding), §7.2 (KeyUpdate).
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import type { TlsRecord } from './tls-records.js';

type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface Tls13CipherSuite {
  code: number;
  hash: 'sha256' | 'sha384';
  hashLength: number;
  keyLength: number;
  algorithm: AeadAlgorithm;
}

/** The suites OpenSSL offers by default (TLS_AES_128_CCM_* are not enabled by default, so never negotiated). */
const SUITES: Record<number, Tls13CipherSuite> = {
  0x1301: { code: 0x1301, hash: 'sha256', hashLength: 32, keyLength: 16, algorithm: 'aes-128-gcm' },
  0x1302: { code: 0x1302, hash: 'sha384', hashLength: 48, keyLength: 32, algorithm: 'aes-256-gcm' },
  0x1303: { code: 0x1303, hash: 'sha256', hashLength: 32, keyLength: 32, algorithm: 'chacha20-poly1305' },
};

export function tls13CipherSuite(code: number): Tls13CipherSuite | undefined {
  return SUITES[code];
}

/** HKDF-Expand (RFC 5869 §2.3). node:crypto's hkdf always runs Extract first, so Expand is written out. */
export function hkdfExpand(hash: string, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  let total = 0;
  for (let i = 1; total < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Buffer.from([i])).digest();
    blocks.push(prev);
    total += prev.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 §7.1): HkdfLabel = length(2) || "tls13 " + label (vec8) || context (vec8). */
export function hkdfExpandLabel(
  hash: string,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([context.length]),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 8446 §7.3: write_key = HKDF-Expand-Label(secret, "key", "", key_length); write_iv = ...("iv", "", 12). */
export function deriveTrafficKeys(suite: Tls13CipherSuite, secret: Uint8Array): { key: Buffer; iv: Buffer } {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', empty, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', empty, 12),
  };
}

export interface InnerPlaintext {
  /** The real content type (RFC 8446 §5.2 TLSInnerPlaintext.type). */
  type: number;
  content: Uint8Array;
}

/** Decrypts one direction's records under one traffic secret, tracking the 64-bit record sequence number. */
export class Tls13RecordDecrypter {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(
    private readonly suite: Tls13CipherSuite,
    readonly secret: Uint8Array,
  ) {
    ({ key: this.key, iv: this.iv } = deriveTrafficKeys(suite, secret));
  }

  /**
   * Returns the inner plaintext, or null when the record does not authenticate under this key (wrong epoch,
   * corrupted data). The sequence number advances only on success.
   */
  decrypt(record: TlsRecord): InnerPlaintext | null {
    const tagLength = 16;
    if (record.fragment.length < tagLength + 1) return null;
    // RFC 8446 §5.3: nonce = write_iv XOR (64-bit sequence number, left-padded with zeros to iv length).
    const nonce = Buffer.from(this.iv);
    let seq = this.seq;
    for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
      nonce[i] ^= Number(seq & 0xffn);
      seq >>= 8n;
    }
    const ciphertext = record.fragment.subarray(0, record.fragment.length - tagLength);
    const tag = record.fragment.subarray(record.fragment.length - tagLength);
    let plain: Buffer;
    try {
      const options = { authTagLength: tagLength };
      const decipher =
        this.suite.algorithm === 'chacha20-poly1305'
          ? createDecipheriv('chacha20-poly1305', this.key, nonce, options)
          : createDecipheriv(this.suite.algorithm, this.key, nonce, options);
      // RFC 8446 §5.2: additional_data = the record header. (plaintextLength only matters to CCM.)
      decipher.setAAD(record.header, { plaintextLength: ciphertext.length });
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      return null;
    }
    this.seq++;
    // RFC 8446 §5.4: strip zero padding; the last non-zero byte is the content type.
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0) return null;
    return { type: plain[end], content: plain.subarray(0, end) };
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
  next(): Tls13RecordDecrypter {
    return new Tls13RecordDecrypter(
      this.suite,
      hkdfExpandLabel(this.suite.hash, this.secret, 'traffic upd', new Uint8Array(0), this.suite.hashLength),
    );
  }
}

export interface KeylogEntry {
  label: string;
  /** ClientHello.random, lowercase hex. */
  clientRandom: string;
  secret: Buffer;
}

/** One NSS key log line: `<LABEL> <client_random hex> <secret hex>` (what Node's `keylog` event emits). */
export function parseKeylogLine(line: string | Uint8Array): KeylogEntry | undefined {
  const text = typeof line === 'string' ? line : Buffer.from(line).toString('latin1');
  const m = /^([A-Z0-9_]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]+)\s*$/.exec(text);
  if (!m) return undefined;
  return { label: m[1], clientRandom: m[2].toLowerCase(), secret: Buffer.from(m[3], 'hex') };
}
