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

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
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

function header(f: { name: string; help: string; type: MetricType }): string {
  return `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
}

/** Sample lines; a repeated series (same name and labels) is dropped, the first wins: a duplicate fails the whole scrape. */
function sampleLines(name: string, samples: Iterable<Sample>, seen: Set<string>): string {
  let out = '';
  for (const s of samples) {
    const series = `${name}${s.suffix ?? ''}${labelText(s.labels)}`;
    if (seen.has(series)) continue;
    seen.add(series);
    out += `${series} ${formatValue(s.value)}\n`;
  }
  return out;
}

/** Render families in order, in one string (small documents: one /probe scrape, /metrics). */
export function renderExposition(families: MetricFamily[]): string {
  let out = '';
  for (const f of families) out += header(f) + sampleLines(f.name, f.samples, new Set());
  return out;
}

/** A family whose samples come per item (per target), so a large document is never held whole. */
export interface StreamedFamily<T> {
  name: string;
  help: string;
  type: MetricType;
  samples(item: T): Sample[];
}

/**
 * Render families over many items, yielding one chunk per family and item batch: memory stays proportional to
 * a batch, not to the document (10,000 targets make ~20 MB of text). Samples of a family stay contiguous, as
 * the format requires. Series are de-duplicated within an item (items carry distinct `target` labels).
 */
export function* streamExposition<T>(families: StreamedFamily<T>[], items: readonly T[], batch = 256): Generator<string> {
  for (const f of families) {
    let chunk = header(f);
    for (let i = 0; i < items.length; i++) {
      chunk += sampleLines(f.name, f.samples(items[i]), new Set());
      if ((i + 1) % batch === 0) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}
