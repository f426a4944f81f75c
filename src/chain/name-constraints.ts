/**
 * check_name_constraints() of OpenSSL 3.0 (crypto/x509/x509_vfy.c) with NAME_CONSTRAINTS_check() and
 * NAME_CONSTRAINTS_check_CN() (crypto/x509/v3_ncons.c), proxy-certificate name rules left out (proxy
 * certificates are already rejected by check_extensions for nginx).
 *
 * Every certificate is checked against the constraints of every certificate above it, the trust anchor
 * included; self-issued intermediates are skipped. For the leaf, when it has no DNS SAN, each commonName
 * that looks like a DNS name (two or more labels) is checked as a dNSName too (OpenSSL 3.0 behaviour).
 */
import type { NameConstraintsValue, Subtree } from '../certs/extensions.js';
import type { GeneralName } from '../certs/general-name.js';
import { bytesEqual, stringValue } from '../certs/name.js';
import { OID } from '../certs/oids.js';
import type { ChainCert } from './chain-cert.js';
import { V } from './error-text.js';
import { report, type VerifyContext } from './verify-context.js';

/** NAME_CHECK_MAX: guard against quadratic blow-up (CVE-2021-3449 class). */
const NAME_CHECK_MAX = 1 << 20;

const utf8 = new TextEncoder();

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/** ia5ncasecmp over n bytes: 0 when equal ignoring ASCII case. */
function ia5ncaseEq(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    const x = a[ai + k];
    const y = b[bi + k];
    if (x === y) continue;
    if (lower(x) !== lower(y)) return false;
  }
  return true;
}

function nc_dns(dns: Uint8Array, base: Uint8Array): number {
  // Empty matches everything.
  if (base.length === 0) return V.OK;
  if (dns.length < base.length) return V.PERMITTED_VIOLATION;
  let off = 0;
  if (dns.length > base.length) {
    off = dns.length - base.length;
    // Can add components on the left: the base must start with '.' or be preceded by one.
    if (base[0] !== 0x2e && dns[off - 1] !== 0x2e) return V.PERMITTED_VIOLATION;
  }
  return ia5ncaseEq(base, 0, dns, off, base.length) ? V.OK : V.PERMITTED_VIOLATION;
}

function lastIndexOf(b: Uint8Array, c: number): number {
  for (let i = b.length - 1; i >= 0; i--) if (b[i] === c) return i;
  return -1;
}

function nc_email(eml: Uint8Array, base: Uint8Array): number {
  const baseat = lastIndexOf(base, 0x40);
  const emlat = lastIndexOf(eml, 0x40);
  if (emlat < 0) return V.UNSUPPORTED_NAME_SYNTAX;
  // Special case: initial '.' is RHS match.
  if (baseat < 0 && base.length > 0 && base[0] === 0x2e) {
    if (eml.length > base.length && ia5ncaseEq(base, 0, eml, eml.length - base.length, base.length)) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  let basePtr = 0;
  if (baseat >= 0) {
    if (baseat !== 0) {
      if (baseat !== emlat) return V.PERMITTED_VIOLATION;
      if (base.subarray(0, baseat).includes(0) || eml.subarray(0, emlat).includes(0)) return V.UNSUPPORTED_NAME_SYNTAX;
      // Case-sensitive match of the local part.
      if (!bytesEqual(base.subarray(0, baseat), eml.subarray(0, emlat))) return V.PERMITTED_VIOLATION;
    }
    basePtr = baseat + 1;
  }
  const emlPtr = emlat + 1;
  const baseHostLen = base.length - basePtr;
  const emlHostLen = eml.length - emlPtr;
  if (baseHostLen !== emlHostLen || !ia5ncaseEq(base, basePtr, eml, emlPtr, emlHostLen)) return V.PERMITTED_VIOLATION;
  return V.OK;
}

function indexFrom(b: Uint8Array, c: number, from: number): number {
  for (let i = from; i < b.length; i++) if (b[i] === c) return i;
  return -1;
}

function nc_uri(uri: Uint8Array, base: Uint8Array): number {
  const p = indexFrom(uri, 0x3a, 0);
  // Check for foo:// and skip past it.
  if (p < 0 || uri.length - p < 3 || uri[p + 1] !== 0x2f || uri[p + 2] !== 0x2f) return V.UNSUPPORTED_NAME_SYNTAX;
  const host = p + 3;
  let end = indexFrom(uri, 0x3a, host);
  if (end < 0) end = indexFrom(uri, 0x2f, host);
  const hostlen = end < 0 ? uri.length - host : end - host;
  if (hostlen === 0) return V.UNSUPPORTED_NAME_SYNTAX;
  if (base.length > 0 && base[0] === 0x2e) {
    if (hostlen > base.length && ia5ncaseEq(uri, host + hostlen - base.length, base, 0, base.length)) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  if (base.length !== hostlen || !ia5ncaseEq(uri, host, base, 0, hostlen)) return V.PERMITTED_VIOLATION;
  return V.OK;
}

function nc_ip(ip: Uint8Array, base: Uint8Array): number {
  if (ip.length !== 4 && ip.length !== 16) return V.UNSUPPORTED_NAME_SYNTAX;
  if (base.length !== 8 && base.length !== 32) return V.UNSUPPORTED_NAME_SYNTAX;
  if (ip.length * 2 !== base.length) return V.PERMITTED_VIOLATION;
  for (let i = 0; i < ip.length; i++) {
    const m = base[ip.length + i];
    if ((ip[i] & m) !== (base[i] & m)) return V.PERMITTED_VIOLATION;
  }
  return V.OK;
}

function nc_dn(nm: Uint8Array, base: Uint8Array): number {
  if (base.length > nm.length) return V.PERMITTED_VIOLATION;
  return bytesEqual(base, nm.subarray(0, base.length)) ? V.OK : V.PERMITTED_VIOLATION;
}

/** The value of an SmtpUTF8Mailbox otherName (UTF8String), for nc_email_eai. */
function eaiValue(g: GeneralName): Uint8Array | undefined {
  const v = g.bytes;
  if (v[0] !== 0x0c) return undefined;
  let len = v[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + v[2 + i];
    off = 2 + n;
  }
  return v.subarray(off, off + len);
}

/** nc_email_eai(): RFC 8398 mailbox against an rfc822Name constraint (host part only, case-insensitive). */
function nc_email_eai(g: GeneralName, base: Uint8Array): number {
  const value = eaiValue(g);
  if (!value) return V.UNSUPPORTED_NAME_SYNTAX;
  const at = lastIndexOf(value, 0x40);
  if (at < 0) return V.UNSUPPORTED_NAME_SYNTAX;
  const emlHost = value.subarray(at + 1);
  const baseat = lastIndexOf(base, 0x40);
  let basePtr = 0;
  if (baseat >= 0) {
    if (baseat !== 0) return V.PERMITTED_VIOLATION;
    basePtr = 1;
  }
  if (base.length > 0 && base[0] === 0x2e) {
    if (emlHost.length > base.length && ia5ncaseEq(base, 0, emlHost, emlHost.length - base.length, base.length)) return V.OK;
    return V.PERMITTED_VIOLATION;
  }
  const baseHost = base.subarray(basePtr);
  if (baseHost.length !== emlHost.length || !ia5ncaseEq(baseHost, 0, emlHost, 0, emlHost.length)) return V.PERMITTED_VIOLATION;
  return V.OK;
}

type Effective = GeneralName['type'];

function effectiveType(g: GeneralName): Effective {
  return g.type === 'other' && g.oid === OID.smtpUtf8Mailbox ? 'email' : g.type;
}

function matchSingle(eff: Effective, g: GeneralName, base: GeneralName): number {
  switch (g.type) {
    case 'other':
      return eff === 'email' ? nc_email_eai(g, base.bytes) : V.UNSUPPORTED_CONSTRAINT_TYPE;
    case 'dirName':
      return nc_dn(g.name!.canon, base.name!.canon);
    case 'dns':
      return nc_dns(g.bytes, base.bytes);
    case 'email':
      return nc_email(g.bytes, base.bytes);
    case 'uri':
      return nc_uri(g.bytes, base.bytes);
    case 'ip':
      return nc_ip(g.bytes, base.bytes);
    default:
      return V.UNSUPPORTED_CONSTRAINT_TYPE;
  }
}

function sameType(eff: Effective, g: GeneralName, sub: Subtree): boolean {
  if (eff !== sub.base.type) return false;
  if (eff === 'other' && g.oid !== sub.base.oid) return false;
  return true;
}

/** nc_match(): permitted subtrees of the name's type must have a match; excluded ones must not. */
function ncMatch(g: GeneralName, nc: NameConstraintsValue): number {
  const eff = effectiveType(g);
  let match = 0;
  for (const sub of nc.permitted) {
    if (!sameType(eff, g, sub)) continue;
    if (!sub.minMaxValid) return V.SUBTREE_MINMAX;
    if (match === 2) continue;
    if (match === 0) match = 1;
    const r = matchSingle(eff, g, sub.base);
    if (r === V.OK) match = 2;
    else if (r !== V.PERMITTED_VIOLATION) return r;
  }
  if (match === 1) return V.PERMITTED_VIOLATION;
  for (const sub of nc.excluded) {
    if (!sameType(eff, g, sub)) continue;
    if (!sub.minMaxValid) return V.SUBTREE_MINMAX;
    const r = matchSingle(eff, g, sub.base);
    if (r === V.OK) return V.EXCLUDED_VIOLATION;
    if (r !== V.PERMITTED_VIOLATION) return r;
  }
  return V.OK;
}

/** NAME_CONSTRAINTS_check(x, nc). */
export function nameConstraintsCheck(x: ChainCert, nc: NameConstraintsValue): number {
  const f = x.facts;
  const entries = f.subject.rdns.reduce((n, r) => n + r.length, 0);
  const altCount = f.altNames?.length ?? 0;
  const nameCount = entries + altCount;
  const constraintCount = nc.permitted.length + nc.excluded.length;
  if (nameCount > 0 && constraintCount > NAME_CHECK_MAX / nameCount) return V.UNSPECIFIED;

  if (entries > 0) {
    const r = ncMatch({ type: 'dirName', bytes: f.subject.der, name: f.subject }, nc);
    if (r !== V.OK) return r;
    for (const a of f.subject.rdns.flat()) {
      if (a.oid !== OID.emailAddress) continue;
      if (a.tag !== 0x16) return V.UNSUPPORTED_NAME_SYNTAX;
      const r2 = ncMatch({ type: 'email', bytes: a.value }, nc);
      if (r2 !== V.OK) return r2;
    }
  }
  for (const g of f.altNames ?? []) {
    const r = ncMatch(g, nc);
    if (r !== V.OK) return r;
  }
  return V.OK;
}

/**
 * cn2dnsid(): the commonName as UTF-8 when it looks like a DNS name of two or more labels (letters, digits,
 * '_', internal '-' and '.', no '.' next to '.' or '-'); undefined when it does not; an error code for
 * embedded NULs.
 */
function cn2dnsid(tag: number, value: Uint8Array): Uint8Array | number | undefined {
  const text = stringValue(tag, value);
  if (text === undefined) return V.UNSPECIFIED;
  let u = tag === 0x0c ? value : utf8.encode(text);
  let len = u.length;
  while (len > 0 && u[len - 1] === 0) len--;
  u = u.subarray(0, len);
  if (u.includes(0)) return V.UNSUPPORTED_NAME_SYNTAX;
  let isdns = false;
  for (let i = 0; i < len; i++) {
    const c = u[i];
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) continue;
    if (i > 0 && i < len - 1) {
      if (c === 0x2d) continue;
      if (c === 0x2e && u[i + 1] !== 0x2e && u[i - 1] !== 0x2d && u[i + 1] !== 0x2d) {
        isdns = true;
        continue;
      }
    }
    isdns = false;
    break;
  }
  return isdns ? u : undefined;
}

/** NAME_CONSTRAINTS_check_CN(x, nc). */
function nameConstraintsCheckCn(x: ChainCert, nc: NameConstraintsValue): number {
  for (const a of x.facts.subject.rdns.flat()) {
    if (a.oid !== OID.commonName) continue;
    const id = cn2dnsid(a.tag, a.value);
    if (typeof id === 'number') return id;
    if (!id || id.length === 0) continue;
    const r = ncMatch({ type: 'dns', bytes: id }, nc);
    if (r !== V.OK) return r;
  }
  return V.OK;
}

export function checkNameConstraints(ctx: VerifyContext): void {
  const num = ctx.chain.length;
  for (let i = num - 1; i >= 0; i--) {
    const x = ctx.chain[i];
    // Ignore self-issued certificates unless last in chain.
    if (i !== 0 && x.facts.selfIssued) continue;
    for (let j = num - 1; j > i; j--) {
      const nc = ctx.chain[j].facts.nameConstraints;
      if (!nc) continue;
      let rv = nameConstraintsCheck(x, nc);
      // For the leaf, check the commonName too when there is no DNS SAN (hostflags are 0).
      if (rv === V.OK && i === 0 && !(x.facts.altNames ?? []).some((g) => g.type === 'dns')) {
        rv = nameConstraintsCheckCn(x, nc);
      }
      if (rv !== V.OK) report(ctx, rv, i, x);
    }
  }
}
