/**
 * nginx configuration for a fixture scenario's (broken) settings, as a user would have written it.
 *
 * Only what differs from nginx's defaults is written, so nginx's own defaults (depth 1, no SNI, proxy_ssl_name =
 * $proxy_host, the version's default protocols) are what is exercised: that is where the outages come from.
 * `proxy_ssl_verify on` and the bundle are always written: with verify off every scenario proxies with 200
 * (NGINX.md "Defaults").
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Scenario } from '../../certs-fixtures/manifest-types.js';
import { defaultProtocols } from '../../src/nginx/defaults.js';
import { PKI_DIR } from './fixtures.js';
import { nginxBuildInfo, parseErrorLog, proxyConfig, startNginx } from './nginx.js';
import { startScenarioServer } from './tls-server.js';

/** File names the generated config uses inside the nginx prefix. */
export const TRUSTED_FILE = 'trusted.pem';
export const CLIENT_CERT_FILE = 'proxy-client.pem';
export const CLIENT_KEY_FILE = 'proxy-client.key.pem';

export interface ScenarioNginxSetup {
  /** The `proxy_ssl_*` lines for the location. */
  directives: string[];
  /** Files to put in the nginx prefix (the bundle, the client certificate and key). */
  files: Record<string, string>;
  /** http-block body for startNginx: upstream block if the scenario proxies to a name, one server, one location. */
  config: string;
}

export interface ScenarioNginxParams {
  scenario: Scenario;
  /** Port of the scenario's server on 127.0.0.1. */
  upstreamPort: number;
  /** Absolute path of certs-fixtures/pki. */
  pkiDir: string;
  /** nginx version whose defaults apply; default: the installed one. */
  nginxVersion?: string;
  /**
   * Replace the scenario's `proxy_ssl_*` lines (issue 3: drop in a generated upstream-ssl.conf). The upstream /
   * proxy_pass wiring stays as in the scenario.
   */
  directives?: string[];
  /** Extra files for the prefix (e.g. a generated trusted-ca.pem). */
  files?: Record<string, string>;
  /** Lines appended after the scenario's (or the replacement) directives. */
  extraDirectives?: string[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `proxy_pass` target: an IP literal is used as is; any other name becomes an upstream block of that name. */
export function scenarioTarget(scenario: Scenario): { upstreamHost?: string; upstreamBlock?: string } {
  const host = scenario.proxyPassHost;
  if (isIP(host) === 4) return { upstreamHost: host };
  if (isIP(host) === 6) return { upstreamHost: `[${host}]` };
  // nginx resolves a bare host name in proxy_pass at start-up; an upstream block of that name keeps
  // $proxy_host = the name (so proxy_ssl_name defaults to it) while connecting to our loopback port.
  return { upstreamBlock: host };
}

export function scenarioNginxSetup(p: ScenarioNginxParams): ScenarioNginxSetup {
  const s = p.scenario;
  const pem = (name: string): string => readFileSync(join(p.pkiDir, name), 'utf8');
  const files: Record<string, string> = {};
  let directives: string[];
  if (p.directives) {
    directives = p.directives;
  } else {
    files[TRUSTED_FILE] = s.trusted.map(pem).join('');
    directives = ['proxy_ssl_verify on', `proxy_ssl_trusted_certificate ${TRUSTED_FILE}`];
    if (s.depth !== 1) directives.push(`proxy_ssl_verify_depth ${s.depth}`);
    if (s.proxySslName !== s.proxyPassHost) directives.push(`proxy_ssl_name ${s.proxySslName}`);
    if (s.sni) directives.push('proxy_ssl_server_name on');
    const version = p.nginxVersion ?? nginxBuildInfo().version;
    if (!sameList(s.proxySslProtocols, defaultProtocols(version))) {
      directives.push(`proxy_ssl_protocols ${s.proxySslProtocols.join(' ')}`);
    }
    if (s.clientCert) {
      files[CLIENT_CERT_FILE] = pem(s.clientCert.cert);
      files[CLIENT_KEY_FILE] = pem(s.clientCert.key);
      directives.push(`proxy_ssl_certificate ${CLIENT_CERT_FILE}`, `proxy_ssl_certificate_key ${CLIENT_KEY_FILE}`);
    }
  }
  Object.assign(files, p.files ?? {});
  const all = [...directives, ...(p.extraDirectives ?? [])];
  const config = proxyConfig({ upstreamPort: p.upstreamPort, ...scenarioTarget(s), directives: all });
  return { directives, files, config };
}

export interface NginxObservation {
  scenario: string;
  status: number;
  body: string;
  /** `[error]` and worse lines: level and message without the `, client: ...` context. */
  lines: { level: string; message: string }[];
  /** The location's proxy_ssl_* lines nginx ran with. */
  directives: string[];
}

export interface ObserveParams {
  /** Replace the scenario's proxy_ssl_* lines (see ScenarioNginxParams.directives). */
  directives?: string[];
  files?: Record<string, string>;
  /** The nginx to run (binary and version); default Debian's. */
  build?: { bin: string; version: string };
}

/**
 * Runs one scenario through real nginx: starts the scenario's server and a fresh nginx with the scenario's
 * settings (or `directives`), sends one GET /, returns what nginx answered and logged, stops both.
 */
export async function observeWithNginx(scenario: Scenario, params: ObserveParams = {}): Promise<NginxObservation> {
  const server = await startScenarioServer(scenario);
  try {
    const setup = scenarioNginxSetup({
      scenario,
      upstreamPort: server.port,
      pkiDir: PKI_DIR,
      directives: params.directives,
      files: params.files,
      ...(params.build ? { nginxVersion: params.build.version } : {}),
      // A silent upstream is bounded by proxy_connect_timeout (default 60 s, NGINX.md): 1 s changes nothing
      // but the wait.
      extraDirectives: scenario.server === 'timeout' ? ['proxy_connect_timeout 1s'] : [],
    });
    const nginx = await startNginx({ config: setup.config, files: setup.files, ...(params.build ? { bin: params.build.bin } : {}) });
    try {
      const res = await nginx.request('/');
      const lines = parseErrorLog(nginx.errorLog(), 'error').map(({ level, message }) => ({ level, message }));
      return { scenario: scenario.id, status: res.status, body: res.body, lines, directives: setup.directives };
    } finally {
      await nginx.stop();
    }
  } finally {
    await server.close();
  }
}
