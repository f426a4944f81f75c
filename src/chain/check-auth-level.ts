/**
 * Security-level checks of OpenSSL 3.0 (crypto/x509/x509_vfy.c): check_key_level() for public keys and
 * check_sig_level() for signature digests, against minbits_table = {80, 112, 128, 192, 256} indexed by
 * the auth level (nginx: the SSL security level, 2 on Debian/Ubuntu; `openssl verify -auth_level`).
 */
import type { ChainCert } from './chain-cert.js';
import { V } from './error-text.js';
import { publicKeyOf } from './issuer.js';
import { report, type VerifyContext } from './verify-context.js';

const MINBITS = [80, 112, 128, 192, 256];

function minBits(level: number): number {
  return MINBITS[Math.min(level, MINBITS.length) - 1];
}

/** check_cert_key_level(): an undecodable key is "not secure". */
export function keyLevelOk(c: ChainCert, level: number): boolean {
  if (level <= 0) return true;
  if (!publicKeyOf(c)) return false;
  return c.cert.publicKey.securityBits >= minBits(level);
}

/** check_sig_level(): X509_get_signature_info's security bits (0 when OpenSSL cannot tell). */
export function sigLevelOk(c: ChainCert, level: number): boolean {
  if (level <= 0) return true;
  return c.cert.signature.securityBits >= minBits(level);
}

/**
 * check_auth_level(): CA keys (the leaf key was checked before chain building: X509_V_ERR_EE_KEY_TOO_SMALL)
 * and the signature digest of every certificate except the top of the chain (the trust anchor's
 * self-signature is never relied on).
 */
export function checkAuthLevel(ctx: VerifyContext): void {
  if (ctx.authLevel <= 0) return;
  const num = ctx.chain.length;
  for (let i = 0; i < num; i++) {
    const c = ctx.chain[i];
    if (i > 0 && !keyLevelOk(c, ctx.authLevel)) report(ctx, V.CA_KEY_TOO_SMALL, i, c);
    if (i < num - 1 && !sigLevelOk(c, ctx.authLevel)) report(ctx, V.CA_MD_TOO_WEAK, i, c);
  }
}
