import { describe, expect, it } from 'vitest';
import { parseErrorLogLine, parseOpensslQueue, parseUpstreamField } from '../../src/nginx/log-line.js';

describe('parseErrorLogLine', () => {
  it('splits time, level, pid, connection, message, errno, action and request context', () => {
    const l = parseErrorLogLine(
      '2026/11/22 16:35:08 [error] 1234#1235: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET /a, b HTTP/1.1", upstream: "https://127.0.0.1:8443/", host: "localhost", referrer: "http://x/"',
    );
    expect(l).toEqual({
      raw: expect.any(String),
      time: '2026-11-22T16:35:08',
      level: 'error',
      pid: 1234,
      tid: 1235,
      connection: 5,
      message: 'connect() failed',
      errno: { code: 111, text: 'Connection refused' },
      action: 'connecting to upstream',
      context: {
        client: '127.0.0.1',
        server: '_',
        request: 'GET /a, b HTTP/1.1',
        upstream: 'https://127.0.0.1:8443/',
        host: 'localhost',
        referrer: 'http://x/',
      },
    });
  });

  it('keeps an empty server name (no server_name configured)', () => {
    const l = parseErrorLogLine('2026/11/22 16:57:27 [error] 1#1: *1 x while y, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "https://127.0.0.1:1/", host: "h"');
    expect(l?.context.server).toBe('');
    expect(l?.context.upstream).toBe('https://127.0.0.1:1/');
  });

  it('reads the stream module context (no request, unquoted server, bytes counters)', () => {
    const l = parseErrorLogLine(
      '2026/11/22 16:35:08 [error] 7#7: *3 upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream, client: 127.0.0.1, server: 0.0.0.0:15432, upstream: "127.0.0.1:5433", bytes from/to client:0/0, bytes from/to upstream:0/0',
    );
    expect(l?.context).toEqual({ client: '127.0.0.1', server: '0.0.0.0:15432', upstream: '127.0.0.1:5433' });
    expect(l?.action).toBe('SSL handshaking to upstream');
  });

  it('reads start-up errors, from the log and from nginx -t on stderr, with their file:line', () => {
    expect(parseErrorLogLine('2026/11/22 16:35:08 [emerg] 99#99: no proxy_ssl_trusted_certificate for proxy_ssl_verify')).toMatchObject({
      level: 'emerg',
      message: 'no proxy_ssl_trusted_certificate for proxy_ssl_verify',
      context: {},
    });
    expect(parseErrorLogLine('nginx: [emerg] unexpected "}" in /etc/nginx/nginx.conf:12')).toMatchObject({
      time: null,
      level: 'emerg',
      message: 'unexpected "}"',
      configLocation: { file: '/etc/nginx/nginx.conf', line: 12 },
    });
  });

  it('regression: a long word of `.conf:1` repeats after ` in ` is read in linear time', () => {
    // The old ` in (\/[^ ]*|[^ ]+\.conf[^ ]*):(\d+)$` took 3.7 s on this line (110 kB); a log is input we did not write.
    const word = 'a.conf:1'.repeat(14_000);
    const t0 = performance.now();
    const l = parseErrorLogLine(`2026/11/22 16:35:08 [emerg] 9#9: bad thing in ${word}x`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(l?.configLocation).toBeUndefined();
    expect(parseErrorLogLine(`nginx: [emerg] x in ${word}`)?.configLocation).toEqual({ file: word.slice(0, -2), line: 1 });
    // Relative names count when they hold `.conf` past their first character, as before.
    expect(parseErrorLogLine('nginx: [emerg] x in conf.d/a.conf:7')?.configLocation).toEqual({ file: 'conf.d/a.conf', line: 7 });
    expect(parseErrorLogLine('nginx: [emerg] x in .conf:7')?.configLocation).toBeUndefined();
    expect(parseErrorLogLine('nginx: [emerg] x in y in /etc/n.conf:12:3')?.configLocation).toEqual({ file: '/etc/n.conf:12', line: 3 });
  });

  it('returns null for lines that are not nginx error-log lines', () => {
    expect(parseErrorLogLine('')).toBeNull();
    expect(parseErrorLogLine('127.0.0.1 - - [22/Nov/2026:16:35:08 +0000] "GET / HTTP/1.1" 502 157')).toBeNull();
    expect(parseErrorLogLine('2026/11/22 16:35:08 [bogus] 1#1: x')).toBeNull();
  });
});

describe('parseOpensslQueue', () => {
  it('reads OpenSSL 3 and 1.1 formats, several errors, and alert numbers', () => {
    expect(parseOpensslQueue(' error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70')).toEqual([
      { hex: '0A00042E', library: 'SSL routines', func: '', reason: 'tlsv1 alert protocol version', data: 'SSL alert number 70', alert: 70 },
    ]);
    expect(parseOpensslQueue(' error:1408F10B:SSL routines:ssl3_get_record:wrong version number')).toEqual([
      { hex: '1408F10B', library: 'SSL routines', func: 'ssl3_get_record', reason: 'wrong version number' },
    ]);
    const two = parseOpensslQueue(
      ' error:80000002:system library::No such file or directory:calling fopen(/etc/nginx/ca.pem, r) error:10000080:BIO routines::no such file',
    );
    expect(two.map((e) => [e.library, e.reason, e.data])).toEqual([
      ['system library', 'No such file or directory', 'calling fopen(/etc/nginx/ca.pem, r)'],
      ['BIO routines', 'no such file', undefined],
    ]);
  });
});

describe('parseUpstreamField', () => {
  it('reads http (scheme + uri), stream (bare), IPv6 and unix peers', () => {
    expect(parseUpstreamField('https://10.0.2.88:8443/api/x')).toEqual({ scheme: 'https', host: '10.0.2.88', port: 8443, address: '10.0.2.88:8443', uri: '/api/x' });
    expect(parseUpstreamField('127.0.0.1:5433')).toEqual({ scheme: null, host: '127.0.0.1', port: 5433, address: '127.0.0.1:5433', uri: '' });
    expect(parseUpstreamField('https://[::1]:8443/')).toEqual({ scheme: 'https', host: '::1', port: 8443, address: '[::1]:8443', uri: '/' });
    expect(parseUpstreamField('grpcs://backend.internal:50051')).toMatchObject({ scheme: 'grpcs', host: 'backend.internal', port: 50051 });
    expect(parseUpstreamField('https://unix:/run/app.sock:/x')).toMatchObject({ host: 'unix:/run/app.sock', port: null, uri: '/x' });
  });
});
