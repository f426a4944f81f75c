/**
 * `tlsdoctor probe`: acquire (handshake, bundles, pool, AIA), then analyse (diagnose, plan), then prove the plan
 * with a second handshake. The I/O lives here; the judging is in src/diagnosis and src/remediation.
 */
import type { Cert } from '../certs/cert.js';
import { parseCertificate } from '../certs/parse.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { CandidateCert, DiagnoseInput, Diagnosis } from '../diagnosis/types.js';
import { isIpLiteral, type NginxSettings } from '../nginx/defaults.js';
import { probe } from '../probe/probe.js';
import type { ProbeObservation, ProbeParams, TlsProtocol } from '../probe/types.js';
import type { FetchRecord, ProbeReport } from '../report/model.js';
import { sniFor } from '../nginx/defaults.js';
import { proveAlternativesOnHandshake } from '../remediation/alternatives.js';
import { buildFixPlan, settingsForPlan, trustedForPlan } from '../remediation/plan.js';

export interface ProbeRunOptions {
  input: string;
  host: string;
  port: number;
  settings: NginxSettings;
  trusted: Cert[];
  trust: ProbeReport['trust'];
  pool: { cert: Cert; origin: string }[];
  clientCert?: { cert: string; key: string };
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
  /** Print progress lines (AIA fetches) as they happen. */
  log?: (line: string) => void;
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

function probeParams(o: ProbeRunOptions, settings: NginxSettings): ProbeParams {
  return {
    host: o.host,
    port: o.port,
    servername: sniFor(settings),
    protocols: settings.proxySslProtocols,
    clientCert: o.clientCert,
    timeoutMs: o.timeoutMs,
  };
}

const AIA_LIMITS = { timeoutMs: 3000, maxBytes: 256 * 1024, maxRedirects: 3 };
const AIA_MAX_HOPS = 4;

/**
 * Follow AIA caIssuers from the top of an incomplete path, up to AIA_MAX_HOPS certificates. Every request is
 * to an address chosen by the remote certificate: http/https only, size, redirect and time capped, and logged.
 */
async function fetchMissingIssuers(d: Diagnosis, known: Cert[], o: ProbeRunOptions): Promise<{ candidates: CandidateCert[]; fetches: FetchRecord[] }> {
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
    seenUrls.add(url);
    o.log?.(`fetching the issuer of "${current.subject}" from ${url} (AIA caIssuers)`);
    const r = await fetchCaIssuers(url, { ...AIA_LIMITS, ...o.fetchPolicy });
    if (!r.ok) {
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
 * Which protocol versions the server accepts (a what-if probe per version), for PROTOCOL_MISMATCH advice, and the
 * first of those handshakes that saw the server's chain.
 */
async function serverProtocols(o: ProbeRunOptions): Promise<{ versions: TlsProtocol[]; chain?: ProbeObservation }> {
  const versions: TlsProtocol[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'];
  const ok: TlsProtocol[] = [];
  let chain: ProbeObservation | undefined;
  for (const v of versions) {
    const r = await probe({ ...probeParams(o, o.settings), protocols: [v], timeoutMs: Math.min(o.timeoutMs, 3000) });
    if (r.protocol === v && (r.outcome === 'handshake' || r.sentChain.length > 0)) ok.push(v);
    if (!chain && r.sentChain.length > 0) chain = r;
  }
  return { versions: ok, chain };
}

export async function runProbe(o: ProbeRunOptions): Promise<ProbeReport> {
  const observation = await probe(probeParams(o, o.settings));
  const { sent, unparsable } = parseSent(observation);
  const notes = [...o.notes];
  for (const u of unparsable) notes.push(`certificate #${u.index} sent by the server cannot be parsed: ${u.error}`);

  const input: DiagnoseInput = {
    observation,
    sent,
    unparsable,
    trusted: o.trusted,
    trustSource: o.trust.source,
    candidates: o.pool.map((p) => ({ cert: p.cert, source: 'pool', origin: p.origin })),
    settings: o.settings,
    at: o.at,
    warnDays: o.warnDays,
  };
  let diagnosis = diagnose(input);

  // What-if: the same upstream with SNI, when nginx sends none and the name does not match.
  const leaf = sent[0];
  const name = o.settings.proxySslName;
  // Also when no chain came at all: an upstream without a default certificate ends a handshake without SNI.
  if (!o.settings.proxySslServerName && !isIpLiteral(name) && (leaf ? leaf.native.checkHost(name) === undefined : ['alert', 'tls-error', 'closed'].includes(observation.outcome))) {
    const sniObservation = await probe({ ...probeParams(o, o.settings), servername: name });
    const sniSent = parseSent(sniObservation).sent;
    if (!leaf && sniSent[0]) input.whatIfChain = { observation: sniObservation, sent: sniSent, change: 'sni' };
    if (leaf && sniSent[0] && sniSent[0].sha256 !== leaf.sha256) {
      input.sniObservation = sniObservation;
      input.sniSent = sniSent;
      diagnosis = diagnose(input);
    }
  }

  // Missing issuers: AIA, when the path stops at a certificate that is not self-signed.
  let fetches: FetchRecord[] = [];
  if (o.fetch && leaf && !diagnosis.anchored) {
    const known = [...sent, ...o.trusted, ...o.pool.map((p) => p.cert)];
    const r = await fetchMissingIssuers(diagnosis, known, o);
    fetches = r.fetches;
    if (r.candidates.length > 0) {
      input.candidates = [...(input.candidates ?? []), ...r.candidates];
      diagnosis = diagnose(input);
    }
  }

  const needsProtocols = diagnosis.findings.some((f) => f.code === 'PROTOCOL_MISMATCH');
  const protocols = needsProtocols ? await serverProtocols(o) : undefined;
  // The chain a what-if saw when nginx's handshake saw none is the presented chain (report, JSON, presented-chain.pem).
  if (protocols?.chain && !leaf && !input.whatIfChain) input.whatIfChain = { observation: protocols.chain, sent: parseSent(protocols.chain).sent, change: 'protocols' };
  if (input.whatIfChain) notes.push(`the chain shown was presented to a what-if handshake (${input.whatIfChain.change === 'sni' ? `SNI ${name}` : input.whatIfChain.observation.protocol ?? 'another protocol version'}): nginx's own handshake failed before the upstream sent certificates`);
  const plan = buildFixPlan(input, diagnosis, {
    installPath: o.installPath,
    allowRootChange: o.allowRootChange,
    ...(protocols ? { serverProtocols: protocols.versions } : {}),
  });

  // Closed loop: handshake again with the plan's settings and judge with the plan's bundle.
  if (!diagnosis.nginx.ok && plan.nginxFixable) {
    const settings = settingsForPlan(plan, o.settings);
    const trusted = trustedForPlan(plan, input);
    const sameWire =
      sniFor(settings) === sniFor(o.settings) && settings.proxySslProtocols.join() === o.settings.proxySslProtocols.join();
    const obs2 = sameWire ? observation : await probe(probeParams(o, settings));
    const sent2 = sameWire ? sent : parseSent(obs2).sent;
    const check = diagnose({ ...input, observation: obs2, sent: sent2, trusted, trustSource: 'bundle', settings, candidates: [], sniObservation: undefined, sniSent: undefined });
    plan.verified = check.nginx.ok;
    plan.verifiedBy = 'handshake';
    plan.verifyError = check.nginx.ok ? null : check.nginx.error;
    proveAlternativesOnHandshake(plan, input, sent2);
  }

  return {
    command: 'probe',
    target: { input: o.input, host: o.host, port: o.port },
    at: o.at,
    settings: o.settings,
    trust: o.trust,
    observation,
    sent: input.whatIfChain?.sent ?? sent,
    diagnosis,
    fetches,
    notes,
    fix: plan,
  };
}
