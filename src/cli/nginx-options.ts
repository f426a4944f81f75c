/**
 * The nginx-modelling options shared by probe, verify and check, and their translation into NginxSettings.
 * Defaults are nginx's own (NGINX.md "Defaults").
 */
import type { Command } from 'commander';
import { ALL_PROTOCOLS, DEFAULT_NGINX_VERSION, DEFAULT_OPENSSL_SECLEVEL, defaultProtocols, parseVersion, proxyHostOf, type NginxSettings } from '../nginx/defaults.js';
import type { TlsProtocol } from '../probe/types.js';
import type { CliIO } from './io.js';
import { coverageWarning } from '../nginx/version-behaviour.js';
import { localNginxVersion } from './local-nginx.js';
import { seclevelOf } from '../nginx/client-model.js';
import { UsageError } from './usage-error.js';

export interface NginxOptionValues {
  proxySslName?: string;
  proxySslServerName?: string;
  proxySslVerifyDepth?: string;
  proxySslProtocols?: string;
  proxySslCertificate?: string;
  proxySslCertificateKey?: string;
  nginxVersion?: string;
  /** Where nginxVersion came from, for the report (set by withLocalNginxVersion). */
  nginxVersionSource?: string;
  opensslSeclevel?: string;
  proxySslCiphers?: string;
  proxySslConfCommand?: string[];
}

/** The nginx version a command models, where it came from, and a warning when the table does not cover it. */
export interface ModelledVersion {
  version: string;
  /** `--nginx-version`, `<binary> -v`, or `default`. */
  source: string;
  warning: string | null;
}

/** `--nginx-version`'s argument checked: any X.Y.Z (exit 2 otherwise). */
export function checkedVersionOption(text: string, option = '--nginx-version'): string {
  if (!parseVersion(text)) throw new UsageError('BAD_VERSION', `${option}: "${text}" is not a version like 1.30.4`);
  return text.trim();
}

/**
 * The one place every command (probe, verify, check, serve, demo, explain) chooses the version it models: the
 * flag; else the nginx installed here (the one that logs the 502 when tlsdoctor runs on the nginx host); else
 * DEFAULT_NGINX_VERSION, the current stable release. `tlsdoctor nginx` adds its own sources (the nginx that
 * printed the configuration, --nginx-build, a version line in a pasted dump) before falling back to this.
 */
export async function resolveModelledVersion(given: string | undefined, env: CliIO['env']): Promise<ModelledVersion> {
  if (given !== undefined) {
    const version = checkedVersionOption(given);
    return { version, source: '--nginx-version', warning: coverageWarning(version) };
  }
  const local = await localNginxVersion(env);
  if (local) return { version: local.version, source: `${local.binary} -v`, warning: coverageWarning(local.version) };
  return { version: DEFAULT_NGINX_VERSION, source: 'default', warning: null };
}

/**
 * Without --nginx-version, model the nginx installed here, else DEFAULT_NGINX_VERSION (resolveModelledVersion).
 * A version outside the modelled range is announced through `warn`.
 */
export async function withLocalNginxVersion<T extends NginxOptionValues>(o: T, env: CliIO['env'], warn?: (message: string) => void): Promise<T> {
  const m = await resolveModelledVersion(o.nginxVersion, env);
  if (m.warning && warn) warn(m.warning);
  return { ...o, nginxVersion: m.version, nginxVersionSource: m.source };
}

export function addNginxOptions(cmd: Command, withClientCert = true): Command {
  cmd
    .option('--proxy-ssl-name <name>', 'name checked against the certificate, as proxy_ssl_name (default: the target host, as $proxy_host)')
    .option('--proxy-ssl-server-name <on|off>', 'send SNI (= proxy_ssl_name), as proxy_ssl_server_name', 'off')
    .option('--proxy-ssl-verify-depth <n>', 'intermediates allowed, as proxy_ssl_verify_depth', '1')
    .option('--proxy-ssl-protocols <list>', 'protocols offered, as proxy_ssl_protocols (default: nginx\'s for --nginx-version)')
    .option('--nginx-version <x.y.z>', `nginx version to model, 1.18.0 to 1.31.x (defaults, verify result, log levels) (default: the local nginx's, from nginx -v, else ${DEFAULT_NGINX_VERSION})`)
    .option('--openssl-seclevel <n>', 'OpenSSL security level of nginx\'s build (Debian/Ubuntu: 2)', String(DEFAULT_OPENSSL_SECLEVEL))
    .option('--proxy-ssl-ciphers <list>', 'cipher list, as proxy_ssl_ciphers (default DEFAULT; @SECLEVEL=N sets the level)')
    .option('--proxy-ssl-conf-command <name value>', 'as proxy_ssl_conf_command, repeatable (CipherString, Ciphersuites, Groups, SignatureAlgorithms, MinProtocol, MaxProtocol, Options)', collectConfCommand, []);
  if (withClientCert) {
    cmd
      .option('--proxy-ssl-certificate <file>', 'client certificate nginx presents, as proxy_ssl_certificate')
      .option('--proxy-ssl-certificate-key <file>', 'its key, as proxy_ssl_certificate_key (read, never printed)');
  }
  return cmd;
}

function collectConfCommand(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `Name value` as proxy_ssl_conf_command takes it (two arguments; here one string split at the first space). */
function parseConfCommands(list: string[] | undefined): { name: string; value: string }[] {
  return (list ?? []).map((text) => {
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s+(\S.*?)\s*$/.exec(text);
    if (!m) throw new UsageError('BAD_CONF_COMMAND', `--proxy-ssl-conf-command: "${text}" is not "Name value" (e.g. "Groups X25519:P-256")`);
    return { name: m[1], value: m[2] };
  });
}

function parseCiphers(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '' || /[\s\x00-\x1f]/.test(text.trim())) throw new UsageError('BAD_CIPHERS', `--proxy-ssl-ciphers: "${text}" is not an OpenSSL cipher list (no spaces)`);
  return text.trim();
}

function parseProtocols(text: string): TlsProtocol[] {
  const out: TlsProtocol[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    const p = ALL_PROTOCOLS.find((x) => x.toLowerCase() === word.toLowerCase());
    if (!p) throw new UsageError('BAD_PROTOCOL', `--proxy-ssl-protocols: unknown protocol "${word}" (use TLSv1 TLSv1.1 TLSv1.2 TLSv1.3)`);
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw new UsageError('BAD_PROTOCOL', '--proxy-ssl-protocols: empty list');
  return out;
}

function parseOnOff(text: string, option: string): boolean {
  const t = text.toLowerCase();
  if (t === 'on') return true;
  if (t === 'off') return false;
  throw new UsageError('BAD_ON_OFF', `${option}: expected on or off, got "${text}"`);
}

function parseInteger(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError('BAD_NUMBER', `${option}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError('BAD_NUMBER', `${option}: ${n} is out of range ${min}..${max}`);
  return n;
}

export function settingsFromOptions(v: NginxOptionValues, targetHost: string | undefined): NginxSettings {
  const nginxVersion = checkedVersionOption(v.nginxVersion ?? DEFAULT_NGINX_VERSION);
  const name = v.proxySslName ?? (targetHost !== undefined ? proxyHostOf(targetHost) : undefined);
  if (name === undefined || name === '') throw new UsageError('MISSING_NAME', '--proxy-ssl-name: required when there is no target host');
  if (v.proxySslCertificate && !v.proxySslCertificateKey) {
    throw new UsageError('MISSING_KEY', '--proxy-ssl-certificate needs --proxy-ssl-certificate-key');
  }
  if (v.proxySslCertificateKey && !v.proxySslCertificate) {
    throw new UsageError('MISSING_CERT', '--proxy-ssl-certificate-key needs --proxy-ssl-certificate');
  }
  const ciphers = parseCiphers(v.proxySslCiphers);
  const confCommands = parseConfCommands(v.proxySslConfCommand);
  return {
    proxySslName: name,
    proxySslServerName: parseOnOff(v.proxySslServerName ?? 'off', '--proxy-ssl-server-name'),
    proxySslVerifyDepth: parseInteger(v.proxySslVerifyDepth ?? '1', '--proxy-ssl-verify-depth', 0, 100),
    proxySslProtocols: v.proxySslProtocols ? parseProtocols(v.proxySslProtocols) : defaultProtocols(nginxVersion),
    ...(v.proxySslCertificate ? { proxySslCertificate: v.proxySslCertificate, proxySslCertificateKey: v.proxySslCertificateKey } : {}),
    nginxVersion,
    nginxVersionSource: v.nginxVersionSource ?? (v.nginxVersion !== undefined ? '--nginx-version' : 'default'),
    // `@SECLEVEL=N` in the cipher list (or a CipherString conf command, applied last) is the level nginx runs at,
    // for the handshake and for certificate verification alike.
    opensslSeclevel: seclevelOf(
      [ciphers ?? '', ...confCommands.filter((c) => c.name.toLowerCase() === 'cipherstring').map((c) => c.value)].join(':'),
      parseInteger(v.opensslSeclevel ?? '2', '--openssl-seclevel', 0, 5),
    ),
    ...(ciphers !== undefined ? { proxySslCiphers: ciphers } : {}),
    ...(confCommands.length > 0 ? { proxySslConfCommands: confCommands } : {}),
  };
}
