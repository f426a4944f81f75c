/**
 * SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for the nginx configuration checks, as GitHub
 * code scanning reads it: one run, `tool.driver.rules[]` from the rule catalogue (src/nginx/rule-catalogue.ts)
 * with `helpUri` to the nginx documentation, one result per finding with a file:line region from the
 * configuration parser (an included file's own line), and the suppressed findings as results carrying
 * `suppressions: [{kind: "inSource", justification}]` (code scanning closes those as dismissed).
 * Validated against the 2.1.0 schema in test/report/sarif.test.ts.
 */
import type { AnyLintFinding, LintSeverity } from '../nginx/lints.js';
import { RULES, RULE_IDS, type RuleId } from '../nginx/rule-catalogue.js';
import type { SuppressedFinding } from '../nginx/suppressions.js';
import { artifactUri } from './artifact-uri.js';
import { lintFindingText } from './explain-text.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifInput {
  findings: AnyLintFinding[];
  suppressed: SuppressedFinding[];
  toolVersion: string;
  /** Directory artifact URIs are relative to (the repository root in CI). */
  root: string;
}

const LEVEL: Record<LintSeverity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function location(file: string, line: number, root: string, message?: string): Record<string, unknown> {
  return {
    physicalLocation: { artifactLocation: { uri: artifactUri(file, root) }, region: { startLine: Math.max(1, line) } },
    ...(message ? { message: { text: message } } : {}),
  };
}

function ruleDescriptor(id: RuleId): Record<string, unknown> {
  const r = RULES[id];
  return {
    id,
    name: id,
    shortDescription: { text: r.title },
    fullDescription: { text: `${r.title}: ${r.consequence}.` },
    ...(r.helpUri ? { helpUri: r.helpUri } : {}),
    help: { text: `${r.consequence}.${r.helpUri ? ` nginx documentation: ${r.helpUri}` : ''}` },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { refusesToStart: r.refusesToStart, tags: ['nginx', 'tls'] },
  };
}

/** The upstreams a finding affects, as related locations (their pass directives). */
function related(f: AnyLintFinding, root: string): Record<string, unknown>[] {
  const affected = 'affected' in f.evidence ? f.evidence.affected : [];
  return affected.map((a, i) => ({
    id: i,
    ...location(a.file, a.line, root, `${a.directive} ${a.pass}${a.location !== null ? ` (location ${a.location})` : ''}`),
  }));
}

function result(f: AnyLintFinding, root: string, suppression?: SuppressedFinding['by']): Record<string, unknown> {
  const rel = related(f, root);
  return {
    ruleId: f.code,
    ruleIndex: RULE_IDS.indexOf(f.code),
    level: LEVEL[f.severity],
    message: { text: lintFindingText(f) },
    locations: [location(f.file, f.line, root)],
    ...(rel.length > 0 ? { relatedLocations: rel } : {}),
    ...(suppression
      ? { suppressions: [{ kind: 'inSource', justification: suppression.reason, location: location(suppression.file, suppression.line, root) }] }
      : {}),
  };
}

/** The SARIF log as a JSON-serialisable object. */
export function sarifLog(input: SarifInput): Record<string, unknown> {
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tlsdoctor',
            version: input.toolVersion,
            rules: RULE_IDS.map(ruleDescriptor),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: [
          ...input.findings.map((f) => result(f, input.root)),
          ...input.suppressed.map((s) => result(s.finding, input.root, s.by)),
        ],
      },
    ],
  };
}
