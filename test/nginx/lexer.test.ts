import { describe, expect, it } from 'vitest';
import { NginxLexer, unescapeWord, type Statement } from '../../src/nginx/lexer.js';
import { NginxParseError } from '../../src/nginx/parse-error.js';

function statements(text: string): Statement[] {
  const lexer = new NginxLexer(text, 'test.conf');
  const out: Statement[] = [];
  for (;;) {
    const st = lexer.readStatement();
    out.push(st);
    if (st.end === 'eof') return out;
  }
}

function words(text: string): string[][] {
  return statements(text)
    .filter((s) => s.words.length > 0)
    .map((s) => s.words.map((w) => w.value));
}

function error(text: string): { detail: string; line: number } {
  try {
    statements(text);
  } catch (e) {
    expect(e).toBeInstanceOf(NginxParseError);
    const err = e as NginxParseError;
    expect(err.code).toBe('NGINX_PARSE');
    return { detail: err.detail, line: err.line };
  }
  throw new Error('expected a parse error');
}

describe('ngx_conf_read_token port', () => {
  it('splits words on spaces, tabs and newlines and ends statements on ; { }', () => {
    const st = statements('a b\tc\n  d;\nblk x {\n}\n');
    expect(st.map((s) => [s.words.map((w) => w.value), s.end])).toEqual([
      [['a', 'b', 'c', 'd'], ';'],
      [['blk', 'x'], '{'],
      [[], '}'],
      [[], 'eof'],
    ]);
  });

  it('records the line each word starts on and the line of the terminator', () => {
    const [st] = statements('proxy_pass\n   https://x\n   ;');
    expect(st.words.map((w) => w.line)).toEqual([1, 2]);
    expect(st.endLine).toBe(3);
  });

  it('treats # as a comment only where a word could start', () => {
    expect(words('location /a#b { } # c { ; "\nx "#y" z#;')).toEqual([['location', '/a#b'], ['x', '#y', 'z#']]);
  });

  it('keeps quoted text whole: spaces, ; { } # inside quotes', () => {
    expect(words(`set $a "a;b{c} #d";\nset $b 'x } y';`)).toEqual([
      ['set', '$a', 'a;b{c} #d'],
      ['set', '$b', 'x } y'],
    ]);
  });

  it('unescapes \\" \\\' \\\\ \\t \\r \\n and keeps other backslashes, in and out of quotes', () => {
    expect(words(String.raw`a "say \"hi\"" 'it\'s' b\\c "t\tr\rn\n" \d\.x;`)).toEqual([
      ['a', 'say "hi"', "it's", 'b\\c', 't\tr\rn\n', '\\d\\.x'],
    ]);
    expect(unescapeWord(String.raw`^/re/(\d{2,3})$`)).toBe(String.raw`^/re/(\d{2,3})$`);
  });

  it('lets a backslash escape a space or a quote inside an unquoted word', () => {
    expect(words(String.raw`a x\ y z\"w;`)).toEqual([['a', 'x\\ y', 'z"w']]);
  });

  it('keeps ${var} inside and at the start of a word (a { after $ does not open a block)', () => {
    expect(words('set $a ${b}c;\nproxy_pass https://h:${port}/x;\nreturn 200 "${x}";')).toEqual([
      ['set', '$a', '${b}c'],
      ['proxy_pass', 'https://h:${port}/x'],
      ['return', '200', '${x}'],
    ]);
  });

  it('ends a word at { when no $ precedes it', () => {
    const st = statements('location ~ ^/a{2} { }');
    expect(st[0].words.map((w) => w.value)).toEqual(['location', '~', '^/a']);
    expect(st[0].end).toBe('{');
  });

  it('treats } inside a word as an ordinary character', () => {
    expect(words('return 200 a}b;')).toEqual([['return', '200', 'a}b']]);
  });

  it('accepts ) right after a closing quote (if conditions) and makes it a word', () => {
    expect(words(`if ($a = "b") { }`)).toEqual([['if', '($a', '=', 'b', ')']]);
    expect(words(`if ($request_uri ~ '^/(x|y)'){ }`)).toEqual([['if', '($request_uri', '~', '^/(x|y)', ')']]);
  });

  it('handles CRLF line ends', () => {
    expect(words('a b;\r\nc d;\r\n')).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('rejects a quote followed by anything but space ; { or )', () => {
    expect(error('server_name "a"b;')).toEqual({ detail: 'unexpected "b"', line: 1 });
    expect(error(`x\nserver_name 'a''b';`)).toEqual({ detail: `unexpected "'"`, line: 2 });
  });

  it('rejects ; or { without a directive name, and } after arguments', () => {
    expect(error('\n;')).toEqual({ detail: 'unexpected ";"', line: 2 });
    expect(error('{')).toEqual({ detail: 'unexpected "{"', line: 1 });
    expect(error('location / {\n  proxy_pass https://x }')).toEqual({ detail: 'unexpected "}"', line: 2 });
  });

  it('rejects end of file inside a statement or an open quote, naming the last line', () => {
    expect(error('a b')).toEqual({ detail: 'unexpected end of file, expecting ";" or "}"', line: 1 });
    expect(error('a "b;\n\n')).toEqual({ detail: 'unexpected end of file, expecting ";" or "}"', line: 3 });
  });
});

describe('Lua blocks (lua-nginx-module lexer)', () => {
  function lua(text: string): { body: string; next: Statement } {
    const lexer = new NginxLexer(text, 'lua.conf');
    const open = lexer.readStatement();
    expect(open.end).toBe('{');
    const body = lexer.readLuaBlock();
    return { body, next: lexer.readStatement() };
  }

  it('skips braces inside strings, long strings and comments', () => {
    const src = [
      'content_by_lua_block {',
      '  local s = "}"  -- a brace in a comment }',
      "  local t = '{\\''",
      '  local u = [[ } } ]]',
      '  local v = [==[ ]] } ]==]',
      '  --[==[ a long comment } ]==]',
      '  if s == "}" then ngx.say("{") end',
      '  local w = { a = { 1 } }',
      '}',
      'after;',
    ].join('\n');
    const { body, next } = lua(src);
    expect(body.trim().split('\n')[0]).toBe('local s = "}"  -- a brace in a comment }');
    expect(body.trim().endsWith('local w = { a = { 1 } }')).toBe(true);
    expect(next.words.map((w) => w.value)).toEqual(['after']);
    expect(next.words[0].line).toBe(10);
  });

  it('reports an unclosed Lua block at the block start', () => {
    const lexer = new NginxLexer('x\ncontent_by_lua_block {\n  local s = 1\n', 'lua.conf');
    lexer.readStatement();
    expect(() => lexer.readLuaBlock()).toThrowError(/expecting terminating characters for lua code block in lua.conf:2/);
  });
});
