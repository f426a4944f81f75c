/**
 * Handshake messages (RFC 5246 §7.4, RFC 8446 §4): reassembly from record fragments and the few parsers the
 * probe needs. A message may span several records and one record may carry several messages
 * (RFC 8446 §5.1), so records are fed to `HandshakeReassembler`, which yields whole messages.
 */
import { ByteReader, MalformedWireError } from './byte-reader.js';
import { ByteQueue } from './byte-queue.js';

export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
  certificateStatus: 22,
  keyUpdate: 24,
  compressedCertificate: 25,
} as const;

export const ExtensionType = {
  serverName: 0,
  supportedVersions: 43,
  certificateAuthorities: 47,
} as const;

export const ProtocolVersion = { tls10: 0x0301, tls11: 0x0302, tls12: 0x0303, tls13: 0x0304 } as const;

export interface HandshakeMessage {
  type: number;
  /** The message body without its 4-byte header. */
  body: Uint8Array;
}

export class HandshakeReassembler {
  private readonly pending = new ByteQueue();
  /**
   * The length each message type's first header announced, even when the body never arrives whole: a peer's
   * Certificate message over OpenSSL's max_cert_list makes the client stop reading mid-message.
   */
  readonly announced = new Map<number, number>();

  /** `maxMessage` bounds what a hostile peer can make us buffer for one message. */
  constructor(private readonly maxMessage: number) {}

  push(fragment: Uint8Array): HandshakeMessage[] {
    const q = this.pending;
    q.push(fragment);
    const out: HandshakeMessage[] = [];
    while (q.length >= 4) {
      const type = q.at(0);
      const length = (q.at(1) << 16) | (q.at(2) << 8) | q.at(3);
      if (!this.announced.has(type)) this.announced.set(type, length);
      if (length > this.maxMessage) {
        throw new MalformedWireError(`handshake message type ${type} claims ${length} bytes (limit ${this.maxMessage})`);
      }
      if (q.length < 4 + length) break;
      q.take(4);
      out.push({ type, body: q.take(length) });
    }
    return out;
  }

  /** True when a message has started but not finished: keys may change only at a message boundary (RFC 8446 §5.1). */
  get midMessage(): boolean {
    return this.pending.length > 0;
  }
}

export interface Extension {
  type: number;
  data: Uint8Array;
}

function readExtensions(r: ByteReader): Extension[] {
  // Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2: "may be absent").
  if (r.remaining === 0) return [];
  const block = new ByteReader(r.vec16());
  const out: Extension[] = [];
  while (block.remaining > 0) out.push({ type: block.u16(), data: block.vec16() });
  return out;
}

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  cipherSuites: number[];
  /** host_name from the server_name extension (RFC 6066 §3); null when the extension is absent. */
  serverName: string | null;
  /** supported_versions (RFC 8446 §4.2.1); null when absent (a client whose maximum is TLS 1.2 or lower). */
  supportedVersions: number[] | null;
  extensionTypes: number[];
}

export function parseClientHello(body: Uint8Array): ClientHello {
  const r = new ByteReader(body);
  const legacyVersion = r.u16();
  const random = r.bytesView(32).slice();
  r.vec8(); // legacy_session_id
  const suites = new ByteReader(r.vec16());
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  r.vec8(); // legacy_compression_methods
  const extensions = readExtensions(r);
  let serverName: string | null = null;
  let supportedVersions: number[] | null = null;
  for (const ext of extensions) {
    if (ext.type === ExtensionType.serverName) {
      const list = new ByteReader(new ByteReader(ext.data).vec16());
      while (list.remaining > 0) {
        const nameType = list.u8();
        const name = list.vec16();
        if (nameType === 0 && serverName === null) serverName = Buffer.from(name).toString('latin1');
      }
    } else if (ext.type === ExtensionType.supportedVersions) {
      const list = new ByteReader(new ByteReader(ext.data).vec8());
      supportedVersions = [];
      while (list.remaining > 0) supportedVersions.push(list.u16());
    }
  }
  return { legacyVersion, random, cipherSuites, serverName, supportedVersions, extensionTypes: extensions.map((e) => e.type) };
}

/** SHA-256("HelloRetryRequest"): the ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export interface ServerHello {
  legacyVersion: number;
  /** The negotiated version: supported_versions' selected_version when present (RFC 8446 §4.2.1), else legacy_version. */
  version: number;
  random: Uint8Array;
  cipherSuite: number;
  helloRetryRequest: boolean;
}

export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body);
  const legacyVersion = r.u16();
  const random = r.bytesView(32).slice();
  r.vec8(); // legacy_session_id_echo
  const cipherSuite = r.u16();
  r.u8(); // legacy_compression_method
  let version = legacyVersion;
  for (const ext of readExtensions(r)) {
    if (ext.type === ExtensionType.supportedVersions) version = new ByteReader(ext.data).u16();
  }
  return { legacyVersion, version, random, cipherSuite, helloRetryRequest: Buffer.from(random).equals(HRR_RANDOM) };
}

export interface CertificateMessage {
  /** TLS 1.3 certificate_request_context (empty in a server's handshake Certificate). */
  requestContext?: Uint8Array;
  /** cert_data of each entry, DER, in the order sent. */
  certificates: Uint8Array[];
  /** TLS 1.3 per-entry extensions (status_request, signed_certificate_timestamp...): types only. */
  entryExtensionTypes?: number[][];
}

/** RFC 5246 §7.4.2 (`ASN.1Cert certificate_list<0..2^24-1>`) or RFC 8446 §4.4.2 (context + CertificateEntry list). */
export function parseCertificate(body: Uint8Array, tls13: boolean): CertificateMessage {
  const r = new ByteReader(body);
  const requestContext = tls13 ? r.vec8().slice() : undefined;
  const list = new ByteReader(r.vec24());
  const certificates: Uint8Array[] = [];
  const entryExtensionTypes: number[][] = [];
  while (list.remaining > 0) {
    certificates.push(list.vec24().slice());
    if (tls13) {
      const exts = new ByteReader(list.vec16());
      const types: number[] = [];
      while (exts.remaining > 0) {
        types.push(exts.u16());
        exts.vec16();
      }
      entryExtensionTypes.push(types);
    }
  }
  return tls13 ? { requestContext, certificates, entryExtensionTypes } : { certificates };
}

export interface CertificateRequestMessage {
  requestContext?: Uint8Array;
  /** DER-encoded DistinguishedNames (X.501 Name), in the order sent. */
  certificateAuthorities: Uint8Array[];
}

function readDistinguishedNames(vec: Uint8Array): Uint8Array[] {
  const r = new ByteReader(vec);
  const out: Uint8Array[] = [];
  while (r.remaining > 0) out.push(r.vec16().slice());
  return out;
}

/**
 * TLS 1.0/1.1 (RFC 4346 §7.4.4): certificate_types, certificate_authorities.
 * TLS 1.2 (RFC 5246 §7.4.4): certificate_types, supported_signature_algorithms, certificate_authorities.
 * TLS 1.3 (RFC 8446 §4.3.2): certificate_request_context, extensions; the names are in the
 * certificate_authorities extension (§4.2.4).
 */
export function parseCertificateRequest(body: Uint8Array, version: number): CertificateRequestMessage {
  const r = new ByteReader(body);
  if (version >= ProtocolVersion.tls13) {
    const requestContext = r.vec8().slice();
    let certificateAuthorities: Uint8Array[] = [];
    for (const ext of readExtensions(r)) {
      if (ext.type === ExtensionType.certificateAuthorities) {
        certificateAuthorities = readDistinguishedNames(new ByteReader(ext.data).vec16());
      }
    }
    return { requestContext, certificateAuthorities };
  }
  r.vec8(); // certificate_types
  if (version === ProtocolVersion.tls12) r.vec16(); // supported_signature_algorithms
  return { certificateAuthorities: readDistinguishedNames(r.vec16()) };
}

/** RFC 8446 §4.3.1: `Extension extensions<0..2^16-1>`. */
export function parseEncryptedExtensions(body: Uint8Array): Extension[] {
  return readExtensions(new ByteReader(body));
}
