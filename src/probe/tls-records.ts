/**
 * The TLS record layer as seen on the wire (RFC 5246 §6.2, RFC 8446 §5.1): a stream of
 * `type(1) version(2) length(2) fragment(length)` records. `RecordReader` splits a byte stream that arrives
 * in arbitrary chunks into whole records and decides whether the peer speaks TLS at all.
 */
import { ByteQueue } from './byte-queue.js';

export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  heartbeat: 24,
} as const;

export interface TlsRecord {
  type: number;
  /** legacy_record_version (0x0301..0x0303; always 0x0303 for TLS 1.3 protected records). */
  version: number;
  /** The 5 header bytes: the AAD of a TLS 1.3 protected record (RFC 8446 §5.2). */
  header: Uint8Array;
  fragment: Uint8Array;
}

/**
 * Largest legal record body: TLSCiphertext may exceed 2^14 by 2048 bytes (RFC 5246 §6.2.3); TLS 1.3 allows
 * only 256 (RFC 8446 §5.2) so this bound covers both.
 */
export const MAX_RECORD_BODY = 16384 + 2048;

export type RecordStreamState = 'ok' | 'not-tls' | 'malformed';

export class RecordReader {
  /** 'not-tls': the very first bytes are not a TLS record header; 'malformed': a later header is invalid. */
  state: RecordStreamState = 'ok';
  /** Total bytes pushed, valid or not. */
  bytesSeen = 0;
  /** The first bytes of the stream (up to 64), kept as evidence when the peer does not speak TLS. */
  readonly head: number[] = [];
  private readonly pending = new ByteQueue();
  private recordsSeen = 0;

  push(chunk: Uint8Array): TlsRecord[] {
    this.bytesSeen += chunk.length;
    for (let i = 0; i < chunk.length && this.head.length < 64; i++) this.head.push(chunk[i]);
    if (this.state !== 'ok') return [];
    this.pending.push(chunk);
    const q = this.pending;
    const out: TlsRecord[] = [];
    while (this.state === 'ok') {
      // Judge the first record as soon as its first byte is here: a plain-HTTP peer starts with 'H' (0x48).
      if (this.recordsSeen === 0 && q.length >= 1 && !isContentType(q.at(0))) {
        this.state = 'not-tls';
        break;
      }
      if (q.length < 5) break;
      const type = q.at(0);
      const version = (q.at(1) << 8) | q.at(2);
      const length = (q.at(3) << 8) | q.at(4);
      // OpenSSL's ssl3_get_record rejects a record whose major version is not 3 with "wrong version number",
      // which is what a plain-HTTP answer ("HTTP/1.1 ...") produces.
      if (!isContentType(type) || version >> 8 !== 3 || length > MAX_RECORD_BODY) {
        this.state = this.recordsSeen === 0 ? 'not-tls' : 'malformed';
        break;
      }
      if (q.length < 5 + length) break;
      const header = q.take(5);
      out.push({ type, version, header, fragment: q.take(length) });
      this.recordsSeen++;
    }
    if (this.state !== 'ok') q.clear();
    return out;
  }

  /** Bytes of an unfinished record still waiting for the rest. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

function isContentType(b: number): boolean {
  return b >= ContentType.changeCipherSpec && b <= ContentType.heartbeat;
}

/**
 * Printable evidence of what a non-TLS peer said: printable ASCII kept, CR/LF/TAB as `\r` `\n` `\t`,
 * anything else as `\xNN`.
 */
export function printablePreview(bytes: ArrayLike<number>, max = 64): string {
  let s = '';
  for (let i = 0; i < Math.min(bytes.length, max); i++) {
    const b = bytes[i];
    if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += b === 0x5c ? '\\\\' : String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** AlertDescription names, IANA "TLS Alerts" registry (RFC 8446 §6, RFC 5246 §7.2). */
const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(description: number): string {
  return ALERT_NAMES[description] ?? `unknown_alert_${description}`;
}

/** AlertLevel (RFC 5246 §7.2): 1 warning, 2 fatal. TLS 1.3 treats every alert but close_notify and user_canceled as fatal. */
export const AlertLevel = { warning: 1, fatal: 2 } as const;
