/**
 * nginx version numbers: parsing (`1.22.1`, `nginx/1.22.1` as `nginx -v` prints it) and ordering. The protocol
 * names of `*_ssl_protocols` live here too, being the vocabulary of the version table (version-behaviour.ts).
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
