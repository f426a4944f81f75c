/**
 * Cross-signed chains: every path to a root, judged by the engine; the fix chosen among them (the user's root, the
 * newest root, never an older one unasked) and the alternatives listed, each proven by re-judging.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cert } from '../../src/certs/cert.js';
import { enumeratePaths } from '../../src/chain/enumerate-paths.js';
import { verifyChain } from '../../src/chain/verify.js';
import { offlineObservation } from '../../src/cli/offline-observation.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { DiagnoseInput } from '../../src/diagnosis/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';
import { buildFixPlan, settingsForPlan, trustedForPlan } from '../../src/remediation/plan.js';
import { CROSS_HOST, certsOf, makeCrossPki, type CrossName, type CrossPki } from './helpers/cross-pki.js';
import { NOW, issue } from './helpers/make-pki.js';

let pki: CrossPki;
beforeAll(async () => {
  pki = await makeCrossPki(NOW, { tag: 'unit' });
});

function inputFor(sent: CrossName[], trusted: CrossName[], pool: CrossName[] = []): DiagnoseInput {
  const chain = certsOf(pki, sent);
  const settings = { ...defaultSettings(CROSS_HOST, '1.22.1'), proxySslName: CROSS_HOST };
  return {
    observation: offlineObservation(chain, settings.proxySslProtocols),
    sent: chain,
    trusted: certsOf(pki, trusted),
    trustSource: 'bundle',
    candidates: certsOf(pki, pool).map((cert) => ({ cert, source: 'pool' as const, origin: 'pool.pem' })),
    settings,
    at: NOW,
  };
}

function run(sent: CrossName[], trusted: CrossName[], pool: CrossName[] = [], allowRootChange = false) {
  const input = inputFor(sent, trusted, pool);
  const d = diagnose(input);
  const plan = buildFixPlan(input, d, { installPath: '/etc/nginx/trusted-ca.pem', allowRootChange });
  const check = diagnose({ ...input, trusted: trustedForPlan(plan, input), settings: settingsForPlan(plan, input.settings), candidates: [] });
  return { input, d, plan, fixed: check.nginx.ok };
}

const shas = (pki: CrossPki, names: CrossName[]): string[] => names.map((n) => pki[n].cert.sha256);

describe('cross-signed issuing CA, old-signed copy sent first, judged against the new root', () => {
  it('nginx fails with 20, the new-signed copy is ALTERNATIVE_PATH (not EXTRA_CERT), the fix keeps the new root', () => {
    const { d, plan, fixed } = run(['leaf', 'interOld', 'interNew'], ['newRoot']);
    expect(d.nginx.verifyCode).toBe(20);
    const codes = d.findings.map((f) => f.code);
    expect(codes).toContain('ALTERNATIVE_PATH');
    expect(codes).not.toContain('EXTRA_CERT');
    const alt = d.findings.find((f) => f.code === 'ALTERNATIVE_PATH')!;
    expect(alt.cert?.index).toBe(2);
    expect(alt.evidence.works).toBe(true);
    expect(plan.trust.map((t) => t.sha256).sort()).toEqual(shas(pki, ['newRoot', 'interNew']).sort());
    expect(plan.manual ?? []).toEqual([]);
    expect(fixed).toBe(true);
    // The upstream-side reorder is offered, proven with the user's bundle.
    const up = plan.alternatives?.find((a) => a.side === 'upstream');
    expect(up?.sent).toEqual(shas(pki, ['leaf', 'interNew']));
    expect(verifyChain({ sent: certsOf(pki, ['leaf', 'interNew']), trusted: [pki.newRoot.cert], at: NOW, depth: 1, seclevel: 2 }).ok).toBe(true);
  });

  it('with the old root in the pool: it does not replace the new root; --allow-root-change still prefers the user root', () => {
    const r = run(['leaf', 'interOld', 'interNew'], ['newRoot'], ['oldRoot']);
    expect(r.plan.trust.map((t) => t.sha256)).not.toContain(pki.oldRoot.cert.sha256);
    expect(r.plan.trust.map((t) => t.sha256)).toContain(pki.newRoot.cert.sha256);
    expect(r.plan.notProposed?.join(' ')).toMatch(/Old Root R1.*--allow-root-change/);
    expect(r.plan.alternatives?.some((a) => a.bundle.includes(pki.oldRoot.cert.sha256))).toBe(false);
    expect(r.fixed).toBe(true);
    const allowed = run(['leaf', 'interOld', 'interNew'], ['newRoot'], ['oldRoot'], true);
    expect(allowed.plan.trust.map((t) => t.sha256).sort()).toEqual(shas(pki, ['newRoot', 'interNew']).sort());
    expect(allowed.plan.alternatives?.some((a) => a.anchor.sha256 === pki.oldRoot.cert.sha256)).toBe(true);
  });

  it('--intermediates holding the new root anchors the chain: trusted-ca.pem is written, no "neither in your bundle" step', () => {
    const r = run(['leaf', 'interOld', 'interNew'], ['oldRootExpired'], ['newRoot']);
    expect(r.d.nginx.ok).toBe(false);
    expect(r.plan.files.map((f) => f.name)).toContain('trusted-ca.pem');
    expect(r.plan.trust.map((t) => t.sha256).sort()).toEqual(shas(pki, ['newRoot', 'interNew']).sort());
    expect((r.plan.manual ?? []).join(' ')).not.toMatch(/neither in your bundle/);
    expect(r.fixed).toBe(true);
  });

  it('no known path reaches the user\'s new root (leaf + old-signed copy, old root in the pool): the old root is refused, not proposed', () => {
    // Issue 12, "AIA pointing at either copy": nothing known links Old R1 to the user's New R2 (the other copy is
    // what is missing), so "older than the root you trust on this chain" has no path to compare with; Old R1 is
    // older than every root of the user's bundle.
    const r = run(['leaf', 'interOld'], ['newRoot'], ['oldRoot']);
    expect(r.plan.trust).toEqual([]);
    expect(r.plan.files.map((f) => f.name)).not.toContain('trusted-ca.pem');
    expect(r.plan.notProposed?.join(' ')).toMatch(/Old Root R1.*--allow-root-change/);
    expect(r.plan.manual?.join(' ')).toMatch(/get the copy of "O=tlsdoctor cross,CN=Issuing CA" issued by your root.*--allow-root-change/);
    expect(r.plan.directives.find((d) => d.line.startsWith('proxy_ssl_trusted_certificate'))?.why).toMatch(/"O=tlsdoctor cross,CN=Old Root R1", is older and not proposed/);
    expect(r.fixed).toBe(false);
    const allowed = run(['leaf', 'interOld'], ['newRoot'], ['oldRoot'], true);
    expect(allowed.plan.trust.map((t) => t.sha256).sort()).toEqual(shas(pki, ['oldRoot']).sort());
    expect(allowed.plan.notProposed ?? []).toEqual([]);
    expect(allowed.fixed).toBe(true);
  });

  it('a bundle that also holds a root older than the pool\'s (a system-wide bundle) refuses nothing on that ground', async () => {
    const ancient = await issue({ subject: 'CN=Ancient Root,O=elsewhere', ca: true, key: 'p256', notBefore: new Date(NOW.getTime() - 20 * 365 * 86_400_000), notAfter: new Date(NOW.getTime() + 365 * 86_400_000) });
    const input = inputFor(['leaf', 'interOld'], ['newRoot'], ['oldRoot']);
    input.trusted = [...input.trusted, ancient.cert];
    const plan = buildFixPlan(input, diagnose(input), { installPath: '/etc/nginx/trusted-ca.pem' });
    expect(plan.trust.map((t) => t.sha256)).toContain(pki.oldRoot.cert.sha256);
    expect(plan.notProposed ?? []).toEqual([]);
  });

  it('an expired old root as the only anchor: the path is listed as failing with 10, no fix claims it works', () => {
    const r = run(['leaf', 'interOld'], ['oldRootExpired']);
    const p = r.d.paths.find((x) => x.anchor.sha256 === pki.oldRootExpired.cert.sha256);
    expect(p?.works).toBe(false);
    expect(p?.failure?.code).toBe(10);
    expect(r.fixed).toBe(false);
  });

  it('paths through the cross certificates (both directions) are found and judged with the depth they need', () => {
    const input = inputFor(['leaf', 'interOld', 'oldByNew'], ['newRoot']);
    const d = diagnose(input);
    const viaCross = d.paths.find((p) => p.certs.length === 4 && p.anchor.sha256 === pki.newRoot.cert.sha256);
    expect(viaCross?.certs.map((c) => c.sha256)).toEqual(shas(pki, ['leaf', 'interOld', 'oldByNew', 'newRoot']));
    expect(viaCross?.neededDepth).toBe(2);
    // nginx's default depth 1 is too short: the path works with the depth it needs.
    expect(d.nginx.ok).toBe(false);
    expect(viaCross?.works).toBe(true);
  });
});

describe('chain shape', () => {
  it('WRONG_ORDER for leaf, root, intermediate (the anchor counts)', () => {
    const d = diagnose(inputFor(['leaf', 'newRoot', 'interNew'], ['newRoot']));
    expect(d.nginx.ok).toBe(true);
    const w = d.findings.find((f) => f.code === 'WRONG_ORDER');
    expect(w?.evidence.sentOrder).toEqual([0, 2, 1]);
  });

  it('a leaf whose issuer is found nowhere: MISSING_INTERMEDIATE with both readings', () => {
    const d = diagnose(inputFor(['leaf'], ['newRoot']));
    const m = d.findings.find((f) => f.code === 'MISSING_INTERMEDIATE');
    expect(m?.evidence.foundNowhere).toBe(true);
  });
});

describe('bounded search', () => {
  it('thousands of same-name certificates: the work cap stops the search and says so', async () => {
    const many: Cert[] = [];
    for (let i = 0; i < 300; i++) {
      many.push((await issue({ subject: 'CN=Issuing CA,O=tlsdoctor cross', ca: true, key: 'p256', notBefore: NOW, notAfter: NOW, serial: `1${i}` })).cert);
    }
    const known = many.map((cert) => ({ cert, source: 'pool' as const }));
    const r = enumeratePaths(pki.leaf.cert, known, { maxPaths: 16, maxWork: 100, maxLength: 10 });
    expect(r.truncated).toBe('work');
    expect(r.work).toBe(100);
  });

  it('cross certificates issuing each other (a cycle) end; every path is loop-free', () => {
    const known = certsOf(pki, ['interOld', 'interNew', 'newByOld', 'oldByNew', 'oldRoot', 'newRoot']).map((cert) => ({ cert, source: 'pool' as const }));
    const r = enumeratePaths(pki.leaf.cert, known);
    expect(r.truncated).toBeNull();
    for (const p of r.paths) expect(new Set(p.map((k) => k.cert.sha256)).size).toBe(p.length);
    // Per copy of the issuing CA: its own root, the other root through one cross certificate, its own root again
    // through both cross certificates (each at most once): 2 × 3.
    expect(r.paths.length).toBe(6);
  });
});
