/**
 * The rule catalogue is the one list of rule ids: the README's table is rendered from it (this test fails with the
 * table to paste when they differ), every id has a title and a doc, and every nginx doc cited is on nginx.org.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LINT_CODES } from '../../src/nginx/lints.js';
import { RULES, RULE_IDS, isRuleId } from '../../src/nginx/rule-catalogue.js';

const README = resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md');

/** The README table, rendered from the catalogue. */
function catalogueTable(): string {
  const rows = RULE_IDS.map((id) => {
    const r = RULES[id];
    const doc = r.helpUri ? `[${r.helpUri.replace(/^https:\/\/nginx\.org\/en\/docs\//, '')}](${r.helpUri})` : '[Inline suppressions](#inline-suppressions)';
    return `| \`${id}\` | ${r.severity} | ${r.refusesToStart ? 'yes' : 'no'} | ${r.title}: ${r.consequence} | ${doc} |`;
  });
  return ['| rule id | severity | nginx refuses to start | what it means | nginx doc cited |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('rule catalogue', () => {
  it('README.md holds the table rendered from src/nginx/rule-catalogue.ts', () => {
    const text = readFileSync(README, 'utf8');
    const m = /<!-- rule-catalogue:start -->\n([\s\S]*?)\n?<!-- rule-catalogue:end -->/.exec(text);
    expect(m, 'README.md lacks the rule-catalogue markers').not.toBeNull();
    expect(m![1].trim(), `README.md's rule catalogue is out of date; paste:\n${catalogueTable()}`).toBe(catalogueTable());
  });

  it('keeps every id that shipped (ids are never renamed) and is the lints’ own severity table', () => {
    for (const id of ['PROXY_SSL_VERIFY_OFF', 'CLIENT_SIDE_TRUSTED_CERT', 'VERIFY_WITHOUT_TRUSTED_FILE', 'TRUSTED_FILE_MISSING', 'TRUSTED_FILE_EMPTY', 'TRUSTED_FILE_NO_ROOT', 'SESSION_REUSE_MIXED_TRUST', 'UNRESOLVED_VARIABLE', 'DIRECTIVE_NOT_ALLOWED', 'DUPLICATE_DIRECTIVE', 'NO_PORT_IN_UPSTREAM']) {
      expect(isRuleId(id), id).toBe(true);
    }
    expect(LINT_CODES).toBe(RULES);
    expect(isRuleId('VERIFY_OFF')).toBe(false);
    expect(isRuleId('toString')).toBe(false);
  });

  it.each(RULE_IDS)('%s has a title, a consequence and an nginx.org doc (or is about suppression comments)', (id) => {
    const r = RULES[id];
    expect(r.title.length).toBeGreaterThan(5);
    expect(r.consequence.length).toBeGreaterThan(5);
    if (id.startsWith('SUPPRESSION_')) expect(r.helpUri).toBeNull();
    else expect(r.helpUri).toMatch(/^https:\/\/nginx\.org\/en\/docs\/[a-z_/]+\.html(#[a-z_]+)?$/);
  });
});
