/**
 * JUnit XML for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure): one
 * <testsuite> per rule of the catalogue, one <testcase> per (rule, configuration line) it found something at,
 * and one passing <testcase> for a rule that found nothing, so the report lists every rule that ran. A finding at
 * or above --fail-on is a <failure>; one below is a passing testcase with the text in <system-out>; a suppressed
 * one is <skipped> with its justification.
 */
import type { AnyLintFinding, LintSeverity } from '../nginx/lints.js';
import { RULES, RULE_IDS } from '../nginx/rule-catalogue.js';
import type { SuppressedFinding } from '../nginx/suppressions.js';
import { artifactPath } from './artifact-uri.js';
import { lintFindingText } from './explain-text.js';

export interface JunitInput {
  findings: AnyLintFinding[];
  suppressed: SuppressedFinding[];
  /** Findings of this severity or worse fail. */
  failOn: LintSeverity;
  root: string;
}

const RANK: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };

/** XML 1.0 text and attribute escaping; characters XML 1.0 cannot carry at all are replaced. */
function esc(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

interface Case {
  xml: string;
  failed: boolean;
  skipped: boolean;
}

function findingCase(f: AnyLintFinding, input: JunitInput, by?: SuppressedFinding['by']): Case {
  const path = artifactPath(f.file, input.root);
  const head = `<testcase classname="${esc(f.code)}" name="${esc(`${path}:${f.line}`)}" file="${esc(path)}" line="${f.line}">`;
  const text = esc(lintFindingText(f));
  if (by) {
    return { xml: `${head}<skipped message="${esc(`suppressed at ${artifactPath(by.file, input.root)}:${by.line}: ${by.reason}`)}"/></testcase>`, failed: false, skipped: true };
  }
  if (RANK[f.severity] <= RANK[input.failOn]) {
    return { xml: `${head}<failure type="${f.severity}" message="${esc(`${f.severity} ${f.code}`)}">${text}</failure></testcase>`, failed: true, skipped: false };
  }
  return { xml: `${head}<system-out>${esc(`${f.severity}: `)}${text}</system-out></testcase>`, failed: false, skipped: false };
}

/** The JUnit XML document. */
export function junitXml(input: JunitInput): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const id of RULE_IDS) {
    const cases = [
      ...input.findings.filter((f) => f.code === id).map((f) => findingCase(f, input)),
      ...input.suppressed.filter((s) => s.finding.code === id).map((s) => findingCase(s.finding, input, s.by)),
    ];
    if (cases.length === 0) cases.push({ xml: `<testcase classname="${id}" name="no findings"/>`, failed: false, skipped: false });
    const f = cases.filter((c) => c.failed).length;
    const s = cases.filter((c) => c.skipped).length;
    tests += cases.length;
    failures += f;
    skipped += s;
    suites.push(
      `  <testsuite name="${id}" tests="${cases.length}" failures="${f}" errors="0" skipped="${s}">\n` +
        `    <properties><property name="title" value="${esc(RULES[id].title)}"/>${RULES[id].helpUri ? `<property name="helpUri" value="${esc(RULES[id].helpUri!)}"/>` : ''}</properties>\n` +
        cases.map((c) => `    ${c.xml}\n`).join('') +
        '  </testsuite>\n',
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="tlsdoctor nginx configuration checks" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">\n` +
    suites.join('') +
    '</testsuites>\n'
  );
}
