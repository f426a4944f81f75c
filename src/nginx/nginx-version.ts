/**
 * nginx's version-dependent defaults for upstream TLS.
 *
 * `proxy_ssl_protocols` (and grpc_/uwsgi_/stream proxy_ssl_protocols) merge to `NGX_SSL_DEFAULT_PROTOCOLS`:
 * - before 1.9.1: SSLv3 TLSv1 TLSv1.1 TLSv1.2 (1.9.1: "SSLv3 protocol is disabled by default");
 * - 1.9.1 - 1.23.3: TLSv1 TLSv1.1 TLSv1.2 (NGINX.md, measured on 1.22.1: no TLS 1.3 to upstreams);
 * - 1.23.4 - 1.27.2: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 (CHANGES 1.23.4: "now TLSv1.3 protocol is enabled by
 *   default"; TLSv1/TLSv1.1 stay in the list, they only fail later at OpenSSL 3's security level);
 * - 1.27.3 and later: TLSv1.2 TLSv1.3 (CHANGES 1.27.3: "now TLSv1 and TLSv1.1 protocols are disabled by default",
 *   nginx/nginx PR #252; src/event/ngx_event_openssl.h NGX_SSL_DEFAULT_PROTOCOLS).
 */

export type TlsProtocolName = 'SSLv2' | 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export const TLS_PROTOCOL_NAMES: readonly TlsProtocolName[] = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export type NginxVersion = [number, number, number];

export class NginxVersionError extends Error {
  readonly code = 'NGINX_VERSION_INVALID' as const;
  constructor(readonly version: string) {
    super(`not an nginx version: "${version}" (expected X.Y.Z)`);
    this.name = 'NginxVersionError';
  }
}

/** Parses `1.22.1` (also `nginx/1.22.1` as `nginx -v` prints it). */
export function parseNginxVersion(text: string): NginxVersion {
  const m = /^(?:nginx\/)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) throw new NginxVersionError(text);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: NginxVersion, b: NginxVersion): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export function defaultUpstreamProtocols(nginxVersion: string): TlsProtocolName[] {
  const v = parseNginxVersion(nginxVersion);
  if (compareVersions(v, [1, 9, 1]) < 0) return ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2'];
  if (compareVersions(v, [1, 23, 4]) < 0) return ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
  if (compareVersions(v, [1, 27, 3]) < 0) return ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  return ['TLSv1.2', 'TLSv1.3'];
}

/** Canonical protocol name for a `*_ssl_protocols` argument (nginx compares case-insensitively), or null. */
export function canonicalProtocol(arg: string): TlsProtocolName | null {
  return TLS_PROTOCOL_NAMES.find((p) => p.toLowerCase() === arg.toLowerCase()) ?? null;
}
