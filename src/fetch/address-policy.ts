/**
 * Where tlsdoctor may connect on someone else's say-so: the AIA caIssuers URLs a certificate names, and the
 * targets a scraper names to `serve`. Pure data and decisions: no DNS, no sockets (src/fetch/destination.ts does
 * the resolving and pins the connection to the address decided here).
 *
 * A policy is a list of rules, each a CIDR block or an exact host name, `allow` or `deny`:
 * - the caller's rules (--fetch-allow / --fetch-deny / --allow-targets) are consulted first; among those that
 *   match, a name beats any CIDR, a longer prefix beats a shorter one, and deny beats allow at equal length;
 * - only when none of them matches do the built-in rules apply (the same ordering among themselves);
 * - when nothing matches, the policy's `otherwise` decides.
 * A host name is decided by a name rule if one matches; otherwise it must be resolved and every address it
 * resolves to must be allowed (one refused address refuses the name: the connection may go to any of them).
 *
 * Addresses are compared as bytes, so every spelling of an address is the same address: IPv4-mapped IPv6
 * (`::ffff:169.254.169.254`, RFC 4291 §2.5.5.2) is its IPv4 address, and an address of the NAT64 well-known
 * prefix 64:ff9b::/96 (RFC 6052 §2.1) is refused when the IPv4 address it embeds is (the local translator
 * connects to that IPv4 address on our behalf).
 */

export type RuleAction = 'allow' | 'deny';

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: number[];
}

export type AddressRule =
  | { action: RuleAction; kind: 'cidr'; family: 4 | 6; bytes: number[]; prefix: number; text: string; why: string }
  | { action: RuleAction; kind: 'name'; name: string; text: string; why: string };

export interface AddressPolicy {
  /** The caller's rules, consulted first. */
  rules: AddressRule[];
  /** Consulted only when no caller rule matches. */
  builtin: AddressRule[];
  otherwise: RuleAction;
  /** The option that allows a refused destination, for the hint in refusals (`--fetch-allow`). */
  allowOption: string;
}

export interface Verdict {
  allowed: boolean;
  /** One line: why (the rule that decided, or the default), and for a refusal how to allow it. */
  because: string;
}

/** A list value that is neither an address, a CIDR block nor a host name. */
export class AddressListError extends Error {
  readonly code = 'BAD_ADDRESS_LIST';
  constructor(message: string) {
    super(message);
    this.name = 'AddressListError';
  }
}

// --- addresses ---------------------------------------------------------------------------------------------------

/** Dotted quad, four decimal octets without leading zeros (inet_aton's octal and hex forms are refused). */
function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** RFC 4291 §2.2 text forms, including `::` and a dotted IPv4 tail; a zone (`%eth0`) is ignored. */
function parseIpv6(text: string): number[] | undefined {
  const bare = text.replace(/%[^%]*$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(bare)) return undefined;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An IP literal (IPv6 with or without brackets), IPv4-mapped IPv6 folded to IPv4; undefined for anything else. */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(t);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = t.includes(':') ? parseIpv6(t) : undefined;
  if (!v6) return undefined;
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

function inBlock(ip: IpAddress, r: { family: 4 | 6; bytes: number[]; prefix: number }): boolean {
  if (ip.family !== r.family) return false;
  for (let bit = 0; bit < r.prefix; bit += 8) {
    const n = Math.min(8, r.prefix - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((ip.bytes[bit / 8] & mask) !== (r.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((ip.bytes[2 * i] << 8) | ip.bytes[2 * i + 1]).toString(16));
  // RFC 5952 §4.2: the longest run (of two or more) of zero groups becomes `::`.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

// --- rules -------------------------------------------------------------------------------------------------------

/** RFC 1123 §2.1 host names (letters, digits, hyphens; underscores tolerated as DNS allows them), any case. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

export function normalizeHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** One `CIDR|HOST` entry; throws AddressListError naming `option` on anything else. */
export function parseRule(entry: string, action: RuleAction, option: string, why = option): AddressRule {
  const text = entry.trim();
  const slash = text.lastIndexOf('/');
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  const ip = parseIp(addressText);
  if (ip) {
    const width = ip.family === 4 ? 32 : 128;
    let prefix = width;
    if (slash >= 0) {
      const p = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p)) throw new AddressListError(`${option} ${text}: "${p}" is not a prefix length (0-${width})`);
      prefix = Number(p);
      // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block 10.0.0.0/8.
      if (ip.family === 4 && addressText.includes(':')) prefix -= 96;
      if (prefix < 0 || prefix > width) throw new AddressListError(`${option} ${text}: prefix length out of range (0-${width})`);
    }
    const net = { family: ip.family, bytes: ip.bytes.map((b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, prefix - 8 * i)))) & 0xff), prefix };
    if (net.bytes.some((b, i) => b !== ip.bytes[i])) {
      throw new AddressListError(`${option} ${text}: host bits set after /${prefix} (did you mean ${formatIp(net)}/${prefix}?)`);
    }
    return { action, kind: 'cidr', ...net, text: `${formatIp(net)}/${prefix}`, why };
  }
  const name = normalizeHostName(text.startsWith('[') ? '' : text);
  if (slash >= 0 || !HOST_NAME.test(name) || /^[\d.]+$/.test(name)) {
    throw new AddressListError(`${option} "${text}": not an IP address, a CIDR block (10.0.0.0/8, fd00::/8) or a host name`);
  }
  return { action, kind: 'name', name, text: name, why };
}

/** The values of a repeatable, comma-separated option (`--fetch-deny 10.0.0.0/8,pki.example --fetch-deny ::1`). */
export function parseRules(values: string[], action: RuleAction, option: string): AddressRule[] {
  const entries = values.flatMap((v) => v.split(',')).map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new AddressListError(`${option}: empty entry (expected CIDR|HOST[,...])`);
  return entries.map((e) => parseRule(e, action, option));
}

const builtinDeny = (entry: string, why: string) => parseRule(entry, 'deny', 'built-in', why);

/**
 * Refused by default for AIA fetches: where a certificate has no business sending us, and where a request can
 * read credentials. Loopback and the private ranges (RFC 1918, fc00::/7) stay allowed: internal PKIs publish
 * their intermediates on internal hosts, and the project decided those fetches are legitimate (README).
 */
export const BUILTIN_FETCH_DENY: AddressRule[] = [
  // RFC 3927 / RFC 4291 §2.5.6: never a server's address (not routed beyond the link). Covers the metadata
  // services at 169.254.169.254 (AWS, GCP, Azure, OpenStack, Oracle Cloud), AWS ECS task metadata 169.254.170.2,
  // and OpenStack's IPv6 metadata fe80::a9fe:a9fe.
  builtinDeny('169.254.0.0/16', 'link-local (RFC 3927)'),
  builtinDeny('fe80::/10', 'link-local (RFC 4291)'),
  // Named on their own so the refusal says what they are (and so allowing the link-local block does not allow them).
  builtinDeny('169.254.169.254', 'cloud instance metadata (AWS, GCP, Azure, OpenStack, Oracle Cloud)'),
  builtinDeny('fd00:ec2::254', 'cloud instance metadata (AWS IMDS over IPv6)'),
  builtinDeny('100.100.100.200', 'cloud instance metadata (Alibaba Cloud ECS)'),
  // Azure's WireServer: a public-looking address every Azure VM reaches, which hands the guest its goal state
  // (certificates included) — https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16
  builtinDeny('168.63.129.16', 'cloud host endpoint (Azure WireServer)'),
  // RFC 6890 IETF protocol assignments, never a web server; Oracle Cloud Classic served metadata at 192.0.0.192.
  builtinDeny('192.0.0.192', 'cloud instance metadata (Oracle Cloud Classic)'),
  // GCP's metadata host name (resolves to 169.254.169.254; refused before resolving, whatever /etc/hosts says).
  builtinDeny('metadata.google.internal', 'cloud instance metadata (GCP)'),
  // "This host on this network" (RFC 1122 §3.2.1.3, RFC 4291 §2.5.2): Linux connects 0.0.0.0 and :: to the local
  // host, which would slip past a --fetch-deny 127.0.0.0/8.
  builtinDeny('0.0.0.0/8', 'this host (RFC 1122), reaches the local host'),
  builtinDeny('::/128', 'unspecified address (RFC 4291), reaches the local host'),
];

/** AIA fetching: the caller's --fetch-allow / --fetch-deny, then the built-in refusals, else allowed. */
export function fetchPolicy(allow: AddressRule[] = [], deny: AddressRule[] = []): AddressPolicy {
  return { rules: [...deny, ...allow], builtin: BUILTIN_FETCH_DENY, otherwise: 'allow', allowOption: '--fetch-allow' };
}

/** An allow-list (`serve --allow-targets`): only what a rule allows. */
export function allowListPolicy(allow: AddressRule[], allowOption: string): AddressPolicy {
  return { rules: allow, builtin: [], otherwise: 'deny', allowOption };
}

// --- decisions ---------------------------------------------------------------------------------------------------

/** The most specific matching rule: longest prefix, deny before allow at equal length. */
function mostSpecific(rules: AddressRule[], ip: IpAddress): AddressRule | undefined {
  let best: AddressRule | undefined;
  for (const r of rules) {
    if (r.kind !== 'cidr' || !inBlock(ip, r)) continue;
    if (!best || best.kind !== 'cidr' || r.prefix > best.prefix || (r.prefix === best.prefix && r.action === 'deny')) best = r;
  }
  return best;
}

function nameRule(rules: AddressRule[], name: string): AddressRule | undefined {
  const matches = rules.filter((r) => r.kind === 'name' && r.name === name);
  return matches.find((r) => r.action === 'deny') ?? matches[0];
}

function verdictOf(p: AddressPolicy, subject: string, rule: AddressRule | undefined, allowWith: string): Verdict {
  if (!rule) {
    return p.otherwise === 'allow'
      ? { allowed: true, because: `${subject} is allowed (no rule matches)` }
      : { allowed: false, because: `${subject} is not in ${p.allowOption} (add ${allowWith} to allow it)` };
  }
  const what = rule.kind === 'name' ? rule.why : `${rule.text}: ${rule.why}`;
  if (rule.action === 'allow') return { allowed: true, because: `${subject} is allowed by ${what}` };
  return { allowed: false, because: `${subject} is refused by ${what} (allow it with ${p.allowOption} ${allowWith})` };
}

/** A host name by name rules alone; undefined = no name rule matches, resolve it and decide its addresses. */
export function decideName(p: AddressPolicy, host: string): Verdict | undefined {
  const name = normalizeHostName(host);
  const rule = nameRule(p.rules, name) ?? nameRule(p.builtin, name);
  return rule ? verdictOf(p, name, rule, name) : undefined;
}

/** One address (any spelling), as resolved or as written in a URL. */
export function decideAddress(p: AddressPolicy, address: string): Verdict {
  const ip = parseIp(address);
  if (!ip) return { allowed: false, because: `${address} is not an IP address` };
  const text = formatIp(ip);
  const verdict = verdictOf(p, text, mostSpecific(p.rules, ip) ?? mostSpecific(p.builtin, ip), text);
  // NAT64 (RFC 6052 §2.1): the translator connects to the embedded IPv4 address on our behalf.
  if (verdict.allowed && ip.family === 6 && inBlock(ip, { family: 6, bytes: NAT64, prefix: 96 })) {
    const inner = decideAddress(p, ip.bytes.slice(12).join('.'));
    if (!inner.allowed) return { allowed: false, because: `${text} (NAT64 of ${ip.bytes.slice(12).join('.')}): ${inner.because}` };
  }
  return verdict;
}

const NAT64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * A name and every address it resolved to: allowed when a name rule allows it, or when every address is
 * allowed. The first refusal is the reason.
 */
export function decideResolved(p: AddressPolicy, host: string, addresses: string[]): Verdict {
  const byName = decideName(p, host);
  if (byName) return byName;
  if (addresses.length === 0) return { allowed: false, because: `${host} resolved to no address` };
  for (const a of addresses) {
    const v = decideAddress(p, a);
    if (!v.allowed) return { allowed: false, because: `${host} resolves to ${a}; ${v.because}` };
  }
  return { allowed: true, because: `every address of ${host} is allowed (${addresses.join(', ')})` };
}
