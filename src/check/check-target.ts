/**
 * One target of `tlsdoctor check` / one scrape of `tlsdoctor serve`: handshake as nginx would, diagnose with the
 * same engine as `probe`, judge the dates, keep a small summary.
 *
 * It runs the acquisition steps of src/cli/run-probe.ts that decide the diagnosis (the handshake with nginx's
 * settings, then the SNI what-if when nginx sends no SNI and the name does not match) and leaves out what only
 * serves the fix (AIA fetching, protocol what-ifs, the fix plan and its second handshake): so `findings` and
 * `nginx` equal `tlsdoctor probe --no-fetch --json` (test/check/check-target.test.ts holds the two side by side),
 * at one handshake per healthy target, and every step fits in the target's own time budget.
 */
import { proxyHostHeader, RESPONSE_WAIT_MS } from '../nginx/client-model.js';
import { certTimeText } from '../certs/time-text.js';
import { hostMatches } from '../certs/host-match.js';
import type { Cert } from '../certs/cert.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { DiagnoseInput, Diagnosis } from '../diagnosis/types.js';
import { isIpLiteral, sniFor } from '../nginx/defaults.js';
import { probe } from '../probe/probe.js';
import type { ProbeObservation, ProbeParams } from '../probe/types.js';
import { CertCache } from './cert-cache.js';
import type { RunMemo } from './run-memo.js';
import { forecastFailure } from './forecast.js';
import { reasonCodes, targetStatus } from './status.js';
import type { CheckedCert, CheckResult, CheckTarget, CheckThresholds } from './types.js';

const DAY_MS = 86_400_000;

/** The least time worth giving the SNI what-if handshake; with less left it is skipped (and said so). */
const MIN_WHAT_IF_MS = 200;

export interface TrustSet {
  certs: Cert[];
  trust: { source: 'bundle' | 'system'; files: string[]; count: number };
  notes: string[];
}

export interface ClientCertMaterial {
  /** PEM, as node:tls wants them. */
  cert: string;
  key: string;
  /** The certificates of the cert file (its own and any chain in it), for expiry. */
  certs: { subject: string; sha256: string; notBefore?: Date; notAfter: Date }[];
}

/** The I/O a check needs besides the handshake; the CLI provides cached implementations. */
export interface CheckDeps {
  loadTrust(files: string[]): Promise<TrustSet>;
  loadClientCert(certFile: string, keyFile: string): Promise<ClientCertMaterial>;
  /** Parsed certificates shared across targets (one is made per process when absent). */
  certCache?: CertCache;
  /** What the targets of one run share (runCheck makes one per run; `serve` has none: each scrape has its own time). */
  memo?: RunMemo;
}

/** `serve` and callers without a cache of their own share this one (bounded: src/check/cert-cache.ts). */
const processCache = new CertCache();

function parseSent(o: ProbeObservation, cache: CertCache): { sent: Cert[]; unparsable: { index: number; error: string }[] } {
  const sent: Cert[] = [];
  const unparsable: { index: number; error: string }[] = [];
  o.sentChain.forEach((der, index) => {
    try {
      sent.push(cache.parse(der));
    } catch (e) {
      unparsable.push({ index, error: (e as Error).message });
    }
  });
  return { sent, unparsable };
}

function secondsLeft(notAfter: number, at: Date): number {
  return Math.round((notAfter - at.getTime()) / 1000);
}

/** notAfter - notBefore, for lifetime-relative thresholds (src/check/thresholds.ts). */
function lifetime(notBefore: Date | undefined, notAfterMs: number): { lifetimeSeconds?: number } {
  return notBefore ? { lifetimeSeconds: Math.round((notAfterMs - notBefore.getTime()) / 1000) } : {};
}

function pathCerts(d: Diagnosis, at: Date, known: Cert[]): CheckedCert[] {
  return d.fullPath.map((p, depth) => ({
    depth,
    source: p.ref.source,
    subject: p.ref.subject,
    sha256: p.ref.sha256,
    notAfter: p.notAfter,
    secondsLeft: secondsLeft(Date.parse(p.notAfter), at),
    ...lifetime(known.find((c) => c.sha256 === p.ref.sha256)?.notBefore, Date.parse(p.notAfter)),
  }));
}

/**
 * Fleets serve the same chain from many upstreams (one wildcard certificate, one intermediate). With the run's
 * clock fixed, the diagnosis of a completed handshake depends only on what is keyed here, so equal inputs share
 * one result. Connection failures and SNI what-ifs are diagnosed every time (their evidence names the target).
 */
const trustIds = new WeakMap<object, number>();
let nextTrustId = 0;

function diagnoseShared(input: DiagnoseInput, memo: RunMemo | undefined): Diagnosis {
  const o = input.observation;
  if (!memo || memo.atMs !== input.at.getTime() || o.outcome !== 'handshake' || (input.unparsable?.length ?? 0) > 0) return diagnose(input);
  let trustId = trustIds.get(input.trusted);
  if (trustId === undefined) trustIds.set(input.trusted, (trustId = nextTrustId++));
  const key = JSON.stringify([
    trustId,
    input.trustSource,
    input.settings,
    input.warnDays ?? 0,
    o.protocol,
    o.alert ?? null,
    o.clientCertRequested,
    o.clientCertSent,
    o.acceptableCaNames,
    // The prediction also reads the ephemeral key (a DH group under the level) and the answer to a request.
    o.ephemeralKey ?? null,
    o.response?.status ?? null,
    input.sent.map((c) => c.sha256),
  ]);
  return memo.diagnosis(key, () => diagnose(input));
}

/**
 * The SNI what-if of run-probe.ts: nginx sends no SNI and the default certificate does not match the name, so
 * handshake again with SNI; true when the server then sends another leaf (input gains the what-if).
 */
async function sniWhatIf(input: DiagnoseInput, params: ProbeParams, deadline: number, cache: CertCache, notes: string[]): Promise<boolean> {
  const leaf = input.sent[0];
  const name = input.settings.proxySslName;
  if (!leaf || input.settings.proxySslServerName || isIpLiteral(name) || hostMatches(leaf, name)) return false;
  const left = deadline - performance.now();
  if (left < MIN_WHAT_IF_MS) {
    notes.push('no time left for the SNI what-if handshake: SNI_REQUIRED may be reported as NAME_MISMATCH');
    return false;
  }
  const sniObservation = await probe({ ...params, servername: name, timeoutMs: Math.round(left) });
  const sniSent = parseSent(sniObservation, cache).sent;
  if (!sniSent[0] || sniSent[0].sha256 === leaf.sha256) return false;
  input.sniObservation = sniObservation;
  input.sniSent = sniSent;
  return true;
}

function clientRows(client: ClientCertMaterial | undefined, at: Date): CheckedCert[] {
  return (client?.certs ?? []).map((c, i) => ({
    depth: i,
    source: 'client',
    subject: c.subject,
    sha256: c.sha256,
    notAfter: certTimeText(c.notAfter),
    secondsLeft: secondsLeft(c.notAfter.getTime(), at),
  }));
}

/** Nothing to report: one array for every result, frozen since results are read-only once made. */
const NONE = Object.freeze([]) as unknown as never[];

export async function checkTarget(t: CheckTarget, at: Date, thresholds: CheckThresholds, deps: CheckDeps): Promise<CheckResult> {
  const started = performance.now();
  const deadline = started + t.timeoutMs;
  const { certs: trusted, trust, notes: trustNotes } = await deps.loadTrust(t.caFiles);
  const client = t.clientCert ? await deps.loadClientCert(t.clientCert.certFile, t.clientCert.keyFile) : undefined;
  // A memo made for another instant shares nothing: dates would be judged at the wrong time.
  const memo = deps.memo && deps.memo.atMs === at.getTime() ? deps.memo : undefined;
  const notes: string[] = [];

  const params: ProbeParams = {
    host: t.spec.host,
    port: t.spec.port,
    servername: sniFor(t.settings),
    protocols: t.settings.proxySslProtocols,
    clientCert: client ? { cert: client.cert, key: client.key } : undefined,
    timeoutMs: Math.max(1, Math.round(deadline - performance.now())),
    ...(t.lookup ? { lookup: t.lookup } : {}),
    ...(t.request ? { request: { path: t.request.path, host: proxyHostHeader(t.spec.host, t.spec.port), waitMs: RESPONSE_WAIT_MS } } : {}),
  };
  const cache = deps.certCache ?? processCache;
  const observation = await probe(params);
  const { sent, unparsable } = parseSent(observation, cache);
  for (const u of unparsable) notes.push(`certificate #${u.index} sent by the server cannot be parsed: ${u.error}`);

  const input: DiagnoseInput = {
    observation,
    sent,
    unparsable,
    trusted,
    trustSource: trust.source,
    candidates: [],
    settings: t.settings,
    at,
    warnDays: thresholds.warnMs / DAY_MS,
  };
  let diagnosis = diagnoseShared(input, memo);
  if (await sniWhatIf(input, params, deadline, cache, notes)) diagnosis = diagnose(input);

  // Kept per target: its identity and verdict; the rest points at parts shared by every target alike.
  const path = memo ? memo.path(diagnosis, () => pathCerts(diagnosis, at, [...sent, ...trusted])) : pathCerts(diagnosis, at, [...sent, ...trusted]);
  const clientCerts = !client ? NONE : memo ? memo.clientCerts(client, () => clientRows(client, at)) : clientRows(client, at);
  const all = clientCerts.length ? [...path, ...clientCerts] : path;
  const earliest = all.reduce<CheckedCert | null>((min, c) => (!min || c.secondsLeft < min.secondsLeft ? c : min), null);
  const reason = reasonCodes(diagnosis.findings, all, thresholds);
  const forecast = forecastFailure({ nginxOk: diagnosis.nginx.ok, reason, path, clientCerts, crls: t.crls }, at);
  // One plain literal, not `{ ...identity, ... }`: V8 gives an object built by spreading and then extending a
  // backing store of its own, 737 bytes a result against 191 (measured on 10,000 results after gc).
  return {
    id: t.id,
    input: t.spec.input,
    host: t.spec.host,
    port: t.spec.port,
    origin: t.spec.origin,
    proxySslName: t.settings.proxySslName,
    labels: t.spec.labels,
    status: targetStatus(diagnosis.nginx, all, thresholds),
    reason: reason.length === 0 ? NONE : memo ? memo.reason(reason) : reason,
    notAfter: earliest?.notAfter ?? null,
    nginx: diagnosis.nginx,
    findings: diagnosis.findings,
    handshake: observation.outcome === 'handshake',
    protocol: observation.protocol ?? null,
    path,
    clientCerts,
    durationMs: Math.round(performance.now() - started),
    error: null,
    notes: notes.length ? [...trustNotes, ...notes] : trustNotes.length ? trustNotes : NONE,
    forecast: forecast && memo ? memo.forecast(forecast) : forecast,
  };
}

/** The result of a target that could not be checked (status UNKNOWN): it still appears, once, with the reason. */
export function unknownResult(t: CheckTarget, error: { code: string; message: string }, durationMs: number): CheckResult {
  // A plain literal, as in checkTarget (a spread gives each result a property store of its own).
  return {
    id: t.id,
    input: t.spec.input,
    host: t.spec.host,
    port: t.spec.port,
    origin: t.spec.origin,
    proxySslName: t.settings.proxySslName,
    labels: t.spec.labels,
    status: 'UNKNOWN',
    reason: [error.code],
    notAfter: null,
    nginx: null,
    findings: [],
    handshake: false,
    protocol: null,
    path: [],
    clientCerts: [],
    durationMs: Math.round(durationMs),
    error,
    notes: [],
  };
}
