/**
 * Host-name matching as OpenSSL 3.0's X509_check_host(x, name, 0, flags 0, NULL) does it (crypto/x509/v3_utl.c
 * do_x509_check, equal_wildcard, valid_star, wildcard_match, equal_nocase), which is what nginx's
 * ngx_ssl_check_host and node:crypto's checkHost() with default options call.
 *
 * node's checkHost() stays the authority for one name. This module exists for the callers that ask about many
 * names of one certificate (which of its own names would nginx accept as proxy_ssl_name?): calling checkHost()
 * once per name scans every name each time, quadratic in the number of SANs (a certificate with 10,000 SANs took
 * ~19 s of CPU). Here the identifiers are read once and each question costs one pass at most.
 * test/certs/host-match.test.ts holds it to checkHost() on a table of patterns and names.
 */
import type { Cert } from './cert.js';
import { OID } from './oids.js';
import { stringValue } from './name.js';
import { factsOf } from './x509-facts.js';

/**
 * The reference identifiers do_x509_check() compares a host name with, in its order: the DNS SANs, or — only
 * when there is none — the subject's CNs. A CN is converted with ASN1_STRING_to_UTF8 first; `undefined` marks
 * one it cannot convert (do_check_string returns -1 and the search stops there, unmatched).
 */
export interface HostIdentifiers {
  from: 'dns-san' | 'cn';
  names: Array<string | undefined>;
}

/**
 * X509_check_host(cert, name, 0, flags 0) == 1, by node's checkHost(). Its -1 (a CN ASN1_STRING_to_UTF8 cannot
 * convert, an embedded NUL) makes checkHost() throw "Operation failed"; nginx's ngx_ssl_check_host() counts
 * anything but 1 as a mismatch, and so does this. A certificate parsed with deferOpenSsl that OpenSSL refuses
 * after all matches nothing.
 */
export function hostMatches(cert: { readonly native: { checkHost(name: string): string | undefined } }, name: string): boolean {
  try {
    return cert.native.checkHost(name) !== undefined;
  } catch {
    return false;
  }
}

/** tag2nbyte[] of crypto/asn1/a_mbstr.c: the universal types ASN1_STRING_to_UTF8 converts. */
const CONVERTIBLE_TAGS = new Set([12, 18, 19, 20, 22, 23, 24, 26, 28, 30]);

export function hostIdentifiers(cert: Cert): HostIdentifiers {
  const dns = cert.subjectAltNames?.dns ?? [];
  if (dns.length > 0) return { from: 'dns-san', names: dns };
  const names = factsOf(cert)
    .facts.subject.rdns.flat()
    .filter((a) => a.oid === OID.commonName)
    .map((a) => (a.tag < 0x20 && CONVERTIBLE_TAGS.has(a.tag) ? stringValue(a.tag, a.value) : undefined));
  return { from: 'cn', names };
}

const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** equal_nocase(): same length, ASCII case folded, no NUL in the pattern. */
function equalNocase(p: string, pFrom: number, pLen: number, s: string, sFrom: number, sLen: number): boolean {
  if (pLen !== sLen) return false;
  for (let i = 0; i < pLen; i++) {
    const l = p.charCodeAt(pFrom + i);
    if (l === 0) return false;
    if (lower(l) !== lower(s.charCodeAt(sFrom + i))) return false;
  }
  return true;
}

const startsXn = (s: string, at: number): boolean => s.length - at >= 4 && s.slice(at, at + 4).toLowerCase() === 'xn--';

/**
 * valid_star(): the index of the pattern's one legal '*' — in the first label, at its start or end, not in an
 * IDNA (xn--) label, with at least two dots after it and a final label not ending in '-' or '.' — or -1.
 */
function validStar(p: string): number {
  let star = -1;
  let labelStart = true;
  let hyphen = false;
  let idna = false;
  let dots = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x2a) {
      const atEnd = i === p.length - 1 || p[i + 1] === '.';
      if (star !== -1 || idna || dots > 0) return -1;
      if (!labelStart && !atEnd) return -1; // no 'foo*bar'
      star = i;
      labelStart = false;
    } else if (isAlnum(c)) {
      if (labelStart && startsXn(p, i)) idna = true;
      labelStart = false;
      hyphen = false;
    } else if (c === 0x2e) {
      if (hyphen || labelStart) return -1;
      labelStart = true;
      hyphen = false;
      idna = false;
      dots++;
    } else if (c === 0x2d) {
      if (labelStart) return -1;
      hyphen = true;
    } else {
      return -1;
    }
  }
  if (labelStart || hyphen || dots < 2) return -1;
  return star;
}

/** wildcard_match() with flags 0: prefix and suffix around the '*' match, the rest is one label of LDH. */
function wildcardMatch(p: string, star: number, s: string): boolean {
  const prefixLen = star;
  const suffixLen = p.length - star - 1;
  if (s.length < prefixLen + suffixLen) return false;
  if (!equalNocase(p, 0, prefixLen, s, 0, prefixLen)) return false;
  const wEnd = s.length - suffixLen;
  if (!equalNocase(s, wEnd, suffixLen, p, star + 1, suffixLen)) return false;
  let allowIdna = false;
  if (prefixLen === 0 && p[star + 1] === '.') {
    if (wEnd === prefixLen) return false; // a whole-label '*' matches at least one character
    allowIdna = true;
  }
  if (!allowIdna && startsXn(s, 0)) return false;
  if (wEnd === prefixLen + 1 && s[prefixLen] === '*') return true;
  for (let i = prefixLen; i < wEnd; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

/**
 * equal_wildcard(pattern, host) for a host that does not start with '.' (do_x509_check turns on sub-domain
 * matching for those; callers here never ask about such names).
 */
export function patternMatchesHost(pattern: string, host: string): boolean {
  const star = validStar(pattern);
  if (star === -1) return equalNocase(pattern, 0, pattern.length, host, 0, host.length);
  return wildcardMatch(pattern, star, host);
}

/**
 * For each identifier, whether X509_check_host(cert, identifier) would succeed — in one pass over the
 * identifiers plus, for CNs after an unconvertible one, one comparison per earlier wildcard. Identifiers that
 * are not plain host names (a '*', a leading '.', a NUL) are answered `false`: callers only propose plain names.
 */
export function identifiersMatchingThemselves(ids: HostIdentifiers): boolean[] {
  const plain = (n: string | undefined): n is string => n !== undefined && n.length > 0 && !/[*\0]/.test(n) && n[0] !== '.';
  // A plain pattern matches itself (equal_nocase); do_x509_check returns the first non-zero result, and only an
  // unconvertible CN gives a negative one. So a name matches itself unless the search stops before reaching it.
  const stop = ids.from === 'cn' ? ids.names.indexOf(undefined) : -1;
  if (stop === -1) return ids.names.map(plain);
  const before = ids.names.slice(0, stop) as string[];
  const exact = new Set(before.map((n) => n.toLowerCase()));
  const wildcards = before.filter((n) => n.includes('*'));
  return ids.names.map((n, i) => {
    if (!plain(n)) return false;
    if (i < stop) return true;
    return exact.has(n.toLowerCase()) || wildcards.some((w) => patternMatchesHost(w, n));
  });
}
