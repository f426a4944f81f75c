/**
 * buildFixPlan(): from a diagnosis to the exact files and directives that make nginx verify this upstream and
 * succeed, or to the upstream-side change when no nginx directive can (STYLE.md 9: a file, a directive, a
 * command). Pure: it writes nothing and does not probe; the caller runs the closed loop (re-probe with
 * settingsForPlan, re-diagnose with trustedForPlan) and fills in `verified`.
 *
 * Never proposed, whatever the diagnosis: `proxy_ssl_verify off`, a lower OpenSSL security level
 * (`@SECLEVEL=0/1` in proxy_ssl_ciphers), TLS 1.0/1.1, or a partial chain as trust anchor.
 */
import { certTimeText } from '../certs/time-text.js';
import type { Cert } from '../certs/cert.js';
import type { Finding } from '../diagnosis/codes.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { presentedSource } from '../diagnosis/presented-by.js';
import type { DiagnoseInput, Diagnosis } from '../diagnosis/types.js';
import { defaultProtocols, isIpLiteral, proxyHostOf, type NginxSettings } from '../nginx/defaults.js';
import type { ProbeObservation, TlsProtocol } from '../probe/types.js';
import { describeAlternatives, refusedText } from './alternatives.js';
import { choosePath } from './choose-path.js';
import { inputDeadEnds } from './dead-ends.js';
import { presentedChainFile } from './presented-chain.js';
import { chooseProxySslName, type NameChoice } from './proxy-ssl-name.js';
import { nginxArg, snippetFile } from './snippet.js';
import { keepCurrentBundle, knownCertificates, selectTrust, trustedCaFile, type ChainView, type TrustSelection } from './trust-bundle.js';
import type { FixDirective, FixFile, FixPlan, PlanNginxSettings } from './types.js';
import { upstreamBlockers, upstreamImprovements, type UpstreamContext } from './upstream-side.js';
import { upstreamLabel } from './upstream-label.js';

export interface FixPlanOptions {
  /** Where trusted-ca.pem will live on the nginx host (the snippet's proxy_ssl_trusted_certificate). */
  installPath: string;
  /** Protocol versions the upstream accepts (one what-if handshake per version), for PROTOCOL_MISMATCH. */
  serverProtocols?: TlsProtocol[];
  /** Dead ends found outside these inputs (nginx configs), as sentences: see configDeadEndText(). */
  deadEnds?: string[];
  /** May the fix anchor on a root older than the one the user trusts (a retiring cross-signer)? Default: no. */
  allowRootChange?: boolean;
}

/** Placeholders for mTLS: tlsdoctor never reads, writes or guesses a private key. */
export const CLIENT_CERT_PLACEHOLDER = '/etc/nginx/tls/client.crt';
export const CLIENT_KEY_PLACEHOLDER = '/etc/nginx/tls/client.key';

/** The versions nginx's OpenSSL 3 completes at security level >= 1 (TLS 1.0/1.1 need SHA-1/MD5 signatures). */
const NGINX_TLS: TlsProtocol[] = ['TLSv1.2', 'TLSv1.3'];

const q = (s: string): string => `"${s}"`;
const day = (d: Date | string): string => (typeof d === 'string' ? d : certTimeText(d)).slice(0, 10);

interface ProtocolAdvice {
  set?: TlsProtocol[];
  why?: string;
  /** The upstream speaks only versions nginx refuses: an upstream fix. */
  legacy?: TlsProtocol[];
}

function protocolAdvice(input: DiagnoseInput, findings: Finding[], serverProtocols?: TlsProtocol[]): ProtocolAdvice {
  const { settings, observation: o } = input;
  const defaults = defaultProtocols(settings.nginxVersion);
  const mismatch = findings.find((f) => f.code === 'PROTOCOL_MISMATCH');
  if (mismatch) {
    // A completed handshake on TLS 1.0/1.1 while nginx also offered 1.2: that version is the server's best.
    const server = serverProtocols ?? (o.outcome === 'handshake' && o.protocol ? [o.protocol] : undefined);
    if (server) {
      if (!server.some((p) => NGINX_TLS.includes(p))) return { legacy: server };
      return {
        set: NGINX_TLS,
        why:
          `the upstream speaks ${server.join(', ')}; nginx offered ${settings.proxySslProtocols.join(' ')}` +
          (settings.proxySslProtocols.includes('TLSv1.3') ? '' : ' (TLSv1.3 joined the default only in nginx 1.23.4)') +
          '. TLSv1.2 and TLSv1.3 are the versions nginx\'s OpenSSL completes',
      };
    }
    return {
      set: NGINX_TLS,
      why:
        `the upstream refused every version nginx offered (${settings.proxySslProtocols.join(' ')}); ` +
        'TLSv1.2 and TLSv1.3 are the versions nginx\'s OpenSSL completes (TLSv1.3 is in the default only since 1.23.4)',
    };
  }
  // A version was agreed (ServerHello seen; a later alert, e.g. a TLS 1.3 client-certificate demand, does not
  // change that) that nginx's default list lacks: the snippet must carry the list, or a location holding only
  // proxy_pass falls back to the default and loses it.
  if (o.protocol && !defaults.includes(o.protocol) && NGINX_TLS.includes(o.protocol)) {
    return {
      set: NGINX_TLS,
      why: `the upstream negotiates ${o.protocol}, which nginx ${settings.nginxVersion}'s default proxy_ssl_protocols (${defaults.join(' ')}) lacks`,
    };
  }
  return {};
}

function trustWhy(selection: TrustSelection, view: ChainView): string {
  const pinned = selection.trust.find((t) => t.role === 'pinned-leaf');
  if (pinned) {
    return (
      `pins the upstream's self-signed certificate ${q(pinned.subject)} (expires ${day(pinned.notAfter)}): ` +
      'a self-signed certificate is its own trust anchor. nginx never uses the system CA store'
    );
  }
  if (selection.keptCurrent) {
    return 'your current bundle, unchanged: the handshake failed before the upstream sent its certificates, so there is no chain to narrow it to';
  }
  const root = selection.trust.find((t) => t.role === 'root');
  const inter = selection.trust.filter((t) => t.role === 'intermediate');
  if (root) {
    return (
      `trusted-ca.pem: the root ${q(root.subject)} that anchors the chain` +
      (inter.length
        ? ` plus ${inter.map((t) => q(t.subject)).join(', ')}, which the upstream ` +
          (inter.some((t) => t.sentFirstElsewhere)
            ? 'sends only after a cross-signed copy that OpenSSL takes first (in the bundle it is found first: trusted-first)'
            : 'does not send')
        : '') +
      '. nginx never uses the system CA store and accepts no partial chains'
    );
  }
  if (selection.missingRoot) {
    return `the bundle must hold the root above ${q(selection.missingRoot.top)}, which tlsdoctor did not find (see the manual step)`;
  }
  if (selection.refusedRoot) {
    return `the bundle must hold a root you trust above ${q(selection.refusedRoot.below)}; the one found, ${q(selection.refusedRoot.subject)}, is older and not proposed (see the manual step)`;
  }
  return view.fullPath.length === 0
    ? 'the CA bundle for this upstream (tlsdoctor saw no certificate to build it from)'
    : 'the CA bundle for this upstream';
}

/** The chain nginx will receive once the plan is applied, and its diagnosis. */
interface PlanChain {
  /** A what-if handshake's chain, when nginx's own handshake failed before the Certificate message. */
  whatIf?: NonNullable<DiagnoseInput['whatIfChain']>;
  /** That what-if was the SNI one: it completed the handshake nginx's own attempt failed. */
  sniWhatIf: boolean;
  /** SNI is the cure: the plan's chain is the one presented with SNI. */
  useSni: boolean;
  /** The handshake the plan's chain comes from, when it is not nginx's own. */
  alt?: { observation: ProbeObservation; sent: Cert[]; change: 'protocols' | 'sni' };
  /** The diagnosis of that chain (the given one when it is nginx's own). */
  diagnosis: Diagnosis;
  view: ChainView;
}

/**
 * The chain nginx will receive once the plan is applied: the one presented with SNI when SNI is the cure, or the
 * one a what-if handshake saw when nginx's own handshake failed before the Certificate message.
 */
function planChain(input: DiagnoseInput, diagnosis: Diagnosis, sniFinding: Finding | undefined): PlanChain {
  const { settings, observation: o } = input;
  const whatIf = input.sent.length === 0 && (input.whatIfChain?.sent.length ?? 0) > 0 ? input.whatIfChain : undefined;
  const sniWhatIf = whatIf?.change === 'sni';
  const useSni = (!!sniFinding && !!input.sniObservation && (input.sniSent?.length ?? 0) > 0) || sniWhatIf;
  const alt = whatIf ?? (useSni ? { observation: input.sniObservation!, sent: input.sniSent!, change: 'sni' as const } : undefined);
  const chainDiagnosis = alt
    ? diagnose({
        ...input,
        observation: alt.observation,
        sent: alt.sent,
        unparsable: undefined,
        sniObservation: undefined,
        sniSent: undefined,
        whatIfChain: undefined,
        settings: { ...settings, proxySslServerName: settings.proxySslServerName || alt.change === 'sni' },
      })
    : diagnosis;
  const view: ChainView = {
    sent: alt ? alt.sent : input.sent,
    sni: alt ? alt.observation.sni : o.sni,
    fullPath: chainDiagnosis.fullPath,
  };
  return { whatIf, sniWhatIf, useSni, alt, diagnosis: chainDiagnosis, view };
}

/** What the nginx-side lines are built from. */
interface LineContext {
  input: DiagnoseInput;
  findings: Finding[];
  chain: PlanChain;
  selection: TrustSelection;
  sniFinding?: Finding;
  name?: NameChoice;
  protocols: ProtocolAdvice;
}

/** The snippet's lines, the settings they set, and the steps tlsdoctor cannot fill in, in the order found. */
interface PlanLines {
  directives: FixDirective[];
  apply: PlanNginxSettings;
  manual: string[];
}

/** proxy_ssl_verify_depth, when the path needs more than nginx's default 1 or than the configured depth. */
function addDepth(ctx: LineContext, out: PlanLines): void {
  const { settings } = ctx.input;
  const needed = ctx.selection.neededDepth ?? ctx.chain.diagnosis.neededDepth;
  if (needed === null || !(needed > 1 || settings.proxySslVerifyDepth < needed)) return;
  const inter = ctx.chain.view.fullPath.slice(1, -1).map((p) => q(p.ref.subject));
  out.apply.proxySslVerifyDepth = needed;
  out.directives.push({
    line: `proxy_ssl_verify_depth ${needed};`,
    why:
      `the chain has ${needed} intermediate CA${needed === 1 ? '' : 's'} between the certificate and the root (${inter.join(', ')}); ` +
      (needed > 1 ? "nginx's default depth 1 allows one" : `the configured depth was ${settings.proxySslVerifyDepth}`),
  });
}

/** proxy_ssl_server_name on, when SNI is the cure or the settings already send it; returns whether SNI is on. */
function addSni(ctx: LineContext, out: PlanLines): boolean {
  const { settings } = ctx.input;
  const { useSni, sniWhatIf, alt } = ctx.chain;
  const sniFinding = ctx.sniFinding;
  const sniOn = useSni || (settings.proxySslServerName && !isIpLiteral(settings.proxySslName));
  if (!sniOn) return false;
  out.apply.proxySslServerName = true;
  out.directives.push({
    line: 'proxy_ssl_server_name on;',
    why: sniWhatIf
      ? `send SNI ${q(settings.proxySslName)}: without it the upstream ends the handshake before sending a certificate; with it, it presents ${q(alt!.sent[0].subject)}`
      : useSni && sniFinding!.evidence.refusedWithoutSni
      ? `send SNI: without it the upstream refuses the handshake; with SNI ${q(settings.proxySslName)} it completes and presents ${q(String(sniFinding!.evidence.withSni))}`
      : useSni
      ? `send SNI: without it the upstream presents ${q(String(sniFinding!.evidence.withoutSni))}, with SNI ${q(settings.proxySslName)} it presents ${q(String(sniFinding!.evidence.withSni))}`
      : `send SNI ${q(settings.proxySslName)} as your settings do: the certificate checked is the one presented for that name`,
  });
  return true;
}

/** proxy_ssl_name: a name the certificate holds, the user's kept for completeness, or a manual step (wildcards). */
function addName(ctx: LineContext, sniOn: boolean, out: PlanLines): void {
  const { settings, observation: o } = ctx.input;
  const name = ctx.name;
  if (name?.kind === 'name') {
    out.apply.proxySslName = name.name;
    const current = settings.proxySslName;
    out.directives.push({
      line: `proxy_ssl_name ${name.name};`,
      why:
        `the name nginx checks (X509_check_host) and sends as SNI when SNI is on. The default $proxy_host gives ${q(current)}, which the ` +
        `certificate does not hold${isIpLiteral(current) ? ' (nginx never consults IP SANs)' : ''}; ${q(name.name)} is ` +
        `${name.from === 'dns-san' ? 'a DNS SAN' : 'the CN (it has no DNS SAN)'} of ${q(ctx.input.sent[0]!.subject)}`,
    });
  } else if (name?.kind === 'wildcard-only') {
    out.manual.push(
      `Set proxy_ssl_name to the upstream's real host name: the certificate holds only ${name.wildcards.map(q).join(', ')}, ` +
        `and ${q(settings.proxySslName)} is not covered (a wildcard matches exactly one left-most label). ` +
        'tlsdoctor does not invent a host name; add proxy_ssl_name <name>; to upstream-ssl.conf.',
    );
  } else if (sniOn || settings.proxySslName !== proxyHostOf(o.host)) {
    out.apply.proxySslName = settings.proxySslName;
    out.directives.push({
      line: `proxy_ssl_name ${nginxArg(settings.proxySslName)};`,
      why: sniOn
        ? 'the name sent as SNI and checked in the certificate'
        : 'your proxy_ssl_name, kept so the file is complete on its own (the certificate holds this name)',
    });
  }
}

/** proxy_ssl_certificate(_key): placeholders when the upstream wants (another) client certificate, else the user's. */
function addClientCert(ctx: LineContext, out: PlanLines): void {
  const { settings, observation: o } = ctx.input;
  const required = ctx.findings.find((f) => f.code === 'CLIENT_CERT_REQUIRED');
  const rejected = ctx.findings.find((f) => f.code === 'CLIENT_CERT_REJECTED');
  const mtls = required ?? rejected;
  if (mtls) {
    const names = Array.isArray(mtls.evidence.acceptableCaNames) ? (mtls.evidence.acceptableCaNames as string[]) : [];
    const accepted = names.length ? `issued by one of: ${names.map(q).join(', ')}` : '(the upstream names no acceptable CA)';
    out.apply.proxySslCertificate = CLIENT_CERT_PLACEHOLDER;
    out.apply.proxySslCertificateKey = CLIENT_KEY_PLACEHOLDER;
    out.directives.push(
      {
        line: `proxy_ssl_certificate ${CLIENT_CERT_PLACEHOLDER};`,
        why:
          (rejected
            ? `the upstream rejected the client certificate nginx sends${settings.proxySslCertificate ? ` (${settings.proxySslCertificate})` : ''}, alert ${String(rejected.evidence.alertName ?? rejected.evidence.alert)}; `
            : 'the upstream requires a client certificate (mutual TLS); ') +
          `it accepts one ${accepted}. PLACEHOLDER path: put that certificate (with its intermediates) here`,
      },
      {
        line: `proxy_ssl_certificate_key ${CLIENT_KEY_PLACEHOLDER};`,
        why: "the private key of that client certificate (PLACEHOLDER path; tlsdoctor never reads or writes keys)",
      },
    );
    out.manual.push(
      `Put a client certificate ${accepted} and its private key at ${CLIENT_CERT_PLACEHOLDER} and ${CLIENT_KEY_PLACEHOLDER} ` +
        '(or change both paths in upstream-ssl.conf); keep the key readable only by nginx.',
    );
  } else if (settings.proxySslCertificate && o.clientCertRequested) {
    out.apply.proxySslCertificate = settings.proxySslCertificate;
    out.directives.push({
      line: `proxy_ssl_certificate ${nginxArg(settings.proxySslCertificate)};`,
      why: 'your client certificate: the upstream asks for one and accepted it',
    });
    if (settings.proxySslCertificateKey) {
      out.apply.proxySslCertificateKey = settings.proxySslCertificateKey;
      out.directives.push({ line: `proxy_ssl_certificate_key ${nginxArg(settings.proxySslCertificateKey)};`, why: 'the private key of that client certificate' });
    }
  }
}

/** The lines that make nginx verify and succeed, after the two every plan has (verify on, the trusted bundle). */
function addNginxSideLines(ctx: LineContext, out: PlanLines): void {
  addDepth(ctx, out);
  const sniOn = addSni(ctx, out);
  addName(ctx, sniOn, out);
  if (ctx.protocols.set) {
    out.apply.proxySslProtocols = ctx.protocols.set;
    out.directives.push({ line: `proxy_ssl_protocols ${ctx.protocols.set.join(' ')};`, why: ctx.protocols.why ?? '' });
  }
  addClientCert(ctx, out);
}

/** What tlsdoctor could not fill in about trust: the root it did not find, bundle CAs outside their validity. */
function addTrustSteps(selection: TrustSelection, chainFindings: Finding[], nginxFixable: boolean, manual: string[]): void {
  if (selection.refusedRoot && nginxFixable) {
    const r = selection.refusedRoot;
    manual.push(
      `No working path to a root you trust was found: the only working one ends at ${q(r.subject)}, older than the root ` +
        `you trust (see "Not proposed"). If the upstream's CA is moving to your root (cross-signing), get the copy of ${q(r.below)} ` +
        "issued by your root from the upstream's operator and pass it with --intermediates FILE; if " +
        `${q(r.subject)} is the root you mean to trust, pass --allow-root-change.`,
    );
  }
  if (selection.missingRoot && nginxFixable) {
    manual.push(
      `Find the root of this chain: its top, ${q(selection.missingRoot.top)}, is issued by ${q(selection.missingRoot.issuer)}, ` +
        'which the upstream does not send and which is neither in your bundle nor in --intermediates (nor fetched via AIA). ' +
        "Get that CA certificate (and any intermediate above it) from the upstream's operator, check its SHA-256 out of band, " +
        'and pass it with --intermediates FILE: tlsdoctor then writes trusted-ca.pem. An intermediate alone is no anchor for nginx.',
    );
  }
  for (const f of chainFindings) {
    if ((f.code === 'EXPIRED' || f.code === 'NOT_YET_VALID') && f.cert?.source === 'bundle') {
      manual.push(
        `Replace ${q(f.cert.subject)} in your bundle with the CA's current certificate: it ${f.code === 'EXPIRED' ? `expired on ${day(String(f.evidence.notAfter))}` : `is valid only from ${day(String(f.evidence.notBefore))}`}.`,
      );
    }
  }
}

/** presented-chain.pem, trusted-ca.pem and, only with the bundle, upstream-ssl.conf. */
function planFiles(input: DiagnoseInput, chain: PlanChain, selection: TrustSelection, directives: FixDirective[], installPath: string): FixFile[] {
  const files: FixFile[] = [];
  const whatIf = chain.whatIf;
  const target = upstreamLabel(input.observation, input.settings.proxySslName);
  // The header names the handshake that got the chain: a handshake what-if's chain is `input.sent` while
  // `input.observation` is nginx's failed handshake (run-probe.ts presentedOf), so its observation is taken from there.
  const source = presentedSource(input);
  const presented = presentedChainFile(
    whatIf
      ? { ...input, observation: whatIf.observation, sent: whatIf.sent, unparsable: undefined }
      : source
        ? { ...input, observation: source.observation }
        : input,
    source?.change,
  );
  if (presented) files.push(presented);
  const bundle = trustedCaFile(selection, target);
  if (bundle) {
    files.push(bundle);
    // Without the bundle the snippet would name a file that does not exist: nginx would refuse to start.
    files.push(snippetFile(directives, target, installPath));
  }
  return files;
}

export function buildFixPlan(input: DiagnoseInput, diagnosis: Diagnosis, opts: FixPlanOptions): FixPlan {
  const findings = diagnosis.findings;
  const { settings, observation: o } = input;
  const sniFinding = findings.find((f) => f.code === 'SNI_REQUIRED');
  const chain = planChain(input, diagnosis, sniFinding);
  const { view, useSni } = chain;
  // No chain seen (the handshake failed before the Certificate message): keep the bundle the user has.
  // Among every proven path to a root: the user's roots first, the newest root, never an older one unasked.
  const choice = choosePath(chain.diagnosis.paths, { allowRootChange: opts.allowRootChange, bundleRoots: () => bundleRootDates(input) });
  const refusedRoots = new Set(choice.refused.map((c) => c.path.anchor.sha256));
  const selection = view.sent.length === 0 && o.outcome !== 'handshake' ? keepCurrentBundle(input) : selectTrust(view, input, choice.chosen, refusedRoots);
  const alternatives = describeAlternatives(choice.alternatives, input, view.sent);

  const leaf = input.sent[0];
  const name: NameChoice | undefined = findings.some((f) => f.code === 'NAME_MISMATCH') && !useSni && leaf ? chooseProxySslName(leaf, settings.proxySslName) : undefined;
  const protocols = protocolAdvice(input, findings, opts.serverProtocols);

  const uctx: UpstreamContext = {
    input,
    // The SNI what-if completed the handshake nginx's own attempt failed (refused, or left unanswered): SNI, not
    // the upstream, is the cure.
    connection: chain.sniWhatIf || sniFinding?.evidence.refusedWithoutSni ? findings.filter((f) => f.code !== 'HANDSHAKE_FAILED' && f.code !== 'TIMEOUT') : findings,
    chain: chain.diagnosis.findings,
    sent: view.sent,
    fullPath: view.fullPath,
    ...(protocols.legacy ? { legacyProtocols: protocols.legacy } : {}),
    ...(name ? { name } : {}),
  };
  const blockers = upstreamBlockers(uctx);
  const upstreamChanges = [...new Set([...blockers.map((b) => b.change), ...upstreamImprovements(uctx)])];
  const nginxFixable = blockers.length === 0;

  const lines: PlanLines = {
    apply: {},
    manual: [],
    directives: [
      { line: 'proxy_ssl_verify on;', why: "verify the upstream's certificate chain and name; nginx's default accepts any certificate" },
      { line: `proxy_ssl_trusted_certificate ${nginxArg(opts.installPath)};`, why: trustWhy(selection, view) },
    ],
  };
  if (nginxFixable) addNginxSideLines({ input, findings, chain, selection, sniFinding, name, protocols }, lines);
  addTrustSteps(selection, chain.diagnosis.findings, nginxFixable, lines.manual);
  const { directives, apply, manual } = lines;

  const deadEnds = [...new Set([...inputDeadEnds(input, [...findings, ...(useSni ? chain.diagnosis.findings : [])]), ...(opts.deadEnds ?? [])])];

  return {
    nginxFixable,
    upstreamChanges,
    directives,
    files: planFiles(input, chain, selection, directives, opts.installPath),
    trust: selection.trust,
    ...(selection.keptCurrent ? { trustNotNarrowed: true as const } : {}),
    verified: null,
    verifyError: null,
    deadEnds,
    ...(nginxFixable
      ? {}
      : {
          reason:
            `only the upstream can fix this: ${blockers.map((b) => b.summary).join('; ')}. ` +
            'No nginx directive cures it without weakening verification.',
        }),
    alreadyOk: diagnosis.nginx.ok,
    nginxSettings: apply,
    ...(manual.length ? { manual } : {}),
    ...(alternatives.length ? { alternatives } : {}),
    ...(choice.refused.length ? { notProposed: choice.refused.map(refusedText) } : {}),
  };
}

/**
 * notBefore of the roots of the user's proxy_ssl_trusted_certificate, for choosePath's "older than every root you
 * trust"; none for the system store, which is no choice of the user's. A root is told by its name (self-issued:
 * subject = issuer), which needs no OpenSSL parse and signature check of every certificate of a large bundle; a
 * certificate whose validity cannot be read says nothing about a generation and is skipped.
 */
function bundleRootDates(input: DiagnoseInput): string[] {
  if (input.trustSource !== 'bundle') return [];
  const out: string[] = [];
  for (const c of input.trusted) {
    try {
      if (c.subject === c.issuer && !Number.isNaN(c.notBefore.getTime())) out.push(c.notBefore.toISOString());
    } catch {
      /* a certificate whose fields cannot be read (parsed lazily): no root nginx loads either */
    }
  }
  return out;
}

/**
 * The settings nginx runs with once upstream-ssl.conf replaces the location's proxy_ssl_* lines: what the plan
 * sets, nginx's defaults for the rest (proxy_ssl_name keeps the current value: its default, $proxy_host, is not
 * known here, and the plan carries it whenever it differs from the proxy_pass host).
 */
export function settingsForPlan(plan: FixPlan, settings: NginxSettings): NginxSettings {
  const a = plan.nginxSettings ?? {};
  const out: NginxSettings = {
    ...settings,
    proxySslName: a.proxySslName ?? settings.proxySslName,
    proxySslServerName: a.proxySslServerName ?? false,
    proxySslVerifyDepth: a.proxySslVerifyDepth ?? 1,
    proxySslProtocols: a.proxySslProtocols ?? defaultProtocols(settings.nginxVersion),
  };
  delete out.proxySslCertificate;
  delete out.proxySslCertificateKey;
  if (a.proxySslCertificate) out.proxySslCertificate = a.proxySslCertificate;
  if (a.proxySslCertificateKey) out.proxySslCertificateKey = a.proxySslCertificateKey;
  return out;
}

/** The certificates of the proposed trusted-ca.pem, looked up in the inputs the plan was built from. */
export function trustedForPlan(plan: FixPlan, input: DiagnoseInput): Cert[] {
  const known = knownCertificates(input);
  return plan.trust.map((t) => known.get(t.sha256)?.cert).filter((c): c is Cert => c !== undefined);
}
