/**
 * `serve --nginx-config FILE` as a process: the targets (and the files nginx loads) come from the configuration,
 * `/sd` lists them, SIGHUP and a change of the file re-read it, and a bad new configuration keeps the previous
 * targets and says so on stderr and in /metrics.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixture } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let conf: string;
const up: ScenarioServer[] = [];
let child: ChildProcessWithoutNullStreams | undefined;
let err = '';

const config = (ports: number[]) => `events {}
http {
  server {
    listen 8080;
    server_name shop.example;
${ports
  .map(
    (p, i) => `    location /u${i}/ {
      proxy_pass https://127.0.0.1:${p};
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${dir}/root.pem;
      proxy_ssl_name localhost;
    }`,
  )
  .join('\n')}
  }
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-serve-nginx-'));
  writeFileSync(join(dir, 'root.pem'), readFixture('root.pem'));
  up.push(await startScenarioServer('healthy'), await startScenarioServer('expired-intermediate'));
  conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config([up[0].port]));
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((done) => child!.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }
  await Promise.all(up.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} never came; stderr:\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sdTargets = async (url: string) => ((await (await fetch(`${url}/sd`)).json()) as { targets: string[] }[]).map((e) => e.targets[0]).sort();

describe('serve --nginx-config', () => {
  it('serves the configuration\'s targets and files, re-reads on SIGHUP and on change, keeps them on a bad config', async () => {
    const script = [
      "const { main } = await import('./src/cli/main.ts');",
      "const { processIO } = await import('./src/cli/process-io.ts');",
      'process.exitCode = await main(process.argv.slice(1), processIO());',
    ].join('\n');
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'serve', '--listen', '127.0.0.1:0', '--nginx-config', conf, '--nginx-version', '1.26.3'], {
      cwd: ROOT,
      env: { ...process.env, TLSDOCTOR_NO_LOCAL_NGINX: '1' },
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    const url = await until(async () => /serving on (http:\/\/\S+)/.exec(err)?.[1], 'the exporter');
    const healthy = `localhost@127.0.0.1:${up[0].port}`;
    const expired = `localhost@127.0.0.1:${up[1].port}`;
    expect(await sdTargets(url)).toEqual([`file:${dir}/root.pem`, healthy].sort());
    const scrape = await (await fetch(`${url}/probe?target=${encodeURIComponent(healthy)}`)).text();
    expect(scrape).toContain(`tlsdoctor_target_info{target="${healthy}",proxy_ssl_name="localhost",server_name="shop.example",location="/u0/",config="${conf}:7"} 1`);
    expect(scrape).toContain(`tlsdoctor_nginx_fails_at_timestamp_seconds{target="${healthy}"} 2398377600`);
    const file = await (await fetch(`${url}/probe?target=${encodeURIComponent(`file:${dir}/root.pem`)}`)).text();
    expect(file).toContain(`tlsdoctor_check_status{target="file:${dir}/root.pem",status="OK"} 1`);

    // A change of the file is noticed (polling); the new location's target appears.
    writeFileSync(conf, config([up[0].port, up[1].port]));
    await until(async () => ((await sdTargets(url)).includes(expired) ? true : undefined), 'the re-read after a change');
    const failing = await (await fetch(`${url}/probe?target=${encodeURIComponent(expired)}`)).text();
    expect(failing).toContain(`tlsdoctor_nginx_failure_reason{target="${expired}",reason="EXPIRED"} 1`);

    // A bad configuration: the previous targets stay, stderr and /metrics say so.
    writeFileSync(conf, 'http { server { location / { proxy_pass https://127.0.0.1:1; }\n');
    await until(async () => (/re-read failed, keeping the previous targets/.test(err) ? true : undefined), 'the failed re-read');
    expect(await sdTargets(url)).toEqual([`file:${dir}/root.pem`, healthy, expired].sort());
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('tlsdoctor_exporter_config_last_reload_successful 0\n');

    // SIGHUP re-reads too: back to one location.
    writeFileSync(conf, config([up[0].port]));
    child.kill('SIGHUP');
    await until(async () => ((await sdTargets(url)).includes(expired) ? undefined : true), 'the re-read on SIGHUP');
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('tlsdoctor_exporter_config_last_reload_successful 1\n');

    const exit = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);
});
