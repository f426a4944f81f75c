/**
 * check_extensions() of OpenSSL 3.0 (crypto/x509/x509_vfy.c) without X509_V_FLAG_X509_STRICT, for the
 * `sslserver` purpose (X509_PURPOSE_SSL_SERVER, set by nginx through SSL's "ssl_server" verify param and by
 * `openssl verify -purpose sslserver`), plus check_purpose() and the SSL-server purpose test of
 * crypto/x509/v3_purp.c (check_purpose_ssl_server, check_ssl_ca).
 */
import { KU, NS, XKU } from '../certs/x509-facts.js';
import { checkCa, kuReject, nsReject, xkuReject, type ChainCert } from './chain-cert.js';
import { V } from './error-text.js';
import { publicKeyOf } from './issuer.js';
import { report, type VerifyContext } from './verify-context.js';

/** check_purpose_ssl_server(xp, x, require_ca): 1 suitable, 0 not. */
function sslServerPurpose(c: ChainCert, requireCa: boolean): boolean {
  const f = c.facts;
  if (xkuReject(f, XKU.sslServer | XKU.sgc)) return false;
  if (requireCa) {
    // check_ssl_ca(): a CA per X509_check_ca, and a Netscape-typed CA must be an SSL CA.
    const ca = checkCa(c);
    if (ca === 0) return false;
    return ca !== 5 || (f.nscert! & NS.sslCa) !== 0;
  }
  if (nsReject(f, NS.sslServer)) return false;
  if (kuReject(f, KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement)) return false;
  return true;
}

/**
 * check_curve(): 1 fine, 0 an EC key given by explicit parameters (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS),
 * -1 when OpenSSL cannot decode the key (X509_V_ERR_UNSPECIFIED).
 */
function checkCurve(c: ChainCert): -1 | 0 | 1 {
  if (!publicKeyOf(c)) return -1;
  if (c.keyType !== 'ec') return 1;
  const params = c.facts.spkiParams;
  // ECParameters ::= CHOICE { namedCurve OID, implicitCurve NULL, specifiedCurve SEQUENCE }
  return params && params[0] === 0x30 ? 0 : 1;
}

export function checkExtensions(ctx: VerifyContext): void {
  const num = ctx.chain.length;
  let mustBeCa = -1;
  let plen = 0;
  let proxyPathLength = 0;
  for (let i = 0; i < num; i++) {
    const x = ctx.chain[i];
    const f = x.facts;
    if (f.unhandledCritical) report(ctx, V.UNHANDLED_CRITICAL_EXTENSION, i, x);
    // X509_V_FLAG_ALLOW_PROXY_CERTS is never set by nginx.
    if (f.proxy) report(ctx, V.PROXY_CERTIFICATES_NOT_ALLOWED, i, x);
    const ret = checkCa(x);
    if (mustBeCa === 0) {
      if (ret !== 0) report(ctx, V.INVALID_NON_CA, i, x);
    } else if (mustBeCa > 0) {
      // "X509_V_FLAG_X509_STRICT is implicit for intermediate CAs": below the top, only a real
      // basicConstraints CA (ret 1) qualifies.
      if (ret === 0 || (i + 1 < num && ret !== 1)) report(ctx, V.INVALID_CA, i, x);
    }
    if (num > 1) {
      const curve = checkCurve(x);
      if (curve < 0) report(ctx, V.UNSPECIFIED, i, x);
      else if (curve === 0) report(ctx, V.EC_KEY_EXPLICIT_PARAMS, i, x);
    }
    // check_purpose(): trust-store certificates carry no auxiliary trust (PEM "CERTIFICATE"), so
    // X509_check_trust(..., X509_TRUST_NO_SS_COMPAT) is UNTRUSTED and X509_check_purpose decides;
    // its -1 (EXFLAG_INVALID) counts as success outside strict mode.
    if (!x.invalid && !sslServerPurpose(x, mustBeCa > 0)) report(ctx, V.INVALID_PURPOSE, i, x);
    if (i > 1 && f.pathLen !== -1 && plen > f.pathLen + proxyPathLength) report(ctx, V.PATH_LENGTH_EXCEEDED, i, x);
    if (i > 0 && !f.selfIssued) plen++;
    // A proxy certificate (RFC 3820) must be followed by another proxy or an end-entity certificate.
    if (f.proxy) {
      if (f.proxyPathLen !== -1) {
        if (proxyPathLength > f.proxyPathLen) report(ctx, V.PROXY_PATH_LENGTH_EXCEEDED, i, x);
        proxyPathLength = f.proxyPathLen;
      }
      proxyPathLength++;
      mustBeCa = 0;
    } else {
      mustBeCa = 1;
    }
  }
}
