/**
 * nginx's upstream OpenSSL client, as the probe must reproduce it: the cipher list, the security level, the
 * protocols and the `proxy_ssl_conf_command` lines that change a handshake. Pure data in, data out; the probe
 * (src/probe/probe.ts) turns it into a node:tls context.
 *
 * Order, as ngx_http_proxy_set_ssl() (ngx_http_proxy_module.c) applies it: ngx_ssl_create() (protocols as
 * SSL_OP_NO_*), ngx_ssl_ciphers() (`proxy_ssl_ciphers`, default "DEFAULT"), then ngx_ssl_conf_commands() last, so
 * a conf command overrides a directive. The security level is the build's default (Debian/Ubuntu: 2, from
 * openssl.cnf) unless the cipher string carries `@SECLEVEL=N` (SSL_CTX_set_cipher_list applies the last one).
 * node's bundled OpenSSL defaults to level 1: the level is therefore always written out for the probe.
 */
import type { ClientTls, TlsProtocol } from '../probe/types.js';
import { proxyHostOf, type NginxSettings } from './defaults.js';

/** `proxy_ssl_ciphers` default (ngx_http_proxy_merge_loc_conf: ngx_conf_merge_str_value(..., "DEFAULT")). */
export const NGINX_DEFAULT_CIPHERS = 'DEFAULT';

export interface NginxClient {
  tls: ClientTls;
  /** The security level the handshake runs at. */
  seclevel: number;
  /** Protocols after MinProtocol/MaxProtocol. */
  protocols: TlsProtocol[];
  /** The cipher list as nginx has it (before the level is written out). */
  ciphers: string;
  /** Conf commands (or parts) the probe cannot reproduce with node's OpenSSL: said in the report. */
  unmodelled: string[];
}

const ORDER: TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * `Options` flags (SSL_CONF's cmd_Options, ssl/ssl_conf.c) that change what a client sends or accepts, to the
 * SSL_OP_* name that sets them. Only flags that *set* an option are reproducible (node's secureOptions ORs bits in);
 * the others are reported as unmodelled.
 */
const OPTION_FLAGS: Record<string, string> = {
  UnsafeLegacyServerConnect: 'SSL_OP_LEGACY_SERVER_CONNECT',
  UnsafeLegacyRenegotiation: 'SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION',
  NoRenegotiation: 'SSL_OP_NO_RENEGOTIATION',
  '-SessionTicket': 'SSL_OP_NO_TICKET',
  '-EncryptThenMac': 'SSL_OP_NO_ENCRYPT_THEN_MAC',
  '-Compression': 'SSL_OP_NO_COMPRESSION',
  '-MiddleboxCompat': 'SSL_OP_ENABLE_MIDDLEBOX_COMPAT',
  Bugs: 'SSL_OP_ALL',
};

/** The level SSL_CTX_set_cipher_list leaves: the last `@SECLEVEL=N` in the string, else `fallback`. */
export function seclevelOf(ciphers: string, fallback: number): number {
  const all = [...ciphers.matchAll(/@SECLEVEL=(\d)/gi)];
  return all.length > 0 ? Number(all[all.length - 1][1]) : fallback;
}

/** `MinProtocol`/`MaxProtocol` values (SSL_CONF's protocol_from_string). */
function protocolOf(value: string): TlsProtocol | 'none' | undefined {
  const v = value.trim();
  if (v.toLowerCase() === 'none') return 'none';
  return ORDER.find((p) => p.toLowerCase() === v.toLowerCase());
}

export function nginxClient(settings: NginxSettings): NginxClient {
  let ciphers = settings.proxySslCiphers ?? NGINX_DEFAULT_CIPHERS;
  let protocols = [...settings.proxySslProtocols];
  const tls: Omit<ClientTls, 'cipherString'> = {};
  const options: string[] = [];
  const unmodelled: string[] = [];
  for (const { name, value } of settings.proxySslConfCommands ?? []) {
    switch (name.toLowerCase()) {
      case 'cipherstring':
        ciphers = value;
        break;
      case 'ciphersuites':
        tls.ciphersuites = value;
        break;
      case 'groups':
      case 'curves':
        tls.groups = value;
        break;
      case 'signaturealgorithms':
        tls.sigalgs = value;
        break;
      case 'minprotocol':
      case 'maxprotocol': {
        const p = protocolOf(value);
        if (p === undefined) unmodelled.push(`${name} ${value}`);
        else if (p !== 'none') {
          const i = ORDER.indexOf(p);
          protocols = protocols.filter((x) => (name.toLowerCase() === 'minprotocol' ? ORDER.indexOf(x) >= i : ORDER.indexOf(x) <= i));
        }
        break;
      }
      case 'options':
        for (const flag of value.split(',').map((f) => f.trim()).filter(Boolean)) {
          const op = OPTION_FLAGS[flag];
          if (op) options.push(op);
          else unmodelled.push(`Options ${flag}`);
        }
        break;
      default:
        unmodelled.push(`${name} ${value}`);
    }
  }
  const seclevel = seclevelOf(ciphers, settings.opensslSeclevel);
  const cipherString = /@SECLEVEL=\d/i.test(ciphers) ? ciphers : `${ciphers}:@SECLEVEL=${seclevel}`;
  return {
    tls: { cipherString, ...tls, ...(options.length ? { options } : {}) },
    seclevel,
    protocols,
    ciphers,
    unmodelled,
  };
}

/** `Host` as nginx's proxy module sends it: $proxy_host, the proxy_pass host with the port unless it is 443. */
export function proxyHostHeader(host: string, port: number): string {
  return port === 443 ? proxyHostOf(host) : `${proxyHostOf(host)}:${port}`;
}

/** Least wait for the status line after the request (a run's deadline may leave less). */
export const RESPONSE_WAIT_MS = 3000;

/**
 * Bits of security of an ephemeral key as OpenSSL counts them for the security level (ssl_security_default_callback
 * with SSL_SECOP_TMP_DH; BN_security_bits for finite-field DH, half the curve order size for ECDH).
 */
export function ephemeralSecurityBits(key: { type: 'DH' | 'ECDH'; bits: number }): number {
  if (key.type === 'ECDH') return Math.floor(key.bits / 2);
  const L = key.bits;
  if (L >= 15360) return 256;
  if (L >= 7680) return 192;
  if (L >= 3072) return 128;
  if (L >= 2048) return 112;
  if (L >= 1024) return 80;
  return 0;
}

/** Security bits a level requires (SSL_CTX_set_security_level docs: 0, 80, 112, 128, 192, 256). */
export const LEVEL_MIN_BITS = [0, 80, 112, 128, 192, 256];

/** The smallest finite-field DH group a level accepts, in bits (the inverse of ephemeralSecurityBits). */
export const LEVEL_MIN_DH_BITS = [0, 1024, 2048, 3072, 7680, 15360];
