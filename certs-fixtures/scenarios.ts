/**
 * The scenario catalogue: one entry per upstream pathology, with the nginx setup that exhibits it, what
 * nginx 1.22.1 / OpenSSL 3.0 logs for it (/work/shared/NGINX.md, "What nginx logs, by cause"), and the
 * findings tlsdoctor must report. generate.ts writes it into manifest.json next to the PKI it refers to.
 */
import type { FixtureTlsVersion, Scenario, ScenarioExpected } from './manifest-types.js';

/** OpenSSL 3.0's `X509_verify_cert_error_string` texts for the codes nginx logs (crypto/x509/x509_txt.c). */
export const VERIFY_ERROR_TEXT: Record<number, string> = {
  2: 'unable to get issuer certificate',
  9: 'certificate is not yet valid',
  10: 'certificate has expired',
  18: 'self-signed certificate',
  19: 'self-signed certificate in certificate chain',
  20: 'unable to get local issuer certificate',
  21: 'unable to verify the first certificate',
  22: 'certificate chain too long',
  26: 'unsuitable certificate purpose',
  66: 'EE certificate key too weak',
  68: 'CA signature digest algorithm too weak',
};

/** ngx_ssl_handshake's message for a failed `SSL_get_verify_result` (ngx_http_upstream_ssl_handshake). */
export function verifyErrorMessage(code: number): string {
  const text = VERIFY_ERROR_TEXT[code];
  if (text === undefined) throw new Error(`no text for verify code ${code}`);
  return `upstream SSL certificate verify error: (${code}:${text}) while SSL handshaking to upstream`;
}

/** ngx_http_upstream_ssl_handshake's message when `ngx_ssl_check_host` fails. */
export function nameMismatchMessage(name: string): string {
  return `upstream SSL certificate does not match "${name}" while SSL handshaking to upstream`;
}

/** nginx 1.22's default `proxy_ssl_protocols` (TLSv1.3 was added to the default in 1.23.4). */
const NGINX_122_PROTOCOLS: FixtureTlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];

const OK: ScenarioExpected = { nginxOk: true, status: 200, findings: [], fixable: true };

function verifyFail(code: number, rest: Omit<ScenarioExpected, 'nginxOk' | 'status' | 'nginxLevel' | 'nginxError' | 'verifyCode'>): ScenarioExpected {
  return { nginxOk: false, status: 502, nginxLevel: 'error', nginxError: verifyErrorMessage(code), verifyCode: code, ...rest };
}

function nameFail(name: string, rest: Omit<ScenarioExpected, 'nginxOk' | 'status' | 'nginxLevel' | 'nginxError'>): ScenarioExpected {
  return { nginxOk: false, status: 502, nginxLevel: 'error', nginxError: nameMismatchMessage(name), ...rest };
}

type ScenarioInput = Partial<Scenario> & Pick<Scenario, 'id' | 'description' | 'expected'>;

/**
 * Defaults: a TLS 1.2 + 1.3 upstream sending the healthy leaf and intermediate, reached as the upstream block
 * `upstream.test` (so proxy_ssl_name defaults to `upstream.test`), no SNI, depth 1, the test root trusted.
 */
function scenario(input: ScenarioInput): Scenario {
  const s: Scenario = {
    server: 'tls',
    serve: ['leaf.pem', 'int1.pem'],
    key: 'leaf.key.pem',
    tls: ['TLSv1.2', 'TLSv1.3'],
    clientAuth: { mode: 'none' },
    proxyPassHost: 'upstream.test',
    proxySslName: input.proxySslName ?? input.proxyPassHost ?? 'upstream.test',
    sni: false,
    depth: 1,
    trusted: ['root.pem'],
    proxySslProtocols: NGINX_122_PROTOCOLS,
    ...input,
  };
  if (s.server !== 'tls') {
    delete s.serve;
    delete s.key;
    delete s.tls;
    delete s.clientAuth;
  }
  return s;
}

export const SCENARIOS: Scenario[] = [
  // --- healthy and tolerated --------------------------------------------------------------------------
  scenario({
    id: 'healthy',
    description: 'Leaf + intermediate sent, root in the bundle, depth 1: the correct setup.',
    expected: OK,
  }),
  scenario({
    id: 'healthy-three-level',
    description: 'Leaf + Issuing CA 2 + Intermediate CA sent (two intermediates), root trusted, depth 2.',
    serve: ['leaf-int2.pem', 'int2.pem', 'int1.pem'],
    key: 'leaf-int2.key.pem',
    depth: 2,
    expected: OK,
  }),
  scenario({
    id: 'root-sent-trusted',
    description: 'Leaf + intermediate + root sent, root trusted: nginx tolerates the extra root.',
    serve: ['leaf.pem', 'int1.pem', 'root.pem'],
    expected: { ...OK, findings: ['ROOT_SENT'] },
  }),
  scenario({
    id: 'wrong-order',
    description: 'Three-level chain sent as leaf, Intermediate CA, Issuing CA 2 (intermediates swapped), depth 2: tolerated.',
    serve: ['leaf-int2.pem', 'int1.pem', 'int2.pem'],
    key: 'leaf-int2.key.pem',
    depth: 2,
    expected: { ...OK, findings: ['WRONG_ORDER'] },
  }),
  scenario({
    id: 'duplicate-and-extra',
    description: 'Leaf + intermediate + the intermediate again + an unrelated intermediate (Other Intermediate CA): tolerated.',
    serve: ['leaf.pem', 'int1.pem', 'int1.pem', 'other-int.pem'],
    expected: { ...OK, findings: ['DUPLICATE_CERT', 'EXTRA_CERT'] },
  }),
  scenario({
    id: 'self-signed-pinned',
    description: 'Self-signed leaf, and the same certificate is the whole bundle (pinning a self-signed cert works).',
    serve: ['leaf-self-signed.pem'],
    key: 'leaf-self-signed.key.pem',
    trusted: ['leaf-self-signed.pem'],
    expected: { ...OK, mayReport: ['SELF_SIGNED_LEAF'] },
  }),

  // --- chain and trust ----------------------------------------------------------------------------------
  scenario({
    id: 'leaf-only-sent',
    description: 'Server sends the leaf without its intermediate; the bundle has the root.',
    serve: ['leaf.pem'],
    expected: verifyFail(21, {
      findings: ['MISSING_INTERMEDIATE'],
      fixable: true,
      fix: 'add int1.pem to proxy_ssl_trusted_certificate (or fix the upstream to send it)',
    }),
  }),
  scenario({
    id: 'wrong-ca-bundle',
    description: 'Leaf + intermediate sent, but the bundle holds an unrelated root (Other Root CA).',
    trusted: ['other-root.pem'],
    expected: verifyFail(20, {
      findings: ['UNKNOWN_CA'],
      fixable: true,
      fix: 'put root.pem (tlsdoctor Test Root CA) in proxy_ssl_trusted_certificate',
    }),
  }),
  scenario({
    id: 'unknown-ca-leaf-only',
    description: 'Leaf issued by Other Intermediate CA, sent alone; the bundle has the test root only. Same code as leaf-only-sent.',
    serve: ['leaf-other-ca.pem'],
    key: 'leaf-other-ca.key.pem',
    expected: verifyFail(21, {
      findings: ['MISSING_INTERMEDIATE'],
      // The intermediate is missing too, but without a reachable AIA URL nothing proves the leaf is not
      // issued by a root directly: an engine may say so or not.
      mayReport: ['UNKNOWN_CA'],
      fixable: true,
      fix: 'trust other-root.pem and other-int.pem (the upstream should send other-int.pem)',
    }),
  }),
  scenario({
    id: 'partial-chain-bundle',
    description: 'Leaf + intermediate sent; the bundle holds only the intermediate, not its root (no partial chains in nginx).',
    trusted: ['int1.pem'],
    expected: verifyFail(2, {
      findings: ['PARTIAL_CHAIN_BUNDLE'],
      fixable: true,
      fix: 'add root.pem to proxy_ssl_trusted_certificate',
    }),
  }),
  scenario({
    id: 'root-sent-untrusted',
    description: 'Leaf + intermediate + root sent; the bundle holds Other Root CA, not the sent root.',
    serve: ['leaf.pem', 'int1.pem', 'root.pem'],
    trusted: ['other-root.pem'],
    expected: verifyFail(19, {
      findings: ['UNTRUSTED_ROOT', 'ROOT_SENT'],
      fixable: true,
      fix: 'put root.pem in proxy_ssl_trusted_certificate (after checking it is the right root)',
    }),
  }),
  scenario({
    id: 'self-signed-leaf',
    description: 'Self-signed leaf; the bundle has the test root.',
    serve: ['leaf-self-signed.pem'],
    key: 'leaf-self-signed.key.pem',
    expected: verifyFail(18, {
      findings: ['SELF_SIGNED_LEAF'],
      fixable: true,
      fix: 'pin it: put leaf-self-signed.pem in proxy_ssl_trusted_certificate',
    }),
  }),
  scenario({
    id: 'leaf-pinned',
    description: 'CA-issued leaf alone in the bundle (pinning a non-self-signed leaf): a dead end, nginx has no partial chains.',
    trusted: ['leaf.pem'],
    expected: verifyFail(20, {
      findings: ['PINNED_LEAF', 'UNKNOWN_CA'],
      mayReport: ['MISSING_INTERMEDIATE'],
      fixable: true,
      fix: 'trust the root (root.pem) instead of the leaf',
    }),
  }),
  scenario({
    id: 'too-deep',
    description: 'Three-level chain (leaf + Issuing CA 2 + Intermediate CA) sent, root trusted, default depth 1.',
    serve: ['leaf-int2.pem', 'int2.pem', 'int1.pem'],
    key: 'leaf-int2.key.pem',
    depth: 1,
    // Measured with `openssl s_client -verify_depth 1` against this server (OpenSSL 3.0.19): see
    // test/fixtures/fixtures.test.ts "OpenSSL verdicts". nginx never logs 22 (NGINX.md).
    expected: verifyFail(20, {
      findings: ['CHAIN_TOO_DEEP'],
      fixable: true,
      fix: 'proxy_ssl_verify_depth 2;',
    }),
    confirm: true,
    confirmNote: 'NGINX.md says 20 or 2; 20 is what OpenSSL 3.0 s_client -verify_depth 1 reports here. Confirm with real nginx.',
  }),

  // --- validity and strength ----------------------------------------------------------------------------
  scenario({
    id: 'expired-leaf',
    description: 'Leaf expired 30 days before the fixture clock; intermediate sent, root trusted.',
    serve: ['leaf-expired.pem', 'int1.pem'],
    key: 'leaf-expired.key.pem',
    expected: verifyFail(10, { findings: ['EXPIRED'], fixable: false }),
  }),
  scenario({
    id: 'expired-intermediate',
    description: 'Valid leaf under an intermediate that expired 30 days before the fixture clock; both sent.',
    serve: ['leaf-under-expired-int.pem', 'int-expired.pem'],
    key: 'leaf-under-expired-int.key.pem',
    expected: verifyFail(10, { findings: ['EXPIRED'], fixable: false }),
  }),
  scenario({
    id: 'not-yet-valid-leaf',
    description: 'Leaf valid from 2090.',
    serve: ['leaf-not-yet-valid.pem', 'int1.pem'],
    key: 'leaf-not-yet-valid.key.pem',
    expected: verifyFail(9, { findings: ['NOT_YET_VALID'], fixable: false }),
  }),
  scenario({
    id: 'bad-purpose',
    description: 'Leaf whose extended key usage is clientAuth only (no serverAuth).',
    serve: ['leaf-client-eku.pem', 'int1.pem'],
    key: 'leaf-client-eku.key.pem',
    expected: verifyFail(26, { findings: ['BAD_PURPOSE'], fixable: false }),
  }),
  scenario({
    id: 'sha1-signature',
    description: 'Leaf signed by the (RSA) intermediate with sha1WithRSAEncryption; rejected at security level 2.',
    serve: ['leaf-sha1.pem', 'int1.pem'],
    key: 'leaf-sha1.key.pem',
    expected: verifyFail(68, { findings: ['WEAK_SIGNATURE'], fixable: false }),
  }),
  scenario({
    id: 'weak-key-rsa1024',
    description: 'Leaf with an RSA-1024 key; rejected at security level 2.',
    serve: ['leaf-rsa1024.pem', 'int1.pem'],
    key: 'leaf-rsa1024.key.pem',
    expected: verifyFail(66, { findings: ['WEAK_KEY'], fixable: false }),
  }),

  // --- names and SNI --------------------------------------------------------------------------------------
  scenario({
    id: 'name-mismatch-ip',
    description: 'proxy_pass https://127.0.0.1: the healthy leaf has DNS SANs localhost and upstream.test only.',
    proxyPassHost: '127.0.0.1',
    expected: nameFail('127.0.0.1', {
      findings: ['NAME_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_name upstream.test;',
    }),
  }),
  scenario({
    id: 'ip-san-only',
    description: 'Leaf with IP SANs 127.0.0.1 and ::1 (plus DNS localhost, upstream.test), target 127.0.0.1: nginx ignores IP SANs.',
    serve: ['leaf-ip-san.pem', 'int1.pem'],
    key: 'leaf-ip-san.key.pem',
    proxyPassHost: '127.0.0.1',
    expected: nameFail('127.0.0.1', {
      findings: ['NAME_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_name upstream.test;',
    }),
  }),
  scenario({
    id: 'dns-san-ip-string',
    description: 'Leaf with a DNS SAN spelled "127.0.0.1", target 127.0.0.1: X509_check_host matches it.',
    serve: ['leaf-dns-ip-string.pem', 'int1.pem'],
    key: 'leaf-dns-ip-string.key.pem',
    proxyPassHost: '127.0.0.1',
    expected: OK,
  }),
  scenario({
    id: 'cn-only',
    description: 'Leaf without SAN, CN upstream.test: the CN is used when there is no DNS SAN.',
    serve: ['leaf-cn-only.pem', 'int1.pem'],
    key: 'leaf-cn-only.key.pem',
    expected: OK,
  }),
  scenario({
    id: 'wildcard-hit',
    description: 'Leaf *.example.test, proxy_ssl_name a.example.test: one label, matches.',
    serve: ['leaf-wildcard.pem', 'int1.pem'],
    key: 'leaf-wildcard.key.pem',
    proxyPassHost: 'a.example.test',
    expected: OK,
  }),
  scenario({
    id: 'wildcard-miss',
    description: 'Leaf *.example.test, proxy_ssl_name a.b.example.test: a wildcard covers exactly one label.',
    serve: ['leaf-wildcard.pem', 'int1.pem'],
    key: 'leaf-wildcard.key.pem',
    proxyPassHost: 'a.b.example.test',
    expected: nameFail('a.b.example.test', {
      findings: ['NAME_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_name x.example.test; (any single-label name under example.test)',
    }),
  }),
  scenario({
    id: 'upstream-block-name',
    description: 'proxy_pass https://backend (an upstream block): proxy_ssl_name defaults to "backend".',
    proxyPassHost: 'backend',
    expected: nameFail('backend', {
      findings: ['NAME_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_name upstream.test;',
    }),
  }),
  scenario({
    id: 'sni-required',
    description:
      'Server sends a default certificate (CN default.test) without SNI and the upstream.test one with SNI; nginx sends no SNI by default.',
    serve: ['leaf-default-vhost.pem', 'int1.pem'],
    key: 'leaf-default-vhost.key.pem',
    sniCerts: { 'upstream.test': { serve: ['leaf.pem', 'int1.pem'], key: 'leaf.key.pem' } },
    expected: nameFail('upstream.test', {
      findings: ['SNI_REQUIRED', 'NAME_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_server_name on;',
    }),
  }),
  scenario({
    id: 'sni-enabled',
    description: 'The sni-required server with proxy_ssl_server_name on: the right certificate is sent.',
    serve: ['leaf-default-vhost.pem', 'int1.pem'],
    key: 'leaf-default-vhost.key.pem',
    sniCerts: { 'upstream.test': { serve: ['leaf.pem', 'int1.pem'], key: 'leaf.key.pem' } },
    sni: true,
    expected: OK,
  }),

  // --- client certificates and protocols -----------------------------------------------------------------
  scenario({
    id: 'client-cert-required-tls12',
    description: 'Upstream (TLS 1.2 only) requires a client certificate from tlsdoctor Client CA; nginx sends none.',
    tls: ['TLSv1.2'],
    clientAuth: { mode: 'required', ca: 'client-ca.pem' },
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'error',
      nginxError:
        'SSL_do_handshake() failed (SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream',
      findings: ['CLIENT_CERT_REQUIRED'],
      fixable: true,
      fix: 'proxy_ssl_certificate client.pem; proxy_ssl_certificate_key client.key.pem;',
    },
  }),
  scenario({
    id: 'client-cert-required-tls13',
    description:
      'Upstream (TLS 1.3 only) requires a client certificate; nginx offers TLS 1.3 (proxy_ssl_protocols TLSv1.2 TLSv1.3) and sends none: fails at the first read.',
    tls: ['TLSv1.3'],
    clientAuth: { mode: 'required', ca: 'client-ca.pem' },
    proxySslProtocols: ['TLSv1.2', 'TLSv1.3'],
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'crit',
      nginxError:
        'SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116) while reading response header from upstream',
      findings: ['CLIENT_CERT_REQUIRED'],
      fixable: true,
      fix: 'proxy_ssl_certificate client.pem; proxy_ssl_certificate_key client.key.pem;',
    },
  }),
  scenario({
    id: 'client-cert-rejected',
    description:
      'Upstream (TLS 1.2) requires a client certificate from tlsdoctor Client CA and verifies it in the handshake (OpenSSL-style); nginx sends one from Other Root CA.',
    tls: ['TLSv1.2'],
    clientAuth: { mode: 'required', ca: 'client-ca.pem' },
    clientCert: { cert: 'client-other.pem', key: 'client-other.key.pem' },
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'error',
      nginxError:
        'SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking to upstream',
      findings: ['CLIENT_CERT_REJECTED'],
      fixable: true,
      fix: 'proxy_ssl_certificate client.pem; proxy_ssl_certificate_key client.key.pem; (a certificate from tlsdoctor Client CA)',
    },
  }),
  scenario({
    id: 'client-cert-accepted',
    description: 'Upstream (TLS 1.2) requires a client certificate from tlsdoctor Client CA; nginx sends client.pem.',
    tls: ['TLSv1.2'],
    clientAuth: { mode: 'required', ca: 'client-ca.pem' },
    clientCert: { cert: 'client.pem', key: 'client.key.pem' },
    expected: OK,
  }),
  scenario({
    id: 'tls13-only',
    description: 'Upstream speaks TLS 1.3 only; nginx 1.22 offers TLSv1 TLSv1.1 TLSv1.2 by default.',
    tls: ['TLSv1.3'],
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'error',
      nginxError:
        'SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70) while SSL handshaking to upstream',
      findings: ['PROTOCOL_MISMATCH'],
      fixable: true,
      fix: 'proxy_ssl_protocols TLSv1.2 TLSv1.3;',
    },
  }),
  scenario({
    id: 'tls10-only',
    description: 'Upstream speaks TLS 1.0 only (SHA-1/MD5 handshake signatures, refused at security level 2).',
    tls: ['TLSv1'],
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'crit',
      nginxError:
        'SSL_do_handshake() failed (SSL: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported) while SSL handshaking to upstream',
      findings: ['PROTOCOL_MISMATCH'],
      fixable: false,
    },
  }),

  // --- not a TLS certificate problem ----------------------------------------------------------------------
  scenario({
    id: 'plain-http',
    description: 'The upstream speaks plain HTTP on the port nginx reaches with https://.',
    server: 'plain-http',
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'error',
      nginxError:
        'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream',
      findings: ['NOT_TLS'],
      fixable: false,
      fix: 'enable TLS on the upstream port (proxy_pass http:// would be a downgrade, never proposed)',
    },
  }),
  scenario({
    id: 'refused',
    description: 'Nothing listens on the port.',
    server: 'refused',
    expected: {
      nginxOk: false,
      status: 502,
      nginxLevel: 'error',
      nginxError: 'connect() failed (111: Connection refused) while connecting to upstream',
      findings: ['CONNECTION_REFUSED'],
      fixable: false,
    },
  }),
  scenario({
    id: 'timeout',
    description: 'The upstream accepts TCP and never answers; proxy_connect_timeout also bounds the TLS handshake.',
    server: 'timeout',
    expected: {
      nginxOk: false,
      status: 504,
      nginxLevel: 'error',
      nginxError: 'upstream timed out (110: Connection timed out) while SSL handshaking to upstream',
      findings: ['TIMEOUT'],
      fixable: false,
    },
  }),
];
