/**
 * internal_verify() and ossl_x509_check_cert_time() of OpenSSL 3.0 (crypto/x509/x509_vfy.c): signatures
 * from the top of the chain down, and validity periods of every certificate including the trust anchor.
 *
 * - A self-issued top certificate is its own issuer and its self-signature is not checked
 *   (X509_V_FLAG_CHECK_SS_SIGNATURE is off). When the top is not self-issued (an incomplete chain) the walk
 *   starts one below it; a lone leaf without issuer is reported as X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
 *   (21). Issuer keyUsage without keyCertSign is reported here (32), not during chain building.
 * - Times: X509_cmp_time() is "<=": valid while notBefore <= t and t < notAfter. At exactly notAfter the
 *   certificate has expired (test/chain/verify-openssl.test.ts checks this against `openssl verify`).
 */
import { KU } from '../certs/x509-facts.js';
import { cmpTime, kuReject, type ChainCert } from './chain-cert.js';
import { V } from './error-text.js';
import { likelyIssued, publicKeyOf, signatureValid } from './issuer.js';
import { report, type VerifyContext } from './verify-context.js';

/** ossl_x509_check_cert_time(ctx, x, depth) with reporting. */
export function checkCertTime(ctx: VerifyContext, x: ChainCert, depth: number): void {
  let i = cmpTime(x.facts.notBefore, ctx.at);
  if (i === 0) report(ctx, V.ERROR_IN_CERT_NOT_BEFORE_FIELD, depth, x);
  if (i > 0) report(ctx, V.CERT_NOT_YET_VALID, depth, x);
  i = cmpTime(x.facts.notAfter, ctx.at);
  if (i === 0) report(ctx, V.ERROR_IN_CERT_NOT_AFTER_FIELD, depth, x);
  if (i < 0) report(ctx, V.CERT_HAS_EXPIRED, depth, x);
}

/** ossl_x509_signing_allowed(issuer, subject). */
function signingAllowed(issuer: ChainCert, subject: ChainCert): number {
  if (subject.facts.proxy) {
    return kuReject(issuer.facts, KU.digitalSignature) ? V.KEYUSAGE_NO_DIGITAL_SIGNATURE : V.OK;
  }
  return kuReject(issuer.facts, KU.keyCertSign) ? V.KEYUSAGE_NO_CERTSIGN : V.OK;
}

export function internalVerify(ctx: VerifyContext): void {
  let n = ctx.chain.length - 1;
  let xi = ctx.chain[n];
  let xs = xi;
  if (!likelyIssued(xi, xi)) {
    // The top is not self-issued (an incomplete chain): start with the certificate below it.
    if (n > 0) {
      n--;
      xs = ctx.chain[n];
    } else {
      report(ctx, V.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0, xi);
    }
  }
  while (n >= 0) {
    if (xs !== xi) {
      const issuerDepth = n + 1;
      const ret = signingAllowed(xi, xs);
      if (ret !== V.OK) report(ctx, ret, issuerDepth, xi);
      if (!publicKeyOf(xi)) report(ctx, V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, issuerDepth, xi);
      else if (!signatureValid(xs, xi)) report(ctx, V.CERT_SIGNATURE_FAILURE, n, xs);
    }
    checkCertTime(ctx, xs, n);
    if (--n >= 0) {
      xi = xs;
      xs = ctx.chain[n];
    }
  }
}
