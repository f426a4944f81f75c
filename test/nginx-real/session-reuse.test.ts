/**
 * nginx's per-peer session cache across two locations reaching one upstream server with different trust: /partial/
 * trusts only the intermediate (its full handshake fails with 2), /vault/ trusts the root (works). With
 * `proxy_ssl_session_reuse on` the verdict depends on request order; src/nginx/session-reuse.ts predicts each
 * request from tlsdoctor's probe of each location, and real nginx answers the same sequence. The harness turns
 * session reuse off by default (test/helpers/nginx.ts): these configs turn it on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../src/certs/parse.js';
import { settingsFromOptions } from '../../src/cli/nginx-options.js';
import { runProbe } from '../../src/cli/run-probe.js';
import { sessionLocationOf } from '../../src/cli/session-locations.js';
import { predictSequence, sessionOrderEffects, sessionReuseFix, type SessionLocation } from '../../src/nginx/session-reuse.js';
import { checkExternal } from '../helpers/externals.js';
import { FIXTURE_CLOCK, fixturePath, pemToDers, readFixture } from '../helpers/fixtures.js';
import { nginxBuildInfo, nginxUnavailableReason, parseErrorLog, startNginx } from '../helpers/nginx.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const unavailable = checkExternal(nginxUnavailableReason());
if (unavailable) console.warn(`skipping real-nginx session reuse tests: ${unavailable}`);

let upstream: ScenarioServer;
beforeAll(async () => {
  if (!unavailable) upstream = await startScenarioServer('healthy');
});
afterAll(async () => upstream?.close());

interface Loc {
  path: string;
  bundle: string | null;
  reuse: boolean;
}

async function probeLocation(l: Loc, protocols: string): Promise<SessionLocation> {
  const settings = settingsFromOptions({ proxySslName: 'upstream.test', proxySslProtocols: protocols, nginxVersion: nginxBuildInfo().version }, '127.0.0.1');
  const trusted = l.bundle ? pemToDers(readFixture(l.bundle)).map((d) => parseCertificate(d)) : [];
  const report = await runProbe({
    input: `127.0.0.1:${upstream.port}`, host: '127.0.0.1', port: upstream.port, settings, trusted,
    trust: { source: 'bundle', files: [], count: trusted.length }, pool: [], timeoutMs: 5000, fetch: false, at: FIXTURE_CLOCK, installPath: '/tmp/x.pem', notes: [],
  });
  return sessionLocationOf(l.path, report, l.bundle !== null, l.reuse);
}

/** One fresh nginx, the requests in `order`, each one's status and first [error] line. */
async function nginxSequence(locs: Loc[], protocols: string, order: string[]): Promise<{ status: number; error: string | null }[]> {
  const blocks = locs.map((l) => `        location ${l.path} {
            proxy_pass https://127.0.0.1:${upstream.port}/;
            proxy_ssl_name upstream.test;
            ${l.bundle ? `proxy_ssl_verify on; proxy_ssl_trusted_certificate ${fixturePath(l.bundle)};` : 'proxy_ssl_verify off;'}
            proxy_ssl_session_reuse ${l.reuse ? 'on' : 'off'};
        }`).join('\n');
  const nginx = await startNginx({ config: `    proxy_ssl_protocols ${protocols};\n    proxy_ssl_session_reuse on;\n    server {\n        listen 127.0.0.1:__PORT__;\n${blocks}\n    }` });
  try {
    const out: { status: number; error: string | null }[] = [];
    for (const path of order) {
      const { status } = await nginx.request(path);
      const lines = parseErrorLog(nginx.takeErrorLog().join('\n'), 'error');
      out.push({ status, error: lines[0]?.message ?? null });
    }
    return out;
  } finally {
    await nginx.stop();
  }
}

async function compare(locs: Loc[], protocols: string, order: string[]) {
  const model = await Promise.all(locs.map((l) => probeLocation(l, protocols)));
  const want = predictSequence(model, order).map((o) => ({ status: o.status!, error: o.error }));
  const got = await nginxSequence(locs, protocols, order);
  expect(got).toEqual(want);
  return { got, model };
}

const PARTIAL: Loc = { path: '/partial/', bundle: 'int1.pem', reuse: true };
const VAULT: Loc = { path: '/vault/', bundle: 'root.pem', reuse: true };
const E2 = 'upstream SSL certificate verify error: (2:unable to get issuer certificate) while SSL handshaking to upstream';

describe.skipIf(!!unavailable)('session reuse across locations, with real nginx', () => {
  it('TLS 1.2: after /partial/, /vault/ gets /partial/\'s error 2 until the session expires', async () => {
    const { got, model } = await compare([PARTIAL, VAULT], 'TLSv1.2', ['/partial/', '/vault/', '/vault/']);
    expect(got).toEqual([{ status: 502, error: E2 }, { status: 502, error: E2 }, { status: 502, error: E2 }]);
    const effects = sessionOrderEffects(model);
    expect(effects.find((e) => e.first === '/partial/')).toMatchObject({ then: '/vault/', kind: 'harmful', lasts: 'until-session-expires' });
  });

  it('TLS 1.2, the other order: /vault/ first, and /partial/ answers 200 (its missing root goes unnoticed)', async () => {
    const { got, model } = await compare([PARTIAL, VAULT], 'TLSv1.2', ['/vault/', '/partial/', '/partial/']);
    expect(got.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sessionOrderEffects(model).find((e) => e.first === '/vault/')).toMatchObject({ then: '/partial/', kind: 'hides' });
  });

  it('TLS 1.3: a failing location stores no ticket, so /vault/ is unaffected; the other direction costs one request', async () => {
    const a = await compare([PARTIAL, VAULT], 'TLSv1.2 TLSv1.3', ['/partial/', '/vault/', '/vault/']);
    expect(a.got.map((r) => r.status)).toEqual([502, 200, 200]);
    const b = await compare([PARTIAL, VAULT], 'TLSv1.2 TLSv1.3', ['/vault/', '/partial/', '/partial/']);
    // Node's TLS server issues no new ticket on a resumed connection: the third request is a full handshake again.
    expect(b.got.map((r) => r.status)).toEqual([200, 200, 502]);
  });

  it('verify off elsewhere: its session carries a result made against no bundle (20)', async () => {
    const OFF: Loc = { path: '/partial/', bundle: null, reuse: true };
    const { got } = await compare([OFF, VAULT], 'TLSv1.2', ['/partial/', '/vault/']);
    expect(got[1].status).toBe(502);
    expect(got[1].error).toContain('(20:unable to get local issuer certificate)');
  });

  it('the fix: proxy_ssl_session_reuse off in the location the model picks; both orders then give each its own verdict', async () => {
    const model = await Promise.all([PARTIAL, VAULT].map((l) => probeLocation(l, 'TLSv1.2')));
    const fix = sessionReuseFix(model);
    expect(fix.reuseOff).toEqual(['/partial/']);
    expect(fix.remaining).toEqual([]);
    const fixed = [{ ...PARTIAL, reuse: false }, VAULT];
    const a = await compare(fixed, 'TLSv1.2', ['/partial/', '/vault/', '/vault/']);
    expect(a.got.map((r) => r.status)).toEqual([502, 200, 200]);
    const b = await compare(fixed, 'TLSv1.2', ['/vault/', '/partial/', '/vault/']);
    expect(b.got.map((r) => r.status)).toEqual([200, 502, 200]);
  });
});
