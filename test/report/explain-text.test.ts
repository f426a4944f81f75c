import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { explainLog, explainLogLine } from '../../src/nginx/explain.js';
import { lintNginxConfig } from '../../src/nginx/lints.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import { renderExplanation, renderLintFinding, renderLogSummary } from '../../src/report/explain-text.js';

const CTX = ', client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "https://10.0.2.88:8443/", host: "localhost"';

describe('explain text', () => {
  it('renders one line: what happened, the ranked causes, the command', () => {
    const e = explainLogLine(
      `2026/11/22 16:35:08 [error] 1#1: *5 upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream${CTX}`,
    )!;
    expect(renderExplanation(e)).toBe(
      [
        'VERIFY_ERROR (upstream 10.0.2.88:8443): clients get 502.',
        'nginx rejected the upstream\'s certificate: OpenSSL verify error 21 (unable to verify the first certificate). nginx logs only the last verify error, so other problems may hide behind it.',
        'Likely causes, most likely first:',
        '  1. the upstream does not send its intermediate certificate [MISSING_INTERMEDIATE]',
        '  2. the certificate comes from a CA the trusted bundle does not hold [UNKNOWN_CA]',
        'To pinpoint it, run:',
        '  tlsdoctor probe 10.0.2.88:8443',
      ].join('\n'),
    );
  });

  it('tells start-up errors apart: no status, fix the configuration', () => {
    const e = explainLogLine('nginx: [emerg] no proxy_ssl_trusted_certificate for proxy_ssl_verify')!;
    const text = renderExplanation(e);
    expect(text).toMatch(/^NO_TRUSTED_CERTIFICATE: nginx does not start\./);
    expect(text).toContain('nginx -t');
  });

  it('summarises a log with counts and skipped lines', () => {
    const lines = [
      `2026/11/22 10:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream${CTX}`,
      `2026/11/22 10:05:00 [error] 1#1: *2 connect() failed (111: Connection refused) while connecting to upstream${CTX}`,
      '2026/11/22 10:05:01 [notice] 1#1: signal process started',
    ].join('\n');
    const text = renderLogSummary(explainLog(lines));
    expect(text.split('\n').slice(0, 3)).toEqual([
      '3 lines read: 2 upstream TLS errors in 1 group, 1 other line skipped.',
      '',
      '2 × CONNECTION_REFUSED on 10.0.2.88:8443, first 2026-11-22T10:00:00, last 2026-11-22T10:05:00',
    ]);
  });

  it('renders every lint finding as file:line: severity CODE: text', () => {
    const conf = 'http {\n ssl_trusted_certificate /etc/ssl/ca.pem;\n server {\n  proxy_ssl_verify on;\n  location / { proxy_pass https://10.0.0.1; }\n }\n}';
    const findings = lintNginxConfig(computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' }));
    expect(findings.map(renderLintFinding)).toEqual([
      '/etc/nginx/nginx.conf:2: warning CLIENT_SIDE_TRUSTED_CERT: ssl_trusted_certificate /etc/ssl/ca.pem is the client-side directive: it does nothing for upstream connections. proxy_ssl_trusted_certificate is not set. Affects https://10.0.0.1 (location /) at /etc/nginx/nginx.conf:5.',
      '/etc/nginx/nginx.conf:4: error VERIFY_WITHOUT_TRUSTED_FILE: proxy_ssl_verify is on but proxy_ssl_trusted_certificate is not set: nginx refuses to start ("no proxy_ssl_trusted_certificate for proxy_ssl_verify"). Affects https://10.0.0.1 (location /) at /etc/nginx/nginx.conf:5.',
      '/etc/nginx/nginx.conf:5: warning PROXY_SSL_NAME_IS_IP: nginx verifies the upstream certificate against 10.0.0.1 (the proxy_pass host: proxy_ssl_name is not set) with X509_check_host(), as a host name: the certificate needs DNS:10.0.0.1 (or that CN and no DNS name); an IP address SAN alone fails ("does not match"). Set proxy_ssl_name to a DNS name of the certificate. Affects https://10.0.0.1 (location /) at /etc/nginx/nginx.conf:5.',
    ]);
  });
});
