/**
 * How nginx reads the address in `proxy_pass` / `grpc_pass` / `uwsgi_pass` / stream `proxy_pass` and in an
 * `upstream { server ...; }` line (`ngx_parse_url`, src/core/ngx_inet.c), and how it derives `$proxy_host`
 * (`ngx_http_proxy_set_vars`) and the name it verifies (`ngx_http_upstream_ssl_name`).
 */

export type PassModule = 'proxy' | 'grpc' | 'uwsgi' | 'stream';

export interface ParsedAddress {
  /** Host as written: a name, an IPv4 literal, `[v6]` with brackets, or `unix:/path`. */
  host: string;
  /** Port as written, or null when none was given. */
  port: number | null;
  /** Port text as written (nginx keeps it for `$proxy_host`). */
  portText: string | null;
  /** Path of a `unix:` socket. */
  unix?: string;
  /** The URI part after the host (`/api/`), empty when none. */
  uri: string;
}

export interface ParsedPass {
  /** `https`, `grpcs`, `suwsgi` (TLS), or `http`/`grpc`/`uwsgi` (plain), or `stream`. */
  scheme: string;
  tls: boolean;
  address: ParsedAddress;
  /** nginx's default port for this scheme when the address has none (null: a port is required). */
  defaultPort: number | null;
}

/** The TLS and plain schemes each pass directive accepts (`ngx_http_proxy_pass`, `ngx_http_grpc_pass`, `ngx_http_uwsgi_pass`). */
const SCHEMES: Record<Exclude<PassModule, 'stream'>, { prefix: string; tls: boolean; defaultPort: number | null }[]> = {
  proxy: [
    { prefix: 'https://', tls: true, defaultPort: 443 },
    { prefix: 'http://', tls: false, defaultPort: 80 },
  ],
  // grpc_pass and uwsgi_pass set no default port: an address without one fails with "no port in upstream".
  grpc: [
    { prefix: 'grpcs://', tls: true, defaultPort: null },
    { prefix: 'grpc://', tls: false, defaultPort: null },
  ],
  uwsgi: [
    { prefix: 'suwsgi://', tls: true, defaultPort: null },
    { prefix: 'uwsgi://', tls: false, defaultPort: null },
  ],
};

/** Splits `host[:port][/uri]` (or `[v6]:port`, or `unix:/path[:uri]`). Returns null when nginx would reject it. */
export function parseAddress(text: string, withUri: boolean): ParsedAddress | null {
  if (text.toLowerCase().startsWith('unix:')) {
    const rest = text.slice(5);
    // ngx_parse_unix_domain_url: with a URI part, the path ends at the first ':'.
    const colon = withUri ? rest.indexOf(':') : -1;
    const path = colon >= 0 ? rest.slice(0, colon) : rest;
    if (path === '') return null;
    return { host: 'unix:' + path, port: null, portText: null, unix: path, uri: colon >= 0 ? rest.slice(colon + 1) : '' };
  }

  let hostEnd: number;
  let host: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    host = text.slice(0, close + 1);
    hostEnd = close + 1;
  } else {
    const m = /^[^:/?]*/.exec(text);
    host = m ? m[0] : '';
    hostEnd = host.length;
  }
  if (host === '' || host === '[]') return null;

  let rest = text.slice(hostEnd);
  let port: number | null = null;
  let portText: string | null = null;
  if (rest.startsWith(':')) {
    const m = /^:(\d*)/.exec(rest)!;
    portText = m[1];
    const n = Number(portText);
    if (portText === '' || !Number.isInteger(n) || n < 1 || n > 65535) return null;
    port = n;
    rest = rest.slice(m[0].length);
  }
  if (rest !== '' && !withUri) return null;
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return null;
  return { host, port, portText, uri: rest };
}

/** Parses a pass directive's argument (without variables). Returns null when nginx would reject it. */
export function parsePassTarget(module: PassModule, target: string): ParsedPass | null {
  if (module === 'stream') {
    const address = parseAddress(target, false);
    return address ? { scheme: 'stream', tls: false, address, defaultPort: null } : null;
  }
  const lower = target.toLowerCase();
  const schemes = SCHEMES[module];
  let chosen = schemes.find((s) => lower.startsWith(s.prefix));
  let rest: string;
  if (chosen) rest = target.slice(chosen.prefix.length);
  else if (module === 'proxy') return null; // "invalid URL prefix"
  else {
    // grpc_pass / uwsgi_pass without a scheme: plain.
    chosen = schemes[1];
    rest = target;
  }
  const address = parseAddress(rest, module === 'proxy');
  if (!address) return null;
  return { scheme: chosen.prefix.slice(0, -3), tls: chosen.tls, address, defaultPort: chosen.defaultPort };
}

/**
 * `$proxy_host` (`ngx_http_proxy_set_vars`): the host, plus `:port` exactly as written when the port is not the
 * scheme's default; `localhost` for a unix socket.
 */
export function proxyHostOf(pass: ParsedPass): string {
  const a = pass.address;
  if (a.unix !== undefined) return 'localhost';
  if (a.port === null || a.port === pass.defaultPort) return a.host;
  return `${a.host}:${a.portText}`;
}

/**
 * The name nginx verifies (`ngx_http_upstream_ssl_name`): whatever proxy_ssl_name evaluates to, with a port
 * stripped ("ssl name here may contain port, notably if derived from $proxy_host or $http_host"); an IPv6 literal
 * keeps its brackets.
 */
export function stripPortFromName(name: string): string {
  let from = 0;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close >= 0) from = close;
  }
  const colon = name.indexOf(':', from);
  return colon >= 0 ? name.slice(0, colon) : name;
}

/** `ngx_inet_addr`: a strict dotted-quad IPv4 literal. */
export function isIpv4Literal(name: string): boolean {
  const parts = name.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * SNI nginx sends when `proxy_ssl_server_name on`: the verified name, except that RFC 6066 forbids IP literals
 * (nginx skips names starting with `[` and IPv4 literals). Null: no SNI extension.
 */
export function sniFor(name: string | null, serverName: boolean): string | null {
  if (!serverName || name === null || name === '') return null;
  if (name.startsWith('[') || isIpv4Literal(name)) return null;
  return name;
}

/** Host as the probe wants it: IPv6 without brackets. */
export function probeHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export interface UpstreamServerParams {
  weight?: number;
  backup: boolean;
  down: boolean;
  resolve: boolean;
  /** Parameters we do not interpret, as written (`max_fails=3`, `slow_start=30s`, ...). */
  other: string[];
}

/** Parameters of an `upstream { server ADDR params...; }` line (`ngx_http_upstream_server`). */
export function parseServerParams(args: string[]): UpstreamServerParams {
  const out: UpstreamServerParams = { backup: false, down: false, resolve: false, other: [] };
  for (const a of args) {
    if (a.startsWith('weight=')) out.weight = Number(a.slice(7));
    else if (a === 'backup') out.backup = true;
    else if (a === 'down') out.down = true;
    else if (a === 'resolve') out.resolve = true;
    else out.other.push(a);
  }
  return out;
}
