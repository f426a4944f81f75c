/**
 * The mutable state of one verification, mirroring X509_STORE_CTX: the chain being built, how many of its
 * certificates are untrusted, the sticky `error`, and the verify callback. nginx's callback
 * (ngx_ssl_verify_callback) always returns 1, so every report is recorded and verification carries on.
 */
import type { VerifyError } from './types.js';
import type { ChainCert } from './chain-cert.js';
import type { TrustStore } from './trust-store.js';
import { errorText } from './error-text.js';

export interface VerifyContext {
  chain: ChainCert[];
  /** ctx->num_untrusted. */
  numUntrusted: number;
  /** ctx->error: the last error reported (sticky). */
  error: number;
  errors: VerifyError[];
  store: TrustStore;
  /** The untrusted certificates: what the peer sent (leaf included, as with TLS) then the extra ones. */
  untrusted: ChainCert[];
  /** Check time in whole seconds (X509_VERIFY_PARAM_set_time). */
  at: number;
  /** X509_VERIFY_PARAM depth (intermediates allowed). */
  depth: number;
  authLevel: number;
  hostname?: string;
  /** build_chain ended on a trust anchor (X509_TRUST_TRUSTED). */
  anchored: boolean;
}

/** verify_cb_cert(ctx, x, depth, err) with a callback that returns 1. */
export function report(ctx: VerifyContext, code: number, depth: number, cert?: ChainCert): void {
  ctx.error = code;
  const c = cert ?? ctx.chain[depth];
  const e: VerifyError = { code, text: errorText(code), depth };
  if (c) e.certSha256 = c.cert.sha256;
  ctx.errors.push(e);
}
