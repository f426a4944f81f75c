/**
 * The versioned JSON document of `tlsdoctor check --json` (README "Scheduled checks", JSON). schemaVersion changes only
 * when a field changes meaning or disappears; new fields may be added. `nginx` and `findings` of each target are
 * the same objects as in `probe --json`. Targets are in input order.
 */
import { daysLeft } from './days-left.js';
import type { CheckResult, CheckRun } from '../check/types.js';
import { TOOL_VERSION } from './version.js';

export const CHECK_SCHEMA_VERSION = 1;

const DAY_S = 86_400;

function days(seconds: number): number {
  return daysLeft(seconds * 1000, 2);
}

export function checkTargetDocument(r: CheckResult): Record<string, unknown> {
  return {
    target: r.id,
    input: r.input,
    host: r.host,
    port: r.port,
    definedAt: r.origin,
    proxySslName: r.proxySslName,
    status: r.status,
    reason: r.reason,
    notAfter: r.notAfter,
    nginx: r.nginx,
    findings: r.findings,
    handshake: r.handshake,
    protocol: r.protocol,
    certificates: [...r.path, ...r.clientCerts].map((c) => ({
      depth: c.depth,
      source: c.source,
      subject: c.subject,
      sha256: c.sha256,
      notAfter: c.notAfter,
      daysLeft: days(c.secondsLeft),
    })),
    labels: r.labels,
    durationMs: r.durationMs,
    error: r.error,
    notes: r.notes,
    // Every address of the name (additive, src/check/check-addresses.ts); [] when none resolved.
    addresses: r.addresses ?? [],
    // The first instant nginx fails and why (src/check/forecast.ts); null when not forecast (UNKNOWN).
    failsAt: r.forecast?.failsAt ?? null,
    failsBecause: r.forecast?.failsBecause ?? null,
  };
}

export function checkDocument(run: CheckRun): Record<string, unknown> {
  return { ...documentHead(run), targets: run.results.map(checkTargetDocument) };
}

function documentHead(run: CheckRun): Record<string, unknown> {
  const s = run.summary;
  return {
    schemaVersion: CHECK_SCHEMA_VERSION,
    tool: { name: 'tlsdoctor', version: TOOL_VERSION },
    command: 'check',
    at: run.at.toISOString(),
    ...(run.nginxModel ? { nginxVersion: run.nginxModel.version, nginxVersionSource: run.nginxModel.source } : {}),
    thresholds: {
      warnDays: run.thresholds.warnMs / (DAY_S * 1000),
      critDays: run.thresholds.critMs / (DAY_S * 1000),
      // Lifetime-relative thresholds (`--crit 20%`), when given: they apply instead of the days.
      ...(run.thresholds.warnRatio !== undefined ? { warnPercent: run.thresholds.warnRatio * 100 } : {}),
      ...(run.thresholds.critRatio !== undefined ? { critPercent: run.thresholds.critRatio * 100 } : {}),
    },
    summary: {
      status: s.status,
      exitCode: s.exitCode,
      total: s.total,
      ok: s.counts.OK,
      warning: s.counts.WARNING,
      critical: s.counts.CRITICAL,
      unknown: s.counts.UNKNOWN,
      minDaysLeft: s.minSecondsLeft === null ? null : days(s.minSecondsLeft),
      durationMs: run.durationMs,
    },
  };
}

/**
 * `JSON.stringify(checkDocument(run), null, 2)`, byte for byte, in chunks: one per target, so that 10,000
 * targets are never one 30 MB string (written as they come; test/check/check-report.test.ts compares both).
 */
export function* checkJsonChunks(run: CheckRun): Generator<string> {
  const head = JSON.stringify(documentHead(run), null, 2);
  if (run.results.length === 0) {
    yield `${head.slice(0, -2)},\n  "targets": []\n}\n`;
    return;
  }
  yield `${head.slice(0, -2)},\n  "targets": [\n`;
  for (let i = 0; i < run.results.length; i++) {
    const body = JSON.stringify(checkTargetDocument(run.results[i]), null, 2).replace(/\n/g, '\n    ');
    yield `    ${body}${i < run.results.length - 1 ? ',' : ''}\n`;
  }
  yield '  ]\n}\n';
}
