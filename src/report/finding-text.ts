/**
 * English wording of every finding code. `Record<FindingCode, ...>`: the compiler refuses a code without text.
 */
import { ekuNames } from './eku-name.js';
import type { EvidenceValue, Finding, FindingCode } from '../diagnosis/codes.js';

type Ev = Record<string, EvidenceValue>;
const s = (v: EvidenceValue | undefined): string => (Array.isArray(v) ? v.join(', ') : v === null || v === undefined ? '' : String(v));
const list = (v: EvidenceValue | undefined): string => {
  const t = s(v);
  return t === '' ? '(none)' : t;
};

/** The two readings of an issuer found nowhere, and what tells them apart. */
function foundNowhereText(e: Ev): string {
  const aia = Array.isArray(e.aiaCaIssuers) && e.aiaCaIssuers.length > 0;
  return (
    ` It is found nowhere (not sent, not in the bundle, not in --intermediates${aia ? '' : ', no AIA URL'}), and on the wire two cases look the same:` +
    ` (1) the upstream omits an intermediate of its public or private CA: sending it fixes nginx;` +
    ` (2) "${s(e.missingIssuer)}" is a CA the bundle does not trust (a private CA, a TLS-intercepting proxy): sending it would only change the error nginx logs (21 or 20 into 19 or 2), the fix is to trust its root or to avoid the interception.` +
    ` What tells them apart: the certificate of "${s(e.missingIssuer)}" (its issuer, whether it is a root), ${aia ? `the AIA URL ${list(e.aiaCaIssuers)} (fetched unless --no-fetch)` : 'an AIA caIssuers URL (this certificate has none)'}, the issuer's name.`
  );
}

/** The what-if handshakes behind a finding (checks/handshake-cause.ts), as one sentence. */
function triedText(e: Ev): string {
  if (!Array.isArray(e.tried) && !Array.isArray(e.whatIfs)) return '';
  const tries = (Array.isArray(e.tried) ? e.tried : e.whatIfs) as string[];
  if (tries.length === 0) return '';
  return ` What-if handshakes: ${tries.join('; ')}.`;
}

export const FINDING_TEXT: Record<FindingCode, (e: Ev, f: Finding) => string> = {
  CONNECTION_REFUSED: (e) => `Nothing listens on ${s(e.address)}:${s(e.port)}: the connection was refused.`,
  TIMEOUT: (e) =>
    e.stage === 'connect'
      ? `No TCP connection within ${s(e.afterMs)} ms (firewall drop, wrong address, or the host is down).`
      : `TCP connected but no TLS handshake completed within ${s(e.afterMs)} ms: the port accepts connections but does not speak TLS to us (nginx answers 504).`,
  DNS_FAILURE: (e) => `The name ${s(e.host)} does not resolve (${s(e.error)}); nginx would refuse to start with "host not found in upstream".`,
  NOT_TLS: (e) =>
    `The upstream does not speak TLS on this port${e.firstBytes ? ` (it answered "${s(e.firstBytes)}")` : ''}: proxy_pass https:// points at a plain-text port.`,
  PROTOCOL_MISMATCH: (e) =>
    `No TLS version in common: nginx offers ${list(e.offered)}${e.negotiated ? `, the upstream chose ${s(e.negotiated)}` : ''}${e.reason ? ` (${s(e.reason)})` : ''}.`,
  HANDSHAKE_FAILED: (e) =>
    `The TLS handshake failed: ${s(e.reason) || s(e.alertName) || s(e.outcome)}.${triedText(e)}${
      Array.isArray(e.likelyCauses) && e.likelyCauses.length ? ` Likely causes (as tlsdoctor explain ranks this line): ${list(e.likelyCauses)}.` : ''
    }`,
  CIPHER_MISMATCH: (e) =>
    `No cipher suite in common: nginx offers ${s(e.offered)} at security level ${s(e.seclevel)} and the upstream refuses them (${s(e.refusal)})${
      e.accepted ? `; it completes only with ${s(e.accepted)}${e.protocol ? ` (${s(e.protocol)})` : ''}${e.acceptedIsWeak ? ', a suite nginx must never be made to offer' : ''}` : ''
    }.${triedText(e)}`,
  WEAK_EPHEMERAL_KEY: (e) =>
    e.bits !== null && e.bits !== undefined
      ? `The upstream's ephemeral key exchange uses ${s(e.group)} (${s(e.bits)} bits, ${s(e.securityBits)} security bits); OpenSSL at security level ${s(e.seclevel)} needs ${s(e.minimumBits)} bits${e.keyType === 'DH' ? ' (dh key too small)' : ''}.${triedText(e)}`
      : `The upstream's ephemeral DH key is smaller than security level ${s(e.seclevel)} allows (at least ${s(e.minimumBits)} bits): dh key too small.${triedText(e)}`,
  NO_HTTP_RESPONSE: (e) =>
    e.missing === 'closed'
      ? `The handshake completes, but the upstream closes the connection without answering GET ${s(e.path)}: nginx answers 502 ("upstream prematurely closed connection").`
      : `The handshake completes, but the upstream answers GET ${s(e.path)} with "${s(e.firstLine)}", not HTTP: nginx logs it and passes the bytes on as an HTTP/0.9 response, no status line, no headers.`,
  CERT_LIST_TOO_LARGE: (e) =>
    `The upstream's Certificate message is ${e.bytes === null ? 'over' : `${s(e.bytes)} bytes, over`} OpenSSL's limit of ${s(e.limit)} bytes (max_cert_list, 100 KiB by default; nginx has no directive to raise it): "excessive message size".`,
  CLIENT_CERT_REQUIRED: (e) =>
    `The upstream requires a client certificate (mutual TLS) and none is configured${
      Array.isArray(e.acceptableCaNames) && e.acceptableCaNames.length ? `; it accepts certificates from: ${list(e.acceptableCaNames)}` : ''
    }.${e.during === 'first-read' ? ' Under TLS 1.3 this surfaces only when nginx reads the response.' : ''}${
      e.during === 'response' ? ` The handshake completes; the upstream answers the request with "${s(e.statusLine)}", which nginx passes on to its client without logging anything.` : ''
    }`,
  CLIENT_CERT_REJECTED: (e) =>
    `The upstream rejected the client certificate (${e.during === 'response' ? `it answers "${s(e.statusLine)}", which nginx passes on` : `alert ${s(e.alert)} ${s(e.alertName)}`})${
      e.issuerAmongAcceptable === false ? `: its issuer "${s(e.clientCertIssuer)}" is not among the CAs the upstream accepts` : ''
    }${
      Array.isArray(e.acceptableCaNames) && e.acceptableCaNames.length ? `; it accepts certificates from: ${list(e.acceptableCaNames)}` : ''
    }.`,
  SELF_SIGNED_LEAF: (e) =>
    `The upstream's certificate is self-signed and not in the trusted bundle. Trusting exactly this certificate (pinning) works until it expires on ${s(e.notAfter).slice(0, 10)}.`,
  UNTRUSTED_ROOT: () => `The server sends its own root CA, and the trusted bundle does not contain it.`,
  MISSING_INTERMEDIATE: (e) =>
    `The issuer "${s(e.missingIssuer)}" is missing: the server does not send it${e.foundIn ? ` (found in ${s(e.foundIn)}: ${s(e.foundAt)})` : ' and it is not in the bundle'}.${
      e.authorityKeyId ? ` Key id ${s(e.authorityKeyId)}.` : ''
    }${Array.isArray(e.aiaCaIssuers) && e.aiaCaIssuers.length ? ` AIA: ${list(e.aiaCaIssuers)}.` : ''}${
      Array.isArray(e.unrelatedSent) && e.unrelatedSent.length ? ` The server sends instead: ${list(e.unrelatedSent)}.` : ''
    }${e.foundNowhere === true ? foundNowhereText(e) : ''}`,
  UNKNOWN_CA: (e) =>
    `Nothing in the trusted bundle anchors this chain: its top is issued by "${s(e.missingIssuer)}"${
      e.authorityKeyId ? ` (key id ${s(e.authorityKeyId)})` : ''
    }, which the bundle (${s(e.bundleSize)} certificates) does not hold.${e.proposedAnchor ? ` Candidate root: ${s(e.proposedAnchor)}.` : ''}`,
  PARTIAL_CHAIN_BUNDLE: (e) =>
    `The bundle holds this intermediate but not the root above it ("${s(e.missingIssuer)}"): nginx accepts no partial chains, an intermediate alone is not a trust anchor.`,
  PINNED_LEAF: () =>
    `The bundle holds the upstream's own (CA-issued) certificate. That is not a trust anchor for OpenSSL: it needs the issuing CA's root.`,
  CHAIN_TOO_DEEP: (e) =>
    `The chain needs proxy_ssl_verify_depth ${s(e.neededDepth)} (it has ${s(e.neededDepth)} intermediate(s)); the configured depth is ${s(e.configuredDepth)}.`,
  NO_TRUST_BUNDLE: (e) =>
    `No --ca given: judged against the system CA store (${s(e.trustedCount)} certificates). nginx has no such default: proxy_ssl_trusted_certificate must name a file.`,
  EXPIRED: (e) => `Expired on ${s(e.notAfter).slice(0, 10)} (${s(e.days)} days ago).`,
  NOT_YET_VALID: (e) => `Not valid before ${s(e.notBefore).slice(0, 10)} (${s(e.days)} days from now): check the clocks or the certificate.`,
  WEAK_SIGNATURE: (e) => `Signed with ${s(e.signatureAlgorithm)}, too weak for OpenSSL security level ${s(e.seclevel)}.`,
  WEAK_KEY: (e) => `${s(e.keyType).toUpperCase()} ${s(e.keyBits)}-bit key (${s(e.securityBits)} security bits) is too weak for OpenSSL security level ${s(e.seclevel)}.`,
  BAD_PURPOSE: (e) => `Not usable for a TLS server: extended key usage is ${ekuNames(s(e.extKeyUsage)).join(', ') || 'restricted'} without serverAuth.`,
  INVALID_CA: (e) => `Not a valid CA for this path (${s(e.opensslText)}).`,
  NAME_CONSTRAINT_VIOLATION: (e) => `Violates a CA's name constraints (${s(e.opensslText)}).`,
  BAD_SIGNATURE: (e) => `Its signature does not verify (${s(e.opensslText)}).`,
  VERIFY_ERROR: (e) => `OpenSSL verify error ${s(e.opensslCode)}: ${s(e.opensslText)}.`,
  NAME_MISMATCH: (e) => {
    const names = [...(Array.isArray(e.dnsNames) ? (e.dnsNames as string[]).map((n) => `DNS:${n}`) : [])];
    const ips = Array.isArray(e.ipAddresses) ? (e.ipAddresses as string[]).map((n) => `IP:${n}`) : [];
    const cns = e.cnConsidered && Array.isArray(e.commonNames) ? (e.commonNames as string[]).map((n) => `CN=${n}`) : [];
    let text = `The certificate does not hold the name nginx checks, "${s(e.name)}" (proxy_ssl_name). It holds: ${[...names, ...ips, ...cns].join(', ') || '(no names)'}.`;
    if (e.ipSanIgnored) text += ` It does have IP SAN ${s(e.name)}, but nginx never consults IP SANs: it matches names only.`;
    else if (e.nameIsIp) text += ` proxy_pass to an IP makes nginx check the IP as a name.`;
    return text;
  },
  SNI_REQUIRED: (e) =>
    e.refusedWithoutSni
      ? `Without SNI the upstream refuses the handshake (${s(e.withoutSni).replace(/^no certificate: the handshake is refused \((.*)\)$/, '$1')}); with SNI "${s(e.name)}" it completes and presents "${s(e.withSni)}". nginx sends no SNI unless proxy_ssl_server_name is on.${triedText(e)}`
      : `Without SNI the server presents "${s(e.withoutSni)}"; with SNI "${s(e.name)}" it presents "${s(e.withSni)}". nginx sends no SNI unless proxy_ssl_server_name is on.`,
  ROOT_SENT: () => `The server sends a root certificate: tolerated (the bundle decides trust), but wasted bytes.`,
  WRONG_ORDER: (e) => `The server sends its chain out of order (path order ${list(e.pathOrder)}, sent as ${list(e.sentOrder)}): tolerated by nginx.`,
  DUPLICATE_CERT: (e) => `Sent twice (positions ${s(e.firstIndex)} and ${s(e.index)}): tolerated.`,
  ALTERNATIVE_PATH: (e) =>
    `Not on the path nginx builds, but on another path to the root "${s(e.anchor)}" (${Array.isArray(e.path) ? (e.path as string[]).map((n) => `"${n}"`).join(' → ') : ''}): a cross-signed copy. ` +
    (e.works === true
      ? e.how === 'upstream-sends'
        ? 'That path works with your bundle if the upstream sends this copy first (OpenSSL takes the first valid issuer in sent order and never backtracks).'
        : `That path works once the bundle holds ${e.anchorInBundle === true ? 'this copy next to the root' : 'its root'} (see the fix).`
      : `That path does not work either (${s(e.failure) || 'rejected'}).`),
  EXTRA_CERT: () => `Sent but not part of the path to the trust anchor: an unrelated or wrong certificate, ignored by nginx.`,
  EXPIRES_SOON: (e) => `Expires on ${s(e.notAfter).slice(0, 10)}: ${s(e.daysLeft)} days left.`,
};

export function findingText(f: Finding): string {
  return FINDING_TEXT[f.code](f.evidence, f);
}
