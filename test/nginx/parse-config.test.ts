import { describe, expect, it } from 'vitest';
import {
  createGlob,
  globMatch,
  memoryReader,
  parseConfigFile,
  parseConfigText,
  parseNginxDump,
  splitNginxDump,
  type Directive,
} from '../../src/nginx/parse-config.js';
import { NginxParseError } from '../../src/nginx/parse-error.js';
import { parseCase, readCorpusFile } from './corpus.js';

function find(ds: Directive[], path: string[]): Directive {
  let list = ds;
  let found: Directive | undefined;
  for (const name of path) {
    const [n, arg] = name.split(' ');
    found = list.find((d) => d.name === n && (arg === undefined || d.args[0] === arg));
    if (!found) throw new Error(`no ${name} in ${list.map((d) => d.name).join(',')}`);
    list = found.block ?? [];
  }
  return found!;
}

function parseError(fn: () => unknown): NginxParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NginxParseError);
    return e as NginxParseError;
  }
  throw new Error('expected NginxParseError');
}

describe('parseConfigText', () => {
  it('builds a tree of directives with file and line', () => {
    const c = parseConfigText('events {}\nhttp {\n  server {\n    listen 80;\n  }\n}\n', '/etc/nginx/nginx.conf');
    expect(c.directives.map((d) => d.name)).toEqual(['events', 'http']);
    const listen = find(c.directives, ['http', 'server', 'listen']);
    expect(listen).toEqual({ name: 'listen', args: ['80'], file: '/etc/nginx/nginx.conf', line: 4 });
    expect(find(c.directives, ['http']).block).toHaveLength(1);
    expect(c.confPrefix).toBe('/etc/nginx/');
  });

  it('keeps map/geo/types entries as data and resolves include inside them', () => {
    const files = new Map([
      ['/etc/nginx/nginx.conf', 'http {\n map $a $b {\n  default 0;\n  server 1;\n  include more-map.conf;\n }\n}\n'],
      ['/etc/nginx/more-map.conf', 'proxy_pass 2;\n'],
    ]);
    const c = parseConfigFile('/etc/nginx/nginx.conf', memoryReader(files));
    const map = find(c.directives, ['http', 'map']);
    expect(map.block!.map((d) => [d.name, d.args, d.file.split('/').pop(), d.line])).toEqual([
      ['default', ['0'], 'nginx.conf', 3],
      ['server', ['1'], 'nginx.conf', 4],
      ['proxy_pass', ['2'], 'more-map.conf', 1],
    ]);
  });

  it('keeps the raw body of a *_by_lua_block and goes on after it', () => {
    const c = parseConfigText('http { server { location / {\n content_by_lua_block { ngx.say("}") }\n proxy_pass https://x; } } }', 'a.conf');
    const loc = find(c.directives, ['http', 'server', 'location']);
    expect(loc.block!.map((d) => d.name)).toEqual(['content_by_lua_block', 'proxy_pass']);
    expect(loc.block![0].luaBody).toBe(' ngx.say("}") ');
    expect(loc.block![1].line).toBe(3);
  });
});

describe('includes', () => {
  const files = new Map([
    ['/etc/nginx/nginx.conf', 'http {\n  include conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n'],
    ['/etc/nginx/conf.d/b.conf', 'b 1;\n'],
    ['/etc/nginx/conf.d/a.conf', 'a 1;\ninclude snippets/x.conf;\n'],
    ['/etc/nginx/conf.d/.hidden.conf', 'hidden {{{'],
    ['/etc/nginx/conf.d/sub/c.conf', 'c 1;\n'],
    ['/etc/nginx/conf.d/Z.conf', 'z 1;\n'],
    ['/etc/nginx/snippets/x.conf', 'x 1;\n'],
    ['/etc/nginx/sites-enabled/default', 'server { listen 80; }\n'],
  ]);

  it('expands globs in byte order, skips dotfiles, and resolves relative paths against the conf prefix', () => {
    const c = parseConfigFile('/etc/nginx/nginx.conf', memoryReader(files));
    const http = find(c.directives, ['http']);
    // "Z" sorts before "a" in byte order (glob(3) in the C locale); conf.d/snippets/x.conf would be wrong:
    // relative includes are relative to the main file's directory, not to the including file.
    expect(http.block!.map((d) => d.name)).toEqual(['z', 'a', 'x', 'b', 'server']);
    expect(c.files).toEqual([
      '/etc/nginx/nginx.conf',
      '/etc/nginx/conf.d/Z.conf',
      '/etc/nginx/conf.d/a.conf',
      '/etc/nginx/snippets/x.conf',
      '/etc/nginx/conf.d/b.conf',
      '/etc/nginx/sites-enabled/default',
    ]);
    expect(c.includes[0]).toMatchObject({ file: '/etc/nginx/nginx.conf', line: 2, pattern: 'conf.d/*.conf', path: '/etc/nginx/conf.d/*.conf' });
  });

  it('accepts a glob that matches nothing, like nginx', () => {
    const c = parseConfigText('include nothing/*.conf;\n', '/etc/nginx/nginx.conf', { reader: memoryReader(new Map()) });
    expect(c.directives).toEqual([]);
  });

  it('reads the same file twice when included twice (not a loop)', () => {
    const m = new Map([
      ['/n/nginx.conf', 'http { server { include s.conf; } server { include s.conf; } }'],
      ['/n/s.conf', 'listen 80;'],
    ]);
    const c = parseConfigFile('/n/nginx.conf', memoryReader(m));
    expect(c.files).toEqual(['/n/nginx.conf', '/n/s.conf']);
    expect(find(c.directives, ['http']).block!.map((s) => s.block!.length)).toEqual([1, 1]);
  });

  it('names the including file and line when an included file is missing', () => {
    const e = parseError(() => parseConfigText('http {\n  include missing.conf;\n}\n', '/etc/nginx/nginx.conf'));
    expect(e.reason).toBe('include-missing');
    expect(e.message).toBe('open() "/etc/nginx/missing.conf" failed (2: No such file or directory) in /etc/nginx/nginx.conf:2');
  });

  it('fails like nginx when the main file itself is missing', () => {
    const e = parseError(() => parseConfigFile('/etc/nginx/nginx.conf', memoryReader(new Map())));
    expect(e).toMatchObject({ reason: 'file-missing', file: '/etc/nginx/nginx.conf', line: 0 });
    expect(e.message).toBe('open() "/etc/nginx/nginx.conf" failed (2: No such file or directory)');
  });

  it('detects include loops', () => {
    const m = new Map([
      ['/n/nginx.conf', 'http {\n include a.conf;\n}'],
      ['/n/a.conf', 'include b.conf;'],
      ['/n/b.conf', '\n\ninclude ./a.conf;'],
    ]);
    const e = parseError(() => parseConfigFile('/n/nginx.conf', memoryReader(m)));
    expect(e.reason).toBe('include-loop');
    expect(e.file).toBe('/n/b.conf');
    expect(e.line).toBe(3);
    expect(e.detail).toBe('include loop: /n/a.conf -> /n/b.conf -> /n/a.conf');
  });

  it('bounds include depth', () => {
    const m = new Map<string, string>();
    for (let i = 0; i < 50; i++) m.set(`/n/f${i}.conf`, `include f${i + 1}.conf;`);
    m.set('/n/f50.conf', '');
    const e = parseError(() => parseConfigFile('/n/f0.conf', memoryReader(m), { maxIncludeDepth: 10 }));
    expect(e.reason).toBe('include-depth');
    expect(parseConfigFile('/n/f0.conf', memoryReader(m), { maxIncludeDepth: 64 }).files).toHaveLength(51);
  });

  it('fuzz regression: blocks nested thousands deep are a block-depth error, not a stack overflow', () => {
    // Found by test/fuzz/nginx-config.test.ts: the effective-settings walkers overflowed the JS stack (RangeError).
    // The reader is iterative now; the bound (DEFAULT_MAX_BLOCK_DEPTH, 5,000) is about time and memory.
    const deep = (n: number) => `http {\n${'location / {\n'.repeat(n)}${'}\n'.repeat(n)}}\n`;
    const e = parseError(() => parseConfigText(deep(6000), '/t/nginx.conf'));
    expect(e).toMatchObject({ reason: 'block-depth', line: 5001, detail: 'blocks nested deeper than 5000 levels' });
    expect(e.message).toBe('blocks nested deeper than 5000 levels in /t/nginx.conf:5001');
    // The bound counts across included files, and real depths stay far below it.
    const m = new Map([
      ['/n/nginx.conf', `http {\n${'location / {\n'.repeat(3000)}include a.conf;\n${'}\n'.repeat(3000)}}\n`],
      ['/n/a.conf', `${'location / {\n'.repeat(2500)}${'}\n'.repeat(2500)}`],
    ]);
    expect(parseError(() => parseConfigFile('/n/nginx.conf', memoryReader(m))).file).toBe('/n/a.conf');
    expect(() => parseConfigText(deep(4999), '/t/nginx.conf')).not.toThrow(); // http + 4,999 locations: 5,000 levels
  });

  it('fuzz regression: an include path holding a newline gives a one-line message', () => {
    // Found by test/fuzz/nginx-config.test.ts: the path was echoed raw, so the CLI printed a two-line error.
    const e = parseError(() => parseConfigText('http {\n    include "a\nb.conf";\n}\n', '/t/nginx.conf'));
    expect(e.message).toBe('open() "/t/a\\x0ab.conf" failed (2: No such file or directory) in /t/nginx.conf:3');
    expect(e.detail).toBe('open() "/t/a\nb.conf" failed (2: No such file or directory)'); // nginx's words, unchanged
  });

  it('does not let a block span files: } at the top of an included file is an error', () => {
    const m = new Map([
      ['/n/nginx.conf', 'http {\n include a.conf;\n'],
      ['/n/a.conf', 'server { }\n}\n'],
    ]);
    expect(parseError(() => parseConfigFile('/n/nginx.conf', memoryReader(m))).message).toBe('unexpected "}" in /n/a.conf:2');
  });
});

describe('parse errors name file and line exactly as nginx 1.22.1 -t does', () => {
  // Each message was produced by `nginx -t` on the same text (Debian 12 nginx 1.22.1).
  const cases: [string, string, string][] = [
    ['extra }', 'events {}\nhttp {\n    server {\n        listen 8080;\n    }\n}\n}\n', 'unexpected "}" in /t/nginx.conf:7'],
    ['unclosed block', 'events {}\nhttp {\n    server {\n        listen 8080;\n', 'unexpected end of file, expecting "}" in /t/nginx.conf:5'],
    ['no ; at eof', 'events {}\nhttp {\n}\nworker_processes 1', 'unexpected end of file, expecting ";" or "}" in /t/nginx.conf:4'],
    ['text after quote', 'events {}\nhttp {\n    server {\n        server_name "a"b;\n    }\n}\n', 'unexpected "b" in /t/nginx.conf:4'],
    ['lone ;', 'events {}\n;\n', 'unexpected ";" in /t/nginx.conf:2'],
    ['{ after simple', 'events {}\nhttp {\n    server {\n        server_name foo {\n        }\n    }\n}\n', 'directive "server_name" is not terminated by ";" in /t/nginx.conf:4'],
    ['; after block', 'events {}\nhttp {\n    server {\n        location /x;\n    }\n}\n', 'directive "location" has no opening "{" in /t/nginx.conf:4'],
    ['{ in map entry', 'events {}\nhttp {\n    map $uri $x {\n        default 0;\n        ~^/a{2} 1;\n    }\n}\n', 'unexpected "{" in /t/nginx.conf:5'],
    ['} in arguments', 'events {}\nhttp {\n    server {\n        location / {\n            proxy_pass https://127.0.0.1 }\n    }\n}\n', 'unexpected "}" in /t/nginx.conf:5'],
    ['unterminated quote', 'events {}\nhttp {\n    server {\n        server_name "unterminated;\n    }\n}\n', 'unexpected end of file, expecting ";" or "}" in /t/nginx.conf:7'],
    ['include arity', 'events {}\nhttp {\n    include a.conf b.conf;\n}\n', 'invalid number of arguments in "include" directive in /t/nginx.conf:3'],
    ['two quoted words glued', `events {}\nhttp {\n    server {\n        server_name 'a''b';\n    }\n}\n`, `unexpected "'" in /t/nginx.conf:4`],
    ['missing ; before }', 'events {}\nhttp {\n    server {\n        listen 8080;\n        return 200 "ok"\n    }\n}\n', 'unexpected "}" in /t/nginx.conf:6'],
    [
      'lua block closed early by its own }',
      'events {}\nhttp {\n    server {\n        location / {\n            content_by_lua_block {\n                local s = "}"\n                if s then\n        }\n    }\n}\n',
      'unexpected end of file, expecting "}" in /t/nginx.conf:11',
    ],
    [
      'unclosed lua block',
      'events {}\nhttp {\n    server {\n        location / {\n            content_by_lua_block {\n                local s = 1\n',
      'unexpected end of file, expecting terminating characters for lua code block in /t/nginx.conf:5',
    ],
    [
      'unclosed lua long bracket',
      'events {}\nhttp {\n    server {\n        location / {\n            content_by_lua_block {\n                local s = [[ abc\n  }\n }\n}\n}\n',
      'Lua code block missing the closing long bracket "]]", the inlined Lua code may be too long in /t/nginx.conf:6',
    ],
    ['missing include', 'events {}\nhttp {\n    include does-not-exist.conf;\n}\n', 'open() "/t/does-not-exist.conf" failed (2: No such file or directory) in /t/nginx.conf:3'],
    // Found by test/fuzz/nginx-config.test.ts: `include;` in a handler block crashed resolveConfPath (TypeError).
    ['fuzz: include without argument in types', 'events {}\nhttp {\n    types {\n        include;\n    }\n}\n', 'invalid number of arguments in "include" directive in /t/nginx.conf:4'],
    ['fuzz: include without argument in map', 'events {}\nhttp {\n    map $uri $x {\n        include;\n    }\n}\n', 'invalid number of the map parameters in /t/nginx.conf:4'],
    ['fuzz: include with two arguments in geo', 'events {}\nhttp {\n    geo $x {\n        include a b;\n    }\n}\n', 'invalid number of the geo parameters in /t/nginx.conf:4'],
  ];

  for (const [title, text, message] of cases) {
    it(title, () => {
      const e = parseError(() => parseConfigText(text, '/t/nginx.conf'));
      expect(e.message).toBe(message);
      expect(e.code).toBe('NGINX_PARSE');
    });
  }

  it('accepts what nginx accepts: if conditions, quoted regexes, ${var}', () => {
    expect(() =>
      parseConfigText('events {}\nhttp {\n  server {\n    set $x "a"; # ok\n    if ($x = "a"){ return 204; }\n    set $y ${x}z;\n  }\n}\n', '/t/nginx.conf'),
    ).not.toThrow();
  });
});

describe('nginx -T output', () => {
  const dump = readCorpusFile('debian-site.nginx-T.txt');

  it('splits back into the files nginx read, in its order, byte for byte', () => {
    const files = splitNginxDump(dump);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/nginx/nginx.conf',
      '/etc/nginx/mime.types',
      '/etc/nginx/conf.d/logging.conf',
      '/etc/nginx/conf.d/upstreams.conf',
      '/etc/nginx/sites-enabled/api.example.com',
      '/etc/nginx/snippets/tls-upstream/10-verify.conf',
      '/etc/nginx/snippets/tls-upstream/20-client-cert.conf',
      '/etc/nginx/sites-enabled/app.example.com',
      '/etc/nginx/snippets/proxy-headers.conf',
    ]);
    expect(files[3].text).toBe(readCorpusFile('debian-site/conf.d/upstreams.conf'));
    expect(files[0].text).toBe(readCorpusFile('debian-site/nginx.conf'));
  });

  it('parses to the same tree as reading the files themselves', () => {
    const fromDump = parseNginxDump(dump);
    const fromFiles = parseCase('debian-site');
    expect(fromDump.directives).toEqual(fromFiles.directives);
    expect(fromDump.files).toEqual(fromFiles.files);
  });

  it('ignores the "syntax is ok" lines when stderr was merged in (nginx -T 2>&1)', () => {
    const merged =
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n' + dump;
    expect(parseNginxDump(merged).directives).toEqual(parseNginxDump(dump).directives);
  });

  it('reads text without dump headers as one file', () => {
    const c = parseNginxDump('http { server { listen 80; } }\n', { fallbackName: '-' });
    expect(c.main).toBe('-');
    expect(find(c.directives, ['http', 'server', 'listen']).file).toBe('-');
  });

  it('fails like nginx when a dumped file includes one the dump does not hold', () => {
    const e = parseError(() => parseNginxDump('# configuration file /etc/nginx/nginx.conf:\ninclude other.conf;\n\n'));
    expect(e.message).toBe('open() "/etc/nginx/other.conf" failed (2: No such file or directory) in /etc/nginx/nginx.conf:1');
  });
});

describe('glob', () => {
  it('matches like glob(3): * ? [..] [!..] within one segment, no leading dot', () => {
    expect(globMatch('/e/conf.d/*.conf', '/e/conf.d/a.conf')).toBe(true);
    expect(globMatch('/e/conf.d/*.conf', '/e/conf.d/sub/a.conf')).toBe(false);
    expect(globMatch('/e/conf.d/*.conf', '/e/conf.d/.a.conf')).toBe(false);
    expect(globMatch('/e/*/x.conf', '/e/sites/x.conf')).toBe(true);
    expect(globMatch('/e/site?.conf', '/e/site1.conf')).toBe(true);
    expect(globMatch('/e/[a-c]*.conf', '/e/b1.conf')).toBe(true);
    expect(globMatch('/e/[!a-c]*.conf', '/e/b1.conf')).toBe(false);
    expect(globMatch('/e/[!a-c]*.conf', '/e/d1.conf')).toBe(true);
    expect(globMatch('/e/a.conf', '/e/a.conf')).toBe(true);
  });

  it('builds on a directory listing, sorted, directories only where more segments follow', () => {
    const tree: Record<string, { name: string; isDirectory: boolean }[]> = {
      '/etc/nginx': [
        { name: 'sites-enabled', isDirectory: true },
        { name: 'conf.d', isDirectory: true },
      ],
      '/etc/nginx/sites-enabled': [
        { name: 'b', isDirectory: false },
        { name: 'a', isDirectory: false },
        { name: '.swp', isDirectory: false },
      ],
      '/etc/nginx/conf.d': [{ name: 'x.conf', isDirectory: false }],
    };
    const glob = createGlob((d) => tree[d] ?? null);
    expect(glob('/etc/nginx/sites-enabled/*')).toEqual(['/etc/nginx/sites-enabled/a', '/etc/nginx/sites-enabled/b']);
    expect(glob('/etc/nginx/*/x.conf')).toEqual(['/etc/nginx/conf.d/x.conf']);
    expect(glob('/etc/nginx/missing/*')).toEqual([]);
  });
});

describe('corpus', () => {
  it('reads the traps case: quoted values, # inside words, multi-line directives, lua and handler blocks', () => {
    const c = parseCase('traps');
    const server = find(c.directives, ['http', 'server']);
    const sets = Object.fromEntries(server.block!.filter((d) => d.name === 'set').map((d) => [d.args[0], d.args[1]]));
    expect(sets).toEqual({ $hash: '#not-a-comment', $semi: 'a;b{c}', $esc: 'say "hi"', $tab: 'x\ty' });
    expect(find(server.block!, ['server_name']).args).toEqual(['traps.example', 'alt.example']);
    const locations = server.block!.filter((d) => d.name === 'location').map((d) => d.args);
    expect(locations).toEqual([['/a#b'], ['~', String.raw`^/re/(\d{2,3})$`], ['/lua'], ['/lua-proxy'], ['/vars'], ['/escaped'], ['/if']]);
    const re = server.block!.find((d) => d.args[0] === '~')!;
    expect(re.block!.map((d) => [d.name, d.args, d.line])).toEqual([
      ['proxy_pass', ['https://127.0.0.1:9701'], 44],
      ['proxy_ssl_name', ['multi.line.example'], 47],
    ]);
    const geo = find(c.directives, ['http', 'geo']);
    expect(geo.block!.map((d) => d.name)).toEqual(['default', '10.0.0.0/8', '192.168.0.0/16']);
    expect(c.files).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/geo-ranges.conf']);
  });
});
