/**
 * build_chain's check_issued (ossl_x509_likely_issued) is implemented in src/chain/issuer.ts on our parsed
 * facts; OpenSSL's X509_check_issued (node's `checkIssued`) adds only the issuer keyUsage test. Both must
 * agree on every pair where the keyUsage allows certificate signing — over all x509-limbo certificates when
 * the suite is present (names in every string type, AKID variants, mismatched algorithms), and on generated
 * certificates otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { parseCertificate } from '../../src/certs/parse.js';
import { toChainCert } from '../../src/chain/chain-cert.js';
import { likelyIssued } from '../../src/chain/issuer.js';
import { standardChain, issue, x509 } from './helpers/make-pki.js';

const here = dirname(fileURLToPath(import.meta.url));
const limboPath = process.env.LIMBO_JSON_GZ ?? resolve(here, '../../../shared/limbo/limbo.json.gz');

function compare(subject: Cert, issuer: Cert): { ours: boolean; openssl: boolean } | undefined {
  // X509_check_issued also runs ossl_x509_signing_allowed(): skip pairs where keyUsage forbids signing.
  if (issuer.keyUsage && !issuer.keyUsage.includes('keyCertSign')) return undefined;
  const ours = likelyIssued(toChainCert(subject, 'sent'), toChainCert(issuer, 'bundle'));
  return { ours, openssl: subject.native.checkIssued(issuer.native) };
}

describe('check_issued agrees with OpenSSL X509_check_issued', () => {
  it('on generated chains, including a keyUsage without keyCertSign', async () => {
    const { root, inter, leaf } = await standardChain();
    const expected = [true, true, true, false, false];
    const pairs = [[leaf, inter], [inter, root], [root, root], [leaf, root], [root, inter]] as const;
    pairs.forEach(([s, i], k) => {
      const r = compare(s.cert, i.cert)!;
      expect(r).toEqual({ ours: expected[k], openssl: expected[k] });
    });
    const noSign = await issue({ subject: 'CN=No Sign CA', ca: true, keyUsage: x509.KeyUsageFlags.digitalSignature });
    const child = await issue({ subject: 'CN=child', issuer: { cert: noSign.x, keys: noSign.keys } });
    // Chain building accepts it (OpenSSL reports 32 later in internal_verify); X509_check_issued does not.
    expect(likelyIssued(toChainCert(child.cert, 'sent'), toChainCert(noSign.cert, 'bundle'))).toBe(true);
    expect(child.cert.native.checkIssued(noSign.cert.native)).toBe(false);
  });

  it.skipIf(!existsSync(limboPath))('on every same-case pair of x509-limbo certificates', () => {
    const suite = JSON.parse(gunzipSync(readFileSync(limboPath)).toString('utf8')) as {
      testcases: { id: string; trusted_certs: string[]; untrusted_intermediates: string[]; peer_certificate: string }[];
    };
    let pairs = 0;
    const mismatches: string[] = [];
    // Names and AKIDs are exercised by the rfc5280/webpki/pathological cases and the BetterTLS path-building
    // ones; the 9,000 name-constraint cases repeat one shape, so every 20th is enough.
    const cases = suite.testcases.filter((c, i) => !c.id.startsWith('bettertls::nameconstraints') || i % 20 === 0);
    for (const tc of cases) {
      const certs: Cert[] = [];
      for (const pem of [tc.peer_certificate, ...tc.untrusted_intermediates, ...tc.trusted_certs]) {
        for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
          try {
            certs.push(parseCertificate(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'))));
          } catch {
            // parse failures are the limbo test's business
          }
        }
      }
      for (const s of certs) {
        for (const i of certs) {
          const r = compare(s, i);
          if (!r) continue;
          pairs++;
          if (r.ours !== r.openssl) mismatches.push(`${tc.id}: ${s.subject} <- ${i.subject}: ours ${r.ours}, OpenSSL ${r.openssl}`);
        }
      }
    }
    console.log(`check_issued: ${pairs} certificate pairs compared with X509_check_issued, ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(pairs).toBeGreaterThan(1000);
  });
});
