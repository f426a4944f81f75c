/**
 * `tlsdoctor nginx` and `tlsdoctor explain --log` against real nginx, end to end.
 *
 * Broken fixture upstreams run on loopback; ONE nginx configuration (a temp prefix: http block, two servers, one
 * of them from `include conf.d/*.conf`, a server-level `include snippets/...`, `upstream` blocks, a nested
 * location, proxy_ssl_* inherited from http and server level) points at them with `proxy_ssl_verify on`. Real
 * nginx runs it; each location gets one request (a fresh connection) and the lines nginx wrote for it are taken
 * from its real error log. Then:
 *  - `tlsdoctor nginx <that nginx.conf> --nginx-version <that nginx's>` must predict, per location, the status and
 *    exactly the [warn]-or-worse lines nginx wrote (upstream blocks included: a failure logs its line and
 *    `upstream server temporarily disabled`, and proxy_next_upstream tries the next server);
 *  - `tlsdoctor explain --log <nginx's error log> --config <nginx.conf>` must name, per upstream server, the
 *    finding codes `tlsdoctor nginx` found there among its causes.
 *
 * Every upstream server is reached from one location only, so `proxy_ssl_session_reuse` (on by default here)
 * cannot carry a verify result from one location to another (NGINX.md "Session reuse").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixture } from '../helpers/fixtures.js';
import { comparableLine, MATRIX_SKIP_NOTE, matrixBuilds, nginxBuilds, nginxUnavailableReason, parseErrorLog, startNginx, type NginxInstance } from '../helpers/nginx.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
// .ci/run installs nginx and sets TLSDOCTOR_REQUIRE_EXTERNALS: there a missing nginx fails instead of skipping.
checkExternal(unavailable);
if (unavailable) console.warn(`skipping real-nginx nginx-config tests on Debian's nginx: ${unavailable}`);
const builds = nginxBuilds();
if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

/** Upstream servers by role → fixture scenario. Each is started once and used by one location only. */
const UPSTREAMS = {
  healthy: 'healthy',
  leafOnly: 'leaf-only-sent',
  wrongCa: 'wrong-ca-bundle',
  selfSigned: 'self-signed-leaf',
  ip: 'name-mismatch-ip',
  deep: 'too-deep',
  deepNested: 'too-deep',
  poolBad: 'leaf-only-sent',
  poolGood: 'healthy',
  allBad1: 'self-signed-leaf',
  allBad2: 'expired-leaf',
  insecure: 'self-signed-leaf',
  noRetryBad: 'self-signed-leaf',
  noRetryGood: 'healthy',
  backupBad: 'leaf-only-sent',
  backupGood: 'healthy',
  weightedGood: 'healthy',
  weightedBad: 'expired-leaf',
  noMaxFailsBad: 'leaf-only-sent',
  noMaxFailsGood: 'healthy',
  pinned: 'self-signed-pinned',
  expired: 'expired-leaf',
  sni: 'sni-required',
} as const;
type Role = keyof typeof UPSTREAMS;

/** Locations: request path, Host header (which server block), and which upstream servers it reaches. */
const LOCATIONS: { path: string; host: string; roles: Role[] }[] = [
  { path: '/healthy/', host: 'a.test', roles: ['healthy'] },
  { path: '/leaf-only/', host: 'a.test', roles: ['leafOnly'] },
  { path: '/wrong-ca/', host: 'a.test', roles: ['wrongCa'] },
  { path: '/self-signed/', host: 'a.test', roles: ['selfSigned'] },
  { path: '/ip/', host: 'a.test', roles: ['ip'] },
  { path: '/deep/', host: 'a.test', roles: ['deep'] },
  { path: '/outer/deep/', host: 'a.test', roles: ['deepNested'] },
  { path: '/pool/', host: 'a.test', roles: ['poolBad', 'poolGood'] },
  { path: '/allbad/', host: 'a.test', roles: ['allBad1', 'allBad2'] },
  { path: '/insecure/', host: 'a.test', roles: ['insecure'] },
  { path: '/no-retry/', host: 'a.test', roles: ['noRetryBad', 'noRetryGood'] },
  { path: '/with-backup/', host: 'a.test', roles: ['backupBad', 'backupGood'] },
  { path: '/weighted/', host: 'a.test', roles: ['weightedGood', 'weightedBad'] },
  { path: '/no-max-fails/', host: 'a.test', roles: ['noMaxFailsBad', 'noMaxFailsGood'] },
  { path: '/pinned/', host: 'b.test', roles: ['pinned'] },
  { path: '/expired/', host: 'b.test', roles: ['expired'] },
  { path: '/sni/', host: 'b.test', roles: ['sni'] },
];

function configFor(port: (r: Role) => number): { config: string; files: Record<string, string> } {
  const at = (r: Role) => `127.0.0.1:${port(r)}`;
  const config = `daemon off;
master_process off;
pid __PREFIX__/nginx.pid;
error_log __PREFIX__/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path __PREFIX__/tmp/client_body;
    proxy_temp_path __PREFIX__/tmp/proxy;
    fastcgi_temp_path __PREFIX__/tmp/fastcgi;
    uwsgi_temp_path __PREFIX__/tmp/uwsgi;
    scgi_temp_path __PREFIX__/tmp/scgi;
    proxy_connect_timeout 5s;

    # http level: every location checks this name unless it says otherwise
    proxy_ssl_name upstream.test;

    upstream pool {
        server ${at('poolBad')};
        server ${at('poolGood')};
    }
    upstream allbad {
        server ${at('allBad1')};
        server ${at('allBad2')};
    }
    upstream noretry {
        server ${at('noRetryBad')};
        server ${at('noRetryGood')};
    }
    upstream withbackup {
        server ${at('backupGood')} backup;
        server ${at('backupBad')};
    }
    upstream weighted {
        server ${at('weightedGood')};
        server ${at('weightedBad')} weight=2;   # the first request goes to the heavier server
    }
    upstream nomaxfails {
        server ${at('noMaxFailsBad')} max_fails=0;   # no "temporarily disabled" warning
        server ${at('noMaxFailsGood')};
    }

    server {
        listen 127.0.0.1:__PORT__;
        server_name a.test;
        # server level, from a snippet: verify on with the test root
        include snippets/verify-root.conf;

        location /healthy/ { proxy_pass https://${at('healthy')}; }
        location /leaf-only/ {
            proxy_pass https://${at('leafOnly')};
        }
        location /wrong-ca/ {
            proxy_ssl_trusted_certificate trusted/other-root.pem;
            proxy_pass https://${at('wrongCa')};
        }
        location /self-signed/ {
            proxy_pass https://${at('selfSigned')};
        }
        location /ip/ {
            proxy_ssl_name $proxy_host;   # "127.0.0.1:PORT", port stripped: the IP
            proxy_pass https://${at('ip')};
        }
        location /deep/ {
            proxy_pass https://${at('deep')};
        }
        location /outer/ {
            proxy_ssl_verify_depth 2;
            location /outer/deep/ {
                proxy_pass https://${at('deepNested')};
            }
        }
        location /pool/ {
            proxy_pass https://pool;
        }
        location /allbad/ {
            proxy_pass https://allbad;
        }
        location /insecure/ {
            proxy_ssl_verify off;
            proxy_pass https://${at('insecure')};
        }
        location /no-retry/ {
            proxy_next_upstream off;
            proxy_pass https://noretry;
        }
        location /with-backup/ {
            proxy_pass https://withbackup;
        }
        location /weighted/ {
            proxy_pass https://weighted;
        }
        location /no-max-fails/ {
            proxy_pass https://nomaxfails;
        }
    }

    include conf.d/*.conf;
}
`;
  const files: Record<string, string> = {
    'snippets/verify-root.conf': 'proxy_ssl_verify on;\nproxy_ssl_trusted_certificate trusted/root.pem;\n',
    'trusted/root.pem': readFixture('root.pem'),
    'trusted/other-root.pem': readFixture('other-root.pem'),
    'trusted/pinned.pem': readFixture('leaf-self-signed.pem'),
    'conf.d/b.conf': `server {
    listen 127.0.0.1:__PORT__;
    server_name b.test;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate trusted/pinned.pem;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;

    location /pinned/ {
        proxy_pass https://${at('pinned')};
    }
    location /expired/ {
        proxy_ssl_trusted_certificate "trusted/root.pem";
        proxy_pass https://${at('expired')};
    }
    location /sni/ {
        proxy_ssl_trusted_certificate trusted/root.pem;
        proxy_pass https://${at('sni')};
    }
}
`,
  };
  return { config, files };
}

interface Observed {
  status: number;
  /** `[level] message` of every [warn]-or-worse line nginx wrote for this request. */
  lines: string[];
}

interface Predicted {
  ok: boolean | null;
  status: number | null;
  lines: { server: string; level: string; error: string }[];
}

interface Row {
  server: string | null;
  location: string | null;
  nginx: { ok: boolean; status: number | null; level: string | null; error: string | null } | null;
  nginxWithVerifyOn: { ok: boolean; error: string | null } | null;
  findings: { code: string; severity: string }[];
  fix: { verified: boolean | null; nginxFixable: boolean } | null;
  diff: { remove: { text: string }[]; add: { text: string }[]; overrides: { text: string; level: string }[] } | null;
}

interface Doc {
  schemaVersion: number;
  nginxVersion: string;
  lints: { code: string }[];
  upstreams: Row[];
  locations: (Predicted & { location: string | null; file: string; line: number })[];
}

describe.skipIf(builds.length === 0).each(builds)('tlsdoctor nginx / explain against real nginx $label', (build) => {
  const servers = new Map<Role, ScenarioServer>();
  let nginx: NginxInstance;
  const observed = new Map<string, Observed>();
  let doc: Doc;
  let exitCode: number;
  let errorLogFile: string;
  let scratch: string;
  const comparable = (line: string): string => comparableLine(build.version, line);

  beforeAll(async () => {
    for (const role of Object.keys(UPSTREAMS) as Role[]) servers.set(role, await startScenarioServer(UPSTREAMS[role]));
    const { config, files } = configFor((r) => servers.get(r)!.port);
    nginx = await startNginx({ config, files, bin: build.bin });
    for (const l of LOCATIONS) {
      const res = await nginx.request(l.path, { host: l.host });
      const lines = parseErrorLog(nginx.takeErrorLog().join('\n'), 'warn').map((x) => comparable(`[${x.level}] ${x.message}`));
      observed.set(l.path, { status: res.status, lines });
    }
    scratch = mkdtempSync(join(tmpdir(), 'tlsdoctor-e2e-'));
    errorLogFile = join(scratch, 'error.log');
    writeFileSync(errorLogFile, nginx.errorLog());

    const run = await runCli(['nginx', join(nginx.prefix, 'nginx.conf'), '--json', '--no-fetch', '--nginx-version', build.version]);
    expect(run.stderr).toBe('');
    exitCode = run.code;
    doc = JSON.parse(run.stdout) as Doc;
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const s of servers.values()) await s.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  function predictedFor(path: string): Predicted {
    // The location whose argument is the request path (each test location is requested at its own prefix).
    const l = doc.locations.find((x) => x.location === path);
    expect(l, `tlsdoctor found location ${path}`).toBeDefined();
    return l!;
  }

  it('finds every location and every upstream server', () => {
    expect(doc.schemaVersion).toBe(1);
    expect(doc.nginxVersion).toBe(build.version);
    expect(doc.locations.map((l) => l.location).sort()).toEqual(LOCATIONS.map((l) => l.path).sort());
    const probed = doc.upstreams.map((u) => u.server).sort();
    const expected = [...servers.values()].map((s) => `127.0.0.1:${s.port}`).sort();
    expect(probed).toEqual(expected);
  });

  it('predicts exactly the status and the log lines nginx wrote, location by location', () => {
    const table: string[] = [];
    let exact = 0;
    for (const l of LOCATIONS) {
      const seen = observed.get(l.path)!;
      const p = predictedFor(l.path);
      const predictedLines = p.lines.map((x) => comparable(`[${x.level}] ${x.error}`));
      const agree = p.status === seen.status && JSON.stringify(predictedLines) === JSON.stringify(seen.lines);
      if (agree) exact++;
      table.push(`${agree ? 'same' : 'DIFF'} ${l.path}: nginx ${seen.status} ${JSON.stringify(seen.lines)}; tlsdoctor ${p.status} ${JSON.stringify(predictedLines)}`);
    }
    console.log(`tlsdoctor nginx vs real nginx ${build.label}: ${exact} of ${LOCATIONS.length} locations predicted exactly\n${table.join('\n')}`);
    for (const l of LOCATIONS) {
      const seen = observed.get(l.path)!;
      const p = predictedFor(l.path);
      expect({ path: l.path, status: p.status, lines: p.lines.map((x) => comparable(`[${x.level}] ${x.error}`)) }).toEqual({ path: l.path, ...seen });
    }
  });

  it('sanity: the configuration produced the failures it was built for', () => {
    const status = (path: string) => observed.get(path)!.status;
    const ok = ['/healthy/', '/outer/deep/', '/pool/', '/insecure/', '/pinned/', '/with-backup/', '/weighted/', '/no-max-fails/'];
    const bad = ['/leaf-only/', '/wrong-ca/', '/self-signed/', '/ip/', '/deep/', '/allbad/', '/expired/', '/sni/', '/no-retry/'];
    expect([...ok, ...bad].sort()).toEqual(LOCATIONS.map((l) => l.path).sort());
    for (const path of ok) expect(status(path), path).toBe(200);
    for (const path of bad) expect(status(path), path).toBe(502);
    // A failing server in an upstream block: logged (with the [warn] that it is disabled for fail_timeout), then
    // the next server (or the backup) answered.
    const levels = (path: string) => observed.get(path)!.lines.map((l) => l.slice(0, l.indexOf(']') + 1));
    for (const path of ['/pool/', '/with-backup/', '/weighted/', '/no-retry/']) expect(levels(path), path).toEqual(['[error]', '[warn]']);
    expect(levels('/no-max-fails/')).toEqual(['[error]']);
    expect(levels('/allbad/')).toEqual(['[error]', '[warn]', '[error]', '[warn]']);
    // A lone server (implicit upstream of proxy_pass host:port) is never "disabled".
    expect(levels('/leaf-only/')).toEqual(['[error]']);
  });

  it('exit code 1: some upstreams fail', () => {
    expect(exitCode).toBe(1);
  });

  it('verify off: nginx proxies, tlsdoctor says what verification on would give, lints it and fixes it', () => {
    const row = doc.upstreams.find((u) => u.location === '/insecure/')!;
    expect(row.nginx?.ok).toBe(true);
    expect(row.nginxWithVerifyOn?.ok).toBe(false);
    expect(row.nginxWithVerifyOn?.error).toMatch(/^upstream SSL certificate verify error: \(18:/);
    expect(doc.lints.map((l) => l.code)).toContain('PROXY_SSL_VERIFY_OFF');
    expect(row.diff?.remove.map((r) => r.text)).toEqual(['proxy_ssl_verify off;']);
    expect(row.diff?.add.map((a) => a.text)).toContain('proxy_ssl_verify on;');
  });

  it('fixes are diffs against the location, naming what is inherited', () => {
    const deep = doc.upstreams.find((u) => u.location === '/deep/')!;
    expect(deep.findings.map((f) => f.code)).toContain('CHAIN_TOO_DEEP');
    expect(deep.diff?.add.map((a) => a.text)).toEqual(['proxy_ssl_verify_depth 2;']);
    expect(deep.diff?.remove).toEqual([]);
    expect(deep.fix?.verified).toBe(true);

    const ip = doc.upstreams.find((u) => u.location === '/ip/')!;
    expect(ip.diff?.remove.map((r) => r.text)).toEqual(['proxy_ssl_name $proxy_host;']);
    expect(ip.diff?.add.map((a) => a.text)).toEqual(['proxy_ssl_name upstream.test;']);

    const self = doc.upstreams.find((u) => u.location === '/self-signed/')!;
    // The bundle comes from server level (the snippet): the new one overrides it in this location only.
    expect(self.diff?.overrides.map((o) => [o.text, o.level])).toEqual([['proxy_ssl_trusted_certificate trusted/root.pem;', 'server']]);
    expect(self.diff?.add[0]?.text).toMatch(/^proxy_ssl_trusted_certificate .*trusted-ca-upstream\.test\.pem;$/);
  });

  it('explain --log on nginx\'s real error log names the causes tlsdoctor nginx found, per upstream server', async () => {
    const run = await runCli(['explain', '--log', errorLogFile, '--config', join(nginx.prefix, 'nginx.conf'), '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      groups: { upstream: string | null; count: number; example: { causes: string[]; probe: { argv: string[] }[] } }[];
      recognised: number;
    };
    const failing = doc.upstreams.filter((u) => u.nginx && !u.nginx.ok);
    expect(summary.groups.map((g) => g.upstream).sort()).toEqual(failing.map((u) => u.server).sort());
    for (const row of failing) {
      const group = summary.groups.find((g) => g.upstream === row.server)!;
      const errors = row.findings.filter((f) => f.severity === 'error').map((f) => f.code);
      expect(errors.length, `${row.location}: tlsdoctor nginx has error findings`).toBeGreaterThan(0);
      for (const code of errors) expect(group.example.causes, `${row.location} ${row.server}`).toContain(code);
      // The probe command explain proposes carries the location's settings from --config.
      expect(group.example.probe[0]?.argv.join(' ')).toContain(`--ca ${nginx.prefix}/trusted/`);
    }
  });
});
