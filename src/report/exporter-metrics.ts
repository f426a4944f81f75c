/**
 * `/metrics` of `tlsdoctor serve`: the exporter's own health (not the upstreams': those are on /probe).
 * Names are part of the contract in README "Metrics (contract)".
 */
import type { CheckStatus } from '../check/types.js';
import { renderExposition, type Sample } from './exposition.js';
import { TOOL_VERSION } from './version.js';

/** Probe duration histogram buckets, seconds: a healthy loopback handshake is ~10 ms, a dead upstream hits its timeout. */
export const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface ExporterStats {
  startTimeSeconds: number;
  probes: Record<CheckStatus, number>;
  /** Requests refused with 400 (bad or disallowed parameters). */
  badRequests: number;
  /** Scrapes refused with 403: the target is outside --allow-targets (nothing was sent to it). */
  refusedTargets: number;
  /** Probes whose check failed internally or overran (status UNKNOWN), by reason code. */
  errors: Record<string, number>;
  inFlight: number;
  /** Cumulative counts per DURATION_BUCKETS bound, plus +Inf last. */
  durationBuckets: number[];
  durationSum: number;
  durationCount: number;
  residentMemoryBytes: number;
  /** serve --nginx-config: whether the last read of the configuration succeeded (a failed one keeps the old targets). */
  configReload?: { successful: boolean; successTimestampSeconds: number };
}

export function newExporterStats(startTimeSeconds: number): ExporterStats {
  return {
    startTimeSeconds,
    probes: { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 },
    badRequests: 0,
    refusedTargets: 0,
    errors: {},
    inFlight: 0,
    durationBuckets: new Array(DURATION_BUCKETS.length + 1).fill(0),
    durationSum: 0,
    durationCount: 0,
    residentMemoryBytes: 0,
  };
}

export function observeDuration(s: ExporterStats, seconds: number): void {
  DURATION_BUCKETS.forEach((le, i) => {
    if (seconds <= le) s.durationBuckets[i]++;
  });
  s.durationBuckets[DURATION_BUCKETS.length]++;
  s.durationSum += seconds;
  s.durationCount++;
}

export function exporterMetrics(s: ExporterStats): string {
  const buckets: Sample[] = [...DURATION_BUCKETS.map(String), '+Inf'].map((le, i) => ({
    labels: { le },
    value: s.durationBuckets[i],
    suffix: '_bucket',
  }));
  return renderExposition([
    {
      name: 'tlsdoctor_exporter_probes_total',
      help: 'Probes run through /probe, by the status they produced.',
      type: 'counter',
      samples: (Object.keys(s.probes) as CheckStatus[]).map((status) => ({ labels: { status }, value: s.probes[status] })),
    },
    {
      name: 'tlsdoctor_exporter_probe_errors_total',
      help: 'Probes that could not check their target (status UNKNOWN), by reason code.',
      type: 'counter',
      samples: Object.entries(s.errors).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    {
      name: 'tlsdoctor_exporter_bad_requests_total',
      help: 'Requests answered 400: missing, malformed or disallowed parameters.',
      type: 'counter',
      samples: [{ labels: {}, value: s.badRequests }],
    },
    {
      name: 'tlsdoctor_exporter_refused_targets_total',
      help: 'Scrapes answered 403: the target is not allowed by --allow-targets (nothing was sent to it).',
      type: 'counter',
      samples: [{ labels: {}, value: s.refusedTargets }],
    },
    {
      name: 'tlsdoctor_exporter_probe_duration_seconds',
      help: 'Duration of /probe checks.',
      type: 'histogram',
      samples: [
        ...buckets,
        { labels: {}, value: s.durationSum, suffix: '_sum' },
        { labels: {}, value: s.durationCount, suffix: '_count' },
      ],
    },
    {
      name: 'tlsdoctor_exporter_probes_in_flight',
      help: 'Probes running now.',
      type: 'gauge',
      samples: [{ labels: {}, value: s.inFlight }],
    },
    ...(s.configReload
      ? [
          {
            // As prometheus_config_last_reload_successful: alert on 0, the targets are the previous configuration's.
            name: 'tlsdoctor_exporter_config_last_reload_successful',
            help: 'serve --nginx-config: 1 when the last read of the nginx configuration succeeded, 0 when it failed (the previous targets are kept).',
            type: 'gauge' as const,
            samples: [{ labels: {}, value: s.configReload.successful ? 1 : 0 }],
          },
          {
            name: 'tlsdoctor_exporter_config_last_reload_success_timestamp_seconds',
            help: 'serve --nginx-config: when the nginx configuration was last read successfully, as Unix time.',
            type: 'gauge' as const,
            samples: [{ labels: {}, value: s.configReload.successTimestampSeconds }],
          },
        ]
      : []),
    {
      name: 'tlsdoctor_build_info',
      help: 'Constant 1, labelled with the tlsdoctor version.',
      type: 'gauge',
      samples: [{ labels: { version: TOOL_VERSION }, value: 1 }],
    },
    {
      name: 'process_start_time_seconds',
      help: 'Start time of the process since unix epoch in seconds.',
      type: 'gauge',
      samples: [{ labels: {}, value: s.startTimeSeconds }],
    },
    {
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      type: 'gauge',
      samples: [{ labels: {}, value: s.residentMemoryBytes }],
    },
  ]);
}
