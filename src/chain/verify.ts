/**
 * verifyChain: a pure re-implementation of OpenSSL 3.0's X509_verify_cert() as nginx configures it for
 * upstreams (`proxy_ssl_verify on`, ngx_ssl_verify_callback returning 1) and as
 * `openssl verify -purpose sslserver -auth_level <level> -verify_depth <depth> [-verify_hostname <name>]`
 * runs it. Order of x509_vfy.c's x509_verify_x509 → verify_chain:
 *
 *   EE key level → build_chain → check_extensions → check_auth_level → check_id → (key parameters)
 *   → internal_verify → check_name_constraints.
 *
 * Revocation, Suite B, RFC 3779 and policy checks are off in that configuration. Every error the callback
 * sees is recorded in order; nginx logs the last one.
 */
import { hostMatches } from '../certs/host-match.js';
import { toChainCert } from './chain-cert.js';
import { MAX_CHAIN, buildChain } from './build-chain.js';
import { checkAuthLevel, keyLevelOk } from './check-auth-level.js';
import { checkExtensions } from './check-extensions.js';
import { V } from './error-text.js';
import { internalVerify } from './internal-verify.js';
import { publicKeyOf } from './issuer.js';
import { checkNameConstraints } from './name-constraints.js';
import { trustStoreOf } from './trust-store.js';
import type { PathEntry, VerifyParams, VerifyResult } from './types.js';
import { report, type VerifyContext } from './verify-context.js';

/** X509_VERIFY_PARAM depth from VerifyParams.depth. */
function verifyDepth(depth: number): number {
  return Math.max(0, Math.floor(depth));
}

/**
 * True when a verification whose built path has `pathLength` certificates never reached `depth`: build_chain
 * consults the depth only to stop looking for issuers once the chain is longer than depth + 1 and then to report
 * X509_V_ERR_CERT_CHAIN_TOO_LONG. Two verifications of the same inputs whose depths were both not reached are
 * the same verification, so the second need not run (diagnose() asks at nginx's depth and "unbounded").
 */
export function depthNotReached(pathLength: number, depth: number): boolean {
  return pathLength <= Math.min(verifyDepth(depth), MAX_CHAIN) + 1;
}

export function verifyChain(params: VerifyParams): VerifyResult {
  if (params.sent.length === 0) throw new TypeError('verifyChain: `sent` must hold at least the leaf certificate');
  const sent = params.sent.map((c, i) => toChainCert(c, 'sent', i));
  const extra = (params.untrusted ?? []).map((u) => toChainCert(u.cert, u.source));
  const leaf = sent[0];
  const ctx: VerifyContext = {
    chain: [leaf],
    numUntrusted: 1,
    error: V.OK,
    errors: [],
    store: trustStoreOf(params.trusted),
    untrusted: [...sent, ...extra],
    at: Math.floor(params.at.getTime() / 1000),
    depth: verifyDepth(params.depth),
    authLevel: params.seclevel,
    anchored: false,
  };
  if (params.hostname !== undefined) ctx.hostname = params.hostname;

  let hostnameMatched: boolean | undefined;
  const run = (): void => {
    // "If the peer's public key is too weak, we can stop early" (the callback says carry on).
    if (!keyLevelOk(leaf, ctx.authLevel)) report(ctx, V.EE_KEY_TOO_SMALL, 0, leaf);
    if (!buildChain(ctx)) return;
    checkExtensions(ctx);
    checkAuthLevel(ctx);
    // check_id(): X509_check_host(leaf, name, 0, hostflags = 0) — node's checkHost with default options.
    // An empty name clears the host list (X509_VERIFY_PARAM_set1_host): no check at all.
    if (params.hostname !== undefined && params.hostname !== '') {
      hostnameMatched = checkHost(leaf.cert, params.hostname);
      if (!hostnameMatched) report(ctx, V.HOSTNAME_MISMATCH, 0, leaf);
    }
    // X509_get_pubkey_parameters(NULL, chain) fails when the leaf key cannot be decoded: internal error.
    if (!publicKeyOf(leaf)) {
      if (ctx.error === V.OK) report(ctx, V.UNSPECIFIED, 0, leaf);
      return;
    }
    internalVerify(ctx);
    checkNameConstraints(ctx);
  };
  run();

  const path: PathEntry[] = ctx.chain.map((n) => {
    const e: PathEntry = { cert: n.cert, source: n.source };
    if (n.sentIndex !== undefined) e.sentIndex = n.sentIndex;
    return e;
  });
  const result: VerifyResult = {
    ok: ctx.errors.length === 0,
    path,
    anchored: ctx.anchored,
    errors: ctx.errors,
    lastError: ctx.errors.length > 0 ? ctx.errors[ctx.errors.length - 1].code : 0,
  };
  if (hostnameMatched !== undefined) result.hostnameMatched = hostnameMatched;
  return result;
}

function checkHost(cert: { readonly native: { checkHost(name: string): string | undefined } }, name: string): boolean {
  // X509_VERIFY_PARAM_set1_host refuses embedded NULs; a trailing NUL is dropped.
  const n = name.endsWith('\0') ? name.slice(0, -1) : name;
  if (n.includes('\0')) return false;
  return hostMatches(cert, n);
}
