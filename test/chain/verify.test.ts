/**
 * Unit tests of verifyChain's contract: every error recorded in OpenSSL's order with its exact text, depth and
 * certificate; the last one is what nginx logs; purity and hostile inputs.
 */
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { verifyChain } from '../../src/chain/verify.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { NOW, issue, standardChain } from './helpers/make-pki.js';
import { bool, ext, int, octet, rawCert, seq } from '../certs/helpers/raw-cert.js';

const DAY = 86_400_000;

describe('verifyChain: the error list a continue-always callback sees', () => {
  it('records every error in OpenSSL order; lastError is the last (NGINX.md: an expired leaf hides the missing issuer)', async () => {
    const { root, leaf } = await standardChain({ leaf: { notAfter: new Date(NOW.getTime() - DAY) } });
    const r = verifyChain({ sent: [leaf.cert], trusted: [root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      { code: 20, text: 'unable to get local issuer certificate', depth: 0, certSha256: leaf.cert.sha256 },
      { code: 21, text: 'unable to verify the first certificate', depth: 0, certSha256: leaf.cert.sha256 },
      { code: 10, text: 'certificate has expired', depth: 0, certSha256: leaf.cert.sha256 },
    ]);
    expect(r.lastError).toBe(10);
    expect(r.anchored).toBe(false);
    expect(r.path.map((p) => p.cert.sha256)).toEqual([leaf.cert.sha256]);
  });

  it('reports a weak leaf key twice when the chain is also incomplete ("a preliminary error has become final")', async () => {
    // Measured with `openssl s_client` (3.0.22), whose callback also continues: 66, 66, 21.
    const { root, leaf } = await standardChain({ leaf: { key: 'rsa1024' } });
    const r = verifyChain({ sent: [leaf.cert], trusted: [root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(r.errors.map((e) => e.code)).toEqual([66, 66, 21]);
  });

  it('security level 0 and 1 relax key and digest checks as OpenSSL does', async () => {
    const { root, inter, leaf } = await standardChain({ leaf: { key: 'rsa1024' } });
    const base = { sent: [leaf.cert, inter.cert], trusted: [root.cert], at: NOW, depth: 1 };
    expect(verifyChain({ ...base, seclevel: 2 }).lastError).toBe(66);
    expect(verifyChain({ ...base, seclevel: 1 }).ok).toBe(true);
    expect(verifyChain({ ...base, seclevel: 0 }).ok).toBe(true);
    const sha1 = await standardChain({ leaf: { hash: 'SHA-1' } });
    // SHA-1 rates 63 bits: rejected from level 1 (80 bits) up since OpenSSL 3.0.
    expect(verifyChain({ ...base, sent: [sha1.leaf.cert, sha1.inter.cert], trusted: [sha1.root.cert], seclevel: 1 }).lastError).toBe(68);
  });

  it('is pure: the same inputs give the same result, time comes from `at` only', async () => {
    const { root, inter, leaf } = await standardChain();
    const p = { sent: [leaf.cert, inter.cert], trusted: [root.cert], depth: 1, seclevel: 2 };
    const later = new Date(NOW.getTime() + 400 * DAY);
    expect(verifyChain({ ...p, at: NOW })).toEqual(verifyChain({ ...p, at: NOW }));
    expect(verifyChain({ ...p, at: later }).errors.map((e) => e.code)).toEqual([10, 10, 10]);
  });

  it('uses extra untrusted certificates (AIA or pool) and says where each path element came from', async () => {
    const { root, inter, leaf } = await standardChain();
    const r = verifyChain({ sent: [leaf.cert], untrusted: [{ cert: inter.cert, source: 'fetched' }], trusted: [root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(r.ok).toBe(true);
    expect(r.path.map((p) => [p.source, p.sentIndex])).toEqual([
      ['sent', 0],
      ['fetched', undefined],
      ['bundle', undefined],
    ]);
  });

  it('prefers an issuer valid at the time among several candidates (find_issuer)', async () => {
    const root = await issue({ subject: 'CN=Test Root', ca: true });
    const keys = (await issue({ subject: 'CN=I', ca: true, issuer: { cert: root.x, keys: root.keys } })).keys;
    const expiredInter = await issue({ subject: 'CN=I', ca: true, keys, issuer: { cert: root.x, keys: root.keys }, notAfter: new Date(NOW.getTime() - DAY) });
    const goodInter = await issue({ subject: 'CN=I', ca: true, keys, issuer: { cert: root.x, keys: root.keys } });
    const leaf = await issue({ subject: 'CN=host.test', issuer: { cert: goodInter.x, keys } });
    const r = verifyChain({ sent: [leaf.cert, expiredInter.cert, goodInter.cert], trusted: [root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(r.ok).toBe(true);
    expect(r.path[1].cert.sha256).toBe(goodInter.cert.sha256);
  });
});

describe('verifyChain: hostile input stays bounded', () => {
  it('two CAs issuing each other in a loop terminate (sent, and in the trust store)', async () => {
    const aKeys = (await issue({ subject: 'CN=Loop A', ca: true })).keys;
    const bKeys = (await issue({ subject: 'CN=Loop B', ca: true })).keys;
    const aSelf = await issue({ subject: 'CN=Loop A', ca: true, keys: aKeys });
    const bSelf = await issue({ subject: 'CN=Loop B', ca: true, keys: bKeys });
    const aByB = await issue({ subject: 'CN=Loop A', ca: true, keys: aKeys, issuer: { cert: bSelf.x, keys: bKeys }, noKeyIds: true });
    const bByA = await issue({ subject: 'CN=Loop B', ca: true, keys: bKeys, issuer: { cert: aSelf.x, keys: aKeys }, noKeyIds: true });
    const leaf = await issue({ subject: 'CN=host.test', issuer: { cert: aSelf.x, keys: aKeys }, noKeyIds: true });
    const unrelated = await issue({ subject: 'CN=Unrelated', ca: true });
    const sent = verifyChain({ sent: [leaf.cert, aByB.cert, bByA.cert], trusted: [unrelated.cert], at: NOW, depth: 100, seclevel: 2 });
    expect(sent.ok).toBe(false);
    expect(sent.path.length).toBeLessThanOrEqual(3);
    const stored = verifyChain({ sent: [leaf.cert], trusted: [aByB.cert, bByA.cert], at: NOW, depth: 10, seclevel: 2 });
    // Trust-store lookups do not suppress duplicates (get1_trusted_issuer): the loop runs to depth + 2.
    expect(stored.path.length).toBe(12);
    expect(stored.errors.map((e) => e.code)).toEqual([22, 2]);
    const huge = verifyChain({ sent: [leaf.cert], trusted: [aByB.cert, bByA.cert], at: NOW, depth: 1e9, seclevel: 2 });
    expect(huge.ok).toBe(false);
  }, 60_000);

  it('thousands of same-name certificates in a bundle', async () => {
    const { root, inter, leaf } = await standardChain();
    // Same subject as the real root, another key and SKI: check_issued fails on the AKID for each of them.
    const rootName = Buffer.from(root.cert.subjectDer, 'hex');
    const decoys: Cert[] = [];
    for (let i = 0; i < 3000; i++) {
      const ski = ext('2.5.29.14', octet(Uint8Array.of(0x04, 0x02, i >> 8, i & 0xff).subarray(2)));
      const bc = ext('2.5.29.19', seq(bool(true)), true);
      decoys.push(parseCertificate(rawCert({ subject: rootName, serial: int(0x10, i >> 8, i & 0xff), extensions: [bc, ski] })));
    }
    const r = verifyChain({ sent: [leaf.cert, inter.cert], trusted: [...decoys, root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(r.ok).toBe(true);
    // The same decoys sent by the server as "intermediates".
    const sent = verifyChain({ sent: [leaf.cert, ...decoys, inter.cert], trusted: [root.cert], at: NOW, depth: 1, seclevel: 2 });
    expect(sent.ok).toBe(true);
    expect(sent.path.map((p) => p.sentIndex)).toEqual([0, decoys.length + 1, undefined]);
  }, 120_000);
});
