import { describe, expect, it } from 'vitest';
import { assignIds, checkExplicitIds, parseTargetsFile, splitWords, TargetsFileError } from '../../src/check/targets-file.js';

const src = { name: 'targets.txt', baseDir: '/etc/tlsdoctor' };

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TargetsFileError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('targets file, line format', () => {
  it('accepts plain host:port lines, comments and blank lines', () => {
    const specs = parseTargetsFile('# fleet\n\nbackend.internal:443\n  10.0.0.7:8443   # trailing comment\n[::1]:9443\nbare.example\n', src);
    expect(specs.map((s) => [s.host, s.port, s.origin])).toEqual([
      ['backend.internal', 443, 'targets.txt:3'],
      ['10.0.0.7', 8443, 'targets.txt:4'],
      ['::1', 9443, 'targets.txt:5'],
      ['bare.example', 443, 'targets.txt:6'],
    ]);
    expect(specs.every((s) => Object.keys(s.labels).length === 0 && s.ca === undefined && s.name === undefined)).toBe(true);
  });

  it('reads every key, resolves relative files against the file directory, keeps absolute ones', () => {
    const [s] = parseTargetsFile(
      'api:8443 name=api.internal sni=on ca=bundles/a.pem ca=/abs/b.pem depth=2 protocols=TLSv1.2,TLSv1.3 cert=c.pem key=../k.pem label.team=payments label.env="prod eu"\n',
      src,
    );
    expect(s).toMatchObject({
      host: 'api',
      port: 8443,
      name: 'api.internal',
      sni: 'on',
      ca: ['/etc/tlsdoctor/bundles/a.pem', '/abs/b.pem'],
      depth: '2',
      protocols: 'TLSv1.2,TLSv1.3',
      cert: '/etc/tlsdoctor/c.pem',
      key: '/etc/k.pem',
      labels: { team: 'payments', env: 'prod eu' },
    });
  });

  it('accepts the nginx directive names as keys', () => {
    const [s] = parseTargetsFile('h:1 proxy_ssl_name=x proxy_ssl_server_name=on proxy_ssl_trusted_certificate=/b.pem proxy_ssl_verify_depth=3\n', src);
    expect(s).toMatchObject({ name: 'x', sni: 'on', ca: ['/b.pem'], depth: '3' });
  });

  it('splits quoted words with escapes; # inside quotes is not a comment', () => {
    expect(splitWords(`a label.x="say \\"hi\\" # not a comment" label.y='single' # gone`, 'w')).toEqual(['a', 'label.x=say "hi" # not a comment', 'label.y=single']);
  });

  it.each([
    ['h:1 bogus=1', 'targets.txt:1: unknown key "bogus"'],
    ['h:1 name', 'targets.txt:1: expected key=value, got "name"'],
    ['\n\nh:99999', 'targets.txt:3: bad target "h:99999": port 99999 is out of range 1-65535'],
    ['h:1 name=a name=b', 'targets.txt:1: name= given twice'],
    ['h:1 cert=c.pem', 'targets.txt:1: cert= needs key='],
    ['h:1 key=k.pem', 'targets.txt:1: key= needs cert='],
    ['h:1 label.1bad=x', 'targets.txt:1: label name "1bad" is not a valid Prometheus label name'],
    ['h:1 label.target=x', 'targets.txt:1: label name "target" is reserved'],
    ['h:1 label.__x=x', 'targets.txt:1: label name "__x"'],
    ['h:1 name="open', 'targets.txt:1: unterminated " quote'],
    ['name=x h:1', 'targets.txt:1: a line starts with host:port'],
    ['https://h/', 'targets.txt:1: bad target'],
    ['h:1 name=', 'targets.txt:1: name= needs a value'],
  ])('rejects %j naming file:line', (text, message) => {
    expect(errorOf(() => parseTargetsFile(text, src))).toContain(message);
  });

  it('an empty file is an empty list', () => {
    expect(parseTargetsFile('# nothing\n\n', src)).toEqual([]);
  });
});

describe('targets file, JSON forms', () => {
  it('reads an array of objects and strings, with the same keys and typed values', () => {
    const text = `[
  "plain.example:443",
  {"target": "api:8443", "name": "api.internal", "sni": true, "ca": ["a.pem", "/b.pem"], "depth": 2,
   "protocols": ["TLSv1.2", "TLSv1.3"], "labels": {"team": "payments"}}
]`;
    const specs = parseTargetsFile(text, src);
    expect(specs[0]).toMatchObject({ host: 'plain.example', port: 443, origin: 'targets.txt:2' });
    expect(specs[1]).toMatchObject({
      host: 'api',
      origin: 'targets.txt:3',
      name: 'api.internal',
      sni: 'on',
      ca: ['/etc/tlsdoctor/a.pem', '/b.pem'],
      depth: '2',
      protocols: 'TLSv1.2,TLSv1.3',
      labels: { team: 'payments' },
    });
  });

  it('reads {"targets": [...]} and names the line of a bad entry', () => {
    const text = '{\n  "version": 1,\n  "targets": [\n    {"target": "a:1"},\n    {"target": "b:2", "sni": "maybe", "bogus": 1}\n  ]\n}\n';
    expect(errorOf(() => parseTargetsFile(text, src))).toBe('targets.txt:5: unknown key "bogus" (known: name, sni, ca, depth, protocols, cert, key, id, warn, crit, label.NAME)');
    const ok = parseTargetsFile('{"targets": [{"target": "a:1"}, {"target": "b:2"}]}', src);
    expect(ok.map((s) => s.host)).toEqual(['a', 'b']);
  });

  it('reads JSON Lines (one object per line)', () => {
    const specs = parseTargetsFile('{"target": "a:1"}\n\n{"target": "b:2", "labels": {"x": "y"}}\n', src);
    expect(specs.map((s) => [s.host, s.origin, s.labels])).toEqual([
      ['a', 'targets.txt:1', {}],
      ['b', 'targets.txt:3', { x: 'y' }],
    ]);
    expect(errorOf(() => parseTargetsFile('{"target": "a:1"}\n{"target": \n', src))).toMatch(/^targets\.txt:2: not valid JSON/);
  });

  it('rejects a bad JSON document naming the line', () => {
    expect(errorOf(() => parseTargetsFile('[\n {"target": "a:1"},\n {"target": }\n]', src))).toMatch(/^targets\.txt:3: not valid JSON/);
    expect(errorOf(() => parseTargetsFile('[\n {"host": "a"}\n]', src))).toBe('targets.txt:2: "target": "host:port" is required');
  });
});

describe('assignIds', () => {
  it('gives host:port, brackets IPv6, the verified name when it is not the host, and numbers true repeats', () => {
    const specs = parseTargetsFile('a:1\n[::1]:2\na:1 name=other\nA:1\na:1\na:1 name=a\n', src);
    expect(assignIds(specs)).toEqual(['a:1', '[::1]:2', 'other@a:1', 'A:1', 'a:1#2', 'a:1#3']);
  });

  it('SNI ingress: two names at one address keep their ids whatever the line order', () => {
    const one = assignIds(parseTargetsFile('10.0.0.7:443 name=shop.example\n10.0.0.7:443 name=api.example\n', src));
    const two = assignIds(parseTargetsFile('10.0.0.7:443 name=api.example\n10.0.0.7:443 name=shop.example\n', src));
    expect(one).toEqual(['shop.example@10.0.0.7:443', 'api.example@10.0.0.7:443']);
    expect([...two].reverse()).toEqual(one);
  });

  it('id= is the identity as written; generated ids step around it; two equal id= are an error naming both lines', () => {
    const specs = parseTargetsFile('a:1 id=a:1#2\na:1\na:1\nb:2 id=payments-eu warn=14d crit=10%\n', src);
    expect(assignIds(specs)).toEqual(['a:1#2', 'a:1', 'a:1#3', 'payments-eu']);
    expect(specs[3]).toMatchObject({ warn: '14d', crit: '10%' });
    expect(errorOf(() => checkExplicitIds(parseTargetsFile('a:1 id=x\nb:1 id=x\n', src)))).toBe('targets.txt:2: id=x is already the id of the target at targets.txt:1');
  });
});
