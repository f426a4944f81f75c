/**
 * The command-line target: `host`, `host:port`, `1.2.3.4[:port]`, `[::1]:port`, `[::1]`, or a bare IPv6
 * literal (`::1`, no port: the colons are the address's). Port defaults to 443 like `proxy_pass https://host`.
 */
import { isIP } from 'node:net';

export interface Target {
  host: string; // no brackets
  port: number;
  hostIsIp: boolean;
  /** `host:port`, with brackets around an IPv6 literal. */
  display: string;
}

export class BadTargetError extends Error {
  readonly code = 'BAD_TARGET';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`bad target ${JSON.stringify(input)}: ${reason}`);
    this.name = 'BadTargetError';
  }
}

const DEFAULT_PORT = 443;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function parsePort(input: string, text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new BadTargetError(input, `port ${JSON.stringify(text)} is not a number 1-65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new BadTargetError(input, `port ${port} is out of range 1-65535`);
  return port;
}

function checkHostname(input: string, host: string): void {
  // RFC 1123 §2.1 host names (underscores tolerated: they occur in internal names and resolve fine);
  // RFC 3696 §2: a top-level label is never all-numeric, so `1.2.3` or `999.1.1.1` is a mistyped IPv4.
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new BadTargetError(input, `${JSON.stringify(host)} is not a valid host name or IP address`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    throw new BadTargetError(input, `${JSON.stringify(host)} is not a valid IPv4 address`);
  }
}

export function parseTarget(input: string): Target {
  const text = input.trim();
  if (text === '') throw new BadTargetError(input, 'empty');
  if (/\s/.test(text)) throw new BadTargetError(input, 'contains whitespace');
  if (text.includes('/')) throw new BadTargetError(input, 'give host[:port], not a URL or path');

  let host: string;
  let port = DEFAULT_PORT;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new BadTargetError(input, 'missing "]" after the IPv6 address');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new BadTargetError(input, `unexpected ${JSON.stringify(rest)} after "]"`);
      port = parsePort(input, rest.slice(1));
    }
    if (isIP(host) !== 6) throw new BadTargetError(input, `${JSON.stringify(host)} is not an IPv6 address`);
  } else if (text.indexOf(':') !== text.lastIndexOf(':')) {
    // Two or more colons: a bare IPv6 literal, which cannot carry a port without brackets.
    host = text;
    if (isIP(host) !== 6) {
      throw new BadTargetError(input, `${JSON.stringify(host)} is not an IPv6 address (write [addr]:port for a port)`);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) port = parsePort(input, text.slice(colon + 1));
    if (host === '') throw new BadTargetError(input, 'missing host');
    if (isIP(host) !== 4) checkHostname(input, host);
  }

  const hostIsIp = isIP(host) !== 0;
  const display = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, hostIsIp, display };
}
