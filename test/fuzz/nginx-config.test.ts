/**
 * Fuzzing the nginx configuration reader with mutated corpus files (test/nginx/configs, the `nginx -T` dump
 * included): the tokenizer, the block/include parser, and what the `nginx` command runs on its result
 * (effective settings, lints). The only exception allowed is NginxParseError (parse-error.ts).
 */
import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { NginxLexer } from '../../src/nginx/lexer.js';
import { lintNginxConfig } from '../../src/nginx/lints.js';
import { parseNginxDump } from '../../src/nginx/parse-config.js';
import { NginxParseError } from '../../src/nginx/parse-error.js';
import {
  deleteChars,
  failureReport,
  fuzz,
  garbleChar,
  insertPiece,
  mutateNumber,
  mutateText,
  previewText,
  shuffleLines,
  truncateText,
  type FuzzResult,
  type Rng,
  type TextMutator,
} from './fuzz-kit.js';
import { nginxConfigTexts } from './seeds.js';

const CONFIGS = nginxConfigTexts();

/** Opens `depth` nested blocks at a random place, closing them (or not) right after. */
const nestBlocks: TextMutator = (rng, t) => {
  const depth = rng.chance(0.7) ? rng.small(10) : 50 + rng.int(3000);
  const open = rng.pick(['location / { ', 'if ($a) { ', 'server { ', 'x { ', '{ ']);
  const close = rng.chance(0.8) ? '}'.repeat(depth) : '';
  const at = rng.int(t.length + 1);
  return `${t.slice(0, at)}${open.repeat(depth)}${close}${t.slice(at)}`;
};

const CONFIG_MUTATORS: TextMutator[] = [
  insertPiece(['{', '}', ';', '"', "'", '\\', '#', '$', '${', '${a}', ' ', '\n', '\r\n', '\t', '(', ')', '"a"b', "'\\''", '\\\n']),
  insertPiece([
    'include x.conf;\n',
    'include *.conf;\n',
    'include /etc/nginx/nginx.conf;\n',
    'include conf.d/[a-;\n',
    'include;\n',
    'location ~ "^/(a|b)$" {\n',
    'proxy_pass https://$host:99999;\n',
    'proxy_pass https://[::1;\n',
    'proxy_ssl_verify_depth -1;\n',
    'proxy_ssl_name "";\n',
    'upstream u { server 127.0.0.1:443 weight=0 max_fails=; }\n',
    'content_by_lua_block { local s = "}" --[[ } ]] }\n',
    'access_by_lua_block { [==[\n',
    'map $a $b { default {; }\n',
    'types { text/html html; }\n',
    '# configuration file /etc/nginx/other.conf:\n',
  ], true),
  nestBlocks,
  deleteChars,
  truncateText,
  shuffleLines,
  garbleChar,
  mutateNumber,
];

function configText(rng: Rng): string {
  return mutateText(rng, rng.pick(CONFIGS), CONFIGS, CONFIG_MUTATORS, 6);
}

/** The CLI prints the message as its one-line error (src/cli/main.ts). */
const isParseError = (e: unknown) => e instanceof NginxParseError && !/[\r\n]/.test(e.message);

function expectClean(r: FuzzResult): void {
  console.log(r.summary);
  expect(r.crashes.length + r.hangs.length, failureReport(r)).toBe(0);
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.typedErrors).toBeGreaterThan(0);
}

describe('fuzz: nginx configuration', () => {
  it('tokenizer (NginxLexer.readStatement to the end of the file): NginxParseError only, always progressing', async () => {
    const r = await fuzz({
      name: 'nginx lexer',
      iterations: 3000,
      perInputMs: 500,
      generate: configText,
      run: (text) => {
        const lexer = new NginxLexer(text, 'fuzz.conf');
        // Every statement but the last consumes at least one character: more statements than characters is a loop.
        for (let n = 0; n <= text.length + 1; n++) {
          const st = lexer.readStatement();
          if (st.end === 'eof') return;
          if (st.words.length > 0 && st.words[0].value.toLowerCase().endsWith('_by_lua_block') && st.end === '{') lexer.readLuaBlock();
        }
        throw new Error('invariant: the lexer stopped advancing');
      },
      expected: isParseError,
      preview: (t) => previewText(t),
    });
    expectClean(r);
  });

  it('parser, effective settings and lints (parseNginxDump → computeEffectiveSettings → lintNginxConfig)', async () => {
    const r = await fuzz({
      name: 'nginx config parser',
      iterations: 3000,
      perInputMs: 500,
      generate: configText,
      run: (text) => {
        const config = parseNginxDump(text, { fallbackName: '/etc/nginx/nginx.conf' });
        lintNginxConfig(computeEffectiveSettings(config, { nginxVersion: '1.22.1' }));
      },
      expected: isParseError,
      preview: (t) => previewText(t),
    });
    expectClean(r);
  });
});
