/**
 * The inline suppressions as text for `tlsdoctor nginx` / `tlsdoctor lint`: every suppressed finding with its
 * justification, and the suppression comments that matched nothing (stale ones are worth deleting).
 */
import type { NginxRunReport } from './nginx-model.js';

export function suppressionLines(r: NginxRunReport): string[] {
  const suppressed = r.suppressed ?? [];
  const unused = (r.suppressions ?? []).filter((s) => s.matched === 0 && s.reason !== null);
  if (suppressed.length === 0 && unused.length === 0) return [];
  const out = ['', `Suppressed (${suppressed.length}):`];
  for (const x of suppressed) {
    const f = x.finding;
    out.push(`  ${f.file}:${f.line}: ${f.severity} ${f.code} -- ${x.by.reason} (allowed at ${x.by.file}:${x.by.line})`);
  }
  for (const s of unused) out.push(`  ${s.file}:${s.line}: unused: "${s.comment}" matches no finding on line ${s.target}`);
  return out;
}
