/**
 * `tlsdoctor check --format prometheus` and the `/probe` answer of `tlsdoctor serve`. The metric names and labels
 * are a contract documented in README "Metrics (contract)": never rename one, add new ones instead.
 *
 * Certificate metrics are written for every certificate of the path whatever the verdict (an expired,
 * untrusted or mismatched chain keeps its dates), and the reasons travel as labels: the two things
 * blackbox_exporter and ssl_exporter users miss when verification fails.
 */
import type { CheckResult, CheckRun, CheckStatus } from '../check/types.js';
import { renderExposition, streamExposition, type MetricFamily, type Sample, type StreamedFamily } from './exposition.js';

const STATUSES: CheckStatus[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/** An item of the per-target families: the result and the time it was judged at. */
interface Judged {
  r: CheckResult;
  atMs: number;
}

const t = (r: CheckResult) => ({ target: r.id });

function certSamples(r: CheckResult, value: (notAfterMs: number) => number): Sample[] {
  return [...r.path, ...r.clientCerts].map((c) => ({
    labels: { target: r.id, depth: String(c.depth), source: c.source, subject: c.subject, sha256: c.sha256 },
    value: value(Date.parse(c.notAfter)),
  }));
}

/** The per-target families, in output order. */
export const TARGET_FAMILIES: StreamedFamily<Judged>[] = [
  {
    name: 'tlsdoctor_check_status',
    help: 'Status of the target: 1 for the current one of OK, WARNING, CRITICAL, UNKNOWN (monitoring-plugin states), 0 for the others.',
    type: 'gauge',
    samples: ({ r }) => STATUSES.map((s) => ({ labels: { target: r.id, status: s }, value: r.status === s ? 1 : 0 })),
  },
  {
    // Only `target`: a label whose value changes during an outage (a warning joins, TIMEOUT <-> CHECK_TIMEOUT)
    // starts a new series and restarts every `for:` of an alert on it. The reasons are tlsdoctor_nginx_failure_reason.
    name: 'tlsdoctor_nginx_would_succeed',
    help: 'Whether nginx would verify this upstream and proxy to it (1) or fail (0). Why: tlsdoctor_nginx_failure_reason.',
    type: 'gauge',
    samples: ({ r }) => (r.nginx ? [{ labels: t(r), value: r.nginx.ok ? 1 : 0 }] : []),
  },
  {
    name: 'tlsdoctor_nginx_failure_reason',
    help: 'While nginx would fail: 1 per reason code of the failure (join on target with tlsdoctor_nginx_would_succeed).',
    type: 'gauge',
    samples: ({ r }) => (r.nginx && !r.nginx.ok ? r.reason.map((reason) => ({ labels: { target: r.id, reason }, value: 1 })) : []),
  },
  {
    name: 'tlsdoctor_nginx_fails_at_timestamp_seconds',
    help: 'The first instant nginx will fail for this target (the earliest notAfter of the path, anchor, client certificate or CRL nextUpdate; the check time when it fails now), as Unix time.',
    type: 'gauge',
    samples: ({ r }) => (r.forecast?.failsAt ? [{ labels: t(r), value: Math.floor(Date.parse(r.forecast.failsAt) / 1000) }] : []),
  },
  {
    name: 'tlsdoctor_check_reason',
    help: 'One series per reason code of the target status (finding codes of severity error or warning, EXPIRES_SOON, or why the check failed).',
    type: 'gauge',
    samples: ({ r }) => r.reason.map((reason) => ({ labels: { target: r.id, reason }, value: 1 })),
  },
  {
    name: 'tlsdoctor_upstream_up',
    help: "Whether the TLS handshake with nginx's settings completed (1) or not (0: refused, timeout, not TLS, alert...).",
    type: 'gauge',
    samples: ({ r }) => (r.nginx ? [{ labels: t(r), value: r.handshake ? 1 : 0 }] : []),
  },
  {
    name: 'tlsdoctor_nginx_verify_result',
    help: 'The OpenSSL verify result nginx would see (X509_V_ERR_* number; 0 = ok); absent when no handshake completed.',
    type: 'gauge',
    samples: ({ r }) => (r.nginx && r.nginx.verifyCode !== null ? [{ labels: t(r), value: r.nginx.verifyCode }] : []),
  },
  {
    name: 'tlsdoctor_cert_not_after_seconds',
    help: 'notAfter of each certificate of the path nginx builds (leaf depth 0, intermediates, the anchor from the bundle) and of the client certificate file (source client), as Unix time. Present whatever the verdict.',
    type: 'gauge',
    samples: ({ r }) => certSamples(r, (na) => Math.floor(na / 1000)),
  },
  {
    name: 'tlsdoctor_cert_expiry_seconds',
    help: 'Seconds from the check to notAfter for the same certificates (negative once expired).',
    type: 'gauge',
    samples: ({ r, atMs }) => certSamples(r, (na) => Math.round((na - atMs) / 1000)),
  },
  {
    name: 'tlsdoctor_earliest_not_after_seconds',
    help: 'The earliest notAfter over the path and the client certificates, as Unix time.',
    type: 'gauge',
    samples: ({ r }) => (r.notAfter ? [{ labels: t(r), value: Math.floor(Date.parse(r.notAfter) / 1000) }] : []),
  },
  {
    name: 'tlsdoctor_probe_duration_seconds',
    help: 'Time spent checking the target (handshakes and diagnosis).',
    type: 'gauge',
    samples: ({ r }) => [{ labels: t(r), value: r.durationMs / 1000 }],
  },
  {
    name: 'tlsdoctor_target_info',
    help: "Constant 1, carrying the proxy_ssl_name checked and the target's labels from the targets file.",
    type: 'gauge',
    samples: ({ r }) => [{ labels: { target: r.id, proxy_ssl_name: r.proxySslName, ...r.labels }, value: 1 }],
  },
  {
    // nginx round-robins over every address of a name: one bad node is a share of the requests (check-addresses.ts).
    name: 'tlsdoctor_nginx_address_would_succeed',
    help: 'Per address of the target name (every A/AAAA nginx uses): 1 when nginx would verify it and proxy, 0 when a request sent there fails.',
    type: 'gauge',
    samples: ({ r }) => (r.addresses ?? []).map((a) => ({ labels: { target: r.id, address: a.address }, value: a.verdict === 'ok' ? 1 : 0 })),
  },
];

function runFamilies(run: CheckRun): MetricFamily[] {
  const s = run.summary;
  return [
    {
      name: 'tlsdoctor_check_targets',
      help: 'Number of targets per status in this run.',
      type: 'gauge',
      samples: STATUSES.map((status) => ({ labels: { status }, value: s.counts[status] })),
    },
    { name: 'tlsdoctor_check_duration_seconds', help: 'Wall time of the whole run.', type: 'gauge', samples: [{ labels: {}, value: run.durationMs / 1000 }] },
    {
      name: 'tlsdoctor_check_timestamp_seconds',
      help: 'When the run judged the certificates, as Unix time (for staleness alerts).',
      type: 'gauge',
      samples: [{ labels: {}, value: Math.floor(run.at.getTime() / 1000) }],
    },
  ];
}

/** The `check --format prometheus` document in chunks (write them one after the other). */
export function* checkPrometheusChunks(run: CheckRun): Generator<string> {
  const atMs = run.at.getTime();
  yield* streamExposition(TARGET_FAMILIES, run.results.map((r) => ({ r, atMs })));
  yield renderExposition(runFamilies(run));
}

/** The whole `check --format prometheus` document as one string. */
export function checkPrometheus(run: CheckRun): string {
  return [...checkPrometheusChunks(run)].join('');
}

/** One `/probe` scrape: the target's families only (blackbox style). */
export function probePrometheus(result: CheckResult, at: Date): string {
  return [...streamExposition(TARGET_FAMILIES, [{ r: result, atMs: at.getTime() }])].join('');
}
