/**
 * `check` must judge a target exactly as `probe` does: same `nginx`, same `findings`, for the fixture scenarios
 * (check-target.ts runs a subset of run-probe.ts' acquisition steps; this test catches a divergence).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTarget, type CheckDeps } from '../../src/check/check-target.js';
import type { CheckTarget } from '../../src/check/types.js';
import { readCertFile } from '../../src/cli/read-cert-files.js';
import { runProbe } from '../../src/cli/run-probe.js';
import type { Cert } from '../../src/certs/cert.js';
import { defaultSettings, type NginxSettings } from '../../src/nginx/defaults.js';
import { loadScenario } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const IDS = [
  'healthy',
  'expired-intermediate',
  'leaf-only-sent',
  'wrong-ca-bundle',
  'sni-required',
  'too-deep',
  'self-signed-leaf',
  'name-mismatch-ip',
  'tls13-only',
  'client-cert-accepted',
  'refused',
  'plain-http',
];

const servers = new Map<string, ScenarioServer>();
beforeAll(async () => {
  for (const id of IDS) servers.set(id, await startScenarioServer(id));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

function settingsOf(id: string): NginxSettings {
  const s = loadScenario(id);
  return {
    ...defaultSettings(s.proxyPassHost ?? '127.0.0.1', '1.22.1'),
    proxySslName: s.proxySslName,
    proxySslServerName: s.sni,
    proxySslVerifyDepth: s.depth,
    proxySslProtocols: s.proxySslProtocols,
  };
}

describe('checkTarget judges like probe --no-fetch', () => {
  it.each(IDS)('%s', async (id) => {
    const s = loadScenario(id);
    const server = servers.get(id)!;
    const trusted: Cert[] = [];
    for (const f of s.paths.trusted) trusted.push(...(await readCertFile(f, '--ca')).certs);
    const client = s.paths.clientCert;
    const settings = settingsOf(id);
    const at = new Date();
    const deps: CheckDeps = {
      loadTrust: async () => ({ certs: trusted, trust: { source: 'bundle', files: s.paths.trusted, count: trusted.length }, notes: [] }),
      loadClientCert: async () => ({ cert: s.pem.clientCert!.cert, key: s.pem.clientCert!.key, certs: [] }),
    };
    const t: CheckTarget = {
      id: `127.0.0.1:${server.port}`,
      spec: { input: `127.0.0.1:${server.port}`, host: '127.0.0.1', port: server.port, origin: 'test', labels: {} },
      settings,
      caFiles: s.paths.trusted,
      ...(client ? { clientCert: { certFile: client.cert, keyFile: client.key } } : {}),
      timeoutMs: 3000,
    };
    const checked = await checkTarget(t, at, { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 }, deps);
    const probed = await runProbe({
      input: t.id,
      host: '127.0.0.1',
      port: server.port,
      settings,
      trusted,
      trust: { source: 'bundle', files: s.paths.trusted, count: trusted.length },
      pool: [],
      clientCert: s.pem.clientCert,
      timeoutMs: 3000,
      fetch: false,
      at,
      installPath: '/etc/nginx/trusted-ca.pem',
      notes: [],
      warnDays: 30,
    });
    expect(checked.nginx).toEqual(probed.diagnosis.nginx);
    expect(checked.findings).toEqual(probed.diagnosis.findings);
    expect(checked.nginx!.ok).toBe(s.expected.nginxOk);
    expect(checked.status).toBe(s.expected.nginxOk ? 'OK' : 'CRITICAL');
    // The path's dates are kept whatever the verdict.
    expect(checked.path.map((p) => p.sha256)).toEqual(probed.diagnosis.fullPath.map((p) => p.ref.sha256));
  });
});
