import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { createSettingsLookup, explainLog, explainLogLine, shellQuote, type Explanation } from '../../src/nginx/explain.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';

const LOGS = join(import.meta.dirname, 'logs');

const CONTEXT = ', client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "https://127.0.0.1:8443/", host: "localhost"';
const line = (level: string, message: string, time = '16:35:08') => `2026/11/22 ${time} [${level}] 1234#1234: *5 ${message}${CONTEXT}`;
const VERIFY = (n: string) => `upstream SSL certificate verify error: (${n}) while SSL handshaking to upstream`;

function explain(text: string): Explanation {
  const e = explainLogLine(text);
  expect(e, text).not.toBeNull();
  return e!;
}

/**
 * Every row of NGINX.md's "What nginx logs, by cause" table, with its message text exactly as written there:
 * [cause row, level, message, kind, ranked causes, status].
 */
const NGINX_MD_ROWS: [string, string, string, string, string[], number][] = [
  ['leaf only, bundle has the root', 'error', VERIFY('21:unable to verify the first certificate'), 'VERIFY_ERROR', ['MISSING_INTERMEDIATE', 'UNKNOWN_CA'], 502],
  ['chain top not issued by the bundle', 'error', VERIFY('20:unable to get local issuer certificate'), 'VERIFY_ERROR', ['UNKNOWN_CA', 'MISSING_INTERMEDIATE', 'CHAIN_TOO_DEEP', 'PINNED_LEAF'], 502],
  ['bundle holds an intermediate, not its root', 'error', VERIFY('2:unable to get issuer certificate'), 'VERIFY_ERROR', ['PARTIAL_CHAIN_BUNDLE', 'CHAIN_TOO_DEEP'], 502],
  ['server sends its own root', 'error', VERIFY('19:self-signed certificate in certificate chain'), 'VERIFY_ERROR', ['UNTRUSTED_ROOT'], 502],
  ['self-signed leaf', 'error', VERIFY('18:self-signed certificate'), 'VERIFY_ERROR', ['SELF_SIGNED_LEAF'], 502],
  ['expired', 'error', VERIFY('10:certificate has expired'), 'VERIFY_ERROR', ['EXPIRED'], 502],
  ['not yet valid', 'error', VERIFY('9:certificate is not yet valid'), 'VERIFY_ERROR', ['NOT_YET_VALID'], 502],
  ['EKU lacks serverAuth', 'error', VERIFY('26:unsuitable certificate purpose'), 'VERIFY_ERROR', ['BAD_PURPOSE'], 502],
  ['SHA-1 signature', 'error', VERIFY('68:CA signature digest algorithm too weak'), 'VERIFY_ERROR', ['WEAK_SIGNATURE'], 502],
  ['RSA-1024 leaf', 'error', VERIFY('66:EE certificate key too weak'), 'VERIFY_ERROR', ['WEAK_KEY'], 502],
  ['name mismatch', 'error', 'upstream SSL certificate does not match "backend" while SSL handshaking to upstream', 'NAME_MISMATCH', ['NAME_MISMATCH'], 502],
  ['plain HTTP upstream', 'error', 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream', 'NOT_TLS', ['NOT_TLS'], 502],
  [
    'TLS 1.3-only upstream',
    'error',
    'SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70) while SSL handshaking to upstream',
    'PROTOCOL_VERSION',
    ['PROTOCOL_MISMATCH'],
    502,
  ],
  [
    'TLS 1.0-only upstream',
    'crit',
    'SSL_do_handshake() failed (SSL: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported) while SSL handshaking to upstream',
    'PROTOCOL_VERSION',
    ['PROTOCOL_MISMATCH'],
    502,
  ],
  [
    'client cert required, TLS 1.2',
    'error',
    'SSL_do_handshake() failed (SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream',
    'HANDSHAKE_FAILURE_ALERT',
    ['CLIENT_CERT_REQUIRED', 'CIPHER_MISMATCH', 'PROTOCOL_MISMATCH', 'SNI_REQUIRED', 'HANDSHAKE_FAILED'],
    502,
  ],
  [
    'client cert required, TLS 1.3',
    'crit',
    'SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116) while reading response header from upstream',
    'CERTIFICATE_REQUIRED_ALERT',
    ['CLIENT_CERT_REQUIRED'],
    502,
  ],
  [
    'client cert from a CA the upstream rejects',
    'error',
    'SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking to upstream',
    'CLIENT_CERT_REJECTED_ALERT',
    ['CLIENT_CERT_REJECTED'],
    502,
  ],
  ['port closed', 'error', 'connect() failed (111: Connection refused) while connecting to upstream', 'CONNECTION_REFUSED', ['CONNECTION_REFUSED'], 502],
  ['TCP accepted, no TLS answer', 'error', 'upstream timed out (110: Connection timed out) while SSL handshaking to upstream', 'TIMEOUT', ['TIMEOUT'], 504],
];

describe('every NGINX.md log row', () => {
  for (const [title, level, message, kind, causes, status] of NGINX_MD_ROWS) {
    it(title, () => {
      const e = explain(line(level, message));
      expect(e.kind).toBe(kind);
      expect(e.causes).toEqual(causes);
      expect(e.status).toBe(status);
      expect(e.line.level).toBe(level);
      expect(e.upstream).toMatchObject({ host: '127.0.0.1', port: 8443, address: '127.0.0.1:8443' });
      expect(e.probe).toHaveLength(1);
      expect(e.probe[0].argv.slice(0, 3)).toEqual(['tlsdoctor', 'probe', '127.0.0.1:8443']);
    });
  }

  it('the [emerg] start-up error for verify without a trusted file', () => {
    const e = explain('2026/11/22 16:35:08 [emerg] 1234#1234: no proxy_ssl_trusted_certificate for proxy_ssl_verify');
    expect(e).toMatchObject({ kind: 'NO_TRUSTED_CERTIFICATE', status: null, upstream: null, probe: [] });
    expect(e.causes).toEqual(['VERIFY_WITHOUT_TRUSTED_FILE', 'CLIENT_SIDE_TRUSTED_CERT']);
    expect(explain('nginx: [emerg] no grpc_ssl_trusted_certificate for grpc_ssl_verify').signature).toBe('NO_TRUSTED_CERTIFICATE:grpc');
  });
});

describe('details', () => {
  it('keeps the verify code and text, the alert number and the OpenSSL reason', () => {
    const v = explain(line('error', VERIFY('20:unable to get local issuer certificate')));
    expect(v.verifyError).toEqual({ code: 20, text: 'unable to get local issuer certificate' });
    expect(v.signature).toBe('VERIFY_ERROR:20');
    const a = explain(line('error', NGINX_MD_ROWS[12][2]));
    expect(a.ssl).toMatchObject({ call: 'SSL_do_handshake', reason: 'tlsv1 alert protocol version', alert: 70 });
    expect(a.signature).toBe('PROTOCOL_VERSION:70');
  });

  it('says what kind of name failed: an IP, an upstream block name, or a DNS name (then SNI is a suspect too)', () => {
    const name = (n: string) => explain(line('error', `upstream SSL certificate does not match "${n}" while SSL handshaking to upstream`));
    expect(name('127.0.0.1')).toMatchObject({ nameKind: 'ipv4', causes: ['NAME_MISMATCH'] });
    expect(name('[::1]')).toMatchObject({ nameKind: 'ipv6' });
    expect(name('backend')).toMatchObject({ nameKind: 'single-label' });
    expect(name('api.example.com')).toMatchObject({ nameKind: 'dns', causes: ['NAME_MISMATCH', 'SNI_REQUIRED'] });
  });

  it('puts the failed name into the probe command', () => {
    const e = explain(line('error', 'upstream SSL certificate does not match "backend" while SSL handshaking to upstream'));
    expect(e.probe[0].command).toBe('tlsdoctor probe 127.0.0.1:8443 --proxy-ssl-name backend');
    const same = explain(line('error', 'upstream SSL certificate does not match "127.0.0.1" while SSL handshaking to upstream'));
    expect(same.probe[0].command).toBe('tlsdoctor probe 127.0.0.1:8443');
  });

  it('recognises SNI-required and other alerts, closed handshakes, other connect errors, and trusted-file load failures', () => {
    const ssl = (s: string) => line('error', `SSL_do_handshake() failed (SSL: ${s}) while SSL handshaking to upstream`);
    expect(explain(ssl('error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112'))).toMatchObject({
      kind: 'UNRECOGNIZED_NAME_ALERT',
      causes: ['SNI_REQUIRED'],
    });
    expect(explain(ssl('error:0A000412:SSL routines::sslv3 alert bad certificate:SSL alert number 42')).kind).toBe('CLIENT_CERT_REJECTED_ALERT');
    expect(explain(ssl('error:0A000438:SSL routines::tlsv1 alert internal error:SSL alert number 80'))).toMatchObject({ kind: 'TLS_ALERT', signature: 'TLS_ALERT:80' });
    expect(explain(ssl('error:0A000102:SSL routines::unsupported protocol')).kind).toBe('PROTOCOL_VERSION');
    // One catalogue with the probe (nginx/handshake-causes.ts): the probe's what-ifs name CIPHER_MISMATCH for these.
    expect(explain(ssl('error:0A0000C1:SSL routines::no shared cipher')).causes).toEqual(['CIPHER_MISMATCH', 'PROTOCOL_MISMATCH']);
    expect(explain(ssl('error:0A00018A:SSL routines::dh key too small')).causes).toEqual(['WEAK_EPHEMERAL_KEY']);
    expect(explain(ssl('error:0A000098:SSL routines::excessive message size')).causes).toEqual(['CERT_LIST_TOO_LARGE']);
    expect(explain(ssl('error:0A000126:SSL routines::something new'))).toMatchObject({ kind: 'SSL_ERROR', causes: ['HANDSHAKE_FAILED'] });
    expect(explain(ssl('error:1408F10B:SSL routines:ssl3_get_record:wrong version number')).kind).toBe('NOT_TLS'); // OpenSSL 1.1
    expect(
      explain(line('error', 'peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream')).kind,
    ).toBe('PEER_CLOSED');
    expect(explain(line('error', 'connect() failed (113: No route to host) while connecting to upstream'))).toMatchObject({
      kind: 'CONNECT_FAILED',
      signature: 'CONNECT_FAILED:113',
    });
    expect(explain(line('error', 'upstream timed out (110: Connection timed out) while connecting to upstream')).signature).toBe('TIMEOUT:connect');
    const missing = explain(
      '2026/11/22 16:35:08 [emerg] 1#1: SSL_CTX_load_verify_locations("/etc/nginx/ca.pem") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(/etc/nginx/ca.pem, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)',
    );
    expect(missing).toMatchObject({ kind: 'TRUSTED_FILE_LOAD_FAILED', file: '/etc/nginx/ca.pem', causes: ['TRUSTED_FILE_MISSING'], status: null });
    const empty = explain(
      '2026/11/22 16:35:08 [emerg] 1#1: SSL_CTX_load_verify_locations("/etc/nginx/empty.pem") failed (SSL: error:05800088:x509 certificate routines::no certificate or crl found)',
    );
    expect(empty.causes).toEqual(['TRUSTED_FILE_EMPTY']);
  });

  it('does not claim lines that are not upstream TLS failures', () => {
    expect(explainLogLine(line('error', 'upstream timed out (110: Connection timed out) while reading response header from upstream'))).toBeNull();
    expect(explainLogLine('2026/11/22 16:35:08 [notice] 1#1: signal process started')).toBeNull();
    expect(explainLogLine('2026/11/22 16:35:08 [error] 1#1: *1 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 1.2.3.4, server: _, request: "GET /favicon.ico HTTP/1.1", host: "x"')).toBeNull();
  });
});

describe('probe command from the configuration', () => {
  const conf = `http {
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate certs/internal-ca.pem;
    upstream backend { server 10.0.2.88:8443; server 10.0.2.89:8443 backup; }
    server {
      location /a { proxy_pass https://backend; proxy_ssl_verify_depth 2; proxy_ssl_protocols TLSv1.2 TLSv1.3; }
      location /b { proxy_pass https://backend; proxy_ssl_name "api.internal"; proxy_ssl_server_name on;
                    proxy_ssl_certificate certs/client.pem; proxy_ssl_certificate_key certs/client.key; }
      location /c { proxy_pass https://[fd00::1]:9443; }
    }
  }`;
  const settings = computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' });
  const lookup = createSettingsLookup(settings.upstreams);
  const logFor = (msg: string, upstream: string) =>
    `2026/11/22 16:35:08 [error] 1#1: *5 ${msg} while SSL handshaking to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "${upstream}", host: "x"`;

  it('gives one command per distinct setting set reaching the peer', () => {
    const e = explainLogLine(logFor('upstream SSL certificate verify error: (21:unable to verify the first certificate)', 'https://10.0.2.89:8443/a'), {
      settings: lookup,
      nginxVersion: '1.22.1',
    })!;
    expect(e.probe.map((p) => p.command)).toEqual([
      'tlsdoctor probe 10.0.2.89:8443 --ca /etc/nginx/certs/internal-ca.pem --proxy-ssl-name backend --proxy-ssl-verify-depth 2 --proxy-ssl-protocols \'TLSv1.2 TLSv1.3\' --nginx-version 1.22.1',
      'tlsdoctor probe 10.0.2.89:8443 --ca /etc/nginx/certs/internal-ca.pem --proxy-ssl-name api.internal --proxy-ssl-server-name on --proxy-ssl-certificate /etc/nginx/certs/client.pem --proxy-ssl-certificate-key /etc/nginx/certs/client.key --nginx-version 1.22.1',
    ]);
    expect(e.probe[0].from).toMatchObject({ location: '/a', line: 6 });
  });

  it('narrows by the failed name when the line has one', () => {
    const e = explainLogLine(logFor('upstream SSL certificate does not match "api.internal"', 'https://10.0.2.88:8443/b'), { settings: lookup })!;
    expect(e.probe).toHaveLength(1);
    expect(e.probe[0].from?.location).toBe('/b');
  });

  it('picks the location that serves the request path, like nginx: = first, then ^~, then regexes in order, then longest prefix', () => {
    const c = `http { proxy_ssl_verify on; server {
      location /api/ { proxy_pass https://10.0.0.1:443; proxy_ssl_trusted_certificate prefix.pem; }
      location /api/v2/ { proxy_pass https://10.0.0.1:443; proxy_ssl_trusted_certificate longer.pem; }
      location ~ \\.json$ { proxy_pass https://10.0.0.1:443; proxy_ssl_trusted_certificate regex.pem; }
      location ^~ /static/ { proxy_pass https://10.0.0.1:443; proxy_ssl_trusted_certificate caret.pem; }
      location = /api/exact { proxy_pass https://10.0.0.1:443; proxy_ssl_trusted_certificate exact.pem; }
    } }`;
    const lk = createSettingsLookup(computeEffectiveSettings(parseConfigText(c, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' }).upstreams);
    const ca = (path: string) => lk({ host: '10.0.0.1', port: 443, name: null, path }).map((u) => u.settings.trustedCertificate.value);
    expect(ca('/api/x')).toEqual(['prefix.pem']);
    expect(ca('/api/v2/x')).toEqual(['longer.pem']);
    expect(ca('/api/v2/x.json')).toEqual(['regex.pem']);
    expect(ca('/static/x.json')).toEqual(['caret.pem']);
    expect(ca('/api/exact')).toEqual(['exact.pem']);
    expect(ca('/other')).toHaveLength(5); // nothing decides: every candidate stays
  });

  it('matches IPv6 peers and leaves the name out when it is the host', () => {
    const e = explainLogLine(logFor('upstream SSL certificate verify error: (18:self-signed certificate)', 'https://[fd00::1]:9443/c'), { settings: lookup })!;
    expect(e.probe.map((p) => p.argv)).toEqual([['tlsdoctor', 'probe', '[fd00::1]:9443', '--ca', '/etc/nginx/certs/internal-ca.pem']]);
  });

  it('falls back to the log alone when nothing in the configuration reaches the peer', () => {
    const e = explainLogLine(logFor('upstream SSL certificate verify error: (18:self-signed certificate)', 'https://192.0.2.1:443/'), { settings: lookup })!;
    expect(e.probe).toEqual([{ argv: ['tlsdoctor', 'probe', '192.0.2.1:443'], command: 'tlsdoctor probe 192.0.2.1:443', from: null }]);
  });

  it('quotes arguments for a POSIX shell', () => {
    expect(shellQuote('/etc/nginx/ca.pem')).toBe('/etc/nginx/ca.pem');
    expect(shellQuote('TLSv1.2 TLSv1.3')).toBe(`'TLSv1.2 TLSv1.3'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
  });
});

describe('--log: a real nginx 1.22.1 error log', () => {
  // Produced by nginx 1.22.1 (Debian 12) with test/nginx/logs/nginx-1.22.1.conf and one curl per location:
  // it holds [info]/[notice] lines, and a plain-HTTP server logging a ClientHello as binary junk.
  const log = readFileSync(join(LOGS, 'nginx-1.22.1-error.log'), 'latin1');

  it('groups by upstream and event, counts, and skips the rest', () => {
    const s = explainLog(log);
    expect(s.lines).toBe(40);
    expect(s.recognised).toBe(8);
    expect(s.unknown).toBe(32);
    expect(s.groups.map((g) => [g.upstream, g.signature, g.count, g.firstSeen, g.levels])).toEqual([
      ['127.0.0.1:29562', 'NOT_TLS:wrong version number', 1, '2026-11-22T16:57:27', ['error']],
      ['127.0.0.1:29563', 'NAME_MISMATCH:127.0.0.1', 1, '2026-11-22T16:57:27', ['error']],
      ['127.0.0.1:29563', 'NAME_MISMATCH:backend', 1, '2026-11-22T16:57:27', ['error']],
      ['127.0.0.1:29563', 'VERIFY_ERROR:18', 1, '2026-11-22T16:57:27', ['error']],
      ['127.0.0.1:29564', 'CONNECTION_REFUSED', 1, '2026-11-22T16:57:27', ['error']],
      ['127.0.0.1:29565', 'TIMEOUT:handshake', 1, '2026-11-22T16:57:28', ['error']],
      ['127.0.0.1:29568', 'PROTOCOL_VERSION:70', 1, '2026-11-22T16:57:28', ['error']],
      ['127.0.0.1:29569', 'PROTOCOL_VERSION:legacy sigalg disallowed or unsupported', 1, '2026-11-22T16:57:28', ['crit']],
    ]);
  });

  it('names the probe with the settings of the configuration that produced the log', () => {
    const conf = readFileSync(join(LOGS, 'nginx-1.22.1.conf'), 'utf8');
    const settings = computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' });
    const s = explainLog(log, { settings: createSettingsLookup(settings.upstreams) });
    const byName = Object.fromEntries(s.groups.map((g) => [g.signature, g.example.probe.map((p) => p.command)]));
    expect(byName['NAME_MISMATCH:backend']).toEqual(['tlsdoctor probe 127.0.0.1:29563 --ca /etc/nginx/self.pem --proxy-ssl-name backend']);
    expect(byName['VERIFY_ERROR:18']).toEqual(['tlsdoctor probe 127.0.0.1:29563 --ca /etc/nginx/other-ca.pem']);
    expect(byName['PROTOCOL_VERSION:legacy sigalg disallowed or unsupported']).toEqual([
      `tlsdoctor probe 127.0.0.1:29569 --proxy-ssl-protocols 'TLSv1 TLSv1.1 TLSv1.2'`,
    ]);
  });

  it('counts repeats and keeps first and last seen', () => {
    const lines = [
      line('error', VERIFY('21:unable to verify the first certificate'), '10:00:02'),
      line('error', VERIFY('21:unable to verify the first certificate'), '09:59:58'),
      'garbage',
      line('error', VERIFY('21:unable to verify the first certificate'), '10:00:05'),
      '',
      line('error', VERIFY('10:certificate has expired'), '10:00:06'),
    ].join('\n');
    const s = explainLog(lines.replace(/\n/g, '\r\n')); // CRLF logs (copied from Windows) read the same
    expect(s).toMatchObject({ lines: 5, recognised: 4, unknown: 1 });
    expect(s.groups[0]).toMatchObject({ signature: 'VERIFY_ERROR:21', count: 3, firstSeen: '2026-11-22T09:59:58', lastSeen: '2026-11-22T10:00:05' });
    expect(s.groups[1]).toMatchObject({ signature: 'VERIFY_ERROR:10', count: 1 });
  });
});

describe('name resolution', () => {
  it('recognises host-not-found at start-up and with a resolver, and probes the host', () => {
    const boot = explain('nginx: [emerg] host not found in upstream "backend.internal:8443" in /etc/nginx/conf.d/app.conf:3');
    expect(boot).toMatchObject({ kind: 'HOST_NOT_FOUND', status: null, causes: ['DNS_FAILURE'], unresolvedHost: 'backend.internal:8443' });
    expect(boot.line.configLocation).toEqual({ file: '/etc/nginx/conf.d/app.conf', line: 3 });
    expect(boot.probe.map((p) => p.command)).toEqual(['tlsdoctor probe backend.internal:8443']);
    const runtime = explain(
      '2026/11/22 16:35:08 [error] 1#1: *7 api.example.com could not be resolved (3: Host not found), client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "x"',
    );
    expect(runtime).toMatchObject({ kind: 'HOST_NOT_FOUND', status: 502, unresolvedHost: 'api.example.com' });
    expect(runtime.probe[0].command).toBe('tlsdoctor probe api.example.com');
  });
});
