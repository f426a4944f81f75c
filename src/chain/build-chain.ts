/**
 * build_chain() of OpenSSL 3.0 (crypto/x509/x509_vfy.c), as configured by nginx and `openssl verify`:
 * trusted-first (X509_V_FLAG_TRUSTED_FIRST is the default), no DANE, no partial chains, no alternate-chain
 * search (only reachable when trusted-first is off), trust settings as for PEM certificates without
 * auxiliary trust: a trust-store certificate anchors the chain only when it is self-signed (EXFLAG_SS,
 * via X509_check_trust → trust_compat).
 *
 * Depth: max_depth = depth + 1. No issuer is looked up for a chain already longer than max_depth, so a
 * chain may end with depth + 2 certificates; an untrusted chain that long is reported as
 * X509_V_ERR_CERT_CHAIN_TOO_LONG (22) and then, the callback having returned 1, with the usual 2/19/20
 * code as well: nginx logs the latter (NGINX.md: "never 22").
 */
import { selfSigned0, timeValid, type ChainCert } from './chain-cert.js';
import { V } from './error-text.js';
import { likelyIssued } from './issuer.js';
import { trustedIssuer } from './trust-store.js';
import { report, type VerifyContext } from './verify-context.js';

/** Longest chain we build, whatever the configured depth (nginx configs use single digits). */
export const MAX_CHAIN = 1000;

const enum Trust {
  TRUSTED = 1,
  UNTRUSTED = 3,
}

/** X509_check_trust(x, X509_TRUST_SSL_SERVER, 0) for a certificate without auxiliary trust settings. */
function trusted(c: ChainCert): boolean {
  return !c.invalid && c.ss;
}

/** check_trust(ctx, num_untrusted): any certificate from index `from` up is a trust anchor. */
function checkTrust(ctx: VerifyContext, from: number): Trust {
  for (let i = from; i < ctx.chain.length; i++) if (trusted(ctx.chain[i])) return Trust.TRUSTED;
  return Trust.UNTRUSTED;
}

/**
 * find_issuer(ctx, sk_untrusted, x) / get0_best_issuer_sk(..., no_dup=1): the first candidate accepted by
 * check_issued and currently valid, else the accepted one with the latest notAfter. A candidate already in
 * the chain is skipped, except that a self-issued leaf may be its own issuer while the chain is one long.
 */
function findUntrustedIssuer(ctx: VerifyContext, pool: ChainCert[], x: ChainCert): ChainCert | undefined {
  let best: ChainCert | undefined;
  const leafException = x.facts.selfIssued && ctx.chain.length === 1;
  let inChain: Set<string> | undefined;
  for (const c of pool) {
    if (!likelyIssued(x, c)) continue;
    inChain ??= new Set(ctx.chain.map((n) => n.cert.sha256));
    if (!leafException && inChain.has(c.cert.sha256)) continue;
    if (timeValid(c, ctx.at)) return c;
    if (!best || c.facts.notAfter.date.getTime() > best.facts.notAfter.date.getTime()) best = c;
  }
  return best;
}

/** Returns false when verification must stop (only for the "callback already issued" time errors). */
export function buildChain(ctx: VerifyContext): boolean {
  const S_DOUNTRUSTED = 1;
  const S_DOTRUSTED = 2;
  // ctx->untrusted is non-NULL for TLS (the peer chain) and for `openssl verify` with -untrusted; with an
  // empty stack the untrusted search simply finds nothing.
  let search = S_DOUNTRUSTED | S_DOTRUSTED;
  const mayTrusted = true;
  let trust: Trust = Trust.UNTRUSTED;
  const pool = ctx.untrusted.slice();
  // OpenSSL clamps the depth to INT_MAX / 2; we stop at MAX_CHAIN instead, so that two trust-store CAs
  // issuing each other (get1_trusted_issuer does not suppress duplicates) cannot grow the chain without
  // bound under an absurd depth. Below that cap the result is OpenSSL's; above it, same codes (22, then 2).
  const maxDepth = Math.min(ctx.depth, MAX_CHAIN) + 1;

  while (search !== 0) {
    let num = ctx.chain.length;
    if (search & S_DOTRUSTED) {
      const curr = ctx.chain[num - 1];
      // get1_trusted_issuer() is consulted even for a self-signed certificate.
      const issuer = num > maxDepth ? undefined : trustedIssuer(ctx.store, curr, ctx.at);
      let ok = issuer !== undefined;
      if (issuer) {
        let selfSigned = selfSigned0(curr);
        if (!selfSigned) {
          // Grow the chain by the trusted issuer.
          ctx.chain.push(issuer);
          selfSigned = selfSigned0(issuer);
        } else if (curr.cert.sha256 !== issuer.cert.sha256) {
          // Self-signed untrusted mimic of a trust anchor: X509_cmp() must match exactly.
          ok = false;
        } else {
          // Replace the self-signed untrusted certificate by its trusted twin.
          ctx.numUntrusted = --num;
          ctx.chain[num] = issuer;
        }
        if (ok) {
          search &= ~S_DOUNTRUSTED;
          trust = checkTrust(ctx, num);
          if (trust !== Trust.UNTRUSTED) break;
          if (selfSigned !== 1) continue;
        }
      }
      if ((search & S_DOUNTRUSTED) === 0) {
        // No alternate chains: trusted-first is on (may_alternate = 0).
        break;
      }
    }

    if (search & S_DOUNTRUSTED) {
      num = ctx.chain.length;
      const curr = ctx.chain[num - 1];
      const issuer = selfSigned0(curr) > 0 || num > maxDepth ? undefined : findUntrustedIssuer(ctx, pool, curr);
      if (!issuer) {
        search &= ~S_DOUNTRUSTED;
        if (mayTrusted) search |= S_DOTRUSTED;
        continue;
      }
      // Drop this issuer from future consideration (sk_X509_delete_ptr: this one entry only).
      pool.splice(pool.indexOf(issuer), 1);
      ctx.chain.push(issuer);
      ctx.numUntrusted++;
    }
  }

  const num = ctx.chain.length;
  // "Last chance": direct leaf trust needs X509_V_FLAG_PARTIAL_CHAIN, which nginx does not set.
  ctx.anchored = trust === Trust.TRUSTED;
  if (ctx.anchored) return true;

  switch (ctx.error) {
    case V.ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case V.CERT_NOT_YET_VALID:
    case V.ERROR_IN_CERT_NOT_AFTER_FIELD:
    case V.CERT_HAS_EXPIRED:
      return false;
    case V.OK:
      break;
    default:
      // "A preliminary error has become final" (e.g. the EE key-size error reported before building).
      report(ctx, ctx.error, num - 1);
      return true;
  }
  if (num > maxDepth) report(ctx, V.CERT_CHAIN_TOO_LONG, num - 1);
  if (selfSigned0(ctx.chain[num - 1]) > 0) {
    report(ctx, num === 1 ? V.DEPTH_ZERO_SELF_SIGNED_CERT : V.SELF_SIGNED_CERT_IN_CHAIN, num - 1);
    return true;
  }
  report(ctx, ctx.numUntrusted < num ? V.UNABLE_TO_GET_ISSUER_CERT : V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, num - 1);
  return true;
}

