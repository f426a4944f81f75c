/**
 * The rule catalogue of the nginx configuration checks (`tlsdoctor nginx`, `tlsdoctor lint`): every rule id once,
 * with its default severity, whether nginx refuses to start when it holds, a title, and the nginx documentation
 * it rests on. Ids are stable (STYLE.md 4): never renamed, only added. The README's "Rule catalogue" table is
 * rendered from this record and a test keeps the two equal (test/nginx/rule-catalogue.test.ts).
 *
 * The record is typed `Record<LintCode, RuleInfo>`: the compiler refuses a lint code without its entry.
 */
import type { LintCode, LintSeverity } from './lints.js';

export type RuleId = LintCode;

export interface RuleInfo {
  /** Default severity; trusted-file rules are errors only where verification is on (else warnings). */
  severity: LintSeverity;
  /** nginx refuses to start (`nginx -t` fails) when this finding holds. */
  refusesToStart: boolean;
  /** A few words: SARIF `shortDescription`, the README table. */
  title: string;
  /** What nginx does when the rule fires (one sentence, English). */
  consequence: string;
  /**
   * The nginx documentation the rule cites (SARIF `helpUri`); null for the rules about tlsdoctor's own
   * suppression comments, which the README's "Inline suppressions" defines.
   */
  helpUri: string | null;
}

const PROXY_DOC = 'https://nginx.org/en/docs/http/ngx_http_proxy_module.html';
const UPSTREAM_DOC = 'https://nginx.org/en/docs/http/ngx_http_upstream_module.html';
const SSL_DOC = 'https://nginx.org/en/docs/http/ngx_http_ssl_module.html';
/** Each directive's page gives its contexts ("Context: http, server, location"). */
const DIRECTIVE_INDEX = 'https://nginx.org/en/docs/dirindex.html';

export const RULES: Record<RuleId, RuleInfo> = {
  // The default is off: every certificate problem proxies with 200 (NGINX.md "Defaults").
  PROXY_SSL_VERIFY_OFF: {
    severity: 'warning',
    refusesToStart: false,
    title: 'upstream certificate not verified',
    consequence: 'nginx proxies to any certificate, a man in the middle included (off is the default)',
    helpUri: `${PROXY_DOC}#proxy_ssl_verify`,
  },
  CLIENT_SIDE_TRUSTED_CERT: {
    severity: 'warning',
    refusesToStart: false,
    title: 'ssl_trusted_certificate where proxy_ssl_trusted_certificate was meant',
    consequence: 'the client-side bundle is not used for upstreams; nginx verifies with another bundle or none',
    helpUri: `${SSL_DOC}#ssl_trusted_certificate`,
  },
  // ngx_http_proxy_set_ssl: "no proxy_ssl_trusted_certificate for proxy_ssl_verify" [emerg].
  VERIFY_WITHOUT_TRUSTED_FILE: {
    severity: 'error',
    refusesToStart: true,
    title: 'verification on without a trusted bundle',
    consequence: 'nginx refuses to start: "no proxy_ssl_trusted_certificate for proxy_ssl_verify"',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  // ngx_ssl_trusted_certificate: SSL_CTX_load_verify_locations() fails [emerg] — only when verify is on.
  TRUSTED_FILE_MISSING: {
    severity: 'error',
    refusesToStart: true,
    title: 'trusted bundle missing or unreadable',
    consequence: 'with verification on, nginx refuses to start (SSL_CTX_load_verify_locations() failed)',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  TRUSTED_FILE_EMPTY: {
    severity: 'error',
    refusesToStart: true,
    title: 'trusted bundle holds no PEM certificate',
    consequence: 'with verification on, nginx refuses to start (X509_load_cert_crl_file: no certificate or crl found)',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  // nginx starts, then every request fails verification (no partial chains: NGINX.md).
  TRUSTED_FILE_NO_ROOT: {
    severity: 'error',
    refusesToStart: false,
    title: 'trusted bundle without a root',
    consequence: 'every verification fails with 502 (nginx sets no X509_V_FLAG_PARTIAL_CHAIN)',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  SESSION_REUSE_MIXED_TRUST: {
    severity: 'warning',
    refusesToStart: false,
    title: 'session reuse across different trust settings',
    consequence: 'a session verified under laxer settings is resumed under stricter ones: results depend on request order',
    helpUri: `${PROXY_DOC}#proxy_ssl_session_reuse`,
  },
  UNRESOLVED_VARIABLE: {
    severity: 'info',
    refusesToStart: false,
    title: 'target or name known only per request',
    consequence: 'the upstream cannot be judged from the configuration alone',
    helpUri: `${PROXY_DOC}#proxy_pass`,
  },
  DIRECTIVE_NOT_ALLOWED: {
    severity: 'error',
    refusesToStart: true,
    title: 'directive not allowed here',
    consequence: 'nginx refuses to start: "directive is not allowed here"',
    helpUri: DIRECTIVE_INDEX,
  },
  DUPLICATE_DIRECTIVE: {
    severity: 'error',
    refusesToStart: true,
    title: 'directive set twice in one block',
    consequence: 'nginx refuses to start: "directive is duplicate"',
    helpUri: DIRECTIVE_INDEX,
  },
  NO_PORT_IN_UPSTREAM: {
    severity: 'error',
    refusesToStart: true,
    title: 'upstream address without a port',
    consequence: 'nginx refuses to start: "no port in upstream"',
    helpUri: `${UPSTREAM_DOC}#server`,
  },
  // OpenSSL's internal_verify checks the validity of the trust anchor too (x509_check_cert_time for every
  // certificate of the path, the self-signed top included): an expired root fails with verify error 10.
  TRUSTED_ANCHOR_EXPIRED: {
    severity: 'error',
    refusesToStart: false,
    title: 'a root of the trusted bundle has expired',
    consequence: 'chains ending at it fail with "(10:certificate has expired)"; an error when no root of the bundle is still valid',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  TRUSTED_ANCHOR_EXPIRES_SOON: {
    severity: 'warning',
    refusesToStart: false,
    title: 'a root of the trusted bundle expires within the warn window (--warn)',
    consequence: 'once it expires, chains ending at it fail with "(10:certificate has expired)"',
    helpUri: `${PROXY_DOC}#proxy_ssl_trusted_certificate`,
  },
  // SSL_CTX_set_verify_depth: at most N intermediates between the leaf and the anchor, the bundle's own
  // intermediates included (measured: `openssl verify -verify_depth 1` with root+2 intermediates in -CAfile fails
  // with "error 22 ... certificate chain too long"). build_chain stops at the limit, reports 22, then the usual
  // 2 for the chain's unanchored top; nginx's callback returns 1 and it logs the last (src/chain/build-chain.ts;
  // real nginx 1.22.1: test/nginx-real/lint-gate-rules.test.ts).
  VERIFY_DEPTH_TOO_SMALL: {
    severity: 'warning',
    refusesToStart: false,
    title: "proxy_ssl_verify_depth below the bundle's longest chain",
    consequence: 'a leaf issued by the deepest CA of the bundle fails: nginx logs "(2:unable to get issuer certificate)"',
    helpUri: `${PROXY_DOC}#proxy_ssl_verify_depth`,
  },
  // ngx_ssl_check_host calls X509_check_host() for every name, an IP literal included, never X509_check_ip_asc():
  // an iPAddress SAN does not match (measured: `openssl x509 -checkhost 10.0.2.7` on a certificate with only
  // IP:10.0.2.7 says "does NOT match"; with DNS:10.0.2.7 or CN=10.0.2.7 and no DNS SAN it matches).
  PROXY_SSL_NAME_IS_IP: {
    severity: 'warning',
    refusesToStart: false,
    title: 'the verified name is an IP address',
    consequence: 'nginx checks it as a host name: the certificate needs the address as a DNS SAN (or as the CN, without DNS SANs); an IP SAN alone fails',
    helpUri: `${PROXY_DOC}#proxy_ssl_name`,
  },
  SUPPRESSION_WITHOUT_REASON: {
    severity: 'error',
    refusesToStart: false,
    title: 'suppression comment without a reason',
    consequence: 'tlsdoctor ignores it: the finding it names is still reported',
    helpUri: null,
  },
  SUPPRESSION_UNKNOWN_RULE: {
    severity: 'warning',
    refusesToStart: false,
    title: 'suppression comment names no known rule',
    consequence: 'tlsdoctor ignores it',
    helpUri: null,
  },
};

/** Rule ids in catalogue order (the order of the README table and of SARIF `rules[]`). */
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** Whether a string is a rule id (suppression comments are user input). */
export function isRuleId(id: string): id is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, id);
}
