/**
 * `tlsdoctor check --format prometheus` and the `/probe` answer of `tlsdoctor serve`. The metric names and labels
 * are a contract documented in docs/metrics.md: never rename one, add new ones instead.
 *
 * Certificate metrics are written for every certificate of the path whatever the verdict (an expired,
 * untrusted or mismatched chain keeps its dates), and the reasons travel as labels: the two things
 * blackbox_exporter and ssl_exporter users miss when verification fails.
 */
import type { CheckResult, CheckRun, CheckStatus } from '../check/types.js';
import { renderExposition, type MetricFamily, type Sample } from './exposition.js';

const STATUSES: CheckStatus[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

function family(name: string, help: string, samples: Sample[], type: MetricFamily['type'] = 'gauge'): MetricFamily {
  return { name, help, type, samples };
}

function perTarget(results: CheckResult[], fn: (r: CheckResult) => Sample[]): Sample[] {
  return results.flatMap(fn);
}

/** The per-target families (what one /probe scrape returns for its single target). */
export function targetFamilies(results: CheckResult[], atMs: number): MetricFamily[] {
  const t = (r: CheckResult) => ({ target: r.id });
  const certSamples = (r: CheckResult, value: (notAfterMs: number) => number): Sample[] =>
    [...r.path, ...r.clientCerts].map((c) => ({
      labels: { target: r.id, depth: String(c.depth), source: c.source, subject: c.subject, sha256: c.sha256 },
      value: value(Date.parse(c.notAfter)),
    }));
  return [
    family(
      'tlsdoctor_check_status',
      'Status of the target: 1 for the current one of OK, WARNING, CRITICAL, UNKNOWN (monitoring-plugin states), 0 for the others.',
      perTarget(results, (r) => STATUSES.map((s) => ({ labels: { target: r.id, status: s }, value: r.status === s ? 1 : 0 }))),
    ),
    family(
      'tlsdoctor_nginx_would_succeed',
      'Whether nginx would verify this upstream and proxy to it (1) or fail (0); reason lists the finding codes, comma-separated.',
      perTarget(results, (r) => (r.nginx ? [{ labels: { target: r.id, reason: r.reason.join(',') }, value: r.nginx.ok ? 1 : 0 }] : [])),
    ),
    family(
      'tlsdoctor_check_reason',
      'One series per reason code of the target status (finding codes of severity error or warning, EXPIRES_SOON, or why the check failed).',
      perTarget(results, (r) => r.reason.map((reason) => ({ labels: { target: r.id, reason }, value: 1 }))),
    ),
    family(
      'tlsdoctor_upstream_up',
      'Whether the TLS handshake with nginx\'s settings completed (1) or not (0: refused, timeout, not TLS, alert...).',
      perTarget(results, (r) => (r.nginx ? [{ labels: t(r), value: r.handshake ? 1 : 0 }] : [])),
    ),
    family(
      'tlsdoctor_nginx_verify_result',
      'The OpenSSL verify result nginx would see (X509_V_ERR_* number; 0 = ok); absent when no handshake completed.',
      perTarget(results, (r) => (r.nginx && r.nginx.verifyCode !== null ? [{ labels: t(r), value: r.nginx.verifyCode }] : [])),
    ),
    family(
      'tlsdoctor_cert_not_after_seconds',
      'notAfter of each certificate of the path nginx builds (leaf depth 0, intermediates, the anchor from the bundle) and of the client certificate file (source client), as Unix time. Present whatever the verdict.',
      perTarget(results, (r) => certSamples(r, (na) => Math.floor(na / 1000))),
    ),
    family(
      'tlsdoctor_cert_expiry_seconds',
      'Seconds from the check to notAfter for the same certificates (negative once expired).',
      perTarget(results, (r) => certSamples(r, (na) => Math.round((na - atMs) / 1000))),
    ),
    family(
      'tlsdoctor_earliest_not_after_seconds',
      'The earliest notAfter over the path and the client certificates, as Unix time.',
      perTarget(results, (r) => (r.notAfter ? [{ labels: t(r), value: Math.floor(Date.parse(r.notAfter) / 1000) }] : [])),
    ),
    family(
      'tlsdoctor_probe_duration_seconds',
      'Time spent checking the target (handshakes and diagnosis).',
      perTarget(results, (r) => [{ labels: t(r), value: r.durationMs / 1000 }]),
    ),
    family(
      'tlsdoctor_target_info',
      'Constant 1, carrying the proxy_ssl_name checked and the target\'s labels from the targets file.',
      perTarget(results, (r) => [{ labels: { target: r.id, proxy_ssl_name: r.proxySslName, ...r.labels }, value: 1 }]),
    ),
  ];
}

/** The whole `check --format prometheus` document: per-target families plus the run's own. */
export function checkPrometheus(run: CheckRun): string {
  const s = run.summary;
  return renderExposition([
    ...targetFamilies(run.results, run.at.getTime()),
    family(
      'tlsdoctor_check_targets',
      'Number of targets per status in this run.',
      STATUSES.map((status) => ({ labels: { status }, value: s.counts[status] })),
    ),
    family('tlsdoctor_check_duration_seconds', 'Wall time of the whole run.', [{ labels: {}, value: run.durationMs / 1000 }]),
    family('tlsdoctor_check_timestamp_seconds', 'When the run judged the certificates, as Unix time (for staleness alerts).', [
      { labels: {}, value: Math.floor(run.at.getTime() / 1000) },
    ]),
  ]);
}

/** One `/probe` scrape: the target's families only (blackbox style). */
export function probePrometheus(result: CheckResult, at: Date): string {
  return renderExposition(targetFamilies([result], at.getTime()));
}
