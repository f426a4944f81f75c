/**
 * What nginx says when it cannot load the client certificate of `proxy_ssl_certificate` /
 * `proxy_ssl_certificate_key` (and grpc_/uwsgi_): it refuses to start with one [emerg] line.
 *
 * nginx loads the pair at configuration time (`ngx_http_proxy_set_ssl` → `ngx_ssl_certificate`,
 * src/event/ngx_event_openssl.c): `PEM_read_bio_X509_AUX` for the certificate ("cannot load certificate"),
 * `PEM_read_bio_PrivateKey` for the key ("cannot load certificate key"), then `SSL_CTX_use_PrivateKey`, which
 * checks the key against the certificate. The OpenSSL part of each line below was measured with Debian's nginx
 * 1.22.1 on OpenSSL 3.0 (`nginx -t </dev/null`; stdin not a terminal, so an encrypted key gets no pass phrase and
 * OpenSSL's UI reports the read as cancelled). Other OpenSSL versions word the parenthesis differently; the
 * part before it is nginx's own.
 */

/** Why a client certificate/key pair cannot be used (the same for nginx and for tlsdoctor's own handshake). */
export type ClientCertProblem =
  | { kind: 'cert-unreadable'; certFile: string; keyFile: string; code: string; detail: string }
  | { kind: 'key-unreadable'; certFile: string; keyFile: string; code: string; detail: string }
  | { kind: 'cert-not-pem'; certFile: string; keyFile: string }
  | { kind: 'cert-unparsable'; certFile: string; keyFile: string; detail: string }
  | { kind: 'key-none'; certFile: string; keyFile: string }
  | { kind: 'key-encrypted'; certFile: string; keyFile: string }
  | { kind: 'key-unparsable'; certFile: string; keyFile: string; detail: string }
  | { kind: 'mismatch'; certFile: string; keyFile: string };

/** OpenSSL 3.0's error queue for each case, as nginx 1.22.1 printed it. */
const OPENSSL_TEXT = {
  // BIO_new_file() of a missing file.
  missing: (path: string) =>
    `error:80000002:system library::No such file or directory:calling fopen(${path}, r) error:10000080:BIO routines::no such file`,
  noCertificate: 'error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE',
  noKey: 'error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM',
  encrypted:
    'error:1400006B:UI routines::processing error:while reading strings error:0480006D:PEM routines::problems getting password ' +
    'error:07880109:common libcrypto routines::interrupted or cancelled error:07880109:common libcrypto routines::interrupted or cancelled ' +
    'error:1C80009F:Provider routines::unable to get passphrase error:1400006B:UI routines::processing error:while reading strings ' +
    'error:0480006D:PEM routines::problems getting password error:07880109:common libcrypto routines::interrupted or cancelled ' +
    'error:04800068:PEM routines::bad password read',
  mismatch: 'error:05800074:x509 certificate routines::key values mismatch',
} as const;

/**
 * The [emerg] message (without timestamp and pid) nginx logs before refusing to start. Of unreadable files only a
 * missing one gets OpenSSL's words; for the others (not a regular file, too large, no permission) tlsdoctor's own
 * reason is given in parentheses, as nginx's would depend on the file (a FIFO blocks its start-up).
 */
export function clientCertEmerg(p: ClientCertProblem): string {
  const cert = `cannot load certificate "${p.certFile}"`;
  const key = `cannot load certificate key "${p.keyFile}"`;
  switch (p.kind) {
    case 'cert-unreadable':
      return p.code === 'FILE_NOT_FOUND' ? `${cert}: BIO_new_file() failed (SSL: ${OPENSSL_TEXT.missing(p.certFile)})` : `${cert} (tlsdoctor: ${p.detail})`;
    case 'key-unreadable':
      return p.code === 'FILE_NOT_FOUND' ? `${key}: BIO_new_file() failed (SSL: ${OPENSSL_TEXT.missing(p.keyFile)})` : `${key} (tlsdoctor: ${p.detail})`;
    case 'cert-not-pem':
      return `${cert}: PEM_read_bio_X509_AUX() failed (SSL: ${OPENSSL_TEXT.noCertificate})`;
    case 'cert-unparsable':
      // A PEM block whose body is not a certificate: the queue starts with the ASN.1 error (`wrong tag`...).
      return `${cert}: PEM_read_bio_X509_AUX() failed (SSL: ${p.detail})`;
    case 'key-none':
    case 'key-unparsable':
      // A broken key body adds ASN.1 errors after this first one; the first is the same.
      return `${key}: PEM_read_bio_PrivateKey() failed (SSL: ${OPENSSL_TEXT.noKey})`;
    case 'key-encrypted':
      return `${key}: PEM_read_bio_PrivateKey() failed (SSL: ${OPENSSL_TEXT.encrypted})`;
    case 'mismatch':
      return `SSL_CTX_use_PrivateKey("${p.keyFile}") failed (SSL: ${OPENSSL_TEXT.mismatch})`;
  }
}
