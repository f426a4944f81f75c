import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

// The nginx reader is analysis code (HELPERS.md, STYLE.md 1): file access is injected, time is not read.
const FILES = [
  'src/nginx/lexer.ts',
  'src/nginx/parse-error.ts',
  'src/nginx/parse-config.ts',
  'src/nginx/upstream-address.ts',
  'src/nginx/nginx-version.ts',
  'src/nginx/effective-settings.ts',
  'src/nginx/lints.ts',
  'src/nginx/log-line.ts',
  'src/nginx/explain.ts',
  'src/report/explain-text.ts',
];

const FORBIDDEN = [/from ['"](node:)?(fs|net|tls|child_process|process|http|https|dns)(\/promises)?['"]/, /from ['"](undici|commander)['"]/, /\bprocess\./, /new Date\(/, /Date\.now\(/];

describe('nginx analysis stays pure', () => {
  for (const file of FILES) {
    it(file, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const re of FORBIDDEN) expect(text, `${file} matches ${re}`).not.toMatch(re);
    });
  }
});
