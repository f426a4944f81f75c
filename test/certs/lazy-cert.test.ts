/**
 * Trust bundles are read lazily (parse.ts `lazy`, src/certs/lazy-cert.ts): each certificate gets the one-pass
 * d2i check of plain-der.ts when the file is read, its subject Name when a store indexes it, and the rest only
 * when something reads it. Checked here: a lazy certificate reads exactly as one parsed at once; verifying a chain
 * against a 150-root bundle parses only the anchor in full; a bundle OpenSSL (so nginx) would refuse is still
 * refused when read, with the message the full parse gives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { lazyParsesCompleted } from '../../src/certs/lazy-cert.js';
import { readCertificateBlobs } from '../../src/certs/load.js';
import { CertParseError, parseCertificate } from '../../src/certs/parse.js';
import { simpleNameCanon } from '../../src/certs/name.js';
import { plainCertificateLayout } from '../../src/certs/plain-der.js';
import { summarizeCertificate } from '../../src/certs/summary.js';
import { readX509Facts } from '../../src/certs/x509-facts.js';
import { verifyChain } from '../../src/chain/verify.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, fixturePath, readFixture } from '../helpers/fixtures.js';
import { CN, O, bmp, name, rawCert, t61, tlv, utf8 } from './helpers/raw-cert.js';

const LIMBO = resolve(dirname(fileURLToPath(import.meta.url)), '../chain/limbo/limbo.json.gz');
const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ders = (file: string) => readCertificateBlobs(new TextEncoder().encode(readFixture(file)), file).ders;
const lazy = (file: string) => ders(file).map((d) => parseCertificate(d, { lazy: true }));
const now = (file: string) => ders(file).map((d) => parseCertificate(d));

describe('a lazily read certificate', () => {
  it('reads exactly as one parsed at once, and its hash and DER need no parse', () => {
    const eager = now('bundle-150-roots.pem');
    const before = lazyParsesCompleted();
    const certs = lazy('bundle-150-roots.pem');
    expect(certs.map((c) => c.sha256)).toEqual(eager.map((c) => c.sha256));
    expect(certs.map((c) => c.der)).toEqual(eager.map((c) => c.der));
    expect(lazyParsesCompleted()).toBe(before);
    certs.forEach((c, i) => {
      expect(summarizeCertificate(c)).toEqual(summarizeCertificate(eager[i]));
      expect({ ...c, native: undefined }).toEqual({ ...eager[i], native: undefined });
      expect(JSON.stringify({ ...c, native: undefined })).toBe(JSON.stringify({ ...eager[i], native: undefined }));
    });
    expect(lazyParsesCompleted()).toBe(before + certs.length);
  });

  it('is parsed at once when the one-pass check is not sure (BER), with the same result', () => {
    const ber = rawCert({ subject: name([CN, tlv(0x2c, tlv(0x04, Buffer.from('a')), tlv(0x04, Buffer.from('b')))]) });
    expect(plainCertificateLayout(ber)).toBeUndefined();
    const before = lazyParsesCompleted();
    const cert = parseCertificate(ber, { lazy: true });
    expect(cert.commonNames).toEqual(['ab']);
    expect(lazyParsesCompleted()).toBe(before); // not a lazy certificate: nothing was left to complete
  });
});

describe("the subject's canonical form, computed alone for the index", () => {
  const canonOf = (der: Uint8Array) => {
    const layout = plainCertificateLayout(der);
    return layout === undefined ? undefined : simpleNameCanon(der, layout.subjectStart);
  };

  it('is byte for byte what decodeName computes (x509_name_canon), or left to it', () => {
    const spaced = (s: string) => tlv(0x13, Buffer.from(s, 'latin1'));
    const cases = [
      ...ders('bundle-150-roots.pem'),
      ...['leaf.pem', 'int1.pem', 'root.pem', 'other-root.pem', 'leaf-wildcard.pem'].flatMap(ders),
      rawCert({ subject: name([CN, spaced('  Mixed   CASE\tName ')], [O, utf8('\u00c9cole  Poly')]) }),
      rawCert({ subject: name([CN, t61('caf\u00e9 CAF\u00c9')], [O, bmp('B\u00d6RSE  X')]) }),
      rawCert({ subject: name([CN, tlv(0x16, Buffer.from('A'.repeat(300)))]) }),
      rawCert({ subject: name([[O, utf8('x')], [CN, utf8('y')]]) }), // multi-valued RDN: decodeName's job
    ];
    let simple = 0;
    for (const der of cases) {
      const canon = canonOf(der);
      const expected = readX509Facts(der).subject;
      if (canon === undefined) continue;
      simple++;
      expect(expected.canonOk).toBe(true);
      expect(Buffer.from(canon).toString('hex')).toBe(Buffer.from(expected.canon).toString('hex'));
    }
    expect(simple).toBe(cases.length - 1);
  });

  it('agrees with the full parse on every 10th distinct x509-limbo certificate: acceptance and canonical subject', () => {
    const suite = JSON.parse(gunzipSync(readFileSync(LIMBO)).toString('utf8')) as { testcases: { trusted_certs: string[]; untrusted_intermediates: string[]; peer_certificate: string }[] };
    const pems = [...new Set(suite.testcases.flatMap((t) => [...t.trusted_certs, ...t.untrusted_intermediates, t.peer_certificate]))].filter((_, i) => i % 10 === 0);
    const problems: string[] = [];
    for (const pem of pems) {
      const der = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
      const full = (() => {
        try {
          return readX509Facts(parseCertificate(der, { deferOpenSsl: true }).der).subject;
        } catch {
          return undefined;
        }
      })();
      const layout = plainCertificateLayout(der);
      if (layout === undefined) continue;
      const canon = simpleNameCanon(der, layout.subjectStart);
      if (full === undefined) problems.push(`accepted by the one-pass check only: ${pem.slice(27, 90)}`);
      else if (canon !== undefined && (!full.canonOk || !Buffer.from(canon).equals(Buffer.from(full.canon)))) problems.push(`canon differs: ${pem.slice(27, 90)}`);
    }
    expect(pems.length).toBeGreaterThan(2000);
    expect(problems).toEqual([]);
  });
});

describe('verifying against a lazily read 150-root bundle', () => {
  const params = (trusted: ReturnType<typeof lazy>) => ({
    sent: [...now('leaf.pem'), ...now('int1.pem')],
    trusted,
    at: FIXTURE_CLOCK,
    depth: 1,
    seclevel: 2,
    hostname: 'upstream.test',
  });

  it('parses in full only the candidate issuer, and reaches the verdict of the eager bundle', () => {
    const trusted = lazy('bundle-150-roots.pem');
    const before = lazyParsesCompleted();
    const r = verifyChain(params(trusted));
    expect(r.ok).toBe(true);
    expect(r.path.map((e) => e.source)).toEqual(['sent', 'sent', 'bundle']);
    expect(lazyParsesCompleted() - before).toBe(1);
    const eager = verifyChain(params(now('bundle-150-roots.pem')));
    expect({ ...r, path: r.path.map((e) => e.cert.sha256) }).toEqual({ ...eager, path: eager.path.map((e) => e.cert.sha256) });
  });

  it('the verify command parses at most a few of its certificates in full', async () => {
    const before = lazyParsesCompleted();
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', fixturePath('bundle-150-roots.pem'), '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString()]);
    expect(run.code).toBe(0);
    // The anchor, and the first root of the bundle (remediation asks whether the bundle holds any root at all).
    expect(lazyParsesCompleted() - before).toBeLessThanOrEqual(2);
  });
});

describe('a bundle with a certificate OpenSSL cannot read', () => {
  // VisibleString is not in B_ASN1_PRINTABLE: d2i_X509 refuses the Name (test/certs/openssl-d2i.test.ts).
  const bad = rawCert({ subject: name([CN, tlv(0x1a, Buffer.from('x'))]) });

  it('is refused when read, with the message of the full parse', async () => {
    let full = '';
    try {
      parseCertificate(bad, { deferOpenSsl: true });
    } catch (e) {
      expect(e).toBeInstanceOf(CertParseError);
      full = (e as Error).message;
    }
    expect(full).toMatch(/^OpenSSL cannot parse this certificate: /);
    expect(() => parseCertificate(bad, { lazy: true })).toThrow(full);

    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(bad).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    const bundle = join(dir, 'bad-bundle.pem');
    writeFileSync(bundle, readFixture('bundle-150-roots.pem') + pem);
    const run = await runCli(['verify', '--chain', fixturePath('leaf.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', bundle, '--proxy-ssl-name', 'upstream.test']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`--ca ${bundle}: certificate #${ders('bundle-150-roots.pem').length + 1} cannot be parsed (${full})`);
  });

  it('and a valid UTF8String subject still goes the lazy way', () => {
    const good = rawCert({ subject: name([CN, utf8('caf\u00e9.test')]) });
    expect(plainCertificateLayout(good)).toBeDefined();
    expect(parseCertificate(good, { lazy: true }).commonNames).toEqual(['caf\u00e9.test']);
  });
});
