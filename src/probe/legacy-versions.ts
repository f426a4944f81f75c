/**
 * TLS 1.0 and 1.1 as nginx's OpenSSL 3.0 handles them, whatever OpenSSL the Node running the probe bundles.
 *
 * OpenSSL 3.0 at a security level above 0 still offers TLS 1.0 and 1.1 when they are enabled
 * (`proxy_ssl_protocols TLSv1 TLSv1.1 ...`), reads the server's choice of them, and fails on the first legacy
 * signature it must check: the ServerKeyExchange of an (EC)DHE suite, signed with MD5-SHA1 or SHA-1 before TLS
 * 1.2 (`legacy sigalg disallowed or unsupported`, measured with nginx 1.22.1 and OpenSSL 3.0). OpenSSL 3.5,
 * bundled by the Node 22 and 24 releases measured (22.23.5, 24.22.3), offers neither version above level 0: the
 * server sees another ClientHello and answers otherwise (alert 70, or a TLS 1.0 ServerHello the client refuses
 * with `unsupported protocol`). Both decisions here are pure; probe.ts does the handshake they ask for.
 */
import type { ClientHello, ServerHello } from './handshake-messages.js';
import { ProtocolVersion } from './handshake-messages.js';
import type { ProbeObservation, ProbeParams, TlsProtocol } from './types.js';
import { ephemeralSecurityBits, LEVEL_MIN_BITS } from '../nginx/client-model.js';

const LEGACY: [TlsProtocol, number][] = [
  ['TLSv1', ProtocolVersion.tls10],
  ['TLSv1.1', ProtocolVersion.tls11],
];

/**
 * Whether this handshake failed because the runtime's OpenSSL left out TLS versions nginx's OpenSSL 3.0 offers:
 * the ClientHello's supported_versions lacks one nginx offers, or (a ClientHello without supported_versions, whose
 * minimum is not on the wire) the client refused the server's choice of one of them as `unsupported protocol`.
 */
export function legacyVersionsDropped(
  params: ProbeParams,
  observation: ProbeObservation,
  hello: { client?: ClientHello; server?: ServerHello },
): boolean {
  if (params.client === undefined) return false; // the observer already runs at security level 0
  if (observation.outcome !== 'alert' && observation.outcome !== 'tls-error') return false;
  const wanted = LEGACY.filter(([name]) => observation.offeredProtocols.includes(name)).map(([, wire]) => wire);
  if (wanted.length === 0 || hello.client === undefined) return false;
  const offered = hello.client.supportedVersions;
  if (offered !== null) return wanted.some((v) => !offered.includes(v));
  return observation.error?.opensslReason === 'unsupported protocol' && hello.server !== undefined && wanted.includes(hello.server.version);
}

/** The same client configuration at security level 0, where every OpenSSL offers TLS 1.0 and 1.1. */
export function atLevelZero(params: ProbeParams, timeoutMs: number): ProbeParams {
  return { ...params, timeoutMs, client: { ...params.client!, cipherString: `${params.client!.cipherString}:@SECLEVEL=0` } };
}

/** A key exchange whose parameters the server signs (ServerKeyExchange): ECDHE or DHE, not plain RSA or PSK. */
function signedKeyExchange(cipher: string | undefined): boolean {
  return cipher !== undefined && /^(ECDHE|DHE|EDH)-(RSA|ECDSA|DSS)-/.test(cipher);
}

/**
 * What OpenSSL 3.0 at nginx's security level makes of the server, given what the level-0 handshake saw (`seen`).
 * The server chose TLS 1.2 or later: the first handshake's result stands (undefined). It chose TLS 1.0 or 1.1 with a
 * signed key exchange: 3.0 fails after the Certificate message, at the ServerKeyExchange signature. With plain RSA key
 * exchange no legacy signature is checked in the handshake: 3.0 completes it as the level-0 handshake did. `seclevel`:
 * nginx's security level (a DHE group below it fails first, `dh key too small`).
 */
export function asOpenSsl30(seen: ProbeObservation, runtimeOpenSsl: string, seclevel: number): ProbeObservation | undefined {
  if (seen.protocol !== 'TLSv1' && seen.protocol !== 'TLSv1.1') return undefined;
  // The ServerKeyExchange was read when the handshake completed or a CertificateRequest (sent after it) came.
  const keyExchangeRead = seen.outcome === 'handshake' || seen.clientCertRequested;
  if (!signedKeyExchange(seen.cipher) || !keyExchangeRead) return seen;
  // tls_process_ske_dhe() checks the DH group against the level (SSL_SECOP_TMP_DH) before the signature.
  const weakDh = seen.ephemeralKey?.type === 'DH' && ephemeralSecurityBits(seen.ephemeralKey) < (LEVEL_MIN_BITS[seclevel] ?? 0);
  const [hex, reason] = weakDh ? ['0A00018A', 'dh key too small'] : ['0A00014D', 'legacy sigalg disallowed or unsupported'];
  const { alert: _alert, response: _response, ephemeralKey: _key, ...rest } = seen;
  return {
    ...rest,
    outcome: 'tls-error',
    // What 3.0 reads before the ServerKeyExchange: the Certificate message; a CertificateRequest comes after it.
    clientCertRequested: false,
    acceptableCaNames: [],
    clientCertSent: false,
    error: {
      code: `ERR_SSL_${reason.toUpperCase().replaceAll(' ', '_')}`,
      message:
        `error:${hex}:SSL routines::${reason}: as OpenSSL 3.0 ends this ${seen.protocol} handshake (this Node's OpenSSL ` +
        `${runtimeOpenSsl} offers no TLS 1.0 or 1.1 above security level 0; the server was seen at level 0)`,
      opensslReason: reason,
    },
  };
}
