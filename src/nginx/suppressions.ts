/**
 * Inline suppressions in nginx configuration files:
 *
 *     # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- the lab upstream has no CA; ticket OPS-123
 *     proxy_ssl_verify off;
 *
 * or as a trailing comment on the directive's own line. The comment covers the findings whose line is its own
 * line (trailing) or the next line that is neither blank nor a comment (on the line(s) above). Several ids may be
 * listed (`allow A,B -- why`). A reason after `--` is required: without one the comment suppresses nothing and
 * is a finding itself (SUPPRESSION_WITHOUT_REASON), and so is an id that is no rule (SUPPRESSION_UNKNOWN_RULE).
 * Suppressed findings are kept and reported (SARIF `suppressions`, the text and JSON lists), never dropped.
 *
 * Pure: the configuration texts are given (the CLI has read them for the parser).
 */
import { sortLintFindings, type AnyLintFinding, type LintFinding } from './lints.js';
import { RULE_IDS, RULES, isRuleId, type RuleId } from './rule-catalogue.js';

export interface Suppression {
  file: string;
  /** Line of the comment. */
  line: number;
  /** The line whose findings it covers. */
  target: number;
  /** The comment as written, from `#`. */
  comment: string;
  rules: string[];
  /** The text after `--`, trimmed; null when missing or empty. */
  reason: string | null;
}

export interface SuppressedFinding {
  finding: AnyLintFinding;
  /** The suppression that covers it (with a reason: reasonless ones cover nothing). */
  by: { file: string; line: number; reason: string };
}

export interface GateResult {
  /** Findings that count: not suppressed, plus the findings about suppression comments. */
  findings: AnyLintFinding[];
  suppressed: SuppressedFinding[];
  suppressions: Array<Suppression & { matched: number }>;
}

const MARK = /#\s*tlsdoctor:\s*allow\b(.*)$/i;

/** The next line index (0-based) from `from` that holds something other than a comment, or -1. */
function nextContentLine(lines: string[], from: number): number {
  for (let i = from; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t !== '' && !t.startsWith('#')) return i;
  }
  return -1;
}

/** The `# tlsdoctor: allow ...` comments of one file. */
export function findSuppressions(file: string, text: string): Suppression[] {
  const out: Suppression[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = MARK.exec(lines[i]);
    if (!m) continue;
    const hash = lines[i].indexOf('#', lines[i].length - m[0].length);
    const before = lines[i].slice(0, hash).trim();
    const dash = m[1].indexOf('--');
    const ids = (dash === -1 ? m[1] : m[1].slice(0, dash)).split(/[\s,]+/).filter((x) => x !== '');
    const reason = dash === -1 ? null : m[1].slice(dash + 2).trim() || null;
    const target = before !== '' ? i : nextContentLine(lines, i + 1);
    out.push({ file, line: i + 1, target: target === -1 ? -1 : target + 1, comment: lines[i].slice(hash).trim(), rules: ids, reason });
  }
  return out;
}

/** An id that ends with or contains the one written (`VERIFY_OFF` → `PROXY_SSL_VERIFY_OFF`), when unique. */
function suggest(id: string): string | null {
  const up = id.toUpperCase();
  const hits = RULE_IDS.filter((r) => r.endsWith(`_${up}`) || r.includes(up));
  return hits.length === 1 ? hits[0] : null;
}

function problem<C extends 'SUPPRESSION_WITHOUT_REASON' | 'SUPPRESSION_UNKNOWN_RULE'>(
  code: C,
  s: Suppression,
  evidence: LintFinding<C>['evidence'],
): AnyLintFinding {
  return { code, severity: RULES[code].severity, file: s.file, line: s.line, evidence } as AnyLintFinding;
}

/** Splits findings into those that count and those suppressed; adds the findings about the comments. */
export function applySuppressions(findings: AnyLintFinding[], suppressions: Suppression[]): GateResult {
  const result: GateResult = { findings: [], suppressed: [], suppressions: suppressions.map((s) => ({ ...s, matched: 0 })) };
  const problems: AnyLintFinding[] = [];
  for (const s of result.suppressions) {
    if (s.reason === null) problems.push(problem('SUPPRESSION_WITHOUT_REASON', s, { comment: s.comment, rules: s.rules }));
    if (s.rules.length === 0) problems.push(problem('SUPPRESSION_UNKNOWN_RULE', s, { comment: s.comment, rule: '(none)', suggestion: null }));
    for (const id of s.rules) {
      if (!isRuleId(id)) problems.push(problem('SUPPRESSION_UNKNOWN_RULE', s, { comment: s.comment, rule: id, suggestion: suggest(id) }));
    }
  }
  for (const f of findings) {
    const by = result.suppressions.find(
      (s) => s.reason !== null && s.file === f.file && s.target === f.line && s.rules.includes(f.code as RuleId),
    );
    if (by) {
      by.matched++;
      result.suppressed.push({ finding: f, by: { file: by.file, line: by.line, reason: by.reason! } });
    } else {
      result.findings.push(f);
    }
  }
  result.findings = sortLintFindings([...result.findings, ...problems]);
  return result;
}
