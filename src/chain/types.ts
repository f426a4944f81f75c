/**
 * Contract of the trust engine: a pure re-implementation of OpenSSL 3.0's `X509_verify_cert` as nginx
 * configures it for upstreams (`SSL_CTX_set_verify(SSL_VERIFY_PEER, ngx_ssl_verify_callback)`, whose callback
 * always returns 1: OpenSSL carries on after every error and `SSL_get_verify_result` is the *last* one).
 */
import type { Cert } from '../certs/cert.js';

/** Where a certificate in a built path came from. */
export type CertSource = 'sent' | 'untrusted' | 'bundle' | 'pool' | 'fetched';

export interface VerifyParams {
  /** Certificates as the server sent them, leaf first (OpenSSL: the peer cert + untrusted stack). */
  sent: Cert[];
  /** Extra untrusted certificates (`verify --untrusted`, pool or AIA-fetched intermediates in what-if runs). */
  untrusted?: { cert: Cert; source: CertSource }[];
  /** The trust store: `proxy_ssl_trusted_certificate` (every cert in it is a trust anchor, CA or not). */
  trusted: Cert[];
  /** The time to judge validity at. */
  at: Date;
  /** `proxy_ssl_verify_depth` / `-verify_depth`: the number of intermediates allowed (nginx default 1). */
  depth: number;
  /** OpenSSL security level used as `auth_level` (Debian/Ubuntu default 2). */
  seclevel: number;
  /** Name for `X509_check_host` (nginx: `proxy_ssl_name`), flags 0; undefined = no name check. */
  hostname?: string;
}

export interface VerifyError {
  /** OpenSSL's X509_V_ERR_* number (10 = certificate has expired, 20 = unable to get local issuer certificate...). */
  code: number;
  /** OpenSSL's `X509_verify_cert_error_string` text for the code, exactly. */
  text: string;
  /** Depth in the built path the error concerns (0 = leaf), as `X509_STORE_CTX_get_error_depth`. */
  depth: number;
  /** SHA-256 of the certificate the error concerns, when there is one. */
  certSha256?: string;
}

export interface PathEntry {
  cert: Cert;
  source: CertSource;
  /** Position in `sent` when source is 'sent'. */
  sentIndex?: number;
}

export interface VerifyResult {
  /** True when OpenSSL would end with X509_V_OK (no error reported at all). */
  ok: boolean;
  /** The chain OpenSSL built, leaf first; ends at the anchor when trusted, else where building stopped. */
  path: PathEntry[];
  /** Whether the top of `path` is a trust anchor from `trusted`. */
  anchored: boolean;
  /** Every error OpenSSL's verify callback is called with, in the order OpenSSL reports them. */
  errors: VerifyError[];
  /** The error nginx logs: the last one reported (0 when ok). */
  lastError: number;
  /** Result of the host name check when `hostname` was given: undefined when not checked. */
  hostnameMatched?: boolean;
}
