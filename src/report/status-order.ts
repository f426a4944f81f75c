/**
 * What the status page knows about each target, pure: when nginx fails with it (now, a forecast, or the earliest
 * notAfter of its path) and the page order (most urgent first).
 */
import type { CheckResult, CheckStatus } from '../check/types.js';

/**
 * The failure forecast (src/check/forecast.ts) as far as the page reads it: when nginx starts failing with this
 * target, and why. Both optional: without them the page uses the earliest notAfter of the path.
 */
export interface ForecastFields {
  failsAt?: string | null;
  failsBecause?: unknown;
}

export interface StatusEntry {
  /** The listed target's id: shown while it has no result yet. */
  id: string;
  result?: CheckResult & ForecastFields;
  /** When the check of `result` started. */
  checkedAt?: Date;
}

export interface Failure {
  /** When nginx fails with this target (ms since the epoch); the page's `now` when it already does. */
  atMs: number;
  failingNow: boolean;
  because: string;
  /** Where `atMs` comes from. */
  from: 'nginx' | 'forecast' | 'notAfter';
}

export type RowStatus = CheckStatus | 'PENDING';

export interface StatusRow {
  entry: StatusEntry;
  /** PENDING: listed, not checked yet. */
  status: RowStatus;
  failure: Failure | undefined;
}

/** failsBecause in whatever shape the forecast gives it: a sentence, codes, or a finding-like { code }. */
function becauseText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  if (v && typeof v === 'object' && typeof (v as { code?: unknown }).code === 'string') return (v as { code: string }).code;
  return undefined;
}

/** The certificate whose notAfter is the target's earliest, as `depth 1 (sent) CN=... expires`. */
function earliestCertText(r: CheckResult): string {
  const c = [...r.path, ...r.clientCerts].find((x) => x.notAfter === r.notAfter);
  if (!c) return 'a certificate expires';
  const where = c.source === 'client' ? `client certificate #${c.depth}` : `depth ${c.depth} (${c.source})`;
  return `${where} ${c.subject} expires`;
}

/**
 * When this target fails: now if nginx already fails with it; else the forecast's failsAt; else the earliest
 * notAfter over its path and client certificates (past it OpenSSL's check_cert_time fails the verification with
 * X509_V_ERR_CERT_HAS_EXPIRED, and nginx answers 502). Undefined when not checked yet, or when the check itself
 * failed (UNKNOWN: nothing to forecast from).
 */
export function failureOf(r: (CheckResult & ForecastFields) | undefined, now: Date): Failure | undefined {
  if (!r || !r.nginx) return undefined;
  const nowMs = now.getTime();
  if (!r.nginx.ok) return { atMs: nowMs, failingNow: true, because: r.nginx.error ?? r.reason.join(', '), from: 'nginx' };
  const forecast = typeof r.failsAt === 'string' ? Date.parse(r.failsAt) : NaN;
  let f: Omit<Failure, 'failingNow'>;
  if (Number.isFinite(forecast)) {
    f = { atMs: forecast, because: becauseText(r.failsBecause) ?? 'forecast', from: 'forecast' };
  } else if (r.notAfter !== null && Number.isFinite(Date.parse(r.notAfter))) {
    f = { atMs: Date.parse(r.notAfter), because: earliestCertText(r), from: 'notAfter' };
  } else {
    return undefined;
  }
  return f.atMs <= nowMs ? { ...f, atMs: nowMs, failingNow: true } : { ...f, failingNow: false };
}

/**
 * Page order: what needs a person now (CRITICAL, and UNKNOWN: a target nobody can vouch for), then what soon
 * will (WARNING), then OK; targets not checked yet last. Within a rank the soonest failure first, then the id.
 */
export const PAGE_RANK: Record<RowStatus, number> = { CRITICAL: 0, UNKNOWN: 0, WARNING: 1, OK: 2, PENDING: 3 };

export function sortedRows(entries: StatusEntry[], now: Date): StatusRow[] {
  const rows = entries.map((entry): StatusRow => ({ entry, status: entry.result?.status ?? 'PENDING', failure: failureOf(entry.result, now) }));
  return rows.sort(
    (a, b) =>
      PAGE_RANK[a.status] - PAGE_RANK[b.status] ||
      (a.failure?.atMs ?? Infinity) - (b.failure?.atMs ?? Infinity) ||
      (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0),
  );
}
