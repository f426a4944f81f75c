/**
 * Issuer relations, memoised per (issuer, subject) pair.
 *
 * - `likelyIssued` is build_chain's check_issued(): ossl_x509_likely_issued() in OpenSSL 3.0 (v3_purp.c):
 *   issuer's subject == subject's issuer (X509_NAME_cmp), both certificates free of EXFLAG_INVALID, the
 *   subject's AKID matches the issuer (X509_check_akid) and the subject's signature algorithm fits the issuer
 *   key (check_sig_alg_match). Unlike X509_check_issued() (node's `checkIssued`), it does NOT look at the
 *   issuer's keyUsage: chain building accepts an issuer without keyCertSign, internal_verify reports it
 *   later (X509_V_ERR_KEYUSAGE_NO_CERTSIGN). test/chain/issuer.test.ts checks that both agree wherever the
 *   keyUsage allows signing.
 * - `signatureValid` is X509_verify(subject, issuer key) through node:crypto, i.e. OpenSSL itself.
 */
import type { KeyObject } from 'node:crypto';
import { akidMatches, sigAlgMatchesKey } from '../certs/x509-facts.js';
import { namesEqual } from '../certs/name.js';
import type { ChainCert } from './chain-cert.js';

const issuedMemo = new WeakMap<object, Map<string, boolean>>();
const signatureMemo = new WeakMap<object, Map<string, boolean>>();
const keyMemo = new WeakMap<object, KeyObject | null>();

function memo(table: WeakMap<object, Map<string, boolean>>, issuer: ChainCert, subject: ChainCert, f: () => boolean): boolean {
  let inner = table.get(issuer.cert);
  if (!inner) {
    inner = new Map();
    table.set(issuer.cert, inner);
  }
  let v = inner.get(subject.cert.sha256);
  if (v === undefined) {
    v = f();
    inner.set(subject.cert.sha256, v);
  }
  return v;
}

export function likelyIssued(subject: ChainCert, issuer: ChainCert): boolean {
  // Cheap name test first: most candidates in a bundle fail here.
  if (!namesEqual(issuer.facts.subject, subject.facts.issuer)) return false;
  return memo(issuedMemo, issuer, subject, () => {
    if (issuer.invalid || subject.invalid) return false;
    if (!akidMatches(issuer.facts, subject.facts.akid)) return false;
    return sigAlgMatchesKey(issuer.keyType, subject.facts.tbsSignatureOid);
  });
}

/** X509_get0_pubkey(x): the public key, or undefined when OpenSSL cannot decode it. */
export function publicKeyOf(c: ChainCert): KeyObject | undefined {
  let k = keyMemo.get(c.cert);
  if (k === undefined) {
    try {
      k = c.cert.native.publicKey;
    } catch {
      k = null;
    }
    keyMemo.set(c.cert, k);
  }
  return k ?? undefined;
}

export function signatureValid(subject: ChainCert, issuer: ChainCert): boolean {
  return memo(signatureMemo, issuer, subject, () => {
    const key = publicKeyOf(issuer);
    if (!key) return false;
    try {
      return subject.cert.native.verify(key);
    } catch {
      return false;
    }
  });
}
