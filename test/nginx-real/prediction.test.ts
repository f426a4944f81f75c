/**
 * Prediction vs reality: for every fixture scenario, ONE upstream server is started and both real nginx (the
 * installed Debian package, and every build TLSDOCTOR_NGINX_BUILDS names) and `tlsdoctor probe` are pointed at it
 * with the same settings. tlsdoctor's
 * `nginx.ok`, `nginx.status`, `nginx.level` and `nginx.error` must equal what nginx answered and logged.
 *
 * Unlike ground-truth.test.ts, the expectation is derived from nginx here, never from the manifest: the
 * manifest only supplies the upstream and the (broken) settings. Both sides run on the real clock (no `--at`):
 * the fixtures are valid until 2046 and the expired ones stay expired. `--nginx-version` is the installed
 * nginx's, so version-dependent defaults (proxy_ssl_protocols before 1.23.4) are modelled as nginx runs them.
 *
 * One fresh nginx per case (NGINX.md "Session reuse"). nginx reads the bundle and the client certificate from
 * its prefix; tlsdoctor is given the very same files.
 *
 * Set TLSDOCTOR_PREDICTION_TABLE=<file> to write the scenario → nginx → tlsdoctor → agree table as Markdown, one
 * section per nginx build and a scenarios × versions summary.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PKI_DIR, scenarios, type FixtureTlsVersion, type Scenario } from '../helpers/fixtures.js';
import {
  comparableLine,
  MATRIX_SKIP_NOTE,
  matrixBuilds,
  nginxBuilds,
  nginxUnavailableReason,
  parseErrorLog,
  startNginx,
  type NginxBuild,
} from '../helpers/nginx.js';
import { CLIENT_CERT_FILE, CLIENT_KEY_FILE, TRUSTED_FILE, scenarioNginxSetup } from '../helpers/nginx-scenario.js';
import { startScenarioServer } from '../helpers/tls-server.js';
import { runCli } from '../helpers/cli.js';
import { checkExternal } from '../helpers/externals.js';

const unavailable = nginxUnavailableReason();
// .ci/run installs nginx and sets TLSDOCTOR_REQUIRE_EXTERNALS: there a missing nginx fails instead of skipping.
checkExternal(unavailable);
if (unavailable) console.warn(`skipping real-nginx prediction tests on Debian's nginx: ${unavailable}`);
const builds = nginxBuilds();

/** What nginx did, and what tlsdoctor says it would do: the fields compared exactly. */
interface Verdict {
  ok: boolean;
  status: number | null;
  level: string | null;
  error: string | null;
}

interface Comparison {
  build: NginxBuild;
  label: string;
  nginx: Verdict;
  /** Every line nginx logged at [warn] or worse, for the report when the first one is not the whole story. */
  nginxLines: string[];
  tlsdoctor: Verdict;
  /** Protocol tlsdoctor's probe negotiated (null when no handshake completed). */
  probeProtocol: string | null;
}

const compared: Comparison[] = [];

/**
 * proxy_connect_timeout also bounds nginx's TLS handshake (NGINX.md "Defaults"); tlsdoctor's --timeout bounds
 * connect + handshake + first read. The harness default is 5s; a silent upstream gets 1s on both sides so the
 * timeout case costs one second, not five.
 */
function connectTimeout(s: Scenario): string {
  return s.server === 'timeout' ? '1s' : '5s';
}

/** The first line nginx logged at [warn] or worse (an upstream failure), or nothing when it proxied cleanly. */
function nginxVerdict(status: number, log: string, version: string): { verdict: Verdict; lines: string[] } {
  const lines = parseErrorLog(log, 'warn');
  const first = lines[0];
  return {
    verdict: { ok: status === 200, status, level: first?.level ?? null, error: first ? comparableLine(version, first.message) : null },
    lines: lines.map((l) => `[${l.level}] ${l.message}`),
  };
}

/**
 * `tlsdoctor probe` arguments equivalent to the nginx location: every option nginx's config fixes is passed
 * explicitly, except proxy_ssl_protocols, which is passed only when the config sets it (otherwise tlsdoctor
 * must derive nginx's default from --nginx-version, as nginx does from its own version).
 */
function probeArgs(p: { port: number; scenario: Scenario; directives: string[]; prefixFiles: Record<string, string>; dir: string; version: string }): string[] {
  const s = p.scenario;
  const args = ['probe', `127.0.0.1:${p.port}`, '--json', '--no-fetch', '--nginx-version', p.version];
  if (p.prefixFiles[TRUSTED_FILE] !== undefined) args.push('--ca', join(p.dir, TRUSTED_FILE));
  // The target is always 127.0.0.1:port (the upstream block's server); nginx's $proxy_host is the scenario's
  // proxy_pass host (`backend`, `upstream.test` ...), so the name is always given.
  args.push('--proxy-ssl-name', s.proxySslName);
  args.push('--proxy-ssl-server-name', s.sni ? 'on' : 'off');
  args.push('--proxy-ssl-verify-depth', String(s.depth));
  const protocols = p.directives.find((d) => d.startsWith('proxy_ssl_protocols '));
  if (protocols) args.push('--proxy-ssl-protocols', protocols.slice('proxy_ssl_protocols '.length));
  if (p.prefixFiles[CLIENT_CERT_FILE] !== undefined) {
    args.push('--proxy-ssl-certificate', join(p.dir, CLIENT_CERT_FILE), '--proxy-ssl-certificate-key', join(p.dir, CLIENT_KEY_FILE));
  }
  args.push('--timeout', connectTimeout(s));
  return args;
}

/** One upstream, nginx then tlsdoctor against it, both verdicts. */
async function compare(scenario: Scenario, label: string, build: NginxBuild): Promise<Comparison> {
  const server = await startScenarioServer(scenario);
  try {
    const setup = scenarioNginxSetup({
      scenario,
      upstreamPort: server.port,
      pkiDir: PKI_DIR,
      nginxVersion: build.version,
      extraDirectives: [`proxy_connect_timeout ${connectTimeout(scenario)}`],
    });
    const nginx = await startNginx({ config: setup.config, files: setup.files, bin: build.bin });
    try {
      const res = await nginx.request('/');
      const seen = nginxVerdict(res.status, nginx.errorLog(), build.version);
      // Same bundle and client certificate files nginx read (the prefix stays until stop()).
      const args = probeArgs({ port: server.port, scenario, directives: setup.directives, prefixFiles: setup.files, dir: nginx.prefix, version: build.version });
      const run = await runCli(args);
      expect(run.stderr, `tlsdoctor ${args.join(' ')}`).not.toMatch(/internal error|at .*\.ts:\d+/);
      const doc = JSON.parse(run.stdout) as { nginx: Verdict; connection: { protocol: string | null } | null };
      expect(run.code, 'exit code follows nginx.ok').toBe(doc.nginx.ok ? 0 : 1);
      const error = doc.nginx.error === null ? null : comparableLine(build.version, doc.nginx.error);
      const predicted: Verdict = { ok: doc.nginx.ok, status: doc.nginx.status, level: doc.nginx.level, error };
      const c: Comparison = {
        build,
        label,
        nginx: seen.verdict,
        nginxLines: seen.lines,
        tlsdoctor: predicted,
        probeProtocol: doc.connection?.protocol ?? null,
      };
      compared.push(c);
      return c;
    } finally {
      await nginx.stop();
    }
  } finally {
    await server.close();
  }
}

function assertAgree(c: Comparison): void {
  expect(c.tlsdoctor, `nginx logged:\n${c.nginxLines.join('\n') || '(nothing)'}`).toEqual(c.nginx);
}

/** The scenario with nginx configured for TLS 1.2 + 1.3 to the upstream (1.22.1 supports it when configured). */
function withTls13(s: Scenario): Scenario {
  const protocols: FixtureTlsVersion[] = ['TLSv1.2', 'TLSv1.3'];
  return { ...s, proxySslProtocols: protocols };
}

/**
 * The issue's two TLS 1.3 cases first; then every other TLS upstream, since with TLS 1.3 the certificate chain
 * travels encrypted (the probe reads it differently) and a TLS 1.0-only upstream fails differently.
 */
const TLS13_FIRST = ['client-cert-required-tls13', 'tls13-only'];
const TLS13_SCENARIOS = [
  ...TLS13_FIRST,
  ...scenarios()
    .filter((s) => s.server === 'tls' && !TLS13_FIRST.includes(s.id))
    .map((s) => s.id),
];

const agrees = (c: Comparison): boolean => JSON.stringify(c.nginx) === JSON.stringify(c.tlsdoctor);

/** Per build: the scenario table; then scenarios × versions, the matrix of the closing note. */
function writeTable(out: string): void {
  const fmt = (v: Verdict): string => (v.ok ? `${v.status}` : `${v.status} [${v.level}] ${v.error}`);
  const sections = builds.map((b) => {
    const mine = compared.filter((c) => c.build === b);
    const rows = mine.map((c) => {
      const more = c.nginxLines.length > 1 ? `<br>then: ${c.nginxLines.slice(1).join('<br>')}` : '';
      return `| ${c.label} | ${fmt(c.nginx)}${more} | ${agrees(c) ? '(same)' : fmt(c.tlsdoctor)} | ${agrees(c) ? 'yes' : 'NO'} |`;
    });
    return (
      `## nginx ${b.label}, built with ${b.builtWithOpenssl}\n\n| scenario | nginx | tlsdoctor | agree |\n|---|---|---|---|\n${rows.join('\n')}\n\n` +
      `${mine.filter(agrees).length} of ${mine.length} predicted exactly\n`
    );
  });
  const labels = [...new Set(compared.map((c) => c.label))];
  const head = `| situation | ${builds.map((b) => b.label).join(' | ')} |\n|---|${builds.map(() => '---|').join('')}`;
  const matrix = labels.map((l) => `| ${l} | ${builds.map((b) => {
    const c = compared.find((x) => x.build === b && x.label === l);
    return c ? (agrees(c) ? 'yes' : 'NO') : '-';
  }).join(' | ')} |`);
  const totals = `| **exact** | ${builds.map((b) => {
    const mine = compared.filter((c) => c.build === b);
    return `${mine.filter(agrees).length}/${mine.length}`;
  }).join(' | ')} |`;
  writeFileSync(out, `# Prediction vs real nginx\n\n${head}\n${matrix.join('\n')}\n${totals}\n\n${sections.join('\n')}`);
}

if (matrixBuilds().length === 0) it.skip(MATRIX_SKIP_NOTE, () => {});

describe.skipIf(builds.length === 0)('tlsdoctor predicts what real nginx does', () => {
  afterAll(() => {
    const out = process.env.TLSDOCTOR_PREDICTION_TABLE;
    if (out) writeTable(out);
  });

  describe.each(builds)('nginx $label', (build) => {
    describe("with each scenario's own settings", () => {
      for (const scenario of scenarios()) {
        it(scenario.id, async () => {
          assertAgree(await compare(scenario, scenario.id, build));
        });
      }
    });

    describe('with TLS 1.3 to upstreams (proxy_ssl_protocols TLSv1.2 TLSv1.3)', () => {
      for (const id of TLS13_SCENARIOS) {
        const scenario = scenarios().find((s) => s.id === id);
        it(id, async () => {
          expect(scenario, `fixture scenario ${id}`).toBeDefined();
          const c = await compare(withTls13(scenario!), `${id} (TLSv1.2 TLSv1.3)`, build);
          assertAgree(c);
          // The model really ran over TLS 1.3 where the upstream speaks it (the chain then travels encrypted).
          if (scenario!.tls?.includes('TLSv1.3')) expect(c.probeProtocol).toBe('TLSv1.3');
        });
      }
    });
  });
});
