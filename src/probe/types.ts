/**
 * What a probe observed on the wire. The probe observes; it does not judge (STYLE.md): trust is decided
 * later from this data, so the same engine serves live probes and offline files.
 */

import type { LookupFunction } from 'node:net';

export type TlsProtocol = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ProbeParams {
  host: string; // hostname, IPv4 or IPv6 literal (no brackets)
  port: number;
  /** SNI to send; undefined = no SNI extension at all (nginx default `proxy_ssl_server_name off`). */
  servername?: string;
  /** Protocol versions to offer, as nginx's `proxy_ssl_protocols`. */
  protocols: TlsProtocol[];
  /** Client certificate and key (PEM) for mTLS, as `proxy_ssl_certificate` / `proxy_ssl_certificate_key`. */
  clientCert?: { cert: string; key: string };
  /** Bounds connect + handshake + the first read. */
  timeoutMs: number;
  /**
   * The OpenSSL client configuration beyond protocols (nginx's proxy_ssl_ciphers, its security level and the
   * proxy_ssl_conf_command lines that change a handshake). Absent: `DEFAULT:@SECLEVEL=0`, the permissive observer.
   */
  client?: ClientTls;
  /**
   * After a completed handshake, send this HTTP request and read the status line of the answer, as nginx
   * reads the response header: post-handshake rejections (a required client certificate) show there.
   */
  request?: { path: string; host: string; waitMs: number };
  /** Resolves `host` instead of DNS (net.connect's `lookup`): lets a caller connect to the address it checked. */
  lookup?: LookupFunction;
}

/** What tls.createSecureContext gets, named as OpenSSL's SSL_CONF commands (SSL_CONF_cmd) call them. */
export interface ClientTls {
  /** `CipherString`: the TLS <= 1.2 cipher list, `@SECLEVEL=N` included. */
  cipherString: string;
  /** `Ciphersuites`: the TLS 1.3 suites; absent = OpenSSL's default. */
  ciphersuites?: string;
  /** `Groups` (= `Curves`); absent = OpenSSL's default list. */
  groups?: string;
  /** `SignatureAlgorithms`; absent = OpenSSL's default. */
  sigalgs?: string;
  /** Names of SSL_OP_* options (node's crypto.constants) set by `Options`, on top of the protocol options. */
  options?: string[];
}

/** The answer to the request sent after the handshake (ProbeParams.request). */
export interface ProbeResponse {
  /** `HTTP/1.1 400 Bad Request`, printable ASCII, at most 200 characters; null when none came. */
  statusLine: string | null;
  status: number | null;
  /** Why there is no status line: the peer closed, the wait ran out, or the answer is not HTTP. */
  missing?: 'closed' | 'timeout' | 'not-http';
}

export type ProbeOutcome =
  | 'handshake' // TLS handshake completed (the certificate may still be bad: judged later)
  | 'refused' // TCP RST on connect
  | 'timeout' // no TCP connection or no complete TLS answer within timeoutMs
  | 'dns' // name did not resolve
  | 'not-tls' // the peer answered with something that is not TLS (e.g. plain HTTP)
  | 'alert' // the peer sent a TLS alert (handshake failure, certificate required, protocol version...)
  | 'tls-error' // local OpenSSL error (no shared protocol/cipher, ...)
  | 'closed' // the peer closed the connection mid-handshake without an alert
  | 'network-error'; // any other socket error (EHOSTUNREACH, ECONNRESET before any byte ...)

export interface ProbeObservation {
  host: string;
  port: number;
  /** The IP address actually connected to, when TCP connected. */
  address?: string;
  /** SNI actually sent (null: none). */
  sni: string | null;
  offeredProtocols: TlsProtocol[];
  outcome: ProbeOutcome;
  /** Negotiated protocol and cipher, when the ServerHello was seen. */
  protocol?: TlsProtocol;
  cipher?: string;
  /** Certificates exactly as the server sent them in its Certificate message, in order, DER. */
  sentChain: Uint8Array[];
  /** The server sent a CertificateRequest. */
  clientCertRequested: boolean;
  /** Distinguished names from the CertificateRequest's certificate_authorities, one-line form. */
  acceptableCaNames: string[];
  /** A client certificate was sent. */
  clientCertSent: boolean;
  /** TLS alert received from the peer (description number, e.g. 40, 48, 70, 116) and when it came. */
  alert?: { description: number; name: string; during: 'handshake' | 'first-read' };
  /** Local error details: Node/OpenSSL error code and message (e.g. ERR_SSL_WRONG_VERSION_NUMBER). */
  error?: { code: string; message: string; opensslReason?: string };
  /** First bytes the peer sent when they were not TLS (printable ASCII only, for evidence). */
  nonTlsPreview?: string;
  /** The server's ephemeral key exchange (node's getEphemeralKeyInfo), when the handshake completed with one. */
  ephemeralKey?: { type: 'DH' | 'ECDH'; name?: string; bits: number };
  /** Body length announced by the server's Certificate message header (seen even when the client stopped reading). */
  certificateMessageBytes?: number;
  /** The request sent after the handshake and what came back (ProbeParams.request). */
  request?: { path: string; host: string };
  response?: ProbeResponse;
  timings: { connectMs?: number; handshakeMs?: number; totalMs: number };
}
