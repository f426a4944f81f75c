/**
 * STYLE.md convention 1: analysis folders never import node:tls, node:net, node:fs, undici, commander or touch
 * `process`; and they never read the clock (time is a parameter).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ANALYSIS = ['certs', 'chain', 'diagnosis', 'remediation', 'report', 'nginx'];
const FORBIDDEN = /from ['"](node:)?(tls|net|fs|fs\/promises|http|https|child_process|dns)['"]|from ['"](undici|commander)['"]|import\(['"](undici|commander|node:(tls|net|fs))['"]\)/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('layering', () => {
  const all = ANALYSIS.flatMap((d) => files(join('src', d)));
  it('covers the analysis folders', () => expect(all.length).toBeGreaterThan(40));
  it.each(all)('%s does no I/O and reads no clock', (file) => {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(FORBIDDEN);
    expect(code).not.toMatch(/\bprocess\.(env|exit|stdout|stderr|argv|cwd)/);
    expect(code).not.toMatch(/new Date\(\)|Date\.now\(\)/);
  });
});
