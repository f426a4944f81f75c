/**
 * Shape of certs-fixtures/manifest.json: the fixture PKI (one entry per committed PEM file) and the
 * scenario catalogue (one entry per upstream pathology, with what nginx does and what tlsdoctor must say).
 *
 * Kept free of imports so the generator, the test loader (test/helpers/fixtures.ts) and anyone else can use
 * it without pulling in @peculiar/x509.
 */
import type { ValidityClass } from './clock.js';

/** Finding codes a scenario may expect. Mirrors the diagnosis catalogue's codes (never renamed). */
export const FINDING_CODES = [
  'SELF_SIGNED_LEAF',
  'UNTRUSTED_ROOT',
  'MISSING_INTERMEDIATE',
  'UNKNOWN_CA',
  'PARTIAL_CHAIN_BUNDLE',
  'PINNED_LEAF',
  'CHAIN_TOO_DEEP',
  'NAME_MISMATCH',
  'SNI_REQUIRED',
  'EXPIRED',
  'NOT_YET_VALID',
  'WEAK_SIGNATURE',
  'WEAK_KEY',
  'BAD_PURPOSE',
  'CLIENT_CERT_REQUIRED',
  'CLIENT_CERT_REJECTED',
  'PROTOCOL_MISMATCH',
  'NOT_TLS',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'DNS_FAILURE',
  // info
  'ROOT_SENT',
  'WRONG_ORDER',
  'DUPLICATE_CERT',
  'EXTRA_CERT',
] as const;

export type FixtureFindingCode = (typeof FINDING_CODES)[number];

export type FixtureTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** What kind of server a scenario needs. */
export type ServerKind =
  /** node:tls server sending `serve` (and `sniCerts`), answering HTTP/1.1 200. */
  | 'tls'
  /** Plain TCP server answering any bytes with `HTTP/1.1 400 Bad Request`. */
  | 'plain-http'
  /** A port that was bound, then closed: connect() gets ECONNREFUSED. */
  | 'refused'
  /** Accepts TCP, never sends a byte. */
  | 'timeout';

export type FileKind = 'root' | 'intermediate' | 'leaf' | 'client' | 'bundle';

/** One committed PEM certificate file under certs-fixtures/pki/. */
export interface FixtureFile {
  kind: FileKind;
  /** Subject, one-line `CN=...,O=...` form. For `bundle`, a description. */
  subject: string;
  /** File name of the issuing certificate; equal to the file's own name for self-signed certificates. */
  issuer: string;
  /** Private key file (PKCS#8 PEM), absent for bundles. Never print its contents. */
  key?: string;
  /** `RSA-2048`, `RSA-1024`, `P-256`. */
  keyAlgorithm: string;
  /** OpenSSL short name of the signature algorithm. */
  signature: 'sha256WithRSAEncryption' | 'sha1WithRSAEncryption' | 'ecdsa-with-SHA256';
  validity: ValidityClass;
  notBefore: string; // ISO-8601
  notAfter: string; // ISO-8601
  isCa: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  /** Extended key usage names, empty when the extension is absent. */
  eku: ('serverAuth' | 'clientAuth')[];
  /** caIssuers URL of the AIA extension, if any (always under http://aia.invalid/: never reachable). */
  aiaCaIssuers?: string;
  /** Number of certificates in the file (1, except bundles). */
  count: number;
}

/** A server-side certificate selection: the exact certificate list sent, in order, and the key. */
export interface ServedChain {
  /** File names under pki/, sent in this exact order: leaf first, then the rest as the server sends them. */
  serve: string[];
  key: string;
}

export type ClientAuth =
  | { mode: 'none' }
  /** The upstream requires a client certificate issued by `ca` (node:tls requestCert + rejectUnauthorized). */
  | { mode: 'required'; ca: string };

export interface ScenarioExpected {
  /** Whether nginx proxies the request (HTTP 200 from the upstream). */
  nginxOk: boolean;
  status: 200 | 502 | 504;
  /** nginx's error-log level for the failure (absent when ok). */
  nginxLevel?: 'error' | 'crit';
  /** The exact error-log message, without the timestamp/level/connection prefix and the `, client: ...` suffix. */
  nginxError?: string;
  /** OpenSSL X509_V_ERR_* number when nginxError is a certificate verify error. */
  verifyCode?: number;
  /** tlsdoctor finding codes that must be reported. */
  findings: FixtureFindingCode[];
  /** Codes that may also be reported without being wrong (ambiguous evidence); anything else is a false positive. */
  mayReport?: FixtureFindingCode[];
  /** Whether a change on the nginx side alone makes nginx succeed (false: the upstream must change). */
  fixable: boolean;
  /** The nginx-side fix in words or directives, when fixable. */
  fix?: string;
}

export interface Scenario {
  /** kebab-case, stable: tests and snapshots are named after it. */
  id: string;
  description: string;
  server: ServerKind;
  /** Certificates sent when the client sends no SNI, or an SNI not in `sniCerts` (kind `tls` only). */
  serve?: string[];
  key?: string;
  /** Certificates sent for a given SNI host name (kind `tls` only). */
  sniCerts?: Record<string, ServedChain>;
  /** Protocol versions the upstream accepts. */
  tls?: FixtureTlsVersion[];
  clientAuth?: ClientAuth;
  /**
   * Host in `proxy_pass https://<host>:<port>`: `127.0.0.1`, or a name the nginx test declares as
   * `upstream <name> { server 127.0.0.1:<port>; }` (nginx resolves plain names at start-up).
   */
  proxyPassHost: string;
  /** `proxy_ssl_name` in effect (set it explicitly when it differs from proxyPassHost). */
  proxySslName: string;
  /** `proxy_ssl_server_name on` (SNI = proxySslName). */
  sni: boolean;
  /** `proxy_ssl_verify_depth`. */
  depth: number;
  /** Files concatenated into `proxy_ssl_trusted_certificate` in the (broken) setup under test. */
  trusted: string[];
  /** `proxy_ssl_protocols` in effect (nginx 1.22 default: TLSv1 TLSv1.1 TLSv1.2). */
  proxySslProtocols: FixtureTlsVersion[];
  /** `proxy_ssl_certificate` / `proxy_ssl_certificate_key` nginx presents, if any. */
  clientCert?: { cert: string; key: string };
  expected: ScenarioExpected;
  /** The expected nginx message is OpenSSL-dependent and must be confirmed against real nginx. */
  confirm?: boolean;
  confirmNote?: string;
}

export interface Manifest {
  /** Bumped when the shape changes. */
  schemaVersion: 1;
  /** ISO-8601 of FIXTURE_CLOCK. */
  clock: string;
  /** Directory of the PEM files, relative to certs-fixtures/. */
  pkiDir: 'pki';
  files: Record<string, FixtureFile>;
  scenarios: Scenario[];
}
