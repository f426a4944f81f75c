/**
 * Cross-signed PKIs against real nginx: each served order and subset of the two copies of the issuing CA (and a cross
 * certificate), judged with each bundle (new root, old root, expired old root, both). For every combination:
 * tlsdoctor's verdict and log line equal nginx's; every fix as --out wrote it and every listed alternative turns 502
 * into 200; no proposed bundle holds a root older than the user's when the newer one works.
 *
 * One nginx serves every combination (one location each, test/helpers/cross-signed-nginx.ts), so the test costs one
 * start per nginx: Debian's, then every build TLSDOCTOR_NGINX_BUILDS names (test/helpers/nginx.ts), each probed with
 * its own --nginx-version (1.18 logs the first verify error, later releases the last one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCrossPki, pemsOf, type CrossName, type CrossPki } from '../chain/helpers/cross-pki.js';
import { ChainUpstreams, probeCross, proofLine, proposedAmong, proveThroughNginx, type CrossProbed } from '../helpers/cross-signed-nginx.js';
import { checkExternal } from '../helpers/externals.js';
import { MATRIX_SKIP_NOTE, matrixBuilds, nginxBuilds, nginxUnavailableReason, type NginxBuild } from '../helpers/nginx.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping cross-signed real-nginx test: ${unavailable}`);
const builds = nginxBuilds();
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

const SENT: Record<string, CrossName[]> = {
  'old-first': ['leaf', 'interOld', 'interNew'],
  'new-first': ['leaf', 'interNew', 'interOld'],
  'old-only': ['leaf', 'interOld'],
  'new-only': ['leaf', 'interNew'],
  'old+cross': ['leaf', 'interOld', 'oldByNew'],
};
const BUNDLES: Record<string, CrossName[]> = {
  new: ['newRoot'],
  old: ['oldRoot'],
  'old-expired': ['oldRootExpired'],
  both: ['newRoot', 'oldRoot'],
};
interface Combo {
  id: string;
  sent: CrossName[];
  bundle: CrossName[];
  pool: CrossName[];
}
const COMBOS: Combo[] = [
  ...Object.entries(SENT).flatMap(([s, sent]) => Object.entries(BUNDLES).map(([b, bundle]) => ({ id: `${s}/${b}`, sent, bundle, pool: [] as CrossName[] }))),
  { id: 'old-first/new/pool-old', sent: SENT['old-first'], bundle: ['newRoot'], pool: ['oldRoot'] },
  { id: 'old-first/old-expired/pool-new', sent: SENT['old-first'], bundle: ['oldRootExpired'], pool: ['newRoot'] },
  { id: 'old-only/old-expired/pool-new+inter', sent: SENT['old-only'], bundle: ['oldRootExpired'], pool: ['newRoot', 'interNew'] },
];

let pki: CrossPki;
let dir: string;
let upstreams: ChainUpstreams;

describe.skipIf(builds.length === 0)('cross-signed chains through real nginx', () => {
  beforeAll(async () => {
    pki = await makeCrossPki(new Date(), { tag: 'nginx' });
    upstreams = new ChainUpstreams(pki.leafKeyPem);
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-cross-'));
  });
  afterAll(async () => {
    upstreams?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(builds.map((b) => [b.label, b] as [string, NginxBuild]))('nginx %s: verdicts, fixes and alternatives match on every combination', async (_label, build) => {
    const probed: CrossProbed[] = [];
    for (const [n, c] of COMBOS.entries()) {
      const port = await upstreams.portFor(pemsOf(pki, c.sent));
      probed.push(await probeCross(pki, { id: c.id, n, port, bundle: c.bundle, pool: c.pool, version: build.version, dir, args: ['--no-fetch'] }));
    }
    const proof = await proveThroughNginx({ pki, probed, upstreams, version: build.version, bin: build.bin });
    const unfixed = probed.filter((p) => p.status === 502 && p.plan.verified !== true).map((p) => `${p.id} (${p.error})`);
    console.log(`cross-signed, nginx ${build.label}: no proven fix (nginx-side) for: ${unfixed.join('; ') || 'none'}`);
    console.log(proofLine('cross-signed', build.label, COMBOS.length, proof));
    expect(proof.failures).toEqual([]);
    expect(proof.match).toBe(COMBOS.length);

    // Conservative: when the user trusts the new root and a path to it works, no proposed bundle holds the old root.
    const oldShas = [pki.oldRoot.cert.sha256, pki.oldRootExpired.cert.sha256];
    for (const p of probed.filter((x) => x.bundle.includes('newRoot') && !x.bundle.includes('oldRoot'))) expect(proposedAmong(p, oldShas), p.id).toEqual([]);
    // The combinations the issue names are fixed.
    for (const id of ['old-first/new', 'old-first/new/pool-old', 'old-first/old-expired/pool-new']) {
      const p = probed.find((x) => x.id === id)!;
      expect(p.status, id).toBe(502);
      expect(p.plan.verified, id).toBe(true);
      expect(p.plan.files.map((f) => f.name), id).toContain('trusted-ca.pem');
    }
  }, 120_000);
});
