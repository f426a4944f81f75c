/**
 * What only the upstream can change, and what it should change even when nginx can work around it.
 *
 * Blockers are problems no nginx directive can cure without weakening verification: a certificate the server
 * sends that OpenSSL rejects (expired, not yet valid, weak key or signature at the security level, wrong
 * purpose, broken CA), no TLS at all, or only protocol versions nginx's OpenSSL refuses. Lowering the security
 * level or turning verification off would "work" and is exactly what tlsdoctor never proposes.
 * Changes are the sentences of FixPlan.upstreamChanges, most important first.
 */
import type { Cert } from '../certs/cert.js';
import type { Finding, FindingCode } from '../diagnosis/codes.js';
import type { DiagnoseInput, PathItem } from '../diagnosis/types.js';
import { isIpLiteral } from '../nginx/defaults.js';
import type { TlsProtocol } from '../probe/types.js';
import type { NameChoice } from './proxy-ssl-name.js';
import { handshakeBlocker } from './handshake-blockers.js';

export interface UpstreamContext {
  input: DiagnoseInput;
  /** Findings about nginx's connection as configured today (connection, names, SNI). */
  connection: Finding[];
  /** Findings about the chain nginx gets once the plan is applied (with SNI when the plan turns it on). */
  chain: Finding[];
  /** That chain as sent, and the path it builds. */
  sent: Cert[];
  fullPath: PathItem[];
  /** Protocol versions the upstream speaks, when none of them is one nginx's OpenSSL accepts. */
  legacyProtocols?: TlsProtocol[];
  /** The proxy_ssl_name proposal, when the name does not match and SNI does not cure it. */
  name?: NameChoice;
}

export interface Blocker {
  code: FindingCode;
  /** Short clause for FixPlan.reason. */
  summary: string;
  /** The upstream-side change that cures it. */
  change: string;
}

const day = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 10) : String(v));
const q = (s: string): string => `"${s}"`;

/** Certificate problems: from the chain's findings, for certificates the trust store does not own. */
const CERT_BLOCKERS: Partial<Record<FindingCode, (f: Finding, who: string, isLeaf: boolean) => Omit<Blocker, 'code'>>> = {
  EXPIRED: (f, who, isLeaf) => ({
    summary: `${who} expired on ${day(f.evidence.notAfter)}`,
    change: isLeaf
      ? `Renew the upstream's certificate ${who}: it expired on ${day(f.evidence.notAfter)}. Install the new certificate together with its intermediate(s).`
      : `Replace the expired intermediate ${who} (expired on ${day(f.evidence.notAfter)}) in the upstream's certificate file with the CA's current one; if that CA is retired, reissue the leaf from a valid CA.`,
  }),
  NOT_YET_VALID: (f, who) => ({
    summary: `${who} is valid only from ${day(f.evidence.notBefore)}`,
    change: `Install a certificate that is valid now instead of ${who} (valid only from ${day(f.evidence.notBefore)}); if the date is a mistake, fix the issuing system's clock and reissue.`,
  }),
  WEAK_KEY: (f, who) => ({
    summary: `${who} has a ${String(f.evidence.keyType ?? '').toUpperCase()} ${String(f.evidence.keyBits ?? '?')}-bit key, too weak for OpenSSL security level ${String(f.evidence.seclevel ?? 2)}`,
    change: `Reissue ${who} with an RSA key of at least 2048 bits or an ECDSA P-256 key (its ${String(f.evidence.keyType ?? '').toUpperCase()} ${String(f.evidence.keyBits ?? '?')}-bit key is refused at OpenSSL security level ${String(f.evidence.seclevel ?? 2)}).`,
  }),
  WEAK_SIGNATURE: (f, who) => ({
    summary: `${who} is signed with ${String(f.evidence.signatureAlgorithm ?? 'a weak digest')}, refused at OpenSSL security level ${String(f.evidence.seclevel ?? 2)}`,
    change: `Reissue ${who} signed with SHA-256 (e.g. sha256WithRSAEncryption or ecdsa-with-SHA256); it is signed with ${String(f.evidence.signatureAlgorithm ?? 'a weak digest')}.`,
  }),
  BAD_PURPOSE: (f, who) => ({
    summary: `${who} is not allowed for TLS servers (extended key usage ${String(f.evidence.extKeyUsage ?? 'without serverAuth')})`,
    change: `Reissue ${who} with extendedKeyUsage serverAuth (TLS Web Server Authentication); it carries ${String(f.evidence.extKeyUsage ?? 'an extended key usage without serverAuth')}.`,
  }),
  INVALID_CA: (f, who) => ({
    summary: `${who} is not a valid CA certificate (${String(f.evidence.opensslText ?? '')})`,
    change: `Have the upstream's certificate issued by a proper CA: ${who} is not a valid CA certificate for this path (${String(f.evidence.opensslText ?? '')}; it needs basicConstraints CA:TRUE and keyCertSign).`,
  }),
  NAME_CONSTRAINT_VIOLATION: (f, who) => ({
    summary: `${who} violates its CA's name constraints`,
    change: `Reissue ${who} for names its CA is allowed to issue (${String(f.evidence.opensslText ?? 'name constraints violated')}).`,
  }),
  BAD_SIGNATURE: (f, who) => ({
    summary: `the signature of ${who} does not verify`,
    change: `Install ${who} exactly as issued, with the intermediate that really signed it: its signature does not verify (${String(f.evidence.opensslText ?? '')}).`,
  }),
  VERIFY_ERROR: (f, who) => ({
    summary: `OpenSSL rejects ${who} (${String(f.evidence.opensslText ?? '')})`,
    change: `Replace or reissue ${who}: OpenSSL rejects it with error ${String(f.evidence.opensslCode ?? '?')} (${String(f.evidence.opensslText ?? '')}).`,
  }),
};

function connectionBlocker(f: Finding, input: DiagnoseInput): Omit<Blocker, 'code'> | undefined {
  const o = input.observation;
  const where = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  switch (f.code) {
    case 'CONNECTION_REFUSED':
      return {
        summary: `nothing accepts connections on ${where}`,
        change: `Start the upstream service on ${where}, or correct the host and port in proxy_pass: the connection is refused.`,
      };
    case 'TIMEOUT':
      return {
        summary: `${where} does not complete ${f.evidence.stage === 'connect' ? 'a TCP connection' : 'a TLS handshake'}`,
        change:
          f.evidence.stage === 'connect'
            ? `Make ${where} reachable from the nginx host (service running, address right, no firewall dropping the packets).`
            : `${where} accepts TCP but never answers the TLS handshake: check that the service on this port speaks TLS and is not hung.`,
      };
    case 'DNS_FAILURE':
      return {
        summary: `the name ${String(f.evidence.host ?? o.host)} does not resolve`,
        change: `Fix the DNS record of ${String(f.evidence.host ?? o.host)}, or put a name or address that resolves in proxy_pass (nginx refuses to start otherwise).`,
      };
    case 'NOT_TLS':
      return {
        summary: `${where} does not speak TLS`,
        change: `Enable TLS on ${where}, or point proxy_pass https:// at the port where the upstream serves TLS: this port answers in plain text.`,
      };
    case 'HANDSHAKE_FAILED':
      return {
        summary: `the TLS handshake fails (${String(f.evidence.reason ?? f.evidence.alertName ?? f.evidence.outcome ?? 'unknown')})`,
        change: `Check the upstream's TLS configuration (certificate and key pair, cipher suites): the handshake fails with ${String(f.evidence.reason ?? f.evidence.alertName ?? f.evidence.outcome ?? 'an unknown error')}.`,
      };
    default:
      return handshakeBlocker(f);
  }
}

export function upstreamBlockers(ctx: UpstreamContext): Blocker[] {
  const out: Blocker[] = [];
  for (const f of ctx.connection) {
    const b = connectionBlocker(f, ctx.input);
    if (b) out.push({ code: f.code, ...b });
  }
  if (ctx.legacyProtocols) {
    const list = ctx.legacyProtocols.join(', ') || 'no version nginx can use';
    out.push({
      code: 'PROTOCOL_MISMATCH',
      summary: `the upstream speaks only ${list}`,
      change:
        `Enable TLS 1.2 (and TLS 1.3) on the upstream: it speaks only ${list}, whose SHA-1/MD5 handshake signatures ` +
        `nginx's OpenSSL refuses ("legacy sigalg disallowed or unsupported").`,
    });
  }
  const leafSha = ctx.sent[0]?.sha256;
  const seen = new Set<string>();
  for (const f of ctx.chain) {
    const make = CERT_BLOCKERS[f.code];
    // A CA certificate from the user's own bundle is nginx-side: it is handled as a manual step by the plan.
    if (!make || f.cert?.source === 'bundle') continue;
    const key = `${f.code}:${f.cert?.sha256 ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const who = f.cert ? q(f.cert.subject) : 'a certificate of the chain';
    out.push({ code: f.code, ...make(f, who, f.cert?.sha256 === leafSha) });
  }
  if (ctx.name?.kind === 'none') {
    out.push({
      code: 'NAME_MISMATCH',
      summary: 'the certificate holds no host name nginx can check',
      change:
        "Reissue the upstream's certificate with a DNS subjectAltName for the name nginx connects with: " +
        'it holds no DNS name (nginx never consults IP SANs).',
    });
  }
  return out;
}

/** The intermediates of the path the server does not send (what it must add to its certificate file). */
function unsentIntermediates(ctx: UpstreamContext): PathItem[] {
  const sent = new Set(ctx.sent.map((c) => c.sha256));
  return ctx.fullPath.filter((p, depth) => depth > 0 && !p.selfSigned && !sent.has(p.ref.sha256));
}

/**
 * The issuer is found nowhere: an omitted intermediate and an issuer the bundle does not trust (a private CA, a
 * TLS-intercepting proxy) look the same on the wire, and sending the latter only turns 20/21 into 19/2.
 */
function foundNowhereChange(leaf: Cert, issuer: string, aia: unknown, how: string): string {
  const urls = Array.isArray(aia) ? (aia as string[]) : [];
  return (
    `Find out what ${q(issuer)} is: get its certificate from the upstream's operator` +
    (urls.length ? ` or from its AIA URL ${urls.join(', ')} (tlsdoctor fetches it unless --no-fetch)` : '') +
    `. If it is an intermediate of the upstream's CA, make the upstream send it: its certificate file must hold the leaf ${q(leaf.subject)} ` +
    `followed by ${q(issuer)} ${how} If it is a CA you do not trust (a private CA, a TLS-intercepting proxy), sending it only changes ` +
    'the error: trust its root only if it is meant to be trusted (check its SHA-256 out of band), or avoid the interception.'
  );
}

/** Durable fixes and alternatives that do not block the nginx-side workaround. */
export function upstreamImprovements(ctx: UpstreamContext): string[] {
  const out: string[] = [];
  const has = (code: FindingCode, list = ctx.chain): boolean => list.some((f) => f.code === code);
  const leaf = ctx.sent[0];
  if (has('MISSING_INTERMEDIATE') && leaf) {
    const missing = unsentIntermediates(ctx).map((p) => p.ref.subject);
    const names =
      missing.length > 0
        ? missing
        : ctx.chain.filter((f) => f.code === 'MISSING_INTERMEDIATE').map((f) => String(f.evidence.missingIssuer ?? 'its issuer'));
    const files = names.length > 1 ? names.map((_, i) => `intermediate-${i + 1}.pem`) : ['intermediate.pem'];
    const wrong = ctx.chain.filter((f) => f.code === 'EXTRA_CERT' && f.cert && f.cert.index !== undefined);
    const how =
      `(e.g. \`cat leaf.pem ${files.join(' ')} > fullchain.pem\` and point the server's certificate setting at fullchain.pem: ` +
      `nginx ssl_certificate, Apache SSLCertificateFile, HAProxy crt). Then proxy_ssl_trusted_certificate needs only the root.`;
    const nowhere = ctx.chain.find((f) => f.code === 'MISSING_INTERMEDIATE' && f.evidence.foundNowhere === true);
    out.push(
      nowhere && wrong.length === 0
        ? foundNowhereChange(leaf, String(nowhere.evidence.missingIssuer), nowhere.evidence.aiaCaIssuers, how)
        : wrong.length > 0
        ? `In the upstream's certificate file, replace ${wrong.map((f) => `${q(f.cert!.subject)} (sent as #${f.cert!.index})`).join(' and ')} ` +
            `with ${names.map(q).join(', then ')}: what it sends does not issue ${q(leaf.subject)}. The file must hold the leaf ` +
            `followed by ${names.map(q).join(', then ')} ${how}`
        : `Make the upstream send its intermediate${names.length > 1 ? 's' : ''}: its certificate file must hold the leaf ${q(leaf.subject)} ` +
            `followed by ${names.map(q).join(', then ')} ${how}`,
    );
  }
  const nameMismatch = ctx.connection.find((f) => f.code === 'NAME_MISMATCH');
  const sni = ctx.connection.find((f) => f.code === 'SNI_REQUIRED');
  if (sni) {
    out.push(
      `Alternatively, make ${q(String(sni.evidence.withSni))} the certificate the upstream presents without SNI (its default), ` +
        `so nginx verifies without proxy_ssl_server_name.`,
    );
  } else if (nameMismatch && ctx.name?.kind !== 'none') {
    const name = String(nameMismatch.evidence.name);
    const bare = name.replace(/^\[|\]$/g, '');
    out.push(
      isIpLiteral(name)
        ? `Alternatively, reissue the upstream's certificate with a DNS subjectAltName spelled ${q(bare)} (type DNS, not IP: nginx never consults IP SANs), the name nginx checks.`
        : `Alternatively, reissue the upstream's certificate with a DNS subjectAltName for ${q(bare)}, the name nginx checks (proxy_ssl_name).`,
    );
  }
  if (has('SELF_SIGNED_LEAF')) {
    out.push(
      "Alternatively (durable), issue the upstream's certificate from an internal CA and trust that CA's root: " +
        'a pinned self-signed certificate has to be pinned again at every renewal.',
    );
  }
  const rejected = ctx.connection.find((f) => f.code === 'CLIENT_CERT_REJECTED');
  if (rejected) {
    out.push("Alternatively, make the upstream accept the CA that issued nginx's current client certificate.");
  }
  for (const f of ctx.chain) {
    if (f.code === 'EXPIRES_SOON' && f.cert && f.cert.source !== 'bundle') {
      out.push(`Renew ${q(f.cert.subject)} before ${day(f.evidence.notAfter)} (${String(f.evidence.daysLeft)} days left).`);
    }
  }
  return out;
}
