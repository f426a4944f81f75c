/**
 * The rules added for the CI gate (issue 14), each firing and not firing: an anchor that expires within the warn
 * window or has expired, proxy_ssl_verify_depth below the bundle's longest chain, an IP literal as the verified
 * name, and CLIENT_SIDE_TRUSTED_CERT when an http-level proxy_ssl_trusted_certificate hides the mix-up. Bundles are
 * the committed fixtures (certs-fixtures/pki), judged at fixed times (their validity ends 2046-01-01).
 */
import { describe, expect, it } from 'vitest';
import { bundleFacts } from '../../src/cli/lint-gate.js';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { lintNginxConfig, type AnyLintFinding, type LintFileAccess, type LintOptions } from '../../src/nginx/lints.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import { FIXTURE_CLOCK, readFixture } from '../helpers/fixtures.js';

const ROOT = readFixture('root.pem');
const INT1 = readFixture('int1.pem');
const INT2 = readFixture('int2.pem');
const OTHER_ROOT = readFixture('other-root.pem');
const DAY = 86_400_000;

function files(map: Record<string, string>): LintFileAccess {
  return {
    readFile: (p) => (p in map ? new TextEncoder().encode(map[p]) : null),
    holdsRoot: (bytes) => bundleFacts(bytes).some((c) => c.selfSigned),
    certificates: bundleFacts,
  };
}

function lint(conf: string, map: Record<string, string> = {}, options: LintOptions = { at: FIXTURE_CLOCK, warnMs: 30 * DAY }): AnyLintFinding[] {
  return lintNginxConfig(computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.24.0' }), files(map), options);
}

const codes = (fs: AnyLintFinding[]) => fs.map((f) => `${f.code}@${f.line}`);

const verified = (body: string) => `http {\n server {\n  location / {\n   proxy_ssl_verify on;\n${body}\n   proxy_pass https://upstream.test;\n  }\n }\n}`;

describe('TRUSTED_ANCHOR_EXPIRES_SOON / TRUSTED_ANCHOR_EXPIRED', () => {
  const conf = verified('   proxy_ssl_trusted_certificate /ca.pem;');
  const bundle = { '/ca.pem': ROOT };

  it('is silent while the root is valid beyond the window', () => {
    expect(lint(conf, bundle)).toEqual([]);
  });

  it('warns when a root expires within --warn, at the trusted-certificate directive', () => {
    const f = lint(conf, bundle, { at: new Date('2045-12-15T00:00:00Z'), warnMs: 30 * DAY });
    expect(codes(f)).toEqual(['TRUSTED_ANCHOR_EXPIRES_SOON@5']);
    expect(f[0].severity).toBe('warning');
    expect(f[0].evidence).toMatchObject({ path: '/ca.pem', warnDays: 30, anchors: [{ subject: expect.stringContaining('tlsdoctor Test Root CA'), notAfter: '2046-01-01T00:00:00.000Z' }] });
    // The window is the option: 10 days before 2045-12-15 + 10d < 2046-01-01, silent; 0 turns it off.
    expect(lint(conf, bundle, { at: new Date('2045-12-15T00:00:00Z'), warnMs: 10 * DAY })).toEqual([]);
    expect(lint(conf, bundle, { at: new Date('2045-12-15T00:00:00Z'), warnMs: 0 })).toEqual([]);
  });

  it('is an error once every root of the bundle has expired, a warning while another root is valid', () => {
    const after = { at: new Date('2046-02-01T00:00:00Z'), warnMs: 30 * DAY };
    const only = lint(conf, bundle, after);
    expect(codes(only)).toEqual(['TRUSTED_ANCHOR_EXPIRED@5']);
    expect(only[0]).toMatchObject({ severity: 'error', evidence: { validRoots: 0 } });
    // Verification off: nginx does not load the bundle yet, so a warning for the day it is turned on.
    const off = lint(conf.replace('proxy_ssl_verify on;', 'proxy_ssl_verify off;'), bundle, after).filter((x) => x.code === 'TRUSTED_ANCHOR_EXPIRED');
    expect(off[0].severity).toBe('warning');
  });

  it('counts intermediates out: an expired intermediate is not an anchor', () => {
    expect(lint(conf, { '/ca.pem': ROOT + INT1 }, { at: new Date('2045-01-01T00:00:00Z'), warnMs: 30 * DAY })).toEqual([]);
  });
});

describe('VERIFY_DEPTH_TOO_SMALL', () => {
  it("fires when the bundle's CAs form a chain longer than proxy_ssl_verify_depth (default 1)", () => {
    const f = lint(verified('   proxy_ssl_trusted_certificate /ca.pem;'), { '/ca.pem': ROOT + INT1 + INT2 });
    expect(codes(f)).toEqual(['VERIFY_DEPTH_TOO_SMALL@6']);
    expect(f[0].evidence).toMatchObject({ directive: 'proxy_ssl_verify_depth', depth: 1, needed: 2 });
    expect((f[0].evidence as { chain: string[] }).chain.map((s) => /CN=([^,]+)/.exec(s)?.[1])).toEqual([
      'tlsdoctor Test Root CA',
      'tlsdoctor Test Intermediate CA',
      'tlsdoctor Test Issuing CA 2',
    ]);
  });

  it('points at the depth directive when there is one, and is silent once it is deep enough', () => {
    const shallow = lint(verified('   proxy_ssl_trusted_certificate /ca.pem;\n   proxy_ssl_verify_depth 1;'), { '/ca.pem': ROOT + INT1 + INT2 });
    expect(codes(shallow)).toEqual(['VERIFY_DEPTH_TOO_SMALL@6']);
    expect(lint(verified('   proxy_ssl_trusted_certificate /ca.pem;\n   proxy_ssl_verify_depth 2;'), { '/ca.pem': ROOT + INT1 + INT2 })).toEqual([]);
  });

  it('is silent for root + one intermediate at the default depth, for unrelated roots, and with verification off', () => {
    expect(lint(verified('   proxy_ssl_trusted_certificate /ca.pem;'), { '/ca.pem': ROOT + INT1 })).toEqual([]);
    expect(lint(verified('   proxy_ssl_trusted_certificate /ca.pem;'), { '/ca.pem': ROOT + OTHER_ROOT })).toEqual([]);
    // int2 without int1: the bundle forms no chain through it (int2's issuer is missing).
    expect(lint(verified('   proxy_ssl_trusted_certificate /ca.pem;'), { '/ca.pem': ROOT + INT2 })).toEqual([]);
    const off = lint(verified('   proxy_ssl_trusted_certificate /ca.pem;').replace('verify on', 'verify off'), { '/ca.pem': ROOT + INT1 + INT2 });
    expect(off.map((x) => x.code)).toEqual(['PROXY_SSL_VERIFY_OFF']);
  });
});

describe('PROXY_SSL_NAME_IS_IP', () => {
  const base = (name: string, pass = 'https://upstream.test') =>
    `http {\n server {\n  location / {\n   proxy_ssl_verify on;\n   proxy_ssl_trusted_certificate /ca.pem;\n${name}\n   proxy_pass ${pass};\n  }\n }\n}`;

  it('fires for an IPv4 or IPv6 proxy_ssl_name, at that directive', () => {
    const v4 = lint(base('   proxy_ssl_name 10.0.2.7;'), { '/ca.pem': ROOT });
    expect(codes(v4)).toEqual(['PROXY_SSL_NAME_IS_IP@6']);
    expect(v4[0].evidence).toMatchObject({ directive: 'proxy_ssl_name', name: '10.0.2.7', explicit: true });
    expect(codes(lint(base('   proxy_ssl_name [2001:db8::7];'), { '/ca.pem': ROOT }))).toEqual(['PROXY_SSL_NAME_IS_IP@6']);
  });

  it('fires for proxy_pass to an IP without proxy_ssl_name, at the pass directive', () => {
    const f = lint(base('', 'https://10.0.2.7:8443'), { '/ca.pem': ROOT });
    expect(codes(f)).toEqual(['PROXY_SSL_NAME_IS_IP@7']);
    expect(f[0].evidence).toMatchObject({ name: '10.0.2.7', explicit: false });
  });

  it('is silent for a DNS proxy_ssl_name in front of an IP, and with verification off', () => {
    expect(lint(base('   proxy_ssl_name upstream.test;', 'https://10.0.2.7:8443'), { '/ca.pem': ROOT })).toEqual([]);
    expect(lint(base('', 'https://10.0.2.7:8443').replace('verify on', 'verify off'), { '/ca.pem': ROOT }).map((x) => x.code)).toEqual(['PROXY_SSL_VERIFY_OFF']);
  });
});

describe('CLIENT_SIDE_TRUSTED_CERT under an http-level proxy_ssl_trusted_certificate', () => {
  const conf = (server: string) =>
    `http {\n proxy_ssl_trusted_certificate /corp.pem;\n proxy_ssl_verify on;\n server {\n${server}\n  location / { proxy_pass https://partner.test; }\n }\n}`;

  it('fires when the server-level bundle is the client-side directive and nginx uses the http-level one', () => {
    const f = lint(conf('  ssl_trusted_certificate /partner.pem;'), { '/corp.pem': ROOT });
    expect(codes(f)).toEqual(['CLIENT_SIDE_TRUSTED_CERT@5']);
    expect(f[0].evidence).toMatchObject({ inUse: { directive: 'proxy_ssl_trusted_certificate', value: '/corp.pem', line: 2, level: 'http' } });
  });

  it('is silent when the client-side bundle has a use (OCSP stapling), or sits at the same level as the upstream one', () => {
    expect(lint(conf('  ssl_trusted_certificate /partner.pem;\n  ssl_stapling on;'), { '/corp.pem': ROOT })).toEqual([]);
    const same = 'http {\n ssl_trusted_certificate /a.pem;\n proxy_ssl_trusted_certificate /corp.pem;\n proxy_ssl_verify on;\n server { location / { proxy_pass https://h; } }\n}';
    expect(lint(same, { '/corp.pem': ROOT })).toEqual([]);
  });
});
