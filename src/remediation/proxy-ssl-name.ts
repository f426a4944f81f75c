/**
 * Which `proxy_ssl_name` to propose when the name nginx checks is not in the certificate.
 *
 * nginx checks the name with `X509_check_host(cert, proxy_ssl_name)` only (ngx_ssl_check_host): IP SANs are
 * never consulted, the CN counts only when there is no DNS SAN, a wildcard covers one left-most label
 * (shared/NGINX.md). So the proposal is a name the certificate really holds as a DNS SAN (or its CN when it has
 * no DNS SAN), never an IP, never a name invented under a wildcard. The name ends up in an nginx config file,
 * and it comes from a certificate the upstream controls: only plain host-name syntax is accepted, so a SAN like
 * `x; proxy_ssl_verify off` can never become a directive.
 */
import type { Cert } from '../certs/cert.js';
import { hostIdentifiers, identifiersMatchingThemselves } from '../certs/host-match.js';
import { isIpLiteral } from '../nginx/defaults.js';

export type NameChoice =
  | { kind: 'name'; name: string; from: 'dns-san' | 'cn' }
  /** Only wildcard names: any single label under them would match, but tlsdoctor does not invent host names. */
  | { kind: 'wildcard-only'; wildcards: string[] }
  /** No DNS SAN and no usable CN (IP SANs only, or nothing): nginx can never match this certificate. */
  | { kind: 'none' };

/** RFC 1123 host name: LDH labels (underscore tolerated, as OpenSSL does), at most 253 characters. */
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function isHostName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}

/** Labels the two names share at their right end (`api.example.test` vs `x.example.test` → 2). */
function sharedSuffix(a: string, b: string): number {
  const x = a.toLowerCase().split('.').reverse();
  const y = b.toLowerCase().split('.').reverse();
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

export function chooseProxySslName(cert: Cert, current: string): NameChoice {
  // RFC 6125 §6.4.4 and X509_check_host: the CN is a fallback only when there is no DNS SAN. Whether nginx would
  // accept each name is answered for all of them in one pass (host-match.ts), not by one checkHost() per name,
  // which is quadratic in the number of SANs.
  const ids = hostIdentifiers(cert);
  const matches = identifiersMatchingThemselves(ids);
  const pool = ids.names.map((n, i) => ({ n: n ?? '', from: ids.from, matches: matches[i] }));
  const wildcards = pool.filter((p) => p.n.includes('*')).map((p) => p.n);
  const usable = pool.filter((p) => !p.n.includes('*') && isHostName(p.n) && !isIpLiteral(p.n) && p.matches);
  if (usable.length === 0) return wildcards.length > 0 ? { kind: 'wildcard-only', wildcards } : { kind: 'none' };
  // Prefer the name closest to the one configured (same domain), then a qualified name over `localhost` or a
  // single label, then the certificate's own order.
  const ranked = usable
    .map((p, i) => ({ n: p.n, from: p.from, i, shared: sharedSuffix(p.n, current), qualified: p.n.includes('.') && p.n.toLowerCase() !== 'localhost' }))
    .sort((a, b) => b.shared - a.shared || Number(b.qualified) - Number(a.qualified) || a.i - b.i);
  return { kind: 'name', name: ranked[0].n, from: ranked[0].from };
}
