/**
 * Differential tests: verifyChain against the real `openssl verify` (OpenSSL 3.0, the same major version as
 * nginx on Debian 12) on the core upstream pathologies of /work/shared/NGINX.md.
 *
 * For each scenario: same ok/not-ok verdict as the CLI, the CLI's printed errors are a prefix of ours (it
 * stops early, nginx's callback does not), and our last error is what NGINX.md says nginx logs.
 */
import { describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { verifyChain } from '../../src/chain/verify.js';
import type { VerifyResult } from '../../src/chain/types.js';
import { EKU_CLIENT, NOW, issue, standardChain, x509, type Issued } from './helpers/make-pki.js';
import { opensslVerify } from './helpers/openssl-verify.js';

const DAY = 86_400_000;

interface Scenario {
  sent: Issued[];
  trusted: Issued[];
  at?: Date;
  depth?: number;
  hostname?: string;
}

function both(s: Scenario): { ours: VerifyResult; cli: ReturnType<typeof opensslVerify>; codes: string[] } {
  const at = s.at ?? NOW;
  const depth = s.depth ?? 1;
  const ours = verifyChain({
    sent: s.sent.map((i) => i.cert),
    trusted: s.trusted.map((i) => i.cert) as Cert[],
    at,
    depth,
    seclevel: 2,
    hostname: s.hostname,
  });
  const cli = opensslVerify({
    leafPem: s.sent[0].pem,
    untrustedPems: s.sent.slice(1).map((i) => i.pem),
    trustedPems: s.trusted.map((i) => i.pem),
    at,
    depth,
    hostname: s.hostname,
  });
  const codes = ours.errors.map((e) => `${e.code}@${e.depth}`);
  expect(ours.ok, `ours ${codes.join(',')} vs CLI ${cli.errors.join(',')}\n${cli.output}`).toBe(cli.ok);
  expect(codes.slice(0, cli.errors.length)).toEqual(cli.errors);
  return { ours, cli, codes };
}

describe('verifyChain agrees with `openssl verify` (OpenSSL 3.0) on the nginx pathologies', () => {
  it('accepts a complete chain to a trusted root', async () => {
    const { root, inter, leaf } = await standardChain();
    const { ours } = both({ sent: [leaf, inter], trusted: [root], hostname: 'host.test' });
    expect(ours.lastError).toBe(0);
    expect(ours.anchored).toBe(true);
    expect(ours.hostnameMatched).toBe(true);
    expect(ours.path.map((p) => p.source)).toEqual(['sent', 'sent', 'bundle']);
  });

  it('leaf only, bundle has the root: 20 then 21 (nginx logs 21)', async () => {
    const { root, leaf } = await standardChain();
    const { codes, ours } = both({ sent: [leaf], trusted: [root] });
    expect(codes).toEqual(['20@0', '21@0']);
    expect(ours.lastError).toBe(21);
    expect(ours.errors[1].text).toBe('unable to verify the first certificate');
  });

  it('chain sent, its top not issued by anything in the bundle: 20', async () => {
    const { inter, leaf } = await standardChain();
    const other = await issue({ subject: 'CN=Other Root', ca: true });
    const { codes } = both({ sent: [leaf, inter], trusted: [other] });
    expect(codes).toEqual(['20@1']);
  });

  it('bundle holds the intermediate but not its root: 2', async () => {
    const { inter, leaf } = await standardChain();
    const { codes, ours } = both({ sent: [leaf], trusted: [inter] });
    expect(codes).toEqual(['2@1']);
    expect(ours.errors[0].text).toBe('unable to get issuer certificate');
  });

  it('bundle holds only the leaf (pinning): 20', async () => {
    const { inter, leaf } = await standardChain();
    const { ours } = both({ sent: [leaf, inter], trusted: [leaf] });
    expect(ours.lastError).toBe(20);
  });

  it('server sends its own root, which the bundle lacks: 19', async () => {
    const { root, inter, leaf } = await standardChain();
    const other = await issue({ subject: 'CN=Other Root', ca: true });
    const { codes } = both({ sent: [leaf, inter, root], trusted: [other], depth: 2 });
    expect(codes).toEqual(['19@2']);
  });

  it('self-signed leaf: 18, and accepted when it is in the bundle', async () => {
    const self = await issue({ subject: 'CN=host.test', dns: ['host.test'], eku: ['1.3.6.1.5.5.7.3.1'] });
    const other = await issue({ subject: 'CN=Other Root', ca: true });
    expect(both({ sent: [self], trusted: [other] }).codes).toEqual(['18@0']);
    const pinned = both({ sent: [self], trusted: [self] });
    expect(pinned.ours.ok).toBe(true);
    expect(pinned.ours.path[0].source).toBe('bundle');
    expect(self.cert.selfSigned).toBe(true);
  });

  it('expired leaf: 10; expired intermediate: 10 at depth 1', async () => {
    const a = await standardChain({ leaf: { notAfter: new Date(NOW.getTime() - DAY) } });
    expect(both({ sent: [a.leaf, a.inter], trusted: [a.root] }).codes).toEqual(['10@0']);
    const b = await standardChain({ inter: { notAfter: new Date(NOW.getTime() - DAY) } });
    expect(both({ sent: [b.leaf, b.inter], trusted: [b.root] }).codes).toEqual(['10@1']);
  });

  it('not yet valid: 9', async () => {
    const { root, inter, leaf } = await standardChain({ leaf: { notBefore: new Date(NOW.getTime() + DAY) } });
    expect(both({ sent: [leaf, inter], trusted: [root] }).codes).toEqual(['9@0']);
  });

  it('notAfter equal to the check time is already expired; notBefore equal is valid (X509_cmp_time is <=)', async () => {
    const edge = new Date('2026-06-01T12:00:00Z');
    const { root, inter, leaf } = await standardChain({ leaf: { notAfter: edge } });
    expect(both({ sent: [leaf, inter], trusted: [root], at: edge }).codes).toEqual(['10@0']);
    expect(both({ sent: [leaf, inter], trusted: [root], at: new Date(edge.getTime() - 1000) }).ours.ok).toBe(true);
    const nb = await standardChain({ leaf: { notBefore: edge } });
    expect(both({ sent: [nb.leaf, nb.inter], trusted: [nb.root], at: edge }).ours.ok).toBe(true);
  });

  it('chain longer than the depth: 22 then 20 (nginx logs 20, never 22)', async () => {
    const { root, inter, leaf } = await standardChain();
    const { codes, ours } = both({ sent: [leaf, inter], trusted: [root], depth: 0 });
    expect(codes).toEqual(['22@1', '20@1']);
    expect(ours.lastError).toBe(20);
    // Two intermediates with nginx's default depth 1.
    const inter2 = await issue({ subject: 'CN=Second Intermediate', ca: true, issuer: { cert: inter.x, keys: inter.keys } });
    const leaf2 = await issue({ subject: 'CN=host.test', dns: ['host.test'], issuer: { cert: inter2.x, keys: inter2.keys } });
    const deep = both({ sent: [leaf2, inter2, inter], trusted: [root], depth: 1 });
    expect(deep.codes).toEqual(['22@2', '20@2']);
    expect(both({ sent: [leaf2, inter2, inter], trusted: [root], depth: 2 }).ours.ok).toBe(true);
  });

  it('SHA-1 signature at security level 2: 68, even for the leaf', async () => {
    const { root, inter, leaf } = await standardChain({ leaf: { hash: 'SHA-1' } });
    const { codes, ours } = both({ sent: [leaf, inter], trusted: [root] });
    expect(codes).toEqual(['68@0']);
    expect(ours.errors[0].text).toBe('CA signature digest algorithm too weak');
  });

  it('RSA-1024 leaf key: 66; RSA-1024 intermediate: 67', async () => {
    const a = await standardChain({ leaf: { key: 'rsa1024' } });
    expect(both({ sent: [a.leaf, a.inter], trusted: [a.root] }).codes).toEqual(['66@0']);
    const b = await standardChain({ inter: { key: 'rsa1024' } });
    expect(both({ sent: [b.leaf, b.inter], trusted: [b.root] }).codes).toEqual(['67@1']);
  });

  it('leaf EKU without serverAuth: 26', async () => {
    const { root, inter, leaf } = await standardChain({ leaf: { eku: [EKU_CLIENT] } });
    expect(both({ sent: [leaf, inter], trusted: [root] }).codes).toEqual(['26@0']);
  });

  it('intermediate without keyCertSign: 32 from internal_verify (chain building does not look at keyUsage)', async () => {
    const { root, inter, leaf } = await standardChain({ inter: { keyUsage: x509.KeyUsageFlags.digitalSignature } });
    const { ours } = both({ sent: [leaf, inter], trusted: [root] });
    expect(ours.errors.map((e) => e.code)).toContain(32);
  });

  it('intermediate with keyCertSign but no basicConstraints: 79 (strict checks are implicit for intermediates)', async () => {
    const { root, inter, leaf } = await standardChain({ inter: { noBasicConstraints: true } });
    const { codes } = both({ sent: [leaf, inter], trusted: [root] });
    expect(codes[0]).toBe('79@1');
  });

  it('trust anchor whose EKU lacks serverAuth: 26 at the root (the purpose applies to every CA)', async () => {
    const { root, inter, leaf } = await standardChain({ root: { eku: [EKU_CLIENT] } });
    expect(both({ sent: [leaf, inter], trusted: [root] }).codes).toEqual(['26@2']);
  });

  it('trust anchor that is not self-signed anchors nothing: the chain continues to its issuer (2)', async () => {
    const { inter, leaf } = await standardChain();
    const r = both({ sent: [leaf, inter], trusted: [inter] });
    expect(r.codes).toEqual(['2@1']);
    expect(r.ours.anchored).toBe(false);
  });

  it('name: X509_check_host only, so an IP target never matches an IP SAN (62)', async () => {
    const { root, inter, leaf } = await standardChain({ leaf: { dns: ['127.0.0.1.example'], ips: ['127.0.0.1'] } });
    const r = both({ sent: [leaf, inter], trusted: [root], hostname: '127.0.0.1' });
    expect(r.codes).toEqual(['62@0']);
    expect(r.ours.hostnameMatched).toBe(false);
    const dnsIp = await standardChain({ leaf: { dns: ['127.0.0.1'] } });
    expect(both({ sent: [dnsIp.leaf, dnsIp.inter], trusted: [dnsIp.root], hostname: '127.0.0.1' }).ours.ok).toBe(true);
  });

  it('intermediates in the wrong order and the root sent along are tolerated', async () => {
    const { root, inter, leaf } = await standardChain();
    const inter2 = await issue({ subject: 'CN=Second Intermediate', ca: true, issuer: { cert: inter.x, keys: inter.keys } });
    const leaf2 = await issue({ subject: 'CN=host.test', dns: ['host.test'], issuer: { cert: inter2.x, keys: inter2.keys } });
    const r = both({ sent: [leaf2, inter, root, inter2], trusted: [root], depth: 2, hostname: 'host.test' });
    expect(r.ours.ok).toBe(true);
    expect(r.ours.path.map((p) => p.sentIndex)).toEqual([0, 3, 1, undefined]);
  });
});
