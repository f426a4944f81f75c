/**
 * English for `tlsdoctor explain` and for the nginx configuration lints. Every `Record<Code, ...>` here is total:
 * the compiler refuses a kind, cause or lint code without its wording.
 */
import type { ExplainCause, Explanation, LogEventKind, LogGroup, LogSummary } from '../nginx/explain.js';
import type { AnyLintFinding, LintCode } from '../nginx/lints.js';

/** SESSION_REUSE_MIXED_TRUST's `differing` holds JSON field names; the text names the directives (proxy_ for http). */
const TRUST_DIRECTIVE: Record<string, string> = {
  verify: 'proxy_ssl_verify',
  trustedCertificate: 'proxy_ssl_trusted_certificate',
  verifyDepth: 'proxy_ssl_verify_depth',
  crl: 'proxy_ssl_crl',
};

/** What the log line says, in plain words. */
const KIND_TEXT: Record<LogEventKind, (e: Explanation) => string> = {
  VERIFY_ERROR: (e) =>
    `nginx rejected the upstream's certificate: OpenSSL verify error ${e.verifyError?.code} (${e.verifyError?.text}). ` +
    `nginx logs only the last verify error, so other problems may hide behind it.`,
  NAME_MISMATCH: (e) =>
    `The upstream's certificate does not hold the name nginx checks, "${e.name}" (proxy_ssl_name, by default $proxy_host).` +
    (e.nameKind === 'ipv4' || e.nameKind === 'ipv6'
      ? ' It is an IP address: nginx never looks at IP SANs, only at a DNS SAN spelled like the address (or the CN when there is no DNS SAN).'
      : e.nameKind === 'single-label'
        ? ' A single label is usually an upstream block\'s name, which no certificate holds: set proxy_ssl_name to a name the certificate has.'
        : ''),
  NOT_TLS: () => 'The upstream answered with something that is not TLS: proxy_pass https:// points at a plain-text port.',
  PROTOCOL_VERSION: (e) => `nginx and the upstream share no TLS version (${e.ssl?.reason}).`,
  HANDSHAKE_FAILURE_ALERT: () =>
    'The upstream aborted the handshake with a "handshake failure" alert (40): under TLS 1.2 this is what a server ' +
    'requiring a client certificate sends when none comes; it is also sent when no cipher or group is shared.',
  CERTIFICATE_REQUIRED_ALERT: () =>
    'The upstream requires a client certificate (TLS 1.3 alert 116, seen only when nginx reads the response).',
  CLIENT_CERT_REJECTED_ALERT: (e) =>
    `The upstream rejected the client certificate nginx sent (alert ${e.ssl?.alert}: ${e.ssl?.reason}).`,
  UNRECOGNIZED_NAME_ALERT: () =>
    'The upstream does not know the server name it got (alert 112): it needs SNI with one of its names (proxy_ssl_server_name on, proxy_ssl_name).',
  TLS_ALERT: (e) => `The upstream aborted the handshake with alert ${e.ssl?.alert} (${e.ssl?.reason}).`,
  SSL_ERROR: (e) => `${e.ssl?.call}() failed in OpenSSL: ${e.ssl?.reason}.`,
  PEER_CLOSED: () => 'The upstream closed the connection in the middle of the TLS handshake without saying why.',
  NO_HTTP_RESPONSE: (e) =>
    e.signature === 'NO_HTTP_RESPONSE:not-http'
      ? 'The TLS handshake completed, but the upstream answered the request with bytes that are not HTTP: nginx logs this and passes them on as an HTTP/0.9 answer.'
      : 'The TLS handshake completed, but the upstream closed the connection before answering the request (no HTTP status line).',
  CONNECTION_REFUSED: () => 'Nothing listens on the upstream address: the connection was refused.',
  CONNECT_FAILED: (e) => `nginx could not connect to the upstream (${e.line.errno?.code}: ${e.line.errno?.text}).`,
  TIMEOUT: (e) =>
    e.line.action === 'connecting to upstream'
      ? 'No TCP connection to the upstream within proxy_connect_timeout (firewall drop, wrong address, host down).'
      : 'The upstream accepted the TCP connection but never completed a TLS handshake within proxy_connect_timeout.',
  HOST_NOT_FOUND: (e) =>
    e.status === null
      ? `nginx refuses to start: the upstream name "${e.unresolvedHost}" does not resolve (nginx resolves upstream names when it reads its configuration).`
      : `The resolver could not resolve the upstream name "${e.unresolvedHost}".`,
  NO_TRUSTED_CERTIFICATE: () =>
    'nginx refuses to start: proxy_ssl_verify is on but no proxy_ssl_trusted_certificate names the CA bundle (nginx never uses the system CA store).',
  TRUSTED_FILE_LOAD_FAILED: (e) => `nginx refuses to start: it cannot load the CA bundle "${e.file}" (${e.ssl?.reason}).`,
};

/** Each cause as a hypothesis (no evidence yet: the probe gives that). */
export const CAUSE_TEXT: Record<ExplainCause, string> = {
  CONNECTION_REFUSED: 'the upstream process is down or listens on another port',
  TIMEOUT: 'a firewall drops the traffic, or the port accepts connections but never speaks TLS',
  DNS_FAILURE: 'the upstream name does not resolve (a typo, or a record missing from this host\'s DNS)',
  NOT_TLS: 'the port speaks plain HTTP (or another protocol), not TLS',
  PROTOCOL_MISMATCH: 'no TLS version or cipher in common (older nginx offers no TLS 1.3; TLS 1.0/1.1 fail at security level 2)',
  HANDSHAKE_FAILED: 'the handshake fails for another reason the probe will name',
  CLIENT_CERT_REQUIRED: 'the upstream requires a client certificate: proxy_ssl_certificate / proxy_ssl_certificate_key are missing',
  CLIENT_CERT_REJECTED: 'the client certificate is not issued by a CA the upstream trusts (or is expired or revoked)',
  SELF_SIGNED_LEAF: 'the upstream uses a self-signed certificate that is not in the trusted bundle',
  UNTRUSTED_ROOT: 'the upstream sends its own root CA, which the trusted bundle lacks',
  MISSING_INTERMEDIATE: 'the upstream does not send its intermediate certificate',
  UNKNOWN_CA: 'the certificate comes from a CA the trusted bundle does not hold',
  PARTIAL_CHAIN_BUNDLE: 'the trusted bundle holds an intermediate without its root (nginx accepts no partial chains)',
  PINNED_LEAF: 'the trusted bundle holds the upstream\'s own CA-issued certificate, which is not a trust anchor',
  CHAIN_TOO_DEEP: 'the chain has more intermediates than proxy_ssl_verify_depth allows (default 1)',
  EXPIRED: 'a certificate in the chain (leaf or intermediate) has expired',
  NOT_YET_VALID: 'a certificate is not valid yet (or a clock is wrong)',
  WEAK_SIGNATURE: 'a certificate is signed with SHA-1 (or weaker), refused at OpenSSL security level 2',
  WEAK_KEY: 'a key is too small for OpenSSL security level 2 (RSA below 2048 bits)',
  BAD_PURPOSE: 'the leaf certificate is not meant for TLS servers (its extended key usage lacks serverAuth)',
  INVALID_CA: 'an intermediate is not a valid CA (basicConstraints or path length)',
  NAME_CONSTRAINT_VIOLATION: 'a CA\'s name constraints exclude the certificate\'s names',
  BAD_SIGNATURE: 'a signature in the chain does not verify (wrong issuer or corrupted certificate)',
  VERIFY_ERROR: 'a certificate verification error the probe will name',
  NAME_MISMATCH: 'the certificate does not hold the name nginx checks (proxy_ssl_name)',
  SNI_REQUIRED: 'nginx sends no SNI by default (proxy_ssl_server_name off): the upstream presents its default certificate, or refuses the handshake (alert 112 unrecognized name, or a close)',
  CIPHER_MISMATCH: 'the upstream accepts only cipher suites nginx does not offer (NULL, RC4, 3DES, or anything outside proxy_ssl_ciphers)',
  WEAK_EPHEMERAL_KEY: 'the upstream\'s DH group (or ECDH curve) is smaller than the security level allows (2048 bits at level 2)',
  CERT_LIST_TOO_LARGE: 'the upstream sends a certificate list over OpenSSL\'s 100 KiB limit (max_cert_list)',
  NO_HTTP_RESPONSE: 'after the TLS handshake the upstream sends no HTTP answer: it closes, or speaks another protocol on this port',
  VERIFY_WITHOUT_TRUSTED_FILE: 'proxy_ssl_verify is on without proxy_ssl_trusted_certificate',
  CLIENT_SIDE_TRUSTED_CERT: 'the CA bundle was set with ssl_trusted_certificate (client side) instead of proxy_ssl_trusted_certificate',
  TRUSTED_FILE_MISSING: 'the CA bundle file does not exist or cannot be read',
  TRUSTED_FILE_EMPTY: 'the CA bundle file holds no PEM certificate (empty, DER, or a key)',
};

function statusText(e: Explanation): string {
  if (e.status === null) return 'nginx does not start';
  return `clients get ${e.status}`;
}

/** One explained line, as a short block of text. */
export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  const where = e.upstream ? ` (upstream ${e.upstream.address})` : '';
  out.push(`${e.kind}${where}: ${statusText(e)}.`);
  out.push(KIND_TEXT[e.kind](e));
  if (e.causes.length > 0) {
    out.push('Likely causes, most likely first:');
    e.causes.forEach((c, i) => out.push(`  ${i + 1}. ${CAUSE_TEXT[c]} [${c}]`));
  }
  if (e.probe.length === 1) {
    out.push('To pinpoint it, run:');
    out.push(`  ${e.probe[0].command}`);
  } else if (e.probe.length > 1) {
    out.push('To pinpoint it, run (one per configuration that reaches this upstream):');
    for (const p of e.probe) out.push(`  ${p.command}${p.from ? `    # ${p.from.file}:${p.from.line}${p.from.location ? ` location ${p.from.location}` : ''}` : ''}`);
  } else if (e.status === null) {
    out.push('Fix the configuration, then check it with: nginx -t');
  }
  return out.join('\n');
}

function groupHeading(g: LogGroup): string {
  const seen = g.firstSeen === null ? '' : g.firstSeen === g.lastSeen ? `, at ${g.firstSeen}` : `, first ${g.firstSeen}, last ${g.lastSeen}`;
  return `${g.count} × ${g.signature}${g.upstream ? ` on ${g.upstream}` : ''}${seen}`;
}

/** A whole log: one block per (upstream, event), most frequent first. */
export function renderLogSummary(s: LogSummary): string {
  const out: string[] = [];
  out.push(
    `${s.lines} line${s.lines === 1 ? '' : 's'} read: ${s.recognised} upstream TLS error${s.recognised === 1 ? '' : 's'} in ${s.groups.length} group${s.groups.length === 1 ? '' : 's'}, ${s.unknown} other line${s.unknown === 1 ? '' : 's'} skipped.`,
  );
  for (const g of s.groups) {
    out.push('');
    out.push(groupHeading(g));
    out.push(renderExplanation(g.example).split('\n').map((l) => `  ${l}`).join('\n'));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Lints

function affectedText(list: { file: string; line: number; location: string | null; pass: string }[]): string {
  return list.map((a) => `${a.pass}${a.location !== null ? ` (location ${a.location})` : ''} at ${a.file}:${a.line}`).join('; ');
}

const LINT_TEXT: { [C in LintCode]: (f: Extract<AnyLintFinding, { code: C }>) => string } = {
  PROXY_SSL_VERIFY_OFF: (f) =>
    (f.evidence.explicit
      ? `${f.evidence.directive} is off`
      : `${f.evidence.directive} is not set, and its default is off`) +
    `: nginx accepts any certificate from this upstream (a man in the middle goes unnoticed). Affects ${affectedText(f.evidence.affected)}.`,
  CLIENT_SIDE_TRUSTED_CERT: (f) =>
    `ssl_trusted_certificate ${f.evidence.clientSide.value} is the client-side directive: it does nothing for upstream connections. ` +
    (f.evidence.inUse
      ? `nginx verifies with ${f.evidence.inUse.directive} ${f.evidence.inUse.value} inherited from ${f.evidence.inUse.level} level at ${f.evidence.inUse.file}:${f.evidence.inUse.line}; ` +
        `set ${f.evidence.missing} here if this bundle was meant. `
      : `${f.evidence.missing} is not set. `) +
    `Affects ${affectedText(f.evidence.affected)}.`,
  VERIFY_WITHOUT_TRUSTED_FILE: (f) =>
    `${f.evidence.directive} is on but ${f.evidence.missing} is not set: nginx refuses to start ` +
    `("no ${f.evidence.missing} for ${f.evidence.directive}"). Affects ${affectedText(f.evidence.affected)}.`,
  TRUSTED_FILE_MISSING: (f) =>
    `${f.evidence.directive} names ${f.evidence.path}, which does not exist or cannot be read` +
    (f.evidence.verify ? ': nginx refuses to start.' : ' (verification is off, so nginx does not load it yet).'),
  TRUSTED_FILE_EMPTY: (f) =>
    `${f.evidence.directive} names ${f.evidence.path}, which holds no PEM certificate (${f.evidence.bytes} bytes)` +
    (f.evidence.verify ? ': nginx refuses to start.' : ' (verification is off, so nginx does not load it yet).'),
  TRUSTED_FILE_NO_ROOT: (f) =>
    `${f.evidence.path} holds ${f.evidence.certificates} certificate(s) but no root (no self-signed certificate): ` +
    `nginx accepts no partial chains, so every verification against it fails.`,
  // Both directions, measured on 1.22.1 (test/nginx-real/session-reuse.test.ts; mechanics in src/nginx/session-reuse.ts).
  SESSION_REUSE_MIXED_TRUST: (f) =>
    `${f.evidence.upstream} (${f.evidence.servers.join(', ')}) is reached from locations with different ${f.evidence.differing.map((k) => TRUST_DIRECTIVE[k] ?? k).join(', ')} ` +
    `while proxy_ssl_session_reuse is on: they share nginx's cached session per upstream server, and a resumed session keeps the ` +
    `verify result of the handshake that created it (SSL_get_verify_result), judged under the other location's trust. So results ` +
    `depend on request order: after a request through a location whose verification fails, the others answer 502 with that ` +
    `location's error until the session expires (TLS 1.2; under TLS 1.3 a failed check stores no session); after a request through ` +
    `a location that verifies, a location that should fail answers 200 and its broken trust goes unnoticed. Locations: ` +
    f.evidence.settings.map((s) => `${s.location ?? '(server)'} at ${s.file}:${s.line}`).join('; ') +
    '. Fix: the same trust settings in all of them, or proxy_ssl_session_reuse off in every location but those sharing one set of ' +
    'settings (tlsdoctor nginx, with probes, names the locations and proves the fix).',
  UNRESOLVED_VARIABLE: (f) =>
    `${f.evidence.directive} ${f.evidence.value} depends on ${f.evidence.variables.map((v) => '$' + v).join(', ')}, known only per request: ` +
    'this upstream cannot be probed from the configuration alone.',
  DIRECTIVE_NOT_ALLOWED: (f) => `"${f.evidence.directive}" is not allowed inside ${f.evidence.context}: nginx refuses to start.`,
  DUPLICATE_DIRECTIVE: (f) => `"${f.evidence.directive}" is set twice in one ${f.evidence.context} block: nginx refuses to start ("is duplicate").`,
  NO_PORT_IN_UPSTREAM: (f) => `${f.evidence.directive} ${f.evidence.address} has no port and this module has no default: nginx refuses to start ("no port in upstream").`,
  TRUSTED_ANCHOR_EXPIRED: (f) =>
    `${f.evidence.path} holds expired root(s): ${anchorsText(f.evidence.anchors)}. OpenSSL checks the root's validity too: chains ending there fail ` +
    `("(10:certificate has expired)")` +
    (f.evidence.validRoots === 0 ? '; no root of the bundle is valid, so every verification fails.' : `; ${f.evidence.validRoots} other root(s) are still valid.`) +
    ` Affects ${affectedText(f.evidence.affected)}.`,
  TRUSTED_ANCHOR_EXPIRES_SOON: (f) =>
    `${f.evidence.path} holds root(s) expiring within ${f.evidence.warnDays} days: ${anchorsText(f.evidence.anchors)}. ` +
    `Chains ending there fail once it expires; add the successor root before. Affects ${affectedText(f.evidence.affected)}.`,
  VERIFY_DEPTH_TOO_SMALL: (f) =>
    `${f.evidence.directive} is ${f.evidence.depth}, but ${f.evidence.path} forms a chain of ${f.evidence.needed} intermediate(s) ` +
    `(${f.evidence.chain.join(' > ')}): a certificate issued by the last one fails (OpenSSL stops at the depth limit; nginx logs "(2:unable to get issuer certificate)"). ` +
    `Set ${f.evidence.directive} ${f.evidence.needed}; if the upstream sends intermediates of its own, count them too. Affects ${affectedText(f.evidence.affected)}.`,
  PROXY_SSL_NAME_IS_IP: (f) =>
    `nginx verifies the upstream certificate against ${f.evidence.name}` +
    (f.evidence.explicit ? ` (${f.evidence.directive})` : ` (the proxy_pass host: ${f.evidence.directive} is not set)`) +
    ` with X509_check_host(), as a host name: the certificate needs DNS:${f.evidence.name.replace(/^\[|\]$/g, '')} (or that CN and no DNS name); ` +
    `an IP address SAN alone fails ("does not match"). Set ${f.evidence.directive} to a DNS name of the certificate. Affects ${affectedText(f.evidence.affected)}.`,
  SUPPRESSION_WITHOUT_REASON: (f) =>
    `"${f.evidence.comment}" has no reason: write "# tlsdoctor: allow ${f.evidence.rules.join(',') || 'RULE_ID'} -- why"; until then it suppresses nothing.`,
  SUPPRESSION_UNKNOWN_RULE: (f) =>
    `"${f.evidence.comment}" names ${f.evidence.rule}, which is no tlsdoctor rule` + (f.evidence.suggestion ? ` (did you mean ${f.evidence.suggestion}?)` : '') + ': it suppresses nothing.',
};

function anchorsText(list: { subject: string; notAfter: string }[]): string {
  return list.map((a) => `${a.subject} (notAfter ${a.notAfter})`).join('; ');
}

/** One lint finding's English, without its place and code (SARIF `message.text`, JUnit `failure`). */
export function lintFindingText(f: AnyLintFinding): string {
  return (LINT_TEXT[f.code] as (x: AnyLintFinding) => string)(f);
}

/** One lint finding as a line: `file:line: severity CODE: text`. */
export function renderLintFinding(f: AnyLintFinding): string {
  return `${f.file}:${f.line}: ${f.severity} ${f.code}: ${lintFindingText(f)}`;
}
