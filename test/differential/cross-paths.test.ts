/**
 * Differential, cross-signed family (separate from the generated cases): every path the search finds and every
 * realization it proves (bundle + sent order) is run through `openssl verify` (test/chain/helpers/openssl-verify.ts,
 * nginx's flags) and must verify there too; the nginx verdict of each (sent order, bundle) pair must equal OpenSSL's:
 * both roots trusted, one trusted, -untrusted in both orders.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { pathAlternatives } from '../../src/chain/path-alternatives.js';
import { verifyChain } from '../../src/chain/verify.js';
import { makeCrossPki, pemsOf, certsOf, type CrossName, type CrossPki } from '../chain/helpers/cross-pki.js';
import { NOW } from '../chain/helpers/make-pki.js';
import { opensslVerify } from '../chain/helpers/openssl-verify.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasOpenssl) console.warn('skipping cross-signed differential: no openssl CLI');

/**
 * What the server sends after the leaf, passed as `-untrusted` in that order: the two same-name intermediates in
 * both orders, and each cross-signed root after and before the intermediate below it (OpenSSL's find_issuer takes
 * the first acceptable candidate of the untrusted stack, so the order is part of the verdict).
 */
const SENT: CrossName[][] = [
  ['leaf', 'interOld', 'interNew'],
  ['leaf', 'interNew', 'interOld'],
  ['leaf', 'interOld', 'oldByNew'],
  ['leaf', 'oldByNew', 'interOld'],
  ['leaf', 'interNew', 'newByOld'],
  ['leaf', 'newByOld', 'interNew'],
];
/** One root trusted (either), both trusted (in both orders), an expired old root alone and beside the new one. */
const BUNDLES: CrossName[][] = [['newRoot'], ['oldRoot'], ['newRoot', 'oldRoot'], ['oldRoot', 'newRoot'], ['oldRootExpired'], ['oldRootExpired', 'newRoot']];

let pki: CrossPki;
const pemBySha = new Map<string, string>();
beforeAll(async () => {
  pki = await makeCrossPki(NOW, { tag: 'differential' });
  for (const v of Object.values(pki)) if (typeof v === 'object' && 'cert' in v) pemBySha.set(v.cert.sha256, v.pem);
});

describe.skipIf(!hasOpenssl)('cross-signed paths vs openssl verify', () => {
  it('nginx verdicts and every proven realization agree with OpenSSL', () => {
    let verdicts = 0;
    let accepted = 0;
    let realizations = 0;
    const disagreements: string[] = [];
    for (const sent of SENT) {
      for (const bundle of BUNDLES) {
        const depth = 2;
        const ours = verifyChain({ sent: certsOf(pki, sent), trusted: certsOf(pki, bundle), at: NOW, depth, seclevel: 2 });
        const theirs = opensslVerify({ leafPem: pki.leaf.pem, untrustedPems: [pemsOf(pki, sent.slice(1))], trustedPems: [pemsOf(pki, bundle)], at: NOW, depth });
        verdicts++;
        if (theirs.ok) accepted++;
        if (ours.ok !== theirs.ok) disagreements.push(`${sent.join(',')} / ${bundle.join(',')}: ours ${ours.ok}, openssl ${theirs.output}`);
        const alts = pathAlternatives({ sent: certsOf(pki, sent), trusted: certsOf(pki, bundle), others: [], at: NOW, depth: 1, seclevel: 2 });
        for (const v of alts.verdicts) {
          for (const r of v.realizations) {
            realizations++;
            const o = opensslVerify({
              leafPem: pki.leaf.pem,
              untrustedPems: r.sent.slice(1).map((c) => pemBySha.get(c.sha256)!),
              trustedPems: r.bundle.map((c) => pemBySha.get(c.sha256)!),
              at: NOW,
              depth: r.depth,
            });
            if (!o.ok) disagreements.push(`${r.kind} via ${v.path.map((k) => k.cert.subject).join(' > ')}: openssl ${o.output}`);
          }
        }
      }
    }
    console.log(`cross-signed differential: ${verdicts} verdicts, ${realizations} realizations, ${disagreements.length} disagreements`);
    expect(disagreements).toEqual([]);
    // Every (sent order, bundle) pair was judged, and the table holds both verdicts: it can tell them apart.
    expect(verdicts).toBe(SENT.length * BUNDLES.length);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(verdicts);
    expect(realizations).toBeGreaterThan(10);
  }, 120_000);
});
