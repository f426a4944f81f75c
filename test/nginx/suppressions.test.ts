/**
 * Inline suppressions (`# tlsdoctor: allow RULE -- reason`): where a comment applies, what a missing reason or an
 * unknown id does, and that suppressed findings are kept with their justification.
 */
import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { lintNginxConfig } from '../../src/nginx/lints.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import { applySuppressions, findSuppressions } from '../../src/nginx/suppressions.js';

const FILE = '/etc/nginx/nginx.conf';

function gate(conf: string) {
  const findings = lintNginxConfig(computeEffectiveSettings(parseConfigText(conf, FILE), { nginxVersion: '1.24.0' }));
  return applySuppressions(findings, findSuppressions(FILE, conf));
}

const summary = (g: ReturnType<typeof gate>) => ({
  findings: g.findings.map((f) => `${f.code}@${f.line}`),
  suppressed: g.suppressed.map((s) => `${s.finding.code}@${s.finding.line} by ${s.by.line}: ${s.by.reason}`),
});

const conf = (lines: string[]) => ['http {', ' server {', '  location / {', ...lines, '   proxy_pass https://upstream.test;', '  }', ' }', '}'].join('\n');

describe('findSuppressions', () => {
  it('reads ids, the reason, and the line covered (trailing: its own; above: the next non-comment line)', () => {
    const text = 'a;\n# tlsdoctor: allow A_B, C -- why not\n\n# other comment\nproxy_ssl_verify off;\nx; # TLSDOCTOR: allow D --  \ny; #tlsdoctor:allow E';
    expect(findSuppressions('f', text)).toEqual([
      { file: 'f', line: 2, target: 5, comment: '# tlsdoctor: allow A_B, C -- why not', rules: ['A_B', 'C'], reason: 'why not' },
      { file: 'f', line: 6, target: 6, comment: '# TLSDOCTOR: allow D --', rules: ['D'], reason: null },
      { file: 'f', line: 7, target: 7, comment: '#tlsdoctor:allow E', rules: ['E'], reason: null },
    ]);
  });

  it('ignores comments that are not suppressions, and a comment at the end of the file covers nothing', () => {
    expect(findSuppressions('f', '# tlsdoctor is great\n# allow PROXY_SSL_VERIFY_OFF -- x\n')).toEqual([]);
    expect(findSuppressions('f', 'a;\n# tlsdoctor: allow X -- y\n')[0].target).toBe(-1);
  });
});

describe('applySuppressions', () => {
  it('without a comment, the finding counts', () => {
    expect(summary(gate(conf(['   proxy_ssl_verify off;'])))).toEqual({ findings: ['PROXY_SSL_VERIFY_OFF@4'], suppressed: [] });
  });

  it('a comment with a reason on the line above suppresses it, and the suppression is reported', () => {
    const g = gate(conf(['   # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab upstream, OPS-1', '   proxy_ssl_verify off;']));
    expect(summary(g)).toEqual({ findings: [], suppressed: ['PROXY_SSL_VERIFY_OFF@5 by 4: lab upstream, OPS-1'] });
    expect(g.suppressions[0].matched).toBe(1);
  });

  it('a trailing comment covers its own line only', () => {
    expect(summary(gate(conf(['   proxy_ssl_verify off;  # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab'])))).toEqual({
      findings: [],
      suppressed: ['PROXY_SSL_VERIFY_OFF@4 by 4: lab'],
    });
    // On the pass directive's line it does not cover the verify line above it.
    const g = gate(conf(['   proxy_ssl_verify off;']).replace('proxy_pass https://upstream.test;', 'proxy_pass https://upstream.test; # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab'));
    expect(summary(g).findings).toEqual(['PROXY_SSL_VERIFY_OFF@4']);
    expect(g.suppressions[0].matched).toBe(0);
  });

  it('a comment without a reason suppresses nothing and is an error of its own', () => {
    const g = gate(conf(['   # tlsdoctor: allow PROXY_SSL_VERIFY_OFF', '   proxy_ssl_verify off;']));
    expect(summary(g)).toEqual({ findings: ['SUPPRESSION_WITHOUT_REASON@4', 'PROXY_SSL_VERIFY_OFF@5'], suppressed: [] });
    expect(g.findings[0]).toMatchObject({ severity: 'error', evidence: { rules: ['PROXY_SSL_VERIFY_OFF'] } });
  });

  it('an unknown id is a warning with a suggestion; the known ids of the same comment still apply', () => {
    const g = gate(conf(['   # tlsdoctor: allow VERIFY_OFF, PROXY_SSL_VERIFY_OFF -- lab', '   proxy_ssl_verify off;']));
    expect(summary(g)).toEqual({ findings: ['SUPPRESSION_UNKNOWN_RULE@4'], suppressed: ['PROXY_SSL_VERIFY_OFF@5 by 4: lab'] });
    expect(g.findings[0]).toMatchObject({ severity: 'warning', evidence: { rule: 'VERIFY_OFF', suggestion: 'PROXY_SSL_VERIFY_OFF' } });
  });

  it('a comment naming no rule at all is a warning too', () => {
    const g = gate(conf(['   # tlsdoctor: allow -- everything, please', '   proxy_ssl_verify off;']));
    expect(summary(g).findings).toEqual(['SUPPRESSION_UNKNOWN_RULE@4', 'PROXY_SSL_VERIFY_OFF@5']);
    expect(g.findings[0].evidence).toMatchObject({ rule: '(none)' });
  });

  it('a comment naming another rule leaves the finding alone', () => {
    const g = gate(conf(['   # tlsdoctor: allow SESSION_REUSE_MIXED_TRUST -- not this one', '   proxy_ssl_verify off;']));
    expect(summary(g).findings).toEqual(['PROXY_SSL_VERIFY_OFF@5']);
  });

  it('applies per file: the same line number in another file is not covered', () => {
    const text = conf(['   # tlsdoctor: allow PROXY_SSL_VERIFY_OFF -- lab', '   proxy_ssl_verify off;']);
    const findings = lintNginxConfig(computeEffectiveSettings(parseConfigText(text, FILE), { nginxVersion: '1.24.0' }));
    const g = applySuppressions(findings, findSuppressions('/etc/nginx/other.conf', text));
    expect(g.findings.map((f) => f.code)).toEqual(['PROXY_SSL_VERIFY_OFF']);
  });
});
