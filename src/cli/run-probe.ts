/**
 * `tlsdoctor probe`: acquire (handshake, bundles, pool, AIA), then analyse (diagnose, plan), then prove the plan
 * with a second handshake. The I/O lives here; the judging is in src/diagnosis and src/remediation.
 * `timeoutMs` bounds the whole run: every phase draws on one RunDeadline (run-deadline.ts).
 */
import type { Cert } from '../certs/cert.js';
import { hostMatches } from '../certs/host-match.js';
import { parseCertificate } from '../certs/parse.js';
import { decodePemBody, readPemBlocks } from '../certs/pem.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { presentedSource } from '../diagnosis/presented-by.js';
import type { CandidateCert, DiagnoseInput, Diagnosis } from '../diagnosis/types.js';
import { isIpLiteral, type NginxSettings } from '../nginx/defaults.js';
import { probe } from '../probe/probe.js';
import type { ProbeObservation, ProbeParams, TlsProtocol } from '../probe/types.js';
import type { FetchRecord, ProbeReport } from '../report/model.js';
import { sniFor } from '../nginx/defaults.js';
import { proveAlternativesOnHandshake } from '../remediation/alternatives.js';
import { buildFixPlan, settingsForPlan, trustedForPlan } from '../remediation/plan.js';
import type { FixPlan } from '../remediation/types.js';
import { RunDeadline } from './run-deadline.js';
import { clientReport } from './probe-client-report.js';
import { nginxClient, proxyHostHeader, RESPONSE_WAIT_MS } from '../nginx/client-model.js';
import { worthWhatIfs } from './what-if-trigger.js';
import type { HandshakeWhatIfs } from '../diagnosis/types.js';

export interface ProbeRunOptions {
  input: string;
  host: string;
  port: number;
  settings: NginxSettings;
  trusted: Cert[];
  trust: ProbeReport['trust'];
  pool: { cert: Cert; origin: string }[];
  clientCert?: { cert: string; key: string };
  /** The whole run's budget: first handshake, what-ifs, AIA chase and closed-loop handshake together. */
  timeoutMs: number;
  fetch: boolean;
  at: Date;
  installPath: string;
  notes: string[];
  warnDays?: number;
  /** Where AIA fetches may go (--fetch-allow / --fetch-deny); default: the built-in policy of src/fetch/address-policy.ts. */
  fetchPolicy?: Pick<import('../fetch/aia.js').FetchCaIssuersOptions, 'addressPolicy' | 'onRefused'>;
  /** The fix may anchor on a root older than the user's (--allow-root-change). */
  allowRootChange?: boolean;
  /** The user's other trusted bundles (the other proxy_ssl_trusted_certificate files of the same nginx config). */
  otherBundles?: { cert: Cert; origin: string }[];
  /** Print progress lines (AIA fetches) as they happen. */
  log?: (line: string) => void;
  /** Pins `host` to one resolved address for every handshake of the run (run-probe-addresses.ts). */
  lookup?: ProbeParams['lookup'];
  /** The request sent after the handshake, as nginx would (`--request-path`); undefined: handshake only (`--no-request`). */
  request?: { path: string };
}

function parseSent(o: ProbeObservation): { sent: Cert[]; unparsable: { index: number; error: string }[] } {
  const sent: Cert[] = [];
  const unparsable: { index: number; error: string }[] = [];
  o.sentChain.forEach((der, index) => {
    try {
      sent.push(parseCertificate(der));
    } catch (e) {
      unparsable.push({ index, error: (e as Error).message });
    }
  });
  return { sent, unparsable };
}

/** nginx's client for these settings: its cipher list at its security level, its conf commands (client-model.ts). */
function probeParams(o: ProbeRunOptions, settings: NginxSettings, timeoutMs: number): ProbeParams {
  const client = nginxClient(settings);
  return {
    host: o.host,
    port: o.port,
    servername: sniFor(settings),
    protocols: client.protocols,
    client: client.tls,
    clientCert: o.clientCert,
    timeoutMs,
    ...(o.lookup ? { lookup: o.lookup } : {}),
    ...(o.request ? { request: { path: o.request.path, host: proxyHostHeader(o.host, o.port), waitMs: RESPONSE_WAIT_MS } } : {}),
  };
}

/** A probe that ran out of the run's time (not of a phase's own cap): its silence says nothing about the server. */
function cutShort(obs: ProbeObservation, deadline: RunDeadline): boolean {
  return obs.outcome === 'timeout' && deadline.expired();
}

/** Per-URL caps of the AIA chase; the run's deadline may leave less time (RunDeadline.allow). */
const AIA_LIMITS = { timeoutMs: 3000, maxBytes: 256 * 1024, maxRedirects: 3 };
/** Per-version cap of the protocol what-ifs. */
const PROTOCOL_PROBE_MS = 3000;
const AIA_MAX_HOPS = 4;

/**
 * Follow AIA caIssuers from the top of an incomplete path, up to AIA_MAX_HOPS certificates. Every request is
 * to an address chosen by the remote certificate: http/https only, size, redirect and time capped, and logged.
 */
async function fetchMissingIssuers(
  d: Diagnosis,
  known: Cert[],
  o: ProbeRunOptions,
  deadline: RunDeadline,
): Promise<{ candidates: CandidateCert[]; fetches: FetchRecord[] }> {
  const candidates: CandidateCert[] = [];
  const fetches: FetchRecord[] = [];
  const top = d.fullPath[d.fullPath.length - 1];
  if (!top || top.selfSigned || d.anchored) return { candidates, fetches };
  let current: Cert | undefined = known.find((c) => c.sha256 === top.ref.sha256);
  const seenUrls = new Set<string>();
  const { fetchCaIssuers } = await import('../fetch/aia.js');
  for (let hop = 0; current && hop < AIA_MAX_HOPS; hop++) {
    const url = current.aia.caIssuers.find((u) => !seenUrls.has(u));
    if (!url) break;
    if (deadline.expired()) {
      deadline.cut('aia-fetch');
      break;
    }
    seenUrls.add(url);
    o.log?.(`fetching the issuer of "${current.subject}" from ${url} (AIA caIssuers)`);
    const r = await fetchCaIssuers(url, { ...AIA_LIMITS, ...o.fetchPolicy, timeoutMs: deadline.allow(AIA_LIMITS.timeoutMs) });
    if (!r.ok) {
      if (r.reason === 'timeout' && deadline.expired()) deadline.cut('aia-fetch');
      fetches.push({ url, ok: false, detail: `${r.reason}: ${r.detail}` });
      break;
    }
    let next: Cert | undefined;
    for (const der of r.ders) {
      try {
        const cert = parseCertificate(der);
        candidates.push({ cert, source: 'fetched', origin: r.finalUrl });
        if (issues(cert, current)) next = cert;
      } catch {
        /* an unparsable fetched blob is reported through the count below */
      }
    }
    fetches.push({ url, ok: true, detail: `${r.ders.length} certificate(s), ${r.bytes} bytes${next ? `: ${next.subject}` : ', none issues it'}` });
    if (!next || next.selfSigned) break;
    current = next;
  }
  return { candidates, fetches };
}

/**
 * X509_check_issued(issuer, subject) == X509_V_OK. `subject` may come from a bundle or pool parsed with
 * deferOpenSsl: if OpenSSL refuses it after all, it issues nothing and is issued by nothing.
 */
function issues(issuer: Cert, subject: Cert): boolean {
  try {
    return subject.native.checkIssued(issuer.native);
  } catch {
    return false;
  }
}

/**
/**
 * Which protocol versions the server accepts (a what-if probe per version), for PROTOCOL_MISMATCH advice, and the
 * first of those handshakes that saw the server's chain. Undefined when the deadline cut the list short: a partial
 * list would be wrong advice, none is the plan's fallback (it advises from the first handshake alone).
 */
async function serverProtocols(o: ProbeRunOptions, deadline: RunDeadline): Promise<{ versions: TlsProtocol[]; chain?: ProbeObservation } | undefined> {
  const versions: TlsProtocol[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'];
  const ok: TlsProtocol[] = [];
  let chain: ProbeObservation | undefined;
  for (const v of versions) {
    if (deadline.expired()) {
      deadline.cut('protocol-what-if');
      return undefined;
    }
    const r = await probe({ ...probeParams(o, o.settings, deadline.allow(PROTOCOL_PROBE_MS)), protocols: [v] });
    if (cutShort(r, deadline)) {
      deadline.cut('protocol-what-if');
      return undefined;
    }
    if (r.protocol === v && (r.outcome === 'handshake' || r.sentChain.length > 0)) ok.push(v);
    if (!chain && r.sentChain.length > 0) chain = r;
  }
  return { versions: ok, chain };
}

/** What-if: the same upstream with SNI, when nginx sends none and the name does not match. */
async function sniWhatIf(input: DiagnoseInput, o: ProbeRunOptions, deadline: RunDeadline): Promise<boolean> {
  const leaf = input.sent[0];
  const name = o.settings.proxySslName;
  if (o.settings.proxySslServerName || isIpLiteral(name)) return false;
  // Also when no chain came at all: an upstream without a default certificate ends a handshake without SNI.
  if (leaf ? hostMatches(leaf, name) : !['alert', 'tls-error', 'closed'].includes(input.observation.outcome)) return false;
  if (deadline.expired()) {
    deadline.cut('sni-what-if');
    return false;
  }
  const sniObservation = await probe({ ...probeParams(o, o.settings, deadline.allow()), servername: name });
  if (cutShort(sniObservation, deadline)) {
    deadline.cut('sni-what-if');
    return false;
  }
  const sniSent = parseSent(sniObservation).sent;
  if (!leaf && sniSent[0]) input.whatIfChain = { observation: sniObservation, sent: sniSent, change: 'sni' };
  if (!leaf || !sniSent[0] || sniSent[0].sha256 === leaf.sha256) return false;
  input.sniObservation = sniObservation;
  input.sniSent = sniSent;
  return true;
}

/**
 * Closed loop: handshake again with the plan's settings and judge with the plan's bundle. Left unverified
 * (`verified: null`) when the deadline leaves no time for the handshake.
 */
async function closeLoop(plan: FixPlan, input: DiagnoseInput, o: ProbeRunOptions, deadline: RunDeadline): Promise<void> {
  const settings = settingsForPlan(plan, o.settings);
  const trusted = trustedForPlan(plan, input);
  const sameWire = sniFor(settings) === sniFor(o.settings) && settings.proxySslProtocols.join() === o.settings.proxySslProtocols.join();
  let obs2 = input.observation;
  let sent2 = input.sent;
  if (!sameWire) {
    if (deadline.expired()) return deadline.cut('closed-loop');
    obs2 = await probe(probeParams(o, settings, deadline.allow()));
    if (cutShort(obs2, deadline)) return deadline.cut('closed-loop');
    sent2 = parseSent(obs2).sent;
  }
  const check = diagnose({ ...input, observation: obs2, sent: sent2, trusted, trustSource: 'bundle', settings, candidates: [], sniObservation: undefined, sniSent: undefined });
  plan.verified = check.nginx.ok;
  plan.verifiedBy = 'handshake';
  plan.verifyError = check.nginx.ok ? null : check.nginx.error;
  proveAlternativesOnHandshake(plan, input, sent2);
}

/**
 * Share of --timeout the first handshake may use when nginx sends no SNI to a host name: an upstream that stays
 * silent after a ClientHello without SNI (a front that waits for the name) would otherwise use the whole run and
 * leave no time for the SNI what-if that names the cause. nginx itself waits proxy_connect_timeout (60 s).
 */
const FIRST_HANDSHAKE_SHARE = 2 / 3;

function firstHandshakeCap(o: ProbeRunOptions): number {
  const sniPossible = !o.settings.proxySslServerName && o.settings.proxySslName !== '' && !isIpLiteral(o.settings.proxySslName);
  return sniPossible ? Math.ceil(o.timeoutMs * FIRST_HANDSHAKE_SHARE) : Infinity;
}

export async function runProbe(o: ProbeRunOptions): Promise<ProbeReport> {
  const deadline = new RunDeadline(o.timeoutMs);
  const client = nginxClient(o.settings);
  const firstParams = probeParams(o, o.settings, deadline.allow(firstHandshakeCap(o)));
  const observation = await probe(firstParams);
  // Loaded only after a failed handshake: a healthy probe pays nothing for the what-ifs (start-up time is benchmarked).
  // A first handshake that used up the run's time leaves none for them: no what-if, and no cut to report for them.
  const whatIfs = worthWhatIfs(observation) && !cutShort(observation, deadline)
    ? await (await import('./handshake-what-ifs.js')).handshakeWhatIfs(observation, firstParams, o.settings, client, deadline)
    : undefined;
  const presented = presentedOf(observation, whatIfs);
  const { sent, unparsable } = parseSent(presented);
  const notes = [...o.notes];
  for (const u of unparsable) notes.push(`certificate #${u.index} sent by the server cannot be parsed: ${u.error}`);

  const input: DiagnoseInput = {
    observation,
    sent,
    unparsable,
    trusted: o.trusted,
    trustSource: o.trust.source,
    candidates: o.pool.map((p) => ({ cert: p.cert, source: 'pool', origin: p.origin })),
    otherBundles: o.otherBundles,
    settings: o.settings,
    at: o.at,
    warnDays: o.warnDays,
    ...(whatIfs ? { whatIfs } : {}),
    ...clientIssuerOf(o.clientCert),
  };
  if (whatIfs?.succeeded === 'sni' && whatIfs.observation) {
    // The chain seen with SNI is the one nginx gets once proxy_ssl_server_name is on: the plan's chain.
    input.sniObservation = whatIfs.observation;
    input.sniSent = sent;
  }
  let diagnosis = diagnose(input);
  if (await sniWhatIf(input, o, deadline)) diagnosis = diagnose(input);

  // Missing issuers: AIA, when the path stops at a certificate that is not self-signed.
  let fetches: FetchRecord[] = [];
  if (o.fetch && sent[0] && !diagnosis.anchored) {
    const known = [...sent, ...o.trusted, ...o.pool.map((p) => p.cert)];
    const r = await fetchMissingIssuers(diagnosis, known, o, deadline);
    fetches = r.fetches;
    if (r.candidates.length > 0) {
      input.candidates = [...(input.candidates ?? []), ...r.candidates];
      diagnosis = diagnose(input);
    }
  }

  const protocols = diagnosis.findings.some((f) => f.code === 'PROTOCOL_MISMATCH') ? await serverProtocols(o, deadline) : undefined;
  // The chain a what-if saw when nginx's handshake saw none is the presented chain (report, JSON, presented-chain.pem).
  if (protocols?.chain && !sent[0] && !input.whatIfChain) input.whatIfChain = { observation: protocols.chain, sent: parseSent(protocols.chain).sent, change: 'protocols' };
  const source = presentedSource(input);
  if (input.whatIfChain) {
    const how = input.whatIfChain.change === 'sni' ? `SNI ${o.settings.proxySslName}` : input.whatIfChain.observation.protocol ?? 'another protocol version';
    notes.push(`the chain shown was presented to a what-if handshake (${how}): nginx's own handshake failed before the upstream sent certificates`);
  } else if (source && source.by !== 'handshake') {
    // A handshake what-if's chain (presentedOf) is as much a stand-in as whatIfChain's: say so the same way.
    notes.push(`the chain shown was presented to a what-if handshake (${source.change ?? source.by}): nginx's own handshake failed before the upstream sent certificates`);
  }
  const plan = buildFixPlan(input, diagnosis, {
    installPath: o.installPath,
    allowRootChange: o.allowRootChange,
    ...(protocols ? { serverProtocols: protocols.versions } : {}),
  });
  if (!diagnosis.nginx.ok && plan.nginxFixable) await closeLoop(plan, input, o, deadline);

  const cut = deadline.report();
  return {
    command: 'probe',
    target: { input: o.input, host: o.host, port: o.port },
    at: o.at,
    settings: o.settings,
    trust: o.trust,
    observation,
    sent: input.whatIfChain?.sent ?? sent,
    presentedBy: source?.by ?? null,
    diagnosis,
    fetches,
    notes,
    fix: plan,
    ...(cut ? { cut } : {}),
    client: clientReport(client),
    ...(whatIfs ? { whatIfs: { tried: whatIfs.tried, succeeded: whatIfs.succeeded, nginxCiphers: whatIfs.nginxCiphers, seclevel: whatIfs.seclevel } } : {}),
  };
}

/** The issuer of the configured client certificate, to hold against the upstream's acceptable CA names. */
function clientIssuerOf(pair: ProbeRunOptions['clientCert']): { clientCertIssuer?: string } {
  if (!pair) return {};
  try {
    const block = readPemBlocks(pair.cert, 'client certificate').find((b) => b.label === 'CERTIFICATE');
    if (!block) return {};
    return { clientCertIssuer: parseCertificate(decodePemBody(block, 'client certificate')).issuer };
  } catch {
    return {};
  }
}

/** The observation whose chain is the presented one: the first handshake's, else the what-if that completed. */
function presentedOf(first: ProbeObservation, w: HandshakeWhatIfs | undefined): ProbeObservation {
  return first.sentChain.length === 0 && w?.observation ? w.observation : first;
}
