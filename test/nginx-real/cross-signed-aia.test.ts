/**
 * Issue 12, "AIA pointing at either copy": the upstream sends its leaf alone, and the leaf's AIA caIssuers URL
 * serves one of the two copies of the cross-signed issuing CA (interOld under Old R1, interNew under New R2).
 * tlsdoctor probe fetches that copy (nginx never does: OpenSSL's X509_verify_cert uses only the peer's chain and
 * proxy_ssl_trusted_certificate) and builds its fix from it. Real nginx judges every combination:
 * tlsdoctor's status and log line equal nginx's with the user's bundle; the fix as written by --out (upstream-ssl.conf
 * included as is, naming the trusted-ca.pem written next to it) and every listed alternative turn 502 into 200;
 * no proposed bundle holds a root older than the user's unless --allow-root-change.
 *
 * One leaf for every combination: the AIA server answers with the copy (and encoding) the combination names, so
 * the probes run one after the other. One nginx serves every check (one location each,
 * test/helpers/cross-signed-nginx.ts), so the test costs one start per nginx: Debian's, then every build
 * TLSDOCTOR_NGINX_BUILDS names, each probed with its own --nginx-version (1.18 logs the first verify error of a lone
 * leaf, 20; later releases the last one, 21).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCrossPki, pemsOf, type CrossName, type CrossPki } from '../chain/helpers/cross-pki.js';
import { ChainUpstreams, probeCross, proofLine, proposedAmong, proveThroughNginx, type CrossProbed } from '../helpers/cross-signed-nginx.js';
import { checkExternal } from '../helpers/externals.js';
import { MATRIX_SKIP_NOTE, matrixBuilds, nginxBuildInfo, nginxUnavailableReason, type NginxBuild } from '../helpers/nginx.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping cross-signed AIA real-nginx test: ${unavailable}`);
// The other builds TLSDOCTOR_NGINX_BUILDS names (Debian's is the default below), each probed with its own version.
const otherBuilds = unavailable ? [] : matrixBuilds().filter((b) => b.version !== nginxBuildInfo().version);
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

interface Combo {
  id: string;
  /** The copy of the issuing CA the AIA URL serves, and how (DER as CAs serve it, RFC 5280 §4.2.2.1; or PEM). */
  aia: 'interOld' | 'interNew';
  format: 'der' | 'pem';
  bundle: CrossName[];
  pool: CrossName[];
  allowRootChange?: boolean;
}

const COMBOS: Combo[] = [
  { id: 'aia-new/new', aia: 'interNew', format: 'der', bundle: ['newRoot'], pool: [] },
  { id: 'aia-new-pem/new', aia: 'interNew', format: 'pem', bundle: ['newRoot'], pool: [] },
  { id: 'aia-old/new', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: [] },
  { id: 'aia-old/new/pool-interNew', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['interNew'] },
  { id: 'aia-old/new/pool-oldRoot', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['oldRoot'] },
  { id: 'aia-old/new/pool-oldRoot/allow', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: ['oldRoot'], allowRootChange: true },
  { id: 'aia-old/new/allow', aia: 'interOld', format: 'der', bundle: ['newRoot'], pool: [], allowRootChange: true },
  { id: 'aia-new/both', aia: 'interNew', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: [] },
  { id: 'aia-old/both', aia: 'interOld', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: [] },
  { id: 'aia-old/both/pool-interNew', aia: 'interOld', format: 'der', bundle: ['newRoot', 'oldRoot'], pool: ['interNew'] },
  { id: 'aia-new/old', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: [] },
  { id: 'aia-new/old/pool-newRoot', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: ['newRoot'] },
  { id: 'aia-new/old/pool-interOld', aia: 'interNew', format: 'der', bundle: ['oldRoot'], pool: ['interOld'] },
];

const AIA_PATH = '/issuing-ca';

let pki: CrossPki;
let dir: string;
let aiaServer: http.Server;
let aiaUrl: string;
let upstreams: ChainUpstreams;
/** What the AIA URL answers right now, and the requests it got. */
let serving: { name: CrossName; format: 'der' | 'pem' } = { name: 'interNew', format: 'der' };
let aiaHits: string[] = [];

interface Probed extends CrossProbed {
  combo: Combo;
  /** The requests the AIA server got during this probe. */
  hits: string[];
}

/** One combination, probed as nginx `version`: the AIA URL serves the copy (and encoding) the combination names. */
async function probeCombo(c: Combo, n: number, version: string): Promise<Probed> {
  const leafPort = await upstreams.portFor(pemsOf(pki, ['leaf']));
  serving = { name: c.aia, format: c.format };
  aiaHits = [];
  const args = c.allowRootChange ? ['--allow-root-change'] : [];
  const p = await probeCross(pki, { id: c.id, n, port: leafPort, bundle: c.bundle, pool: c.pool, version, dir, args });
  return { ...p, combo: c, hits: aiaHits };
}

/** Every combination through one nginx: verdicts, the fixes as --out wrote them, the alternatives. */
async function proveAll(probed: Probed[], version: string, label: string, bin?: string): Promise<void> {
  const proof = await proveThroughNginx({ pki, probed, upstreams, version, ...(bin ? { bin } : {}) });
  console.log(proofLine('cross-signed AIA', label, probed.length, proof));
  expect(proof.failures).toEqual([]);
  expect(proof.match).toBe(probed.length);
  expect(proof.fixes).toBe(probed.filter((p) => p.plan.verified === true).length);
  // Conservative: without --allow-root-change, no proposed bundle holds the old root when the user trusts only the new one.
  for (const p of probed.filter((x) => !x.combo.bundle.includes('oldRoot') && !x.combo.allowRootChange)) {
    expect(proposedAmong(p, [pki.oldRoot.cert.sha256]), p.id).toEqual([]);
  }
}

describe.skipIf(!!unavailable)('cross-signed chains, AIA pointing at either copy, through real nginx', () => {
  const probed: Probed[] = [];

  beforeAll(async () => {
    aiaServer = http.createServer((req, res) => {
      aiaHits.push(req.url ?? '');
      if (req.url !== AIA_PATH) {
        res.writeHead(404);
        return void res.end();
      }
      const issued = pki[serving.name];
      if (serving.format === 'pem') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end(issued.pem);
      } else {
        res.writeHead(200, { 'content-type': 'application/pkix-cert' });
        res.end(Buffer.from(issued.cert.der));
      }
    });
    const aiaPort = await new Promise<number>((r) => aiaServer.listen(0, '127.0.0.1', () => r((aiaServer.address() as net.AddressInfo).port)));
    aiaUrl = `http://127.0.0.1:${aiaPort}${AIA_PATH}`;
    pki = await makeCrossPki(new Date(), { tag: 'nginx-aia', aiaUrl });
    upstreams = new ChainUpstreams(pki.leafKeyPem);
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-cross-aia-'));
    for (const [n, c] of COMBOS.entries()) probed.push(await probeCombo(c, n, nginxBuildInfo().version));
  }, 60_000);
  afterAll(async () => {
    upstreams?.close();
    aiaServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sha = (n: CrossName): string => pki[n].cert.sha256;
  const byId = (id: string): Probed => probed.find((p) => p.combo.id === id)!;
  const trustOf = (p: Probed): string[] => p.plan.trust.map((t) => t.sha256).sort();
  const shasOf = (names: CrossName[]): string[] => names.map(sha).sort();
  const fileNames = (p: Probed): string[] => p.plan.files.map((f) => f.name);

  it('tlsdoctor fetched the copy the AIA URL serves (DER and PEM), and says so in fetched[]', () => {
    for (const p of probed) {
      if (p.combo.pool.some((n) => n === 'interNew' || n === 'interOld')) {
        // The pool completes a path to the user's root: the diagnosis is anchored, nothing is fetched.
        expect(p.hits, p.combo.id).toEqual([]);
        expect(p.doc.fetched, p.combo.id).toEqual([]);
        continue;
      }
      expect(p.hits, p.combo.id).toEqual([AIA_PATH]);
      expect(p.doc.fetched, p.combo.id).toHaveLength(1);
      expect(p.doc.fetched[0], p.combo.id).toMatchObject({ url: aiaUrl, ok: true });
      // The body as served (DER, or PEM), parsed into the one copy it holds.
      const served = pki[p.combo.aia];
      const bytes = p.combo.format === 'pem' ? Buffer.byteLength(served.pem) : served.cert.der.length;
      expect(p.doc.fetched[0].detail, p.combo.id).toBe(`1 certificate(s), ${bytes} bytes: ${served.cert.subject}`);
    }
  });

  it('AIA serves the new-signed copy, bundle = new root: the fetched copy goes into trusted-ca.pem', () => {
    for (const id of ['aia-new/new', 'aia-new-pem/new']) {
      const p = byId(id);
      expect(p.status, id).toBe(502);
      // 21, not 20: nginx's ngx_ssl_verify_callback returns 1, so OpenSSL goes on after build_chain's 20 to
      // internal_verify, which sets 21 for a lone untrusted leaf; ngx_http_upstream_ssl_handshake_handler logs that
      // last error (SSL_get_verify_result). `openssl s_client -verify_return_error` stops at the 20.
      expect(p.error, id).toBe('upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream');
      expect(trustOf(p), id).toEqual(shasOf(['newRoot', 'interNew']));
      expect(p.plan.trust.find((t) => t.role === 'intermediate')?.origin, id).toBe(`fetched via AIA from ${aiaUrl}`);
      expect(p.plan.verified, id).toBe(true);
      expect(fileNames(p), id).toEqual(expect.arrayContaining(['trusted-ca.pem', 'upstream-ssl.conf']));
      // The durable fix, upstream side: send the intermediate; proven with the user's bundle as it is.
      expect(p.plan.alternatives?.map((a) => [a.side, a.sent]), id).toContainEqual(['upstream', [sha('leaf'), sha('interNew')]]);
    }
  });

  it('AIA serves the old-signed copy, bundle = new root: the old root is never proposed unasked', () => {
    // Old R1 is known nowhere: no root to anchor on, the plan says which one is missing and writes no bundle.
    for (const id of ['aia-old/new', 'aia-old/new/allow']) {
      const p = byId(id);
      expect(p.status, id).toBe(502);
      expect(p.plan.trust, id).toEqual([]);
      expect(fileNames(p), id).not.toContain('trusted-ca.pem');
      expect(p.plan.verified, id).toBe(false);
      expect(p.plan.manual?.join(' '), id).toMatch(/issued by "O=tlsdoctor cross,CN=Old Root R1"/);
    }
    // With the new-signed copy in --intermediates, the path to the user's root is found and proposed.
    const inter = byId('aia-old/new/pool-interNew');
    expect(trustOf(inter)).toEqual(shasOf(['newRoot', 'interNew']));
    expect(inter.plan.verified).toBe(true);
    // With the old root in --intermediates: the only working path ends at Old R1, older than the user's New R2.
    const pool = byId('aia-old/new/pool-oldRoot');
    expect(pool.plan.notProposed?.join(' ')).toMatch(/"O=tlsdoctor cross,CN=Old Root R1".*--allow-root-change/);
    expect(pool.plan.trust.map((t) => t.sha256)).not.toContain(sha('oldRoot'));
    expect(fileNames(pool)).not.toContain('trusted-ca.pem');
    expect(pool.plan.verified).toBe(false);
    // ...and the manual step names the way out that keeps the user's root: the copy of the issuing CA it signed.
    expect(pool.plan.manual?.join(' ')).toMatch(/get the copy of "O=tlsdoctor cross,CN=Issuing CA" issued by your root.*--allow-root-change/);
    expect((pool.plan.alternatives ?? []).filter((a) => a.bundle.includes(sha('oldRoot')))).toEqual([]);
    // Asked for (--allow-root-change): the old-root path is the fix.
    const allowed = byId('aia-old/new/pool-oldRoot/allow');
    expect(trustOf(allowed)).toEqual(shasOf(['oldRoot', 'interOld']));
    expect(allowed.plan.verified).toBe(true);
    expect(allowed.plan.notProposed ?? []).toEqual([]);
  });

  it('bundle = both roots: the newest root when a path to it is known, the other root the user trusts otherwise', () => {
    expect(trustOf(byId('aia-new/both'))).toEqual(shasOf(['newRoot', 'interNew']));
    expect(trustOf(byId('aia-old/both/pool-interNew'))).toEqual(shasOf(['newRoot', 'interNew']));
    // Only interOld is known: Old R1 is the one root this chain reaches, and the user trusts it.
    const old = byId('aia-old/both');
    expect(trustOf(old)).toEqual(shasOf(['oldRoot', 'interOld']));
    expect(old.plan.verified).toBe(true);
  });

  it('AIA serves the new-signed copy, bundle = old root: New R2 is missing, nothing is proposed', () => {
    const p = byId('aia-new/old');
    expect(p.status).toBe(502);
    expect(p.plan.trust).toEqual([]);
    expect(p.plan.alternatives ?? []).toEqual([]);
    expect(p.plan.manual?.join(' ')).toMatch(/issued by "O=tlsdoctor cross,CN=New Root R2"/);
    // Given the new root (--intermediates), the fix moves the user forward to it: newer than Old R1, so allowed.
    const forward = byId('aia-new/old/pool-newRoot');
    expect(trustOf(forward)).toEqual(shasOf(['newRoot', 'interNew']));
    expect(forward.plan.trust.find((t) => t.role === 'root')?.newlyTrusted).toBe(true);
    expect(forward.plan.verified).toBe(true);
    // Given the old-signed copy instead, the user's own root is kept (a root you trust comes first).
    expect(trustOf(byId('aia-new/old/pool-interOld'))).toEqual(shasOf(['oldRoot', 'interOld']));
  });

  it('verdicts match nginx; every fix as written by --out and every alternative turns 502 into 200', async () => {
    await proveAll(probed, nginxBuildInfo().version, nginxBuildInfo().version);
  }, 120_000);

  it.each(otherBuilds.map((b) => [b.label, b] as [string, NginxBuild]))('nginx %s: the same, probed as that version', async (_label, build) => {
    const asBuild: Probed[] = [];
    for (const [n, c] of COMBOS.entries()) asBuild.push(await probeCombo(c, n, build.version));
    // The version matters: a lone leaf is refused with 20 (unable to get local issuer certificate) by nginx before
    // 1.19.1, whose upstream context had no verify callback, so X509_verify_cert() stopped at the first error; with
    // ngx_ssl_verify_callback() (1.19.1, "SSL: added verify callback to ngx_ssl_trusted_certificate()") OpenSSL goes
    // on to 21 (unable to verify the first certificate), which SSL_get_verify_result() then holds.
    const [maj, min, patch] = build.version.split('.').map(Number);
    const firstError = maj === 1 && (min < 19 || (min === 19 && patch < 1));
    expect(asBuild.find((p) => p.id === 'aia-new/new')?.error).toContain(firstError ? '(20:unable to get local issuer certificate)' : '(21:unable to verify the first certificate)');
    await proveAll(asBuild, build.version, build.label, build.bin);
  }, 120_000);
});
