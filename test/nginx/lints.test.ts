import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { LINT_CODES, lintNginxConfig, type AnyLintFinding, type LintFileAccess } from '../../src/nginx/lints.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import { parseCase, readCorpusFile } from './corpus.js';
import { renderLintFinding } from '../../src/report/explain-text.js';

/** The rules of this file; PROXY_SSL_NAME_IS_IP (these cases pass to IP literals) has its own tests (lint-gate-rules.test.ts). */
function lint(conf: string, files?: LintFileAccess): AnyLintFinding[] {
  const all = lintNginxConfig(computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' }), files);
  return all.filter((f) => f.code !== 'PROXY_SSL_NAME_IS_IP');
}

const codes = (fs: AnyLintFinding[]) => fs.map((f) => `${f.code}@${f.line}`);

const PEM_ROOT = readCorpusFile('debian-site/certs/internal-ca.pem');
const PEM_INTERMEDIATE = readCorpusFile('debian-site/certs/intermediate-only.pem');

/** Files in memory; "root" = the bundle holds the corpus root (the real check is src/certs', injected). */
function memoryFiles(files: Record<string, string>): LintFileAccess {
  return {
    readFile: (p) => (p in files ? new TextEncoder().encode(files[p]) : null),
    holdsRoot: (bytes) => new TextDecoder().decode(bytes).includes(PEM_ROOT.trim()),
  };
}

describe('PROXY_SSL_VERIFY_OFF', () => {
  it('fires for the default (missing) at the pass directive, and for an explicit off at that directive', () => {
    const f = lint('http {\n server {\n  location /a { proxy_pass https://10.0.0.1; }\n  location /b { proxy_ssl_verify off; proxy_pass https://10.0.0.2; }\n }\n}');
    expect(codes(f)).toEqual(['PROXY_SSL_VERIFY_OFF@3', 'PROXY_SSL_VERIFY_OFF@4']);
    expect(f[0].evidence).toMatchObject({ directive: 'proxy_ssl_verify', explicit: false });
    expect(f[1].evidence).toMatchObject({ explicit: true });
  });

  it('gives one finding per directive, listing every upstream it affects', () => {
    const f = lint('http {\n proxy_ssl_verify off;\n server {\n  location /a { proxy_pass https://10.0.0.1; }\n  location /b { grpc_pass grpcs://10.0.0.2:1; }\n }\n}');
    const off = f.filter((x) => x.code === 'PROXY_SSL_VERIFY_OFF');
    // proxy's explicit off (line 2) and grpc's default off (its own directive family) are different findings.
    expect(codes(off)).toEqual(['PROXY_SSL_VERIFY_OFF@2', 'PROXY_SSL_VERIFY_OFF@5']);
    expect(off[1].evidence).toMatchObject({ directive: 'grpc_ssl_verify', explicit: false });
  });

  it('is silent when verification is on with a bundle', () => {
    expect(lint('http { proxy_ssl_verify on; proxy_ssl_trusted_certificate /ca.pem; server { location / { proxy_pass https://h; } } }')).toEqual([]);
  });
});

describe('trust bundle lints', () => {
  it('CLIENT_SIDE_TRUSTED_CERT and VERIFY_WITHOUT_TRUSTED_FILE: the classic mix-up', () => {
    const f = lint('http {\n server {\n  ssl_trusted_certificate /etc/ssl/upstream-ca.pem;\n  proxy_ssl_verify on;\n  location / { proxy_pass https://10.0.0.1; }\n }\n}');
    expect(codes(f)).toEqual(['CLIENT_SIDE_TRUSTED_CERT@3', 'VERIFY_WITHOUT_TRUSTED_FILE@4']);
    expect(f[0].evidence).toMatchObject({
      clientSide: { value: '/etc/ssl/upstream-ca.pem', line: 3 },
      missing: 'proxy_ssl_trusted_certificate',
      verify: true,
    });
    expect(f[1].severity).toBe('error');
    expect(LINT_CODES.VERIFY_WITHOUT_TRUSTED_FILE.refusesToStart).toBe(true);
  });

  it('no CLIENT_SIDE_TRUSTED_CERT when proxy_ssl_trusted_certificate is set too', () => {
    const f = lint('http { ssl_trusted_certificate /a.pem; proxy_ssl_trusted_certificate /b.pem; proxy_ssl_verify on; server { location / { proxy_pass https://h; } } }');
    expect(f).toEqual([]);
  });

  it('TRUSTED_FILE_MISSING / EMPTY / NO_ROOT from file contents, errors only where verification is on', () => {
    const conf = [
      'http {',
      ' proxy_ssl_verify on;',
      ' server {',
      '  location /missing { proxy_ssl_trusted_certificate missing.pem; proxy_pass https://10.0.0.1; }',
      '  location /empty { proxy_ssl_trusted_certificate empty.pem; proxy_pass https://10.0.0.2; }',
      '  location /der { proxy_ssl_trusted_certificate ca.der; proxy_pass https://10.0.0.3; }',
      '  location /int { proxy_ssl_trusted_certificate intermediate.pem; proxy_pass https://10.0.0.4; }',
      '  location /ok { proxy_ssl_trusted_certificate root.pem; proxy_pass https://10.0.0.5; }',
      '  location /off { proxy_ssl_verify off; proxy_ssl_trusted_certificate /other/missing.pem; proxy_pass https://10.0.0.6; }',
      ' }',
      '}',
    ].join('\n');
    const files = memoryFiles({
      '/etc/nginx/empty.pem': '',
      '/etc/nginx/ca.der': '\u0030\u0082\u0001\u0000binary',
      '/etc/nginx/intermediate.pem': PEM_INTERMEDIATE,
      '/etc/nginx/root.pem': PEM_INTERMEDIATE + PEM_ROOT,
    });
    const f = lint(conf, files);
    expect(f.map((x) => `${x.code}@${x.line}:${x.severity}`)).toEqual([
      'TRUSTED_FILE_MISSING@4:error',
      'TRUSTED_FILE_EMPTY@5:error',
      'TRUSTED_FILE_EMPTY@6:error',
      'TRUSTED_FILE_NO_ROOT@7:error',
      'PROXY_SSL_VERIFY_OFF@9:warning',
      'TRUSTED_FILE_MISSING@9:warning',
    ]);
    expect(f[0].evidence).toMatchObject({ path: '/etc/nginx/missing.pem', value: 'missing.pem', verify: true });
    expect(f[3].evidence).toMatchObject({ certificates: 1 });
  });

  it('skips file checks without file access', () => {
    expect(lint('http { proxy_ssl_verify on; proxy_ssl_trusted_certificate /nope.pem; server { location / { proxy_pass https://h; } } }')).toEqual([]);
  });
});

describe('SESSION_REUSE_MIXED_TRUST', () => {
  it('fires when one upstream server is reached with different trust settings and session reuse on', () => {
    const conf = [
      'http {',
      ' proxy_ssl_verify on;',
      ' proxy_ssl_trusted_certificate /etc/ssl/root.pem;',
      ' upstream app { server 10.0.0.1:8443; server 10.0.0.2:8443; }',
      ' server {',
      '  location /strict { proxy_pass https://app; }',
      '  location /pinned { proxy_ssl_trusted_certificate /etc/ssl/pinned-leaf.pem; proxy_pass https://app; }',
      ' }',
      '}',
    ].join('\n');
    const f = lint(conf).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST');
    expect(f).toHaveLength(1);
    expect(f[0].evidence).toMatchObject({
      upstream: 'app',
      servers: ['10.0.0.1:8443', '10.0.0.2:8443'],
      differing: ['trustedCertificate'],
      settings: [
        { location: '/strict', trustedCertificate: '/etc/ssl/root.pem', verify: true },
        { location: '/pinned', trustedCertificate: '/etc/ssl/pinned-leaf.pem', verify: true },
      ],
    });
    expect(f[0].line).toBe(6);
    // The text names the directive, not the JSON field (issue 14).
    expect(renderLintFinding(f[0])).toContain('reached from locations with different proxy_ssl_trusted_certificate while');
  });

  it('groups literal host:port targets like nginx\'s implicit upstreams', () => {
    const conf = 'http { server {\n location /a { proxy_pass https://10.0.0.1:8443/a; proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; }\n location /b { proxy_pass https://10.0.0.1:8443/b; }\n} }';
    const f = lint(conf).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST');
    expect(f).toHaveLength(1);
    expect(f[0].evidence).toMatchObject({ servers: ['10.0.0.1:8443'], differing: ['verify', 'trustedCertificate'] });
  });

  it('is silent when session reuse is off in one of them, or the settings agree', () => {
    const off = 'http { server {\n location /a { proxy_pass https://10.0.0.1:8443; proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; }\n location /b { proxy_pass https://10.0.0.1:8443; proxy_ssl_session_reuse off; }\n} }';
    expect(lint(off).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST')).toEqual([]);
    const same = 'http { proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; server {\n location /a { proxy_pass https://10.0.0.1:8443; }\n location /b { proxy_pass https://10.0.0.1:8443; }\n} }';
    expect(lint(same)).toEqual([]);
  });

  it('leaves out targets built from variables (per-request peers), unless they name an upstream block', () => {
    const conf = (target: string) =>
      `http { upstream app { server 10.0.0.1:443; } server { set $t ${target};\n location /a { proxy_pass $t; proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; }\n location /b { proxy_pass https://${target.replace('https://', '')}; }\n} }`;
    expect(lint(conf('https://10.0.0.1:443')).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST')).toEqual([]);
    expect(lint(conf('https://app')).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST')).toHaveLength(1);
  });

  it('does not mix different upstream blocks that list the same address (separate peers)', () => {
    const conf = 'http { upstream a { server 10.0.0.1:443; } upstream b { server 10.0.0.1:443; } server {\n location /a { proxy_pass https://a; proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; }\n location /b { proxy_pass https://b; }\n} }';
    expect(lint(conf).filter((x) => x.code === 'SESSION_REUSE_MIXED_TRUST')).toEqual([]);
  });
});

describe('UNRESOLVED_VARIABLE and start-up problems', () => {
  it('reports variables that decide the upstream', () => {
    const f = lint('http { server { location / { proxy_pass https://$http_host; proxy_ssl_verify on; proxy_ssl_trusted_certificate /r.pem; } } }');
    expect(f).toEqual([
      expect.objectContaining({ code: 'UNRESOLVED_VARIABLE', severity: 'info', evidence: expect.objectContaining({ variables: ['http_host'] }) }),
    ]);
  });

  it('turns DIRECTIVE_NOT_ALLOWED, DUPLICATE_DIRECTIVE and NO_PORT_IN_UPSTREAM into error findings', () => {
    const f = lint('http { server {\n proxy_ssl_verify on;\n proxy_ssl_verify on;\n proxy_ssl_trusted_certificate /r.pem;\n location / { if ($a) { proxy_ssl_name x; }\n grpc_pass grpcs://10.0.0.1; grpc_ssl_verify on; grpc_ssl_trusted_certificate /r.pem; } } }');
    expect(f.map((x) => `${x.code}@${x.line}:${x.severity}`)).toEqual([
      'DUPLICATE_DIRECTIVE@3:error',
      'DIRECTIVE_NOT_ALLOWED@5:error',
      'NO_PORT_IN_UPSTREAM@6:error',
    ]);
  });
});

describe('corpus lints', () => {
  it('debian-site: verify off from a snippet, mixed trust on the reports upstream', () => {
    const settings = computeEffectiveSettings(parseCase('debian-site'), { nginxVersion: '1.22.1' });
    const f = lintNginxConfig(settings, {
      readFile: (p) => {
        try {
          return new TextEncoder().encode(readCorpusFile(p.replace('/etc/nginx/', 'debian-site/')));
        } catch {
          return null;
        }
      },
      holdsRoot: (bytes) => new TextDecoder().decode(bytes).includes(PEM_ROOT.trim()),
    });
    expect(f.map((x) => `${x.code} ${x.file.replace('/etc/nginx/', '')}:${x.line}`)).toEqual([
      'TRUSTED_FILE_NO_ROOT sites-enabled/app.example.com:22',
      'SESSION_REUSE_MIXED_TRUST sites-enabled/app.example.com:14',
      // location = /legacy: proxy_pass https://127.0.0.1:8444 with verification on and no proxy_ssl_name.
      'PROXY_SSL_NAME_IS_IP sites-enabled/app.example.com:32',
      'PROXY_SSL_VERIFY_OFF snippets/tls-upstream/10-verify.conf:1',
    ].sort((a, b) => (a.split(' ')[1] < b.split(' ')[1] ? -1 : 1)));
    const off = f.find((x) => x.code === 'PROXY_SSL_VERIFY_OFF')!;
    expect(off.evidence).toMatchObject({ explicit: true });
    expect((off.evidence as { affected: unknown[] }).affected).toHaveLength(2);
  });
});

describe('CLIENT_SIDE_TRUSTED_CERT next to OCSP stapling or client certificates', () => {
  it('stays quiet when the client-side bundle has a use of its own and upstream verification is off', () => {
    const base = (extra: string) =>
      lint(`http { server { ssl_trusted_certificate /etc/ssl/chain.pem; ${extra} location / { proxy_pass https://10.0.0.1; } } }`).map((f) => f.code).sort();
    expect(base('')).toEqual(['CLIENT_SIDE_TRUSTED_CERT', 'PROXY_SSL_VERIFY_OFF']);
    expect(base('ssl_stapling on;')).toEqual(['PROXY_SSL_VERIFY_OFF']);
    expect(base('ssl_verify_client optional;')).toEqual(['PROXY_SSL_VERIFY_OFF']);
    expect(base('ssl_stapling on; proxy_ssl_verify on;')).toEqual(['CLIENT_SIDE_TRUSTED_CERT', 'VERIFY_WITHOUT_TRUSTED_FILE']);
  });
});
