/**
 * One catalogue of causes for the libssl reasons and TLS alerts an upstream handshake can end with, shared by
 * `explain` (which ranks them from a log line) and `probe` (whose what-if handshakes pick one): the two commands
 * never disagree on the same line. Log levels per reason are not here: they depend on the nginx version and live in
 * version-behaviour.ts (ngx_ssl_connection_error()'s list).
 *
 * Reasons are OpenSSL 3.0's texts (ERR_reason_error_string), alerts RFC 8446 §6.2 numbers.
 */
import type { FindingCode } from '../diagnosis/codes.js';
import type { LogEventKind } from './explain.js';

export interface HandshakeCauses {
  kind: LogEventKind;
  /** Most likely first. */
  causes: FindingCode[];
}

/** libssl reasons (not alerts) to a kind and ranked causes. */
export const REASON_CAUSES: Readonly<Record<string, HandshakeCauses>> = {
  'wrong version number': { kind: 'NOT_TLS', causes: ['NOT_TLS'] },
  'packet length too long': { kind: 'NOT_TLS', causes: ['NOT_TLS'] },
  'unsupported protocol': { kind: 'PROTOCOL_VERSION', causes: ['PROTOCOL_MISMATCH'] },
  'no protocols available': { kind: 'PROTOCOL_VERSION', causes: ['PROTOCOL_MISMATCH'] },
  'version too low': { kind: 'PROTOCOL_VERSION', causes: ['PROTOCOL_MISMATCH'] },
  // A TLS 1.0-only upstream under OpenSSL 3 at security level >= 1 (NGINX.md: logged at [crit]).
  'legacy sigalg disallowed or unsupported': { kind: 'PROTOCOL_VERSION', causes: ['PROTOCOL_MISMATCH'] },
  'no shared cipher': { kind: 'SSL_ERROR', causes: ['CIPHER_MISMATCH', 'PROTOCOL_MISMATCH'] },
  'no ciphers available': { kind: 'SSL_ERROR', causes: ['CIPHER_MISMATCH', 'PROTOCOL_MISMATCH'] },
  'no shared group': { kind: 'SSL_ERROR', causes: ['WEAK_EPHEMERAL_KEY', 'PROTOCOL_MISMATCH'] },
  'no suitable signature algorithm': { kind: 'SSL_ERROR', causes: ['PROTOCOL_MISMATCH'] },
  // tls_process_ske_dhe / tls_process_ske_ecdhe: the server's ephemeral key is under the security level.
  'dh key too small': { kind: 'SSL_ERROR', causes: ['WEAK_EPHEMERAL_KEY'] },
  'bad ecpoint': { kind: 'SSL_ERROR', causes: ['WEAK_EPHEMERAL_KEY', 'HANDSHAKE_FAILED'] },
  'ee key too small': { kind: 'SSL_ERROR', causes: ['WEAK_KEY'] },
  'ca key too small': { kind: 'SSL_ERROR', causes: ['WEAK_KEY'] },
  'ca md too weak': { kind: 'SSL_ERROR', causes: ['WEAK_SIGNATURE'] },
  // The Certificate message is over the client's max_cert_list (SSL_CTX_set_max_cert_list, 100 KiB by default).
  'excessive message size': { kind: 'SSL_ERROR', causes: ['CERT_LIST_TOO_LARGE'] },
  'unexpected eof while reading': { kind: 'SSL_ERROR', causes: ['HANDSHAKE_FAILED', 'SNI_REQUIRED'] },
};

/** Causes of an alert received from the upstream; `inHandshake`: during SSL_do_handshake (not a later read). */
export function alertCauses(alert: number, inHandshake: boolean): HandshakeCauses {
  switch (alert) {
    case 40:
      // sslv3 alert handshake failure: with TLS 1.2 what a server sends when it requires a client certificate
      // and gets none (NGINX.md); also no shared cipher or group, and some servers without a name they know.
      return {
        kind: 'HANDSHAKE_FAILURE_ALERT',
        causes: inHandshake ? ['CLIENT_CERT_REQUIRED', 'CIPHER_MISMATCH', 'PROTOCOL_MISMATCH', 'SNI_REQUIRED', 'HANDSHAKE_FAILED'] : ['HANDSHAKE_FAILED'],
      };
    case 116:
      return { kind: 'CERTIFICATE_REQUIRED_ALERT', causes: ['CLIENT_CERT_REQUIRED'] };
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 48:
    case 49:
      return { kind: 'CLIENT_CERT_REJECTED_ALERT', causes: ['CLIENT_CERT_REJECTED'] };
    case 70:
    case 71:
      return { kind: 'PROTOCOL_VERSION', causes: ['PROTOCOL_MISMATCH'] };
    case 112:
      // unrecognized_name: nginx's `ssl_reject_handshake on`, and ingresses/CDNs that serve nothing without SNI.
      return { kind: 'UNRECOGNIZED_NAME_ALERT', causes: ['SNI_REQUIRED'] };
    default:
      return { kind: 'TLS_ALERT', causes: ['HANDSHAKE_FAILED'] };
  }
}

/** The causes of a reason text, case-insensitive; undefined for a reason the catalogue does not know. */
export function reasonCauses(reason: string): HandshakeCauses | undefined {
  return REASON_CAUSES[reason.toLowerCase()];
}
