/**
 * nginx's defaults for upstream TLS, and what depends on the nginx version.
 * Sources: nginx docs for ngx_http_proxy_module (proxy_ssl_*); what changes with the version is in
 * version-behaviour.ts.
 */
import type { TlsProtocol } from '../probe/types.js';
import { defaultUpstreamProtocols } from './nginx-version.js';
import { DEFAULT_MODELLED_VERSION } from './version-behaviour.js';

/**
 * The version modelled when `--nginx-version` is not given and no nginx is installed here: the current stable
 * release (version-behaviour.ts says why 1.30.4).
 */
export const DEFAULT_NGINX_VERSION = DEFAULT_MODELLED_VERSION;

/** Debian/Ubuntu build OpenSSL with security level 2 as the default (`DEFAULT` cipher string). */
export const DEFAULT_OPENSSL_SECLEVEL = 2;

export interface NginxSettings {
  /** `proxy_ssl_name`: the name checked against the certificate (default `$proxy_host`). */
  proxySslName: string;
  /** `proxy_ssl_server_name`: send SNI (= proxy_ssl_name) or not (default off). */
  proxySslServerName: boolean;
  /** `proxy_ssl_verify_depth` (default 1). */
  proxySslVerifyDepth: number;
  /** `proxy_ssl_protocols` (default depends on the nginx version). */
  proxySslProtocols: TlsProtocol[];
  /** `proxy_ssl_certificate` / `proxy_ssl_certificate_key` given (paths, for display). */
  proxySslCertificate?: string;
  proxySslCertificateKey?: string;
  nginxVersion: string;
  /** Where nginxVersion came from (`--nginx-version`, `/usr/sbin/nginx -v`, `default`), for the report. */
  nginxVersionSource?: string;
  opensslSeclevel: number;
  /** `proxy_ssl_ciphers` (default "DEFAULT"; `@SECLEVEL=N` in it sets the level). */
  proxySslCiphers?: string;
  /** `proxy_ssl_conf_command` lines, in order (applied after every other directive). */
  proxySslConfCommands?: { name: string; value: string }[];
}

export function parseVersion(v: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}


/** nginx's default proxy_ssl_protocols for a version (src/nginx/nginx-version.ts has the history and sources). */
export function defaultProtocols(nginxVersion: string): TlsProtocol[] {
  return defaultUpstreamProtocols(nginxVersion).filter((p): p is TlsProtocol => p.startsWith('TLS'));
}

/** `proxy_ssl_name` defaults to `$proxy_host`: the host of proxy_pass, port stripped, IPv6 in brackets. */
export function proxyHostOf(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function defaultSettings(host: string, nginxVersion = DEFAULT_NGINX_VERSION): NginxSettings {
  return {
    proxySslName: proxyHostOf(host),
    proxySslServerName: false,
    proxySslVerifyDepth: 1,
    proxySslProtocols: defaultProtocols(nginxVersion),
    nginxVersion,
    opensslSeclevel: DEFAULT_OPENSSL_SECLEVEL,
  };
}

export const ALL_PROTOCOLS: TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The SNI nginx sends: proxy_ssl_name when proxy_ssl_server_name is on, never an IP literal. */
export function sniFor(settings: NginxSettings): string | undefined {
  if (!settings.proxySslServerName) return undefined;
  const name = settings.proxySslName;
  if (isIpLiteral(name)) return undefined;
  return name;
}

export function isIpLiteral(name: string): boolean {
  const n = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(n) || (n.includes(':') && /^[0-9a-fA-F:.]+$/.test(n));
}
