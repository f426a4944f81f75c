/**
 * The pre-deploy check (`tlsdoctor verify --nginx-config`) against real nginx: the locations tlsdoctor says would
 * fail are exactly those that fail once nginx is reloaded with the change.
 *
 * New chain: one loopback upstream serves the `healthy` chain; several locations proxy to it with different
 * settings (depth, name, bundle, verify off, through an upstream block). tlsdoctor judges the `too-deep` chain
 * (leaf ← CA 2 ← CA 1 ← root) against them; then a server presenting that chain takes the upstream's place (the
 * configuration is rewritten to its port), nginx is restarted, and every location gets one request.
 * New bundle: locations sharing trusted/corp.pem (root.pem today) and one with its own copy; tlsdoctor judges
 * other-int.pem + other-root.pem in place of corp.pem against the live upstreams; then the file is replaced,
 * nginx restarted, and every location requested.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';
import { readFixture } from '../helpers/fixtures.js';
import { nginxBuildInfo, nginxUnavailableReason, startNginx, type NginxInstance } from '../helpers/nginx.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const unavailable = checkExternal(nginxUnavailableReason());

interface Doc {
  locations: { location: string; ok: boolean | null; status: number | null; logLine: string | null }[];
}

/** Requests every path once and returns those nginx did not proxy (status other than 200). */
async function failingPaths(nginx: NginxInstance, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) if ((await nginx.request(p)).status !== 200) out.push(p);
  return out.sort();
}

function setPort(nginx: NginxInstance, from: number, to: number): void {
  const conf = join(nginx.prefix, 'nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(`127.0.0.1:${from};`, `127.0.0.1:${to};`).replaceAll(`127.0.0.1:${from}`, `127.0.0.1:${to}`));
}

describe.skipIf(unavailable)('pre-deploy check of a new chain against real nginx', () => {
  let current: ScenarioServer;
  let next: ScenarioServer;
  let other: ScenarioServer;
  let nginx: NginxInstance;
  let scratch: string;
  const paths = ['/depth1/', '/depth2/', '/wrong-name/', '/verify-off/', '/other-ca/', '/block/'];

  beforeAll(async () => {
    current = await startScenarioServer('healthy');
    next = await startScenarioServer('too-deep');
    other = await startScenarioServer('healthy');
    scratch = mkdtempSync(join(tmpdir(), 'tlsdoctor-predeploy-'));
    const at = `127.0.0.1:${current.port}`;
    const config = `    upstream backend { server ${at}; }
    server {
        listen 127.0.0.1:__PORT__;
        proxy_ssl_verify on;
        proxy_ssl_name upstream.test;
        proxy_ssl_trusted_certificate trusted/root.pem;
        proxy_connect_timeout 5s;
        location /depth1/ { proxy_pass https://${at}; }
        location /depth2/ { proxy_ssl_verify_depth 2; proxy_pass https://${at}; }
        location /wrong-name/ { proxy_ssl_verify_depth 2; proxy_ssl_name other.test; proxy_pass https://${at}; }
        location /verify-off/ { proxy_ssl_verify off; proxy_pass https://${at}; }
        location /other-ca/ { proxy_ssl_verify_depth 3; proxy_ssl_trusted_certificate trusted/other-root.pem; proxy_pass https://${at}; }
        location /block/ { proxy_ssl_verify_depth 3; proxy_pass https://backend; }
        location /elsewhere/ { proxy_pass https://127.0.0.1:${other.port}; }
    }`;
    nginx = await startNginx({ config, files: { 'trusted/root.pem': readFixture('root.pem'), 'trusted/other-root.pem': readFixture('other-root.pem') } });
    writeFileSync(join(scratch, 'new-chain.pem'), ['leaf-int2.pem', 'int2.pem', 'int1.pem'].map(readFixture).join(''));
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const s of [current, next, other]) await s?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('names exactly the locations that fail once the upstream serves the chain', async () => {
    const version = nginxBuildInfo().version;
    const run = await runCli(['verify', '--chain', join(scratch, 'new-chain.pem'), '--nginx-config', join(nginx.prefix, 'nginx.conf'), '--upstream', `127.0.0.1:${current.port}`, '--nginx-version', version, '--json']);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as Doc;
    // Only the locations proxying to that server; /elsewhere/ is another upstream.
    expect(doc.locations.map((l) => l.location).sort()).toEqual([...paths].sort());
    const predicted = doc.locations.filter((l) => l.ok === false).map((l) => l.location).sort();
    expect(predicted).toEqual(['/depth1/', '/other-ca/', '/wrong-name/']);
    expect(run.code).toBe(1);

    expect(await failingPaths(nginx, paths)).toEqual(['/wrong-name/', '/other-ca/'].sort()); // before the rollout
    setPort(nginx, current.port, next.port);
    await nginx.reload();
    expect(await failingPaths(nginx, paths)).toEqual(predicted);
    // The lines predicted are the ones nginx logs (each failing request logged one).
    const log = nginx.errorLog();
    for (const l of doc.locations.filter((x) => x.ok === false)) expect(log).toContain(l.logLine!.replace(/^\[\w+\] /, ''));
  }, 60_000);

  it('exit 0 when every location still verifies; the table in text', async () => {
    const run = await runCli(['verify', '--chain', join(scratch, 'new-chain.pem'), '--nginx-config', join(nginx.prefix, 'nginx.conf'), '--upstream', 'backend', '--nginx-version', '1.22.1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/location \/block\/\s+backend\s+OK/);
    expect(run.stdout).toContain('Result: every location (1) still verifies once the upstream serves this chain.');
  });
});

describe.skipIf(unavailable)('pre-deploy check of a new bundle against real nginx', () => {
  let healthy: ScenarioServer;
  let otherCa: ScenarioServer;
  let nginx: NginxInstance;
  let scratch: string;
  const paths = ['/shared/', '/shared-off/', '/other-ca/', '/own-copy/'];

  beforeAll(async () => {
    healthy = await startScenarioServer('healthy');
    otherCa = await startScenarioServer('unknown-ca-leaf-only');
    scratch = mkdtempSync(join(tmpdir(), 'tlsdoctor-predeploy-'));
    const config = `    server {
        listen 127.0.0.1:__PORT__;
        proxy_ssl_verify on;
        proxy_ssl_name upstream.test;
        proxy_ssl_trusted_certificate trusted/corp.pem;
        proxy_connect_timeout 5s;
        location /shared/ { proxy_pass https://127.0.0.1:${healthy.port}; }
        location /shared-off/ { proxy_ssl_verify off; proxy_pass https://127.0.0.1:${healthy.port}; }
        location /other-ca/ { proxy_pass https://127.0.0.1:${otherCa.port}; }
        location /own-copy/ { proxy_ssl_trusted_certificate trusted/root-copy.pem; proxy_pass https://127.0.0.1:${healthy.port}; }
    }`;
    nginx = await startNginx({ config, files: { 'trusted/corp.pem': readFixture('root.pem'), 'trusted/root-copy.pem': readFixture('root.pem') } });
    writeFileSync(join(scratch, 'new-roots.pem'), readFixture('other-int.pem') + readFixture('other-root.pem'));
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const s of [healthy, otherCa]) await s?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('names exactly the locations that fail once nginx is reloaded with the bundle', async () => {
    const corp = join(nginx.prefix, 'trusted', 'corp.pem');
    const run = await runCli(['verify', '--ca', join(scratch, 'new-roots.pem'), '--replaces', corp, '--nginx-config', join(nginx.prefix, 'nginx.conf'), '--nginx-version', nginxBuildInfo().version, '--json']);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as Doc;
    // Only the locations that load corp.pem: /own-copy/ keeps its own file.
    expect(doc.locations.map((l) => l.location).sort()).toEqual(['/other-ca/', '/shared-off/', '/shared/']);
    const predicted = doc.locations.filter((l) => l.ok === false).map((l) => l.location).sort();
    expect(predicted).toEqual(['/shared/']);
    expect(run.code).toBe(1);

    expect(await failingPaths(nginx, paths)).toEqual(['/other-ca/']); // before the rollout
    writeFileSync(corp, readFileSync(join(scratch, 'new-roots.pem')));
    await nginx.reload();
    const after = await failingPaths(nginx, paths);
    expect(after.filter((p) => p !== '/own-copy/')).toEqual(predicted);
    expect(after).not.toContain('/own-copy/');
  }, 60_000);
});
