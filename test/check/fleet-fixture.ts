/**
 * A fleet for the check tests: two loopback upstreams (a healthy chain and one with an expired intermediate), and
 * targets that alternate between them, each with its own identity (id, origin) over the same chain and bundle.
 * `useFleet()` starts the upstreams before the file's tests and stops them after.
 */
import { afterAll, beforeAll } from 'vitest';
import type { CheckTarget } from '../../src/check/types.js';
import { defaultSettings } from '../../src/nginx/defaults.js';
import { loadScenario } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

export const FLEET_THRESHOLDS = { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 };
const SCENARIOS = ['healthy', 'expired-intermediate'];

export function useFleet(): (i: number, labels?: Record<string, string>) => CheckTarget {
  const servers = new Map<string, ScenarioServer>();
  beforeAll(async () => {
    for (const id of SCENARIOS) servers.set(id, await startScenarioServer(id));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
  });
  /** The i-th target (0-based). */
  return (i, labels = {}) => {
    const s = loadScenario(SCENARIOS[i % 2]);
    const port = servers.get(s.id)!.port;
    const settings = { ...defaultSettings('127.0.0.1', '1.22.1'), proxySslName: s.proxySslName, proxySslServerName: s.sni, proxySslVerifyDepth: s.depth };
    return {
      id: `127.0.0.1:${port}#${i + 1}`,
      spec: { input: `127.0.0.1:${port}`, host: '127.0.0.1', port, origin: `fleet.txt:${i + 1}`, labels },
      settings,
      caFiles: s.paths.trusted,
      timeoutMs: 5000,
    };
  };
}
