/**
 * nginx's version-dependent defaults for upstream TLS: the protocols `proxy_ssl_protocols` (and grpc_/uwsgi_/stream
 * proxy_ssl_protocols) merge to, `NGX_SSL_DEFAULT_PROTOCOLS`. The history and its sources are rows of
 * DEFAULT_PROTOCOL_ROWS in version-behaviour.ts (1.9.1 drops SSLv3, 1.23.4 adds TLSv1.3, 1.27.3 drops TLSv1/1.1).
 */
import { behaviourOf } from './version-behaviour.js';
import type { TlsProtocolName } from './version-number.js';

export {
  compareVersions,
  NginxVersionError,
  parseNginxVersion,
  TLS_PROTOCOL_NAMES,
  type NginxVersion,
  type TlsProtocolName,
} from './version-number.js';
import { TLS_PROTOCOL_NAMES } from './version-number.js';

export function defaultUpstreamProtocols(nginxVersion: string): TlsProtocolName[] {
  return [...behaviourOf(nginxVersion).defaultProtocols];
}

/** Canonical protocol name for a `*_ssl_protocols` argument (nginx compares case-insensitively), or null. */
export function canonicalProtocol(arg: string): TlsProtocolName | null {
  return TLS_PROTOCOL_NAMES.find((p) => p.toLowerCase() === arg.toLowerCase()) ?? null;
}
