/**
 * The probe: one TLS connection the way nginx's upstream client makes it, recording what the server sent.
 * It observes and never judges (STYLE.md §3): no verification during the handshake, weak servers allowed
 * to finish, every failure classified rather than thrown.
 *
 * How the wire is captured: we connect the TCP socket ourselves and give `tls.connect` a Duplex that tees
 * every byte in both directions into a WireTranscript, which decodes the records independently of OpenSSL
 * (TLS 1.3 with the secrets from the `keylog` event). `getPeerCertificate(true)` is not used: it rebuilds
 * the chain from the local store and returns nothing when the handshake fails (NGINX.md, Node.js pitfalls).
 */
import { constants, createHash } from 'node:crypto';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { cipherSuiteName } from './cipher-suites.js';
import { classifyOutcome, type SocketError } from './classify-outcome.js';
import { formatDistinguishedName } from './dn-string.js';
import { ProtocolVersion } from './handshake-messages.js';
import { asOpenSsl30, atLevelZero, legacyVersionsDropped } from './legacy-versions.js';
import { seclevelOf } from '../nginx/client-model.js';
import { DEFAULT_OPENSSL_SECLEVEL } from '../nginx/defaults.js';
import type { ProbeObservation, ProbeParams, ProbeResponse, TlsProtocol } from './types.js';
import { WireTranscript } from './wire-transcript.js';
import { monotonicMs } from './monotonic-ms.js';

export interface ProbeLimits {
  maxServerBytes: number;
  maxCertificates: number;
  firstReadGraceMs: number;
}

export const PROBE_LIMITS: ProbeLimits = {
  /** Bytes accepted from the server before the connection is cut off and classified. */
  maxServerBytes: 1024 * 1024,
  /** Certificates recorded from one Certificate message; the rest are counted and reported in `error`. */
  maxCertificates: 100,
  /** Least time to wait after a TLS 1.3 handshake for the server's verdict on the client certificate. */
  firstReadGraceMs: 300,
};

/** Highest first, the order of OpenSSL's tls_version_table. */
const VERSIONS: { name: TlsProtocol; wire: number; disable: number }[] = [
  { name: 'TLSv1.3', wire: ProtocolVersion.tls13, disable: constants.SSL_OP_NO_TLSv1_3 },
  { name: 'TLSv1.2', wire: ProtocolVersion.tls12, disable: constants.SSL_OP_NO_TLSv1_2 },
  { name: 'TLSv1.1', wire: ProtocolVersion.tls11, disable: constants.SSL_OP_NO_TLSv1_1 },
  { name: 'TLSv1', wire: ProtocolVersion.tls10, disable: constants.SSL_OP_NO_TLSv1 },
];

/**
 * What OpenSSL's client offers for a set of enabled versions. nginx's `proxy_ssl_protocols` disables the
 * unlisted versions with SSL_OP_NO_* options (ngx_ssl_create), and we do the same, so a list with holes
 * behaves as in nginx: ssl_get_min_max_version (ssl/statem/statem_lib.c) walks the versions from the
 * highest and restarts at every hole, so the *lowest* contiguous run wins. `TLSv1 TLSv1.2` offers only TLSv1.
 */
export function offeredRange(protocols: readonly TlsProtocol[]): TlsProtocol[] {
  let run: TlsProtocol[] = [];
  let hole = true;
  for (const v of VERSIONS) {
    if (!protocols.includes(v.name)) hole = true;
    else if (hole) {
      run = [v.name];
      hole = false;
    } else run.push(v.name);
  }
  return run.reverse();
}

function protocolName(wire: number | undefined): TlsProtocol | undefined {
  return VERSIONS.find((v) => v.wire === wire)?.name;
}

/** A Duplex over the TCP socket that reports every byte read and written before passing it on. */
function teeSocket(raw: net.Socket, onServer: (b: Buffer) => void, onClient: (b: Buffer) => void): Duplex {
  const duplex = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      onClient(chunk);
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end();
      callback();
    },
    destroy(err, callback) {
      callback(err); // the probe closes `raw` itself when it finishes (closeRaw)
    },
  });
  raw.on('data', (chunk: Buffer) => {
    onServer(chunk);
    if (!duplex.push(chunk)) raw.pause();
  });
  raw.on('end', () => duplex.push(null));
  duplex.on('error', () => {}); // surfaced through the TLS socket and the raw socket's own 'error'
  return duplex;
}

/**
 * Close without waiting for the peer. Bytes still queued in user space (our Finished, an alert) get a short
 * moment to leave; a socket still connecting, or a peer that stopped reading, is destroyed outright so the
 * probe never keeps the process alive.
 */
function closeRaw(raw: net.Socket): void {
  if (raw.connecting || raw.writableLength === 0) {
    raw.destroy();
    return;
  }
  raw.destroySoon();
  setTimeout(() => raw.destroy(), 200).unref();
}

/** node's getEphemeralKeyInfo() (SSL_get_peer_tmp_key): `{ type: 'DH', size }` or `{ type: 'ECDH', name, size }`; `{}` for RSA key exchange. */
function ephemeralKeyOf(socket: tls.TLSSocket): ProbeObservation['ephemeralKey'] {
  const info = socket.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
  if (!info || (info.type !== 'DH' && info.type !== 'ECDH') || typeof info.size !== 'number') return undefined;
  return { type: info.type, ...(info.name ? { name: info.name } : {}), bits: info.size };
}

/** The request line and headers nginx's proxy module sends by default for `GET path` (no body). */
function requestText(r: { path: string; host: string }): string {
  // The CLI checks both; control characters are dropped here too so no caller can split the request.
  const clean = (t: string) => t.replace(/[\x00-\x20\x7f]/g, '');
  return `GET ${clean(r.path) || '/'} HTTP/1.0\r\nHost: ${clean(r.host)}\r\nConnection: close\r\nUser-Agent: tlsdoctor\r\n\r\n`;
}

/** The first line of the answer, bounded: a hostile server cannot make us buffer more than MAX_HEAD bytes. */
class ResponseHead {
  static readonly MAX_HEAD = 8192;
  private bytes = Buffer.alloc(0);
  timedOut = false;

  /** True once the status line is complete (or the bound is reached). */
  push(chunk: Buffer): boolean {
    if (this.bytes.length < ResponseHead.MAX_HEAD) this.bytes = Buffer.concat([this.bytes, chunk]).subarray(0, ResponseHead.MAX_HEAD);
    return this.bytes.includes(0x0a) || this.bytes.length >= ResponseHead.MAX_HEAD;
  }

  result(peerClosed: boolean): ProbeResponse {
    const end = this.bytes.indexOf(0x0a);
    if (end < 0) return { statusLine: null, status: null, missing: this.bytes.length > 0 ? 'not-http' : this.timedOut || !peerClosed ? 'timeout' : 'closed' };
    const line = printableLine(this.bytes.subarray(0, end));
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(line);
    return m ? { statusLine: line, status: Number(m[1]) } : { statusLine: line, status: null, missing: 'not-http' };
  }
}

function printableLine(b: Buffer): string {
  return [...b.subarray(0, 200)].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0x0d ? '' : '.')).join('');
}

const ms = (from: number, to: number) => Math.round((to - from) * 100) / 100;

/** The only error `probe` rejects with: the caller's client certificate or key cannot be used. */
export class ProbeSetupError extends Error {
  readonly code = 'BAD_CLIENT_CERT';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ProbeSetupError';
  }
}

/**
 * The OpenSSL client configuration, built before any connection so that a bad client certificate is the
 * caller's error, not an observation about the server.
 */
function clientContext(params: ProbeParams): tls.SecureContext {
  // One context per configuration, reused across probes (`check` runs thousands): building one per call costs
  // CPU and native memory that is only freed at the next GC. Reuse never resumes a session: Node's client
  // contexts keep no internal session cache (SSL_SESS_CACHE_NO_INTERNAL), and a resumed handshake would hide
  // the Certificate message we are here to record.
  const key = `${params.protocols.join(',')}\u0000${JSON.stringify(params.client ?? null)}\u0000${params.clientCert ? createHash('sha256').update(params.clientCert.cert).update('\u0000').update(params.clientCert.key).digest('hex') : ''}`;
  const cached = CONTEXTS.get(key);
  if (cached) return cached;
  const context = buildClientContext(params);
  if (CONTEXTS.size >= MAX_CONTEXTS) CONTEXTS.delete(CONTEXTS.keys().next().value as string);
  CONTEXTS.set(key, context);
  return context;
}

/**
 * OpenSSL 3.0's default supported_groups (ssl/t1_lib.c supported_groups_default, without the GOST curves of an engine
 * nginx does not load), in its order: with it, Node 20's and Node 24's ClientHellos offer the same groups and key share.
 */
export const OPENSSL30_DEFAULT_GROUPS = 'X25519:P-256:X448:P-521:P-384:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192';

/** The permissive observer's cipher list: every DEFAULT suite at security level 0. */
export const OBSERVER_CIPHERS = 'DEFAULT:@SECLEVEL=0';

const CONTEXTS = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 32;

function buildClientContext(params: ProbeParams): tls.SecureContext {
  const secureOptions =
    VERSIONS.filter((v) => !params.protocols.includes(v.name)).reduce((o, v) => o | v.disable, 0) |
    (params.client?.options ?? []).reduce((o, name) => {
      const bit = (constants as unknown as Record<string, unknown>)[name];
      return typeof bit === 'number' ? o | bit : o;
    }, 0);
  try {
    return tls.createSecureContext({
      // Full version range, narrowed with SSL_OP_NO_* exactly as nginx does (see offeredRange).
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.3',
      secureOptions,
      // Without a client model: security level 0 so weak servers still complete the handshake and can be
      // observed; the engine judges the security level later. With one (nginx's proxy_ssl_ciphers, its level,
      // its conf commands), the handshake fails where nginx's does: `dh key too small`, `legacy sigalg ...`.
      // node:tls takes the TLS 1.3 suites in the same string and splits on the TLS_ prefix (processCiphers).
      ciphers: [params.client?.cipherString ?? OBSERVER_CIPHERS, ...(params.client?.ciphersuites ? [params.client.ciphersuites] : [])].join(':'),
      // nginx's Groups, else OpenSSL 3.0's default list: OpenSSL 3.5 (Node 22.23.5, 24.22.3) offers another by default,
      // led by the hybrid X25519MLKEM768 with a second key share, which nginx with OpenSSL 3.0 never offers.
      ...(params.client ? { ecdhCurve: params.client.groups ?? OPENSSL30_DEFAULT_GROUPS } : {}),
      ...(params.client?.sigalgs !== undefined ? { sigalgs: params.client.sigalgs } : {}),
      // No trust store: nothing is verified here, and loading the bundled roots costs start-up time.
      ca: [],
      ...(params.clientCert ? { cert: params.clientCert.cert, key: params.clientCert.key } : {}),
    });
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    throw new ProbeSetupError(`client certificate or key unusable: ${reason}`, { cause: err });
  }
}

/**
 * Connects and reports what happened: once, or twice when this Node's OpenSSL would not offer the TLS 1.0/1.1 that
 * nginx's OpenSSL 3.0 offers (legacy-versions.ts). Every network or TLS failure is an outcome in the observation;
 * the promise rejects only with ProbeSetupError (unusable `clientCert`).
 */
export async function probe(params: ProbeParams): Promise<ProbeObservation> {
  const { observation, transcript } = await probeWithTranscript(params);
  if (!legacyVersionsDropped(params, observation, { client: transcript.clientHello, server: transcript.serverHello })) return observation;
  // This Node's OpenSSL left out TLS 1.0/1.1 that nginx's OpenSSL 3.0 offers: see the server at level 0 and end the
  // handshake where 3.0 would (legacy-versions.ts). Within what is left of the same deadline.
  const left = params.timeoutMs - observation.timings.totalMs;
  if (left < LEGACY_RETRY_MIN_MS) return observation;
  const seen = (await probeWithTranscript(atLevelZero(params, Math.round(left)))).observation;
  const as30 = asOpenSsl30(seen, process.versions.openssl, seclevelOf(params.client!.cipherString, DEFAULT_OPENSSL_SECLEVEL));
  return as30 ? { ...as30, timings: { ...as30.timings, totalMs: observation.timings.totalMs + as30.timings.totalMs } } : observation;
}

/** Below this much time left, a first handshake's result is reported as it is. */
const LEGACY_RETRY_MIN_MS = 100;

/**
 * `probe` plus the decoded wire transcript (the ClientHello we sent, every alert, decode problems): for
 * tests and debugging. `limits` exists so tests can exercise the caps without a hostile server.
 */
export function probeWithTranscript(
  params: ProbeParams,
  limits: ProbeLimits = PROBE_LIMITS,
): Promise<{ observation: ProbeObservation; transcript: WireTranscript }> {
  let secureContext: tls.SecureContext;
  try {
    secureContext = clientContext(params);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve) => {
    const t0 = monotonicMs();
    const transcript = new WireTranscript({
      maxCertificates: limits.maxCertificates,
      maxMessageBytes: limits.maxServerBytes,
    });
    let lookupAt: number | undefined;
    let connectAt: number | undefined;
    let secureAt: number | undefined;
    let address: string | undefined;
    let tcpError: SocketError | undefined;
    let tlsError: SocketError | undefined;
    let deadlineHit = false;
    let captureLimitHit = false;
    let peerClosed = false;
    let waitingFirstRead = false;
    let settling = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let tlsSocket: tls.TLSSocket | undefined;
    let ephemeralKey: ProbeObservation['ephemeralKey'];
    const answer = new ResponseHead();
    let awaitingResponse = false;
    let responseTimer: NodeJS.Timeout | undefined;

    // One deadline for DNS + TCP + handshake + first read (ProbeParams.timeoutMs).
    const deadline = setTimeout(() => {
      deadlineHit = true;
      settle();
    }, params.timeoutMs);

    // Resolve once the current burst of events has landed (the OpenSSL error that follows an alert, a
    // keylog line), so classification sees all of it.
    function settle(): void {
      if (settling) return;
      settling = true;
      setImmediate(finish);
    }

    function firstReadVerdictArrived(): boolean {
      return (
        transcript.serverAlerts.some((a) => a.epoch === 'application') ||
        transcript.newSessionTicket ||
        transcript.applicationData
      );
    }

    function onServerBytes(chunk: Buffer): void {
      if (settling) return;
      transcript.pushServer(chunk);
      if (transcript.serverBytes > limits.maxServerBytes) {
        captureLimitHit = true;
        settle();
      } else if (waitingFirstRead && !awaitingResponse && firstReadVerdictArrived()) settle();
    }

    const raw = net.connect({ host: params.host, port: params.port, autoSelectFamily: false, ...(params.lookup ? { lookup: params.lookup } : {}) });
    raw.setNoDelay(true);
    raw.on('lookup', () => {
      lookupAt = monotonicMs();
    });
    raw.on('error', (err: SocketError) => {
      tcpError ??= err;
      settle();
    });
    raw.on('close', () => {
      peerClosed = true;
      settle();
    });
    raw.once('connect', () => {
      connectAt = monotonicMs();
      address = raw.remoteAddress;
      startTls();
    });

    function startTls(): void {
      const duplex = teeSocket(raw, onServerBytes, (chunk) => transcript.pushClient(chunk));
      const socket = tls.connect({
        socket: duplex,
        secureContext,
        // tls.connect never derives SNI from a host (https.request does); with no `host` given and
        // servername undefined, the ClientHello has no server_name extension (nginx's proxy_ssl_server_name off).
        servername: params.servername,
        // Observe, do not judge: accept anything, and make the identity check a no-op.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
        // Node rejects DH groups under 1024 bits after the handshake (ERR_TLS_DH_PARAM_SIZE); judged later.
        minDHSize: 1,
      });
      tlsSocket = socket;
      socket.on('keylog', (line: Buffer) => {
        transcript.addKeylog(line);
        if (waitingFirstRead && !awaitingResponse && firstReadVerdictArrived()) settle();
      });
      socket.on('error', (err: SocketError) => {
        tlsError ??= err;
        settle();
      });
      socket.on('data', (chunk: Buffer) => {
        if (awaitingResponse) {
          if (answer.push(chunk)) settle();
        } else if (waitingFirstRead) settle(); // application data: the server accepted us
      });
      socket.on('close', () => {
        peerClosed = true;
        settle();
      });
      socket.once('secureConnect', () => {
        secureAt = monotonicMs();
        ephemeralKey = ephemeralKeyOf(socket);
        if (params.request && !settling) {
          // One request as nginx sends it (proxy_http_version 1.0 by default, Host = $proxy_host), then the
          // status line: an upstream that checks the client certificate after the handshake answers here.
          awaitingResponse = true;
          socket.write(requestText(params.request));
          const remaining = params.timeoutMs - (monotonicMs() - t0);
          responseTimer = setTimeout(() => {
            answer.timedOut = true;
            settle();
          }, Math.max(0, Math.min(remaining, params.request.waitMs)));
          if (transcript.tls13 && transcript.certificateRequested) waitingFirstRead = true;
          return;
        }
        // TLS 1.3: a required client certificate is judged by the server after our Finished, so its verdict
        // (alert 116/40/48/42, or a NewSessionTicket) comes at the first read (NGINX.md). Only worth waiting
        // for when the server asked for a certificate.
        if (transcript.tls13 && transcript.certificateRequested && !settling) {
          waitingFirstRead = true;
          if (firstReadVerdictArrived()) return settle();
          const tcpRtt = connectAt! - (lookupAt ?? t0);
          const remaining = params.timeoutMs - (monotonicMs() - t0);
          const grace = Math.max(0, Math.min(remaining, Math.max(limits.firstReadGraceMs, 4 * tcpRtt)));
          graceTimer = setTimeout(settle, grace);
        } else settle();
      });
    }

    function finish(): void {
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      clearTimeout(responseTimer);
      tlsSocket?.destroy();
      closeRaw(raw);
      const end = monotonicMs();

      const secureConnected = secureAt !== undefined;
      const result = classifyOutcome({
        tcpConnected: connectAt !== undefined,
        secureConnected,
        waitedForFirstRead: waitingFirstRead,
        // A deadline reached while waiting for the first read is not a timeout: the handshake completed.
        deadlineHit: deadlineHit && !secureConnected,
        captureLimitHit,
        captureLimitBytes: limits.maxServerBytes,
        peerClosed,
        tcpError,
        tlsError,
        serverBytes: transcript.serverBytes,
        notTls: transcript.serverStreamState === 'not-tls',
        serverHead: transcript.serverHead,
        tls13: transcript.tls13,
        serverAlerts: transcript.serverAlerts,
        acceptedAfterHandshake: transcript.newSessionTicket || transcript.applicationData,
      });

      const notices: string[] = [];
      if (transcript.certificateCount > transcript.certificates.length) {
        notices.push(
          `server sent ${transcript.certificateCount} certificates; only the first ${transcript.certificates.length} were recorded`,
        );
      }
      if (secureConnected && !transcript.certificateMessageSeen) {
        notices.push(`the server's Certificate message could not be decoded (${transcript.problems.join('; ') || 'not seen'})`);
      }
      let error = result.error;
      if (notices.length > 0) {
        const code = secureConnected && !transcript.certificateMessageSeen ? 'CHAIN_NOT_CAPTURED' : 'SENT_CHAIN_TRUNCATED';
        error = error
          ? { ...error, message: `${error.message} (also: ${notices.join('; ')})` }
          : { code, message: notices.join('; ') };
      }

      const hello = transcript.serverHello;
      const protocol = hello && protocolName(hello.version); // undefined for SSLv3 or an unknown version
      const observation: ProbeObservation = {
        host: params.host,
        port: params.port,
        ...(address !== undefined ? { address } : {}),
        sni: transcript.clientHello?.serverName ?? null,
        offeredProtocols: offeredRange(params.protocols),
        outcome: result.outcome,
        ...(protocol ? { protocol } : {}),
        ...(hello ? { cipher: cipherSuiteName(hello.cipherSuite) } : {}),
        sentChain: transcript.certificates,
        clientCertRequested: transcript.certificateRequested,
        acceptableCaNames: transcript.acceptableCaNames.map(formatDistinguishedName),
        clientCertSent: transcript.clientCertificateSent ?? false,
        ...(result.alert ? { alert: result.alert } : {}),
        ...(error ? { error } : {}),
        ...(result.nonTlsPreview !== undefined ? { nonTlsPreview: result.nonTlsPreview } : {}),
        ...(ephemeralKey ? { ephemeralKey } : {}),
        ...(transcript.serverCertificateMessageBytes !== undefined ? { certificateMessageBytes: transcript.serverCertificateMessageBytes } : {}),
        ...(params.request ? { request: { path: params.request.path, host: params.request.host } } : {}),
        // A reset or a failed write while waiting is a close too (the peer went away without answering).
        ...(awaitingResponse ? { response: answer.result(peerClosed || tlsError !== undefined || tcpError !== undefined) } : {}),
        timings: {
          ...(connectAt !== undefined ? { connectMs: ms(t0, connectAt) } : {}),
          ...(secureAt !== undefined && connectAt !== undefined ? { handshakeMs: ms(connectAt, secureAt) } : {}),
          totalMs: ms(t0, end),
        },
      };
      resolve({ observation, transcript });
    }
  });
}
