/**
 * Every fixture scenario against a real TLS server on 127.0.0.1, through the CLI (`probe --json`), under each
 * TLS version the scenario's server speaks: the predicted nginx outcome and log line, the finding codes, and
 * the chain exactly as sent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { FIXTURE_CLOCK, loadScenario, pemToDers, scenarios, type Scenario } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { runCli } from '../helpers/cli.js';

const servers: ScenarioServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function probeArgs(s: Scenario, port: number, protocols: string[]): string[] {
  const l = loadScenario(s.id);
  const args = ['probe', `127.0.0.1:${port}`, '--json', '--no-fetch', '--at', FIXTURE_CLOCK.toISOString()];
  for (const t of l.paths.trusted) args.push('--ca', t);
  args.push('--proxy-ssl-name', s.proxySslName, '--proxy-ssl-verify-depth', String(s.depth));
  if (s.sni) args.push('--proxy-ssl-server-name', 'on');
  args.push('--proxy-ssl-protocols', protocols.join(' '));
  if (l.paths.clientCert) args.push('--proxy-ssl-certificate', l.paths.clientCert.cert, '--proxy-ssl-certificate-key', l.paths.clientCert.key);
  args.push('--timeout', s.server === 'timeout' ? '700ms' : '5s');
  return args;
}

/**
 * The TLS versions to run a scenario under. Certificate scenarios run under TLS 1.2 and 1.3 each (the chain is
 * read from the clear under 1.2 and decrypted under 1.3); scenarios whose outcome depends on the protocol
 * (client certificates, protocol mismatch) run with exactly the protocols nginx offers.
 */
function versionsFor(s: Scenario): string[][] {
  const protocolBound = s.clientAuth?.mode === 'required' || /^tls1|client-cert/.test(s.id);
  if (s.server !== 'tls' || protocolBound) return [s.proxySslProtocols];
  const both = (s.tls ?? []).filter((v) => v === 'TLSv1.2' || v === 'TLSv1.3');
  return both.length > 0 ? both.map((v) => [v]) : [s.proxySslProtocols];
}

describe.each(scenarios().map((s) => [s.id, s] as const))('probe %s', (_id, s) => {
  it.each(versionsFor(s).map((v) => [v.join(' '), v] as const))('as nginx offering %s', async (_label, protocols) => {
    const server = await startScenarioServer(s.id);
    servers.push(server);
    const run = await runCli(probeArgs(s, server.port, protocols));
    await server.close();
    expect(run.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    const doc = JSON.parse(run.stdout);
    expect(doc.schemaVersion).toBe(1);
    const codes: string[] = doc.findings.map((f: { code: string }) => f.code);
    const errors = doc.findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string }) => f.code);

    expect({ ok: doc.nginx.ok, status: doc.nginx.status }).toEqual({ ok: s.expected.nginxOk, status: s.expected.status });
    expect(run.code).toBe(s.expected.nginxOk ? 0 : 1);
    if (s.expected.nginxError) expect(doc.nginx.error).toBe(s.expected.nginxError);
    if (s.expected.nginxLevel) expect(doc.nginx.level).toBe(s.expected.nginxLevel);
    for (const code of s.expected.findings) expect(codes, `${s.id} must report ${code}`).toContain(code);
    const allowed = new Set<string>([...s.expected.findings, ...(s.expected.mayReport ?? [])]);
    for (const code of errors) expect(allowed.has(code), `${s.id} reports unexpected ${code}`).toBe(true);

    if (s.server === 'tls' && doc.connection.outcome === 'handshake') {
      const l = loadScenario(s.id);
      const sniChain = s.sni ? l.pem.sni[s.proxySslName] : undefined;
      const served = (sniChain ? sniChain.serve : l.pem.serve).flatMap((p) => pemToDers(p));
      expect(doc.presentedChain.map((c: { sha256: string }) => c.sha256)).toEqual(
        served.map((d) => createHash('sha256').update(d).digest('hex')),
      );
    }
  });
});
