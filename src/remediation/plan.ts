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
import type { TlsProtocol } from '../probe/types.js';
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
  return view.fullPath.length === 0
    ? 'the CA bundle for this upstream (tlsdoctor saw no certificate to build it from)'
    : 'the CA bundle for this upstream';
}

export function buildFixPlan(input: DiagnoseInput, diagnosis: Diagnosis, opts: FixPlanOptions): FixPlan {
  const findings = diagnosis.findings;
  const find = (code: Finding['code'], list = findings): Finding | undefined => list.find((f) => f.code === code);
  const { settings, observation: o } = input;
  const target = upstreamLabel(o, settings.proxySslName);

  // The chain nginx will receive once the plan is applied: the one presented with SNI when SNI is the cure, or the
  // one a what-if handshake saw when nginx's own handshake failed before the Certificate message.
  const sniFinding = find('SNI_REQUIRED');
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
  // No chain seen (the handshake failed before the Certificate message): keep the bundle the user has.
  // Among every proven path to a root: the user's roots first, the newest root, never an older one unasked.
  const choice = choosePath(chainDiagnosis.paths, { allowRootChange: opts.allowRootChange });
  const selection = view.sent.length === 0 && o.outcome !== 'handshake' ? keepCurrentBundle(input) : selectTrust(view, input, choice.chosen);
  const alternatives = describeAlternatives(choice.alternatives, input, view.sent);

  const mismatch = find('NAME_MISMATCH');
  const leaf = input.sent[0];
  const name: NameChoice | undefined = mismatch && !useSni && leaf ? chooseProxySslName(leaf, settings.proxySslName) : undefined;
  const protocols = protocolAdvice(input, findings, opts.serverProtocols);

  const uctx: UpstreamContext = {
    input,
    // The SNI what-if completed the handshake nginx's own attempt failed (refused, or left unanswered): SNI, not
    // the upstream, is the cure.
    connection: sniWhatIf || sniFinding?.evidence.refusedWithoutSni ? findings.filter((f) => f.code !== 'HANDSHAKE_FAILED' && f.code !== 'TIMEOUT') : findings,
    chain: chainDiagnosis.findings,
    sent: view.sent,
    fullPath: view.fullPath,
    ...(protocols.legacy ? { legacyProtocols: protocols.legacy } : {}),
    ...(name ? { name } : {}),
  };
  const blockers = upstreamBlockers(uctx);
  const upstreamChanges = [...new Set([...blockers.map((b) => b.change), ...upstreamImprovements(uctx)])];
  const nginxFixable = blockers.length === 0;
  const manual: string[] = [];

  // --- directives ------------------------------------------------------------------------------------------
  const apply: PlanNginxSettings = {};
  const directives: FixDirective[] = [
    {
      line: 'proxy_ssl_verify on;',
      why: "verify the upstream's certificate chain and name; nginx's default accepts any certificate",
    },
    { line: `proxy_ssl_trusted_certificate ${nginxArg(opts.installPath)};`, why: trustWhy(selection, view) },
  ];

  if (nginxFixable) {
    const needed = selection.neededDepth ?? chainDiagnosis.neededDepth;
    if (needed !== null && (needed > 1 || settings.proxySslVerifyDepth < needed)) {
      const inter = view.fullPath.slice(1, -1).map((p) => q(p.ref.subject));
      apply.proxySslVerifyDepth = needed;
      directives.push({
        line: `proxy_ssl_verify_depth ${needed};`,
        why:
          `the chain has ${needed} intermediate CA${needed === 1 ? '' : 's'} between the certificate and the root (${inter.join(', ')}); ` +
          (needed > 1 ? "nginx's default depth 1 allows one" : `the configured depth was ${settings.proxySslVerifyDepth}`),
      });
    }

    const sniOn = useSni || (settings.proxySslServerName && !isIpLiteral(settings.proxySslName));
    if (sniOn) {
      apply.proxySslServerName = true;
      directives.push({
        line: 'proxy_ssl_server_name on;',
        why: sniWhatIf
          ? `send SNI ${q(settings.proxySslName)}: without it the upstream ends the handshake before sending a certificate; with it, it presents ${q(alt!.sent[0].subject)}`
          : useSni && sniFinding!.evidence.refusedWithoutSni
          ? `send SNI: without it the upstream refuses the handshake; with SNI ${q(settings.proxySslName)} it completes and presents ${q(String(sniFinding!.evidence.withSni))}`
          : useSni
          ? `send SNI: without it the upstream presents ${q(String(sniFinding!.evidence.withoutSni))}, with SNI ${q(settings.proxySslName)} it presents ${q(String(sniFinding!.evidence.withSni))}`
          : `send SNI ${q(settings.proxySslName)} as your settings do: the certificate checked is the one presented for that name`,
      });
    }

    if (name?.kind === 'name') {
      apply.proxySslName = name.name;
      const current = settings.proxySslName;
      directives.push({
        line: `proxy_ssl_name ${name.name};`,
        why:
          `the name nginx checks (X509_check_host) and sends as SNI when SNI is on. The default $proxy_host gives ${q(current)}, which the ` +
          `certificate does not hold${isIpLiteral(current) ? ' (nginx never consults IP SANs)' : ''}; ${q(name.name)} is ` +
          `${name.from === 'dns-san' ? 'a DNS SAN' : 'the CN (it has no DNS SAN)'} of ${q(leaf!.subject)}`,
      });
    } else if (name?.kind === 'wildcard-only') {
      manual.push(
        `Set proxy_ssl_name to the upstream's real host name: the certificate holds only ${name.wildcards.map(q).join(', ')}, ` +
          `and ${q(settings.proxySslName)} is not covered (a wildcard matches exactly one left-most label). ` +
          'tlsdoctor does not invent a host name; add proxy_ssl_name <name>; to upstream-ssl.conf.',
      );
    } else if (sniOn || settings.proxySslName !== proxyHostOf(o.host)) {
      apply.proxySslName = settings.proxySslName;
      directives.push({
        line: `proxy_ssl_name ${nginxArg(settings.proxySslName)};`,
        why: sniOn
          ? 'the name sent as SNI and checked in the certificate'
          : 'your proxy_ssl_name, kept so the file is complete on its own (the certificate holds this name)',
      });
    }

    if (protocols.set) {
      apply.proxySslProtocols = protocols.set;
      directives.push({ line: `proxy_ssl_protocols ${protocols.set.join(' ')};`, why: protocols.why ?? '' });
    }

    const required = find('CLIENT_CERT_REQUIRED');
    const rejected = find('CLIENT_CERT_REJECTED');
    const mtls = required ?? rejected;
    if (mtls) {
      const names = Array.isArray(mtls.evidence.acceptableCaNames) ? (mtls.evidence.acceptableCaNames as string[]) : [];
      const accepted = names.length ? `issued by one of: ${names.map(q).join(', ')}` : '(the upstream names no acceptable CA)';
      apply.proxySslCertificate = CLIENT_CERT_PLACEHOLDER;
      apply.proxySslCertificateKey = CLIENT_KEY_PLACEHOLDER;
      directives.push(
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
      manual.push(
        `Put a client certificate ${accepted} and its private key at ${CLIENT_CERT_PLACEHOLDER} and ${CLIENT_KEY_PLACEHOLDER} ` +
          '(or change both paths in upstream-ssl.conf); keep the key readable only by nginx.',
      );
    } else if (settings.proxySslCertificate && o.clientCertRequested) {
      apply.proxySslCertificate = settings.proxySslCertificate;
      directives.push({
        line: `proxy_ssl_certificate ${nginxArg(settings.proxySslCertificate)};`,
        why: 'your client certificate: the upstream asks for one and accepted it',
      });
      if (settings.proxySslCertificateKey) {
        apply.proxySslCertificateKey = settings.proxySslCertificateKey;
        directives.push({ line: `proxy_ssl_certificate_key ${nginxArg(settings.proxySslCertificateKey)};`, why: 'the private key of that client certificate' });
      }
    }
  }

  // --- what tlsdoctor could not fill in ---------------------------------------------------------------------
  if (selection.missingRoot && nginxFixable) {
    manual.push(
      `Find the root of this chain: its top, ${q(selection.missingRoot.top)}, is issued by ${q(selection.missingRoot.issuer)}, ` +
        'which the upstream does not send and which is neither in your bundle nor in --intermediates (nor fetched via AIA). ' +
        "Get that CA certificate (and any intermediate above it) from the upstream's operator, check its SHA-256 out of band, " +
        'and pass it with --intermediates FILE: tlsdoctor then writes trusted-ca.pem. An intermediate alone is no anchor for nginx.',
    );
  }
  for (const f of chainDiagnosis.findings) {
    if ((f.code === 'EXPIRED' || f.code === 'NOT_YET_VALID') && f.cert?.source === 'bundle') {
      manual.push(
        `Replace ${q(f.cert.subject)} in your bundle with the CA's current certificate: it ${f.code === 'EXPIRED' ? `expired on ${day(String(f.evidence.notAfter))}` : `is valid only from ${day(String(f.evidence.notBefore))}`}.`,
      );
    }
  }

  // --- files -----------------------------------------------------------------------------------------------
  const files: FixFile[] = [];
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
    files.push(snippetFile(directives, target, opts.installPath));
  }

  const deadEnds = [...new Set([...inputDeadEnds(input, [...findings, ...(useSni ? chainDiagnosis.findings : [])]), ...(opts.deadEnds ?? [])])];

  return {
    nginxFixable,
    upstreamChanges,
    directives,
    files,
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
