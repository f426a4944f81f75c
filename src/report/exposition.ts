/**
 * Prometheus text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * `# HELP`, `# TYPE`, then the family's samples, contiguous. Label values escape `\`, `"` and newline; HELP text
 * escapes `\` and newline. Checked with `promtool check metrics` in test/check/.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Series suffix for histogram parts (`_bucket`, `_sum`, `_count`). */
  suffix?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** Content-Type of this format (Prometheus scrapes negotiate it with this exact string). */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's strconv float text as Prometheus parses it: NaN, +Inf, -Inf, else the shortest decimal. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * Render families in order. Repeated label sets within a family are dropped (the first wins): a duplicate
 * series makes the whole scrape fail.
 */
export function renderExposition(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    const seen = new Set<string>();
    for (const s of f.samples) {
      const line = `${f.name}${s.suffix ?? ''}${labelText(s.labels)}`;
      if (seen.has(line)) continue;
      seen.add(line);
      out.push(`${line} ${formatValue(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}
