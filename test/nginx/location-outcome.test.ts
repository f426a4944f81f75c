/**
 * What a request to a location gets from its servers' verdicts (src/nginx/location-outcome.ts): the cases the
 * real-nginx test (test/nginx-real/nginx-config-e2e.test.ts) does not reach — timeouts, tries, down servers,
 * stream, unprobed servers — and the purity of the analysis files `tlsdoctor nginx` added.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NginxOutcome } from '../../src/diagnosis/types.js';
import { nextUpstreamPolicy, outcomeWithVerify, predictLocation, type ServerVerdict } from '../../src/nginx/location-outcome.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';

const OK: NginxOutcome = { ok: true, status: 200, level: null, error: null, verifyCode: 0, stage: 'ok' };
const V18: NginxOutcome = {
  ok: false,
  status: 502,
  level: 'error',
  error: 'upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream',
  verifyCode: 18,
  stage: 'verify',
};
const TIMEOUT: NginxOutcome = {
  ok: false,
  status: 504,
  level: 'error',
  error: 'upstream timed out (110: Connection timed out) while SSL handshaking to upstream',
  verifyCode: null,
  stage: 'handshake',
};
const NOT_TLS: NginxOutcome = {
  ok: false,
  status: 502,
  level: 'error',
  error: 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream',
  verifyCode: null,
  stage: 'handshake',
};
const DNS: NginxOutcome = { ok: false, status: null, level: 'emerg', error: 'host not found in upstream "x.invalid:443"', verifyCode: null, stage: 'config' };

const srv = (address: string, outcome: NginxOutcome | null, extra: Partial<ServerVerdict> = {}): ServerVerdict => ({
  address,
  backup: false,
  down: false,
  outcome,
  ...extra,
});
const DEFAULT_POLICY = { error: true, timeout: true, tries: 0, source: null };

describe('outcomeWithVerify', () => {
  it('verify off: chain and name failures proxy with 200; handshake failures stay', () => {
    expect(outcomeWithVerify(V18, false)).toMatchObject({ ok: true, status: 200, stage: 'ok', verifyCode: 18 });
    expect(outcomeWithVerify({ ...V18, stage: 'name' }, false).ok).toBe(true);
    expect(outcomeWithVerify(NOT_TLS, false)).toBe(NOT_TLS);
    expect(outcomeWithVerify(V18, true)).toBe(V18);
  });
});

describe('predictLocation', () => {
  it('a timeout is 504, and with proxy_next_upstream error (no timeout) nginx does not retry it', () => {
    const servers = [srv('a:1', TIMEOUT), srv('b:1', OK)];
    expect(predictLocation(servers, DEFAULT_POLICY)).toMatchObject({ ok: true, status: 200, servedBy: 'b:1' });
    expect(predictLocation(servers, { ...DEFAULT_POLICY, timeout: false })).toMatchObject({
      ok: false,
      status: 504,
      lines: [
        { server: 'a:1', level: 'error' },
        { server: 'a:1', level: 'warn', error: 'upstream server temporarily disabled while SSL handshaking to upstream' },
      ],
    });
  });

  it('the status after the last failure is that failure\'s (502 or 504)', () => {
    expect(predictLocation([srv('a:1', V18), srv('b:1', TIMEOUT)], DEFAULT_POLICY)).toMatchObject({ ok: false, status: 504 });
    expect(predictLocation([srv('a:1', TIMEOUT), srv('b:1', V18)], DEFAULT_POLICY)).toMatchObject({ ok: false, status: 502 });
  });

  it('*_next_upstream_tries bounds the servers tried', () => {
    const r = predictLocation([srv('a:1', V18), srv('b:1', NOT_TLS), srv('c:1', OK)], { ...DEFAULT_POLICY, tries: 2 });
    expect(r).toMatchObject({ ok: false, status: 502 });
    expect(r.lines.filter((l) => l.level !== 'warn').map((l) => l.server)).toEqual(['a:1', 'b:1']);
  });

  it('"upstream server temporarily disabled" follows each failure, except for a lone server or max_fails other than 1', () => {
    const warns = (servers: ServerVerdict[]) => predictLocation(servers, DEFAULT_POLICY).lines.filter((l) => l.level === 'warn').map((l) => l.error);
    expect(warns([srv('a:1', V18)])).toEqual([]);
    // A lone server with a backup is not `single`; a down server counts too.
    expect(warns([srv('a:1', V18), srv('b:1', OK, { backup: true })])).toEqual(['upstream server temporarily disabled while SSL handshaking to upstream']);
    expect(warns([srv('a:1', V18), srv('b:1', null, { down: true })])).toHaveLength(1);
    expect(warns([srv('a:1', V18, { maxFails: 0 }), srv('b:1', OK)])).toEqual([]);
    expect(warns([srv('a:1', V18, { maxFails: 3 }), srv('b:1', OK)])).toEqual([]);
    const refused: NginxOutcome = { ...NOT_TLS, error: 'connect() failed (111: Connection refused) while connecting to upstream', stage: 'connect' };
    expect(warns([srv('a:1', refused), srv('b:1', OK)])).toEqual(['upstream server temporarily disabled while connecting to upstream']);
  });

  it('down servers are never tried; every server down is 502 without a verify line', () => {
    expect(predictLocation([srv('a:1', V18, { down: true }), srv('b:1', OK)], DEFAULT_POLICY)).toMatchObject({ ok: true, lines: [] });
    expect(predictLocation([srv('a:1', null, { down: true })], DEFAULT_POLICY)).toEqual({ ok: false, status: 502, lines: [], servedBy: null });
  });

  it('a server that was not probed makes the outcome unknown (null), never guessed', () => {
    expect(predictLocation([srv('a:1', null)], DEFAULT_POLICY)).toMatchObject({ ok: null, status: null });
  });

  it('an upstream name that does not resolve: nginx does not start (status null)', () => {
    expect(predictLocation([srv('x.invalid:443', DNS)], DEFAULT_POLICY)).toMatchObject({ ok: false, status: null, lines: [{ level: 'emerg' }] });
  });
});

describe('nextUpstreamPolicy', () => {
  const ancestorsOf = (text: string) => {
    const parsed = parseConfigText(text, '/etc/nginx/nginx.conf');
    const path: ReturnType<typeof parseConfigText>['directives'] = [];
    // Walk down to the innermost block holding a *_pass directive.
    let level = parsed.directives;
    for (;;) {
      const next = level.find((d) => d.block && d.block.length > 0 && d.name !== 'upstream');
      if (!next) break;
      path.push(next);
      level = next.block!;
    }
    return path;
  };

  it('default: error timeout, no tries limit', () => {
    expect(nextUpstreamPolicy(ancestorsOf('http { server { location / { proxy_pass https://a; } } }'), 'proxy')).toEqual(DEFAULT_POLICY);
  });

  it('the innermost level wins; off stops retries; tries are read', () => {
    const p = nextUpstreamPolicy(
      ancestorsOf('http { proxy_next_upstream error timeout; server { proxy_next_upstream_tries 3; location / { proxy_next_upstream off; proxy_pass https://a; } } }'),
      'proxy',
    );
    expect(p).toMatchObject({ error: false, timeout: false, tries: 3, source: { line: 1 } });
    const q = nextUpstreamPolicy(ancestorsOf('http { server { location / { proxy_next_upstream error; proxy_pass https://a; } } }'), 'proxy');
    expect(q).toMatchObject({ error: true, timeout: false });
  });

  it('grpc reads grpc_next_upstream; stream proxy_next_upstream is on/off', () => {
    expect(nextUpstreamPolicy(ancestorsOf('http { server { location / { grpc_next_upstream timeout; grpc_pass grpcs://a:1; } } }'), 'grpc')).toMatchObject({ error: false, timeout: true });
    expect(nextUpstreamPolicy(ancestorsOf('stream { server { proxy_next_upstream off; proxy_pass a:1; } }'), 'stream')).toMatchObject({ error: false, timeout: false });
  });
});

describe('the analysis files of `tlsdoctor nginx` stay pure', () => {
  const ROOT = join(import.meta.dirname, '..', '..');
  const FILES = [
    'src/nginx/config-index.ts',
    'src/nginx/location-outcome.ts',
    'src/remediation/location-diff.ts',
    'src/report/nginx-model.ts',
    'src/report/nginx-json.ts',
    'src/report/nginx-text.ts',
  ];
  const FORBIDDEN = [/from ['"](node:)?(fs|net|tls|child_process|process|http|https|dns)(\/promises)?['"]/, /from ['"](undici|commander)['"]/, /\bprocess\./, /new Date\(/, /Date\.now\(/];
  for (const file of FILES) {
    it(file, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const re of FORBIDDEN) expect(text, `${file} matches ${re}`).not.toMatch(re);
    });
  }
});
