/**
 * Decodes both directions of a TLS connection from the raw bytes, as they were sent, independently of
 * OpenSSL: the ClientHello we sent (SNI, versions), the ServerHello, the server's Certificate and
 * CertificateRequest messages exactly as transmitted, and alerts. TLS 1.2 and earlier send those handshake
 * messages in the clear until ChangeCipherSpec (RFC 5246 §7.4); TLS 1.3 encrypts everything after the
 * ServerHello (RFC 8446 §2), so protected records are queued until the keylog secrets arrive and then
 * decrypted (tls13-decrypt.ts).
 *
 * Bytes are pushed as they arrive (`pushServer`, `pushClient`), before OpenSSL sees them, so whatever came
 * before a failure is decoded even when the handshake then fails.
 */
import { MalformedWireError } from './byte-reader.js';
import {
  HandshakeReassembler,
  HandshakeType,
  ProtocolVersion,
  parseCertificate,
  parseCertificateRequest,
  parseClientHello,
  parseEncryptedExtensions,
  parseServerHello,
  type ClientHello,
  type HandshakeMessage,
  type ServerHello,
} from './handshake-messages.js';
import { parseKeylogLine, tls13CipherSuite, Tls13RecordDecrypter, type InnerPlaintext } from './tls13-decrypt.js';
import { ContentType, RecordReader, type TlsRecord } from './tls-records.js';

export type KeyEpoch = 'plaintext' | 'handshake' | 'application';

export interface AlertSeen {
  level: number;
  description: number;
  /** Under which keys it came: plaintext, TLS 1.3 handshake keys, or TLS 1.3 application keys. */
  epoch: KeyEpoch;
}

export interface TranscriptLimits {
  /** Certificates kept from the server's Certificate message; the total is still counted. */
  maxCertificates: number;
  /** Largest single handshake message accepted (a hostile length field must not make us buffer 16 MiB). */
  maxMessageBytes: number;
}

type Side = 'server' | 'client';

class Direction {
  readonly records = new RecordReader();
  readonly handshake: HandshakeReassembler;
  /** none: plaintext handshake; tls12: after ChangeCipherSpec (unreadable); tls13: protected records we decrypt. */
  protection: 'none' | 'tls12' | 'tls13' = 'none';
  epoch: 'handshake' | 'application' = 'handshake';
  decrypter?: Tls13RecordDecrypter;
  readonly waiting: TlsRecord[] = [];
  /** Set when this direction can no longer be followed (malformed data, undecryptable record). */
  stopped = false;

  constructor(
    readonly side: Side,
    maxMessageBytes: number,
  ) {
    this.handshake = new HandshakeReassembler(maxMessageBytes);
  }
}

const SECRET_LABELS: Record<Side, Record<'handshake' | 'application', string>> = {
  server: { handshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', application: 'SERVER_TRAFFIC_SECRET_0' },
  client: { handshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', application: 'CLIENT_TRAFFIC_SECRET_0' },
};

export class WireTranscript {
  /** The first ClientHello we sent (a second one after HelloRetryRequest carries the same SNI). */
  clientHello?: ClientHello;
  /** The ServerHello that fixed the version and suite (not a HelloRetryRequest). */
  serverHello?: ServerHello;
  helloRetryRequest = false;
  /** The server's Certificate message arrived (possibly with an empty list). */
  certificateMessageSeen = false;
  /** DER certificates in the order sent, at most `maxCertificates`. */
  readonly certificates: Uint8Array[] = [];
  /** How many certificates the Certificate message held. */
  certificateCount = 0;
  certificateRequested = false;
  /** DER Names from the CertificateRequest (certificate_authorities). */
  acceptableCaNames: Uint8Array[] = [];
  /** From our own Certificate message: true when it held a certificate, false when empty, undefined when not seen. */
  clientCertificateSent?: boolean;
  readonly serverAlerts: AlertSeen[] = [];
  readonly clientAlerts: AlertSeen[] = [];
  /** TLS 1.3: the server's Finished was decrypted (its later records use application keys). */
  serverFinished = false;
  /** Post-handshake signs of acceptance (TLS 1.3, decrypted): NewSessionTicket, application data. */
  newSessionTicket = false;
  applicationData = false;
  /** Why part of the transcript could not be decoded. */
  readonly problems: string[] = [];

  private readonly server: Direction;
  private readonly client: Direction;
  private readonly secrets = new Map<string, Buffer>();

  constructor(private readonly limits: TranscriptLimits) {
    this.server = new Direction('server', limits.maxMessageBytes);
    this.client = new Direction('client', limits.maxMessageBytes);
  }

  /** 'not-tls' when the server's very first bytes are not a TLS record. */
  get serverStreamState(): RecordReader['state'] {
    return this.server.records.state;
  }

  /** The server's first bytes (up to 64), evidence for a non-TLS peer. */
  get serverHead(): number[] {
    return this.server.records.head;
  }

  get serverBytes(): number {
    return this.server.records.bytesSeen;
  }

  /** Body length the server's (first) Certificate message announced in its header, whether or not it arrived whole. */
  get serverCertificateMessageBytes(): number | undefined {
    return this.server.handshake.announced.get(HandshakeType.certificate);
  }

  get tls13(): boolean {
    return this.serverHello?.version === ProtocolVersion.tls13;
  }

  pushServer(chunk: Uint8Array): void {
    this.push(this.server, chunk);
  }

  pushClient(chunk: Uint8Array): void {
    this.push(this.client, chunk);
  }

  /** A line from the TLS socket's `keylog` event. */
  addKeylog(line: string | Uint8Array): void {
    const entry = parseKeylogLine(line);
    if (!entry) return;
    if (this.clientHello && Buffer.from(this.clientHello.random).toString('hex') !== entry.clientRandom) {
      this.problems.push(`keylog line ${entry.label} is for another ClientHello.random: ignored`);
      return;
    }
    this.secrets.set(entry.label, entry.secret);
    this.drain(this.server);
    this.drain(this.client);
  }

  private push(dir: Direction, chunk: Uint8Array): void {
    const before = dir.records.state;
    const records = dir.records.push(chunk); // always: it counts bytes and keeps the stream's first bytes
    if (dir.stopped) return;
    if (before === 'ok' && dir.records.state === 'malformed') {
      this.problems.push(`${dir.side}: bytes after the last whole record are not a TLS record header`);
    }
    for (const record of records) {
      if (dir.stopped) break;
      try {
        this.onRecord(dir, record);
      } catch (err) {
        this.stop(dir, err);
      }
    }
  }

  private stop(dir: Direction, err: unknown): void {
    const why = err instanceof MalformedWireError ? err.message : String(err);
    this.problems.push(`${dir.side}: ${why}`);
    dir.stopped = true;
    dir.waiting.length = 0;
  }

  private onRecord(dir: Direction, record: TlsRecord): void {
    switch (record.type) {
      case ContentType.changeCipherSpec:
        // TLS 1.3 peers may send a dummy ChangeCipherSpec for middlebox compatibility (RFC 8446 §5,
        // Appendix D.4), also right after a HelloRetryRequest, before any real ServerHello; only once a
        // TLS 1.2-or-lower ServerHello fixed the version does it switch the sender to encryption (RFC 5246 §7.1).
        if (dir.protection === 'none' && this.serverHello && !this.tls13) dir.protection = 'tls12';
        return;
      case ContentType.alert:
        // A TLS 1.2 alert after ChangeCipherSpec is encrypted (longer than 2 bytes): only OpenSSL can read it.
        if (dir.protection !== 'tls12' && record.fragment.length === 2) {
          this.onAlert(dir, record.fragment, 'plaintext');
        }
        return;
      case ContentType.handshake:
        if (dir.protection === 'tls12') return; // the encrypted Finished
        this.onHandshakeFragment(dir, record.fragment, 'plaintext');
        return;
      case ContentType.applicationData:
        if (dir.protection === 'tls13') {
          dir.waiting.push(record);
          this.drain(dir);
        }
        return;
      default:
        return; // heartbeat: ignored
    }
  }

  private onAlert(dir: Direction, body: Uint8Array, epoch: KeyEpoch): void {
    if (body.length < 2) throw new MalformedWireError('alert shorter than 2 bytes');
    const alert = { level: body[0], description: body[1], epoch };
    (dir.side === 'server' ? this.serverAlerts : this.clientAlerts).push(alert);
  }

  /** Returns what the messages ask for at the end of the record: a key change. */
  private onHandshakeFragment(dir: Direction, fragment: Uint8Array, epoch: KeyEpoch): 'finished' | 'key-update' | undefined {
    let change: 'finished' | 'key-update' | undefined;
    for (const msg of dir.handshake.push(fragment)) {
      const c = dir.side === 'server' ? this.onServerMessage(msg, epoch) : this.onClientMessage(msg, epoch);
      change = c ?? change;
    }
    return change;
  }

  private onServerMessage(msg: HandshakeMessage, epoch: KeyEpoch): 'finished' | 'key-update' | undefined {
    switch (msg.type) {
      case HandshakeType.serverHello: {
        const hello = parseServerHello(msg.body);
        if (hello.helloRetryRequest) {
          this.helloRetryRequest = true;
          return undefined;
        }
        this.serverHello = hello;
        if (hello.version === ProtocolVersion.tls13) {
          // Everything after the ServerHello is protected, in both directions (RFC 8446 §2).
          this.server.protection = 'tls13';
          this.client.protection = 'tls13';
        }
        return undefined;
      }
      case HandshakeType.certificate: {
        if (this.certificateMessageSeen) return undefined; // only the initial handshake's
        const cert = parseCertificate(msg.body, this.tls13);
        this.certificateMessageSeen = true;
        this.certificateCount = cert.certificates.length;
        this.certificates.push(...cert.certificates.slice(0, this.limits.maxCertificates));
        return undefined;
      }
      case HandshakeType.certificateRequest: {
        const version = this.serverHello?.version ?? ProtocolVersion.tls12;
        const req = parseCertificateRequest(msg.body, version);
        this.certificateRequested = true;
        this.acceptableCaNames = req.certificateAuthorities;
        return undefined;
      }
      case HandshakeType.encryptedExtensions:
        parseEncryptedExtensions(msg.body); // validates the structure; nothing in it is reported
        return undefined;
      case HandshakeType.finished:
        if (epoch === 'handshake') {
          this.serverFinished = true;
          return 'finished';
        }
        return undefined;
      case HandshakeType.newSessionTicket:
        if (epoch === 'application') this.newSessionTicket = true;
        return undefined;
      case HandshakeType.keyUpdate:
        return epoch === 'application' ? 'key-update' : undefined;
      default:
        return undefined;
    }
  }

  private onClientMessage(msg: HandshakeMessage, epoch: KeyEpoch): 'finished' | 'key-update' | undefined {
    switch (msg.type) {
      case HandshakeType.clientHello:
        this.clientHello ??= parseClientHello(msg.body);
        return undefined;
      case HandshakeType.certificate:
        this.clientCertificateSent = parseCertificate(msg.body, this.tls13).certificates.length > 0;
        return undefined;
      case HandshakeType.finished:
        return epoch === 'handshake' ? 'finished' : undefined;
      case HandshakeType.keyUpdate:
        return epoch === 'application' ? 'key-update' : undefined;
      default:
        return undefined;
    }
  }

  private decrypterFor(dir: Direction, epoch: 'handshake' | 'application'): Tls13RecordDecrypter | undefined {
    const secret = this.secrets.get(SECRET_LABELS[dir.side][epoch]);
    const code = this.serverHello?.cipherSuite;
    if (!secret || code === undefined) return undefined;
    const suite = tls13CipherSuite(code);
    if (!suite) throw new MalformedWireError(`cannot decrypt TLS 1.3 cipher suite 0x${code.toString(16)}`);
    return new Tls13RecordDecrypter(suite, secret);
  }

  private drain(dir: Direction): void {
    try {
      while (!dir.stopped && dir.waiting.length > 0) {
        dir.decrypter ??= this.decrypterFor(dir, dir.epoch);
        if (!dir.decrypter) return; // wait for the keylog line
        const record = dir.waiting[0];
        let inner: InnerPlaintext | null = dir.decrypter.decrypt(record);
        if (!inner && dir.epoch === 'handshake' && !dir.handshake.midMessage) {
          // The Finished may have been missed (e.g. undecodable); the peer's next epoch is the only other option.
          const app = this.decrypterFor(dir, 'application');
          inner = app?.decrypt(record) ?? null;
          if (inner && app) {
            dir.epoch = 'application';
            dir.decrypter = app;
          }
        }
        if (!inner) throw new MalformedWireError(`record ${dir.epoch} epoch does not decrypt`);
        dir.waiting.shift();
        const change = this.onInner(dir, inner);
        if (change === 'finished') {
          dir.epoch = 'application';
          dir.decrypter = undefined;
        } else if (change === 'key-update') {
          dir.decrypter = dir.decrypter.next();
        }
      }
    } catch (err) {
      this.stop(dir, err);
    }
  }

  private onInner(dir: Direction, inner: InnerPlaintext): 'finished' | 'key-update' | undefined {
    switch (inner.type) {
      case ContentType.handshake:
        return this.onHandshakeFragment(dir, inner.content, dir.epoch);
      case ContentType.alert:
        this.onAlert(dir, inner.content, dir.epoch);
        return undefined;
      case ContentType.applicationData:
        if (dir.side === 'server') this.applicationData = true;
        return undefined;
      default:
        return undefined;
    }
  }
}
