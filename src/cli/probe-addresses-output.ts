/**
 * The per-address part of `probe`'s output (src/cli/run-probe-addresses.ts): the `--resolver` option, the additive
 * JSON fields, and the text block printed after the usual report when the name has several addresses.
 */
import { parseResolverAddress } from '../probe/resolve-addresses.js';
import { addressesText, balancingText } from '../report/addresses-text.js';
import type { AddressesReport } from './run-probe-addresses.js';
import { UsageError } from './usage-error.js';

export function parseResolverOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const r = parseResolverAddress(text);
  if (r === null) throw new UsageError('BAD_RESOLVER', `--resolver: "${text}" is not an IP address with an optional port (127.0.0.1:53, [::1]:5353)`);
  return r;
}

/** `addresses` (always: one entry for an IP literal) and `balancing` (null for a single address). */
export function addressesDocument(a: AddressesReport): Record<string, unknown> {
  return {
    resolvedVia: a.via,
    resolveError: a.resolveError,
    addresses: a.addresses,
    balancing: a.balancing,
  };
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Nothing for one address (the report above is the whole story), else the table and requests 1..N. */
export function addressesTextFor(host: string, port: number, a: AddressesReport): string {
  if (a.addresses.length < 2) return '';
  const via = a.via === 'resolver' ? 'asked --resolver' : 'system resolver, as nginx at start-up';
  const lines = ['', ...addressesText(host, via, a.addresses)];
  const failing = a.addresses.filter((x) => x.verdict === 'fail');
  if (failing.length > 1) lines.push(`  The report above is ${failing[0].address}'s; each address alone: tlsdoctor probe ADDRESS:${port} --proxy-ssl-name ${host}.`);
  if (a.balancing) lines.push('', ...balancingText(a.balancing, `proxy_pass https://${hostPort(host, port)}`));
  return lines.join('\n') + '\n';
}
