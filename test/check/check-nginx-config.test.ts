/**
 * `check --nginx-config`: the targets, their settings and labels come from nginx's configuration; the files
 * nginx loads (bundle, client certificate, CRL) are `file` targets; every target has a forecast (failsAt,
 * failsBecause). Real loopback upstreams, in-process main(argv, io).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { recordingIO } from './fake-io.js';
import { issueCrl } from './live-pki.js';

interface TargetDoc {
  target: string;
  status: string;
  reason: string[];
  definedAt: string;
  proxySslName: string;
  labels: Record<string, string>;
  failsAt: string | null;
  failsBecause: { kind: string; code: string; depth?: number; file?: string; subject?: string } | null;
  nginx: { ok: boolean } | null;
}

let dir: string;
let conf: string;
const up: Record<string, ScenarioServer> = {};
let crlNextUpdate: Date;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-check-nginx-'));
  up.healthy = await startScenarioServer('healthy');
  up.expired = await startScenarioServer('expired-intermediate');
  writeFileSync(join(dir, 'root.pem'), readFixture('root.pem'));
  const crl = await issueCrl({ issuer: 'root', hoursLeft: 48 });
  crlNextUpdate = crl.nextUpdate!;
  writeFileSync(join(dir, 'crl.pem'), crl.pem);
  conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `events {}
http {
  server {
    listen 8080;
    server_name shop.example www.shop.example;
    location /api/ {
      proxy_pass https://127.0.0.1:${up.healthy.port};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${dir}/root.pem;
      proxy_ssl_name localhost;
      proxy_ssl_crl ${dir}/crl.pem;
    }
    location /api-again/ {
      proxy_pass https://127.0.0.1:${up.healthy.port};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${dir}/root.pem;
      proxy_ssl_name localhost;
      proxy_ssl_crl ${dir}/crl.pem;
    }
    location /shop/ {
      proxy_pass https://127.0.0.1:${up.expired.port};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${dir}/root.pem;
      proxy_ssl_name localhost;
    }
    location /lab/ {
      proxy_pass https://127.0.0.1:${up.expired.port};
    }
  }
}
`,
  );
});

afterAll(async () => {
  await Promise.all(Object.values(up).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function check(args: string[]) {
  const io = recordingIO({ cwd: dir });
  const code = await main(['check', '--nginx-config', conf, '--nginx-version', '1.26.3', '--timeout', '3s', ...args], io);
  return { code, io };
}

describe('check --nginx-config', () => {
  it('monitors each location with its own settings, labelled from the configuration, and the files nginx loads', async () => {
    const { code, io } = await check(['--json']);
    const doc = JSON.parse(io.out) as { targets: TargetDoc[]; summary: { status: string } };
    const byId = Object.fromEntries(doc.targets.map((t) => [t.target, t]));
    const api = byId[`localhost@127.0.0.1:${up.healthy.port}`];
    const shop = byId[`localhost@127.0.0.1:${up.expired.port}`];
    // Two locations with the same behaviour towards one server are one target; the id carries the verified name.
    expect(Object.keys(byId).sort()).toEqual(
      [`localhost@127.0.0.1:${up.healthy.port}`, `localhost@127.0.0.1:${up.expired.port}`, `file:${dir}/root.pem`, `file:${dir}/crl.pem`].sort(),
    );
    expect(api.labels).toEqual({ server_name: 'shop.example', location: '/api/', config: `${conf}:7` });
    expect(api.definedAt).toBe(`${conf}:7, ${conf}:14`);
    expect(api.proxySslName).toBe('localhost');
    expect(api.nginx?.ok).toBe(true);
    // Healthy now; the CRL's nextUpdate (2 days) comes before the path's notAfter (2046): that is when nginx fails.
    expect(api.failsAt).toBe(crlNextUpdate.toISOString());
    expect(api.failsBecause).toEqual({ kind: 'crl', code: 'CRL_EXPIRED', file: `${dir}/crl.pem` });
    expect(shop.status).toBe('CRITICAL');
    expect(shop.failsBecause).toMatchObject({ kind: 'now', code: 'EXPIRED' });
    expect(shop.labels.location).toBe('/shop/');
    // The files: the bundle's root lives to 2046 (OK); the CRL is inside --crit 7d.
    expect(byId[`file:${dir}/root.pem`]).toMatchObject({ status: 'OK', failsAt: '2046-01-01T00:00:00.000Z', failsBecause: { kind: 'anchor' } });
    expect(byId[`file:${dir}/crl.pem`]).toMatchObject({ status: 'CRITICAL', reason: ['EXPIRES_SOON'], failsBecause: { kind: 'crl' } });
    // proxy_ssl_verify off: nginx accepts anything, said on stderr, not a target.
    expect(io.err).toContain(`not monitored: ${conf}:27 (127.0.0.1:${up.expired.port}): proxy_ssl_verify is off`);
    expect(doc.summary.status).toBe('CRITICAL');
    expect(code).toBe(2);
  });

  it('text: the table shows the verified name and when nginx fails; prometheus: fails_at and a reason-free would_succeed', async () => {
    const text = (await check([])).io.out;
    expect(text).toMatch(/STATUS\s+TARGET\s+NAME\s+DAYS LEFT\s+FAILS AT\s+NGINX\s+REASON/);
    expect(text).toMatch(new RegExp(`CRITICAL\\s+localhost@127\\.0\\.0\\.1:${up.expired.port}\\s+localhost\\s+\\S+\\s+now\\s+502`));
    const prom = (await check(['--format', 'prometheus'])).io.out;
    expect(prom).toContain(`tlsdoctor_nginx_fails_at_timestamp_seconds{target="localhost@127.0.0.1:${up.healthy.port}"} ${crlNextUpdate.getTime() / 1000}`);
    expect(prom).toContain(`tlsdoctor_nginx_would_succeed{target="localhost@127.0.0.1:${up.expired.port}"} 0`);
    expect(prom).toContain(`tlsdoctor_nginx_failure_reason{target="localhost@127.0.0.1:${up.expired.port}",reason="EXPIRED"} 1`);
    expect(prom).toContain(`tlsdoctor_check_status{target="file:${dir}/crl.pem",status="CRITICAL"} 1`);
  });

  it('refuses host:port, --targets or --ca next to it, and names a missing configuration file (exit 3, one line)', async () => {
    const io = recordingIO({ cwd: dir });
    expect(await main(['check', '--nginx-config', conf, '127.0.0.1:1'], io)).toBe(3);
    expect(io.out).toMatch(/^UNKNOWN: --nginx-config takes the targets .*\n$/);
    const missing = recordingIO({ cwd: dir });
    const code = await main(['check', '--nginx-config', join(dir, 'nope.conf')], missing);
    expect(code).toBe(3);
    expect(missing.out + missing.err).toContain('nope.conf');
    expect((missing.out + missing.err).split('\n').filter(Boolean)).toHaveLength(1);
  });
});
