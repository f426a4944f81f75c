/**
 * The trust store as X509_STORE holds a CAfile: certificates indexed by subject name (canonical encoding),
 * in file order within one name. X509_STORE_CTX_get1_issuer() (x509_vfy.c, OpenSSL 3.0) walks the
 * certificates whose subject equals the issuer name of the certificate at hand and returns the first one
 * accepted by check_issued() and valid at the verification time, else the accepted one with the latest
 * notAfter (the first of equals).
 *
 * Indexing reads each certificate's subject Name only (subjectCanonOf: a bundle read lazily, src/certs/lazy-cert.ts,
 * is not parsed further); a certificate becomes a ChainCert, with everything that needs, when it is a candidate.
 */
import type { Cert } from '../certs/cert.js';
import { subjectCanonOf } from '../certs/x509-facts.js';
import { toChainCert, timeValid, type ChainCert } from './chain-cert.js';
import { likelyIssued } from './issuer.js';

export interface TrustStore {
  byName: Map<string, Cert[]>;
  /** The ChainCert of each certificate looked at so far. */
  nodes: WeakMap<Cert, ChainCert>;
}

const storeMemo = new WeakMap<readonly Cert[], TrustStore>();

const keyMemo = new WeakMap<Uint8Array, string>();

function key(canon: Uint8Array): string {
  let k = keyMemo.get(canon);
  if (k === undefined) {
    k = Buffer.from(canon.buffer, canon.byteOffset, canon.byteLength).toString('latin1');
    keyMemo.set(canon, k);
  }
  return k;
}

/** Indexes `trusted` once per array (parse once, index once: a 150-certificate bundle is reused across calls). */
export function trustStoreOf(trusted: readonly Cert[]): TrustStore {
  let s = storeMemo.get(trusted);
  if (s) return s;
  s = { byName: new Map(), nodes: new WeakMap() };
  const seen = new Set<string>();
  for (const cert of trusted) {
    // X509_STORE_add_cert ignores a certificate already present (X509_OBJECT_retrieve_match). The SHA-256 of a
    // lazily read certificate needs no parse (lazy-cert.ts), and the diagnosis reads it anyway.
    if (seen.has(cert.sha256)) continue;
    seen.add(cert.sha256);
    const k = key(subjectCanonOf(cert).canon);
    const list = s.byName.get(k);
    if (list) list.push(cert);
    else s.byName.set(k, [cert]);
  }
  storeMemo.set(trusted, s);
  return s;
}

function nodeOf(store: TrustStore, cert: Cert): ChainCert {
  let node = store.nodes.get(cert);
  if (!node) {
    node = toChainCert(cert, 'bundle');
    store.nodes.set(cert, node);
  }
  return node;
}

/** X509_STORE_CTX_get1_issuer(): the trusted issuer of `x`, or undefined. */
export function trustedIssuer(store: TrustStore, x: ChainCert, atSeconds: number): ChainCert | undefined {
  if (!x.facts.issuer.canonOk) return undefined;
  const candidates = store.byName.get(key(x.facts.issuer.canon));
  if (!candidates) return undefined;
  let best: ChainCert | undefined;
  for (const cert of candidates) {
    const c = nodeOf(store, cert);
    if (!likelyIssued(x, c)) continue;
    if (timeValid(c, atSeconds)) return c;
    if (!best || c.facts.notAfter.date.getTime() > best.facts.notAfter.date.getTime()) best = c;
  }
  return best;
}
