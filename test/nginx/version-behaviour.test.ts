/**
 * The version table (src/nginx/version-behaviour.ts): rows in order with a source each, and the behaviours the
 * real builds showed (test/nginx-real runs them against every build; these hold without one).
 */
import { describe, expect, it } from 'vitest';
import {
  behaviourOf,
  coverageOf,
  coverageWarning,
  DEFAULT_MODELLED_VERSION,
  DEFAULT_PROTOCOL_ROWS,
  ERROR_LEVEL_ROWS,
  IGNORE_UNEXPECTED_EOF_ROWS,
  PLAIN_TEXT_DETECTION_ROWS,
  sslErrorLevel,
  UPSTREAM_ALPN_ROWS,
  UPSTREAM_HTTP_ROWS,
  VERIFY_RESULT_ROWS,
  type BehaviourRow,
} from '../../src/nginx/version-behaviour.js';
import { compareVersions, parseNginxVersion } from '../../src/nginx/version-number.js';
import { DEFAULT_NGINX_VERSION } from '../../src/nginx/defaults.js';
import { parseNginxBuildFacts } from '../../src/nginx/build-info.js';

const TABLES: Record<string, readonly BehaviourRow<unknown>[]> = {
  DEFAULT_PROTOCOL_ROWS,
  ERROR_LEVEL_ROWS,
  IGNORE_UNEXPECTED_EOF_ROWS,
  PLAIN_TEXT_DETECTION_ROWS,
  UPSTREAM_ALPN_ROWS,
  UPSTREAM_HTTP_ROWS,
  VERIFY_RESULT_ROWS,
};

const ALERT_116 = 1116; // tlsv13 alert certificate required: reason 1000 + alert
const UNEXPECTED_EOF = 294;

describe('the nginx version table', () => {
  it.each(Object.keys(TABLES))('%s: rows in ascending order, each citing its source', (name) => {
    const rows = TABLES[name];
    expect(rows[0].since).toBe('0.0.0');
    for (let i = 1; i < rows.length; i++) {
      expect(compareVersions(parseNginxVersion(rows[i - 1].since), parseNginxVersion(rows[i].since)), rows[i].since).toBeLessThan(0);
    }
    for (const r of rows) expect(r.source.length, `${name} ${r.since}`).toBeGreaterThan(10);
  });

  it('before 1.19.1 nginx logs the first verify error, from 1.19.1 the last (commit 2d4f04bba)', () => {
    expect(behaviourOf('1.18.0').verifyResult).toBe('first-error');
    expect(behaviourOf('1.19.0').verifyResult).toBe('first-error');
    expect(behaviourOf('1.19.1').verifyResult).toBe('last-error');
    expect(behaviourOf('1.31.4').verifyResult).toBe('last-error');
  });

  it('every alert is [error] from 1.31.0; before, the TLS 1.3 certificate-required alert is [crit]', () => {
    for (const v of ['1.18.0', '1.22.1', '1.24.0', '1.30.4']) expect(sslErrorLevel(behaviourOf(v), ALERT_116), v).toBe('crit');
    for (const v of ['1.31.0', '1.31.4', '1.32.0']) expect(sslErrorLevel(behaviourOf(v), ALERT_116), v).toBe('error');
    // The handshake-failure alert (40) was listed all along.
    for (const v of ['1.18.0', '1.30.4', '1.31.4']) expect(sslErrorLevel(behaviourOf(v), 1040), v).toBe('error');
  });

  it('reasons lowered from crit in 1.23.x follow their CHANGES entries', () => {
    // "bad ecpoint" (306): 1.23.1; "packet length too long" (198): 1.23.4.
    expect(sslErrorLevel(behaviourOf('1.22.1'), 306)).toBe('crit');
    expect(sslErrorLevel(behaviourOf('1.23.1'), 306)).toBe('error');
    expect(sslErrorLevel(behaviourOf('1.23.3'), 198)).toBe('crit');
    expect(sslErrorLevel(behaviourOf('1.23.4'), 198)).toBe('error');
    // "legacy sigalg disallowed or unsupported" (333) stays [crit] in every version (NGINX.md: TLS 1.0-only).
    for (const v of ['1.18.0', '1.31.4']) expect(sslErrorLevel(behaviourOf(v), 333)).toBe('crit');
    // "unexpected eof while reading" is not in any list: [crit] where OpenSSL raises it (before 1.21.2).
    expect(sslErrorLevel(behaviourOf('1.18.0'), UNEXPECTED_EOF)).toBe('crit');
  });

  it('SSL_OP_IGNORE_UNEXPECTED_EOF from 1.21.2', () => {
    expect(behaviourOf('1.18.0').ignoresUnexpectedEof).toBe(false);
    expect(behaviourOf('1.21.2').ignoresUnexpectedEof).toBe(true);
  });

  it('upstream HTTP/1.1 and keepalive by default from 1.29.7, h2 ALPN with proxy_http_version 2 from 1.29.4', () => {
    expect(behaviourOf('1.28.3').upstreamHttp).toEqual({ proxyHttpVersion: '1.0', keepaliveByDefault: false });
    expect(behaviourOf('1.29.7').upstreamHttp).toEqual({ proxyHttpVersion: '1.1', keepaliveByDefault: true });
    expect(behaviourOf('1.29.3').upstreamAlpn.httpProxy).toBe('none');
    expect(behaviourOf('1.29.4').upstreamAlpn.httpProxy).toBe('h2-with-proxy_http_version-2');
    expect(behaviourOf('1.30.4').upstreamAlpn.streamProxySslAlpn).toBe(false);
    expect(behaviourOf('1.31.0').upstreamAlpn.streamProxySslAlpn).toBe(true);
    expect(behaviourOf('1.28.1').plainTextDetection).toBe(false);
    expect(behaviourOf('1.28.3').plainTextDetection).toBe(true);
    expect(behaviourOf('1.29.4').plainTextDetection).toBe(false);
    expect(behaviourOf('1.29.5').plainTextDetection).toBe(true);
  });

  it('default protocols as before (1.22: no TLS 1.3; 1.27.3: no TLS 1.0/1.1)', () => {
    expect(behaviourOf('1.22.1').defaultProtocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(behaviourOf('1.26.3').defaultProtocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    expect(behaviourOf('1.30.4').defaultProtocols).toEqual(['TLSv1.2', 'TLSv1.3']);
  });

  it('models 1.18.0 to 1.31.x; newer and older versions get a warning; the default is the current stable', () => {
    expect(DEFAULT_NGINX_VERSION).toBe(DEFAULT_MODELLED_VERSION);
    expect(DEFAULT_MODELLED_VERSION).toBe('1.30.4');
    expect(coverageOf('1.18.0')).toBe('modelled');
    expect(coverageOf('1.31.9')).toBe('modelled');
    expect(coverageOf('1.32.0')).toBe('newer');
    expect(coverageOf('2.0.0')).toBe('newer');
    expect(coverageOf('1.16.1')).toBe('older');
    expect(coverageWarning('1.30.4')).toBeNull();
    expect(coverageWarning('1.33.1')).toMatch(/newer than the newest version tlsdoctor models \(1\.31\.4\): predicting as 1\.31\.4/);
    expect(coverageWarning('1.14.2')).toMatch(/older than the oldest version tlsdoctor models \(1\.18\.0\)/);
  });
});

describe('nginx -V output', () => {
  it('gives the version and the OpenSSL of the build', () => {
    const text = 'nginx version: nginx/1.18.0 (Ubuntu)\nbuilt with OpenSSL 3.0.2 15 Mar 2022\nTLS SNI support enabled\nconfigure arguments: --with-cc-opt=-g\n';
    expect(parseNginxBuildFacts(text)).toEqual({ version: '1.18.0', builtWith: 'OpenSSL 3.0.2 15 Mar 2022', runningWith: null });
    const running = 'nginx version: nginx/1.30.4\nbuilt with OpenSSL 3.0.13 30 Jan 2024 (running with OpenSSL 3.0.15 3 Sep 2024)\n';
    expect(parseNginxBuildFacts(running)).toEqual({ version: '1.30.4', builtWith: 'OpenSSL 3.0.13 30 Jan 2024', runningWith: 'OpenSSL 3.0.15 3 Sep 2024' });
    expect(parseNginxBuildFacts('# configuration file /etc/nginx/nginx.conf:\nevents {}\n').version).toBeNull();
  });
});
