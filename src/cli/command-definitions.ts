/**
 * The commands' definitions for commander, one function each, so that a run defines only the command it runs
 * (defining every command costs ~1 ms of each start-up; a probe is timed against a bare node:tls script). Each command's
 * module is imported when that command runs.
 */
import type { Command } from 'commander';
import type { CliIO } from './io.js';
import { addNginxOptions } from './nginx-options.js';
import { addLintGateOptions, LINT_GATE_HELP } from './lint-gate-options.js';
import { DEFAULT_NGINX_VERSION } from '../nginx/defaults.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Defines one command on `program`; its action hands the command's exit code to `run`. */
type Define = (program: Command, io: CliIO, run: (code: number) => void) => void;

const defineProbe: Define = (program, io, run) => {
  const probe = program
    .command('probe')
    .description('handshake with an upstream as nginx would, and diagnose it')
    .argument('<target>', 'host:port, [IPv6]:port or host (port 443)')
    .option('--ca <file>', 'the proxy_ssl_trusted_certificate bundle (PEM, DER or PKCS#7; repeatable)', collect, [])
    .option('--intermediates <file|dir>', 'candidate CA certificates not trusted yet (repeatable)', collect, [])
    .option('--timeout <duration>', 'bound for connect + handshake + first read (5s, 500ms; bare number = seconds)', '5s')
    .option('--at <time>', 'judge validity at this ISO-8601 time instead of now')
    .option('--warn <duration>', 'warn (EXPIRES_SOON) about certificates of the path expiring within this (0 = off)', '30d')
    .option('--json', 'print the versioned JSON document')
    .option('--out <dir>', 'write presented-chain.pem, trusted-ca.pem and upstream-ssl.conf into DIR')
    .option('--install-path <path>', 'where trusted-ca.pem will live on the nginx host (default: DIR/trusted-ca.pem)')
    .option('--force', 'overwrite files in --out')
    .option('--allow-root-change', 'the fix may anchor on a root older than the one your bundle trusts (a retiring cross-signer)')
    .option('--no-fetch', 'never fetch missing intermediates from AIA URLs')
    .option('--fetch-allow <cidr|host,...>', 'AIA fetches may go there even when refused by default (link-local, cloud metadata; repeatable)', collect, [])
    .option('--fetch-deny <cidr|host,...>', 'AIA fetches never go there (decided after DNS, for every redirect; repeatable)', collect, [])
    .option('--resolver <address>', 'DNS server (IP[:port]) to resolve the target with, as nginx\'s `resolver`; default: the system resolver')
    .option('--brief', 'one line: OK|FAIL host:port - what nginx does (monitoring-plugin style)')
    .option('--pem', 'print the chain the upstream presented, as PEM (with subject/issuer comments)')
    .option('--watch [interval]', `probe again every interval (default 30s), one line each, and say when the verdict changes; Ctrl-C stops`)
    .option('--watch-count <n>', 'with --watch: stop after n probes')
    .option('--request-path <path>', 'after the handshake, send GET PATH as nginx would and read the status line', '/')
    .option('--no-request', 'handshake only: send no request after it');
  probe.addHelpText('after', `
Exit codes: 0 nginx would verify and proxy, 1 nginx would fail (diagnosed), 2 bad usage or unreadable input,
3 internal error. Without --ca the system CA store is used and the report says so: nginx has no such default.
Examples:
  tlsdoctor probe 10.0.2.88:8443 --ca bundle.pem
  tlsdoctor probe backend.internal:443 --ca bundle.pem --proxy-ssl-server-name on --out ./fix
  tlsdoctor probe 10.0.2.88:8443 --ca bundle.pem --watch 10s     (while a fix rolls out)`);
  addNginxOptions(probe).action(async (target: string, opts) => {
    const { probeCommand } = await import('./commands/probe.js');
    run(await probeCommand(target, opts, io));
  });
};

const defineVerify: Define = (program, io, run) => {
  const verify = program
    .command('verify')
    .description('judge a certificate chain from files, offline, as nginx would')
    .option('--chain <file>', 'the certificates as the server sends them, leaf first (required, except for --nginx-config with --ca)')
    .option('--untrusted <file>', 'more intermediates the server sends (repeatable)', collect, [])
    .option('--ca <file>', 'the proxy_ssl_trusted_certificate bundle (repeatable)', collect, [])
    .option('--intermediates <file|dir>', 'candidate CA certificates not trusted yet (repeatable)', collect, [])
    .option('--at <time>', 'judge validity at this ISO-8601 time (default: now)')
    .option('--warn <duration>', 'warn (EXPIRES_SOON) about certificates of the path expiring within this (0 = off)', '30d')
    .option('--json', 'print the versioned JSON document')
    .option('--out <dir>', 'write presented-chain.pem, trusted-ca.pem and upstream-ssl.conf into DIR')
    .option('--install-path <path>', 'where trusted-ca.pem will live on the nginx host')
    .option('--force', 'overwrite files in --out')
    .option('--allow-root-change', 'the fix may anchor on a root older than the one your bundle trusts (a retiring cross-signer)')
    .option('--nginx-config <file>', 'pre-deploy check: judge --chain (or the --ca bundle) against every location of this nginx.conf that uses it')
    .option('--upstream <host:port|name>', 'with --nginx-config --chain: the locations proxying to this server or upstream block (default: those whose proxy_ssl_name the leaf is issued for)')
    .option('--replaces <path>', 'with --nginx-config --ca: the configured proxy_ssl_trusted_certificate the new bundle replaces (default: the --ca path itself)')
    .option('--timeout <duration>', 'with --nginx-config --ca: bound per live probe (bare number = seconds)', '5s');
  verify.addHelpText('after', `
Exit codes: 0 nginx would verify, 1 nginx would fail (diagnosed), 2 bad usage or unreadable input, 3 internal error.
Pre-deploy check (exit 0 every location still verifies, 1 some would fail, 2 usage):
  tlsdoctor verify --chain new-chain.pem --nginx-config /etc/nginx/nginx.conf --upstream 10.0.2.88:8443
  tlsdoctor verify --ca new-roots.pem --replaces /etc/nginx/corp-roots.pem --nginx-config /etc/nginx/nginx.conf`);
  addNginxOptions(verify, false).action(async (opts) => {
    const { verifyCommand } = await import('./commands/verify.js');
    run(await verifyCommand(opts, io));
  });
};

const defineInspect: Define = (program, io, run) => {
  program
    .command('inspect')
    .description('show what is in certificate files (PEM, DER, PKCS#7); private keys are named, never printed')
    .argument('<files...>', 'files to inspect')
    .option('--at <time>', 'compute days left at this ISO-8601 time (default: now)')
    .option('--json', 'print JSON')
    .action(async (files: string[], opts) => {
      const { inspectCommand } = await import('./commands/inspect.js');
      run(await inspectCommand(files, opts, io));
    });
};

const defineDemo: Define = (program, io, run) => {
  program
    .command('demo')
    .description('start broken upstreams on 127.0.0.1 from the built-in fixtures, diagnose each, stop them')
    .option('--json', 'print one JSON document per scenario (JSON lines)')
    .option('--only <ids>', 'comma-separated scenario ids')
    .option('--nginx-version <x.y.z>', `nginx version to model (default: the local nginx's, from nginx -v, else ${DEFAULT_NGINX_VERSION})`)
    .action(async (opts) => {
      const { demoCommand } = await import('./commands/demo.js');
      run(await demoCommand(opts, io));
    });
};

const defineCheck: Define = (program, io, run) => {
  const check = program
    .command('check')
    .description('check many upstreams for monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also bad usage)')
    .argument('[targets...]', 'host:port ...; - reads a targets file from standard input')
    .option('--targets <file>', 'targets file: one "host:port [key=value ...]" per line, or JSON (repeatable; - = stdin)', collect, [])
    .option('--ca <file>', 'proxy_ssl_trusted_certificate for targets without ca= (repeatable; default: the system store)', collect, [])
    .option('--warn <duration>', 'WARNING when a certificate expires within this (30d, 12h; bare number = days; 33% = a share of its lifetime)', '30d')
    .option('--crit <duration>', 'CRITICAL when a certificate expires within this (7d, or 20% of its lifetime)', '7d')
    .option('--concurrency <n>', 'targets checked at the same time', '32')
    .option('--timeout <duration>', 'budget per target: DNS + connect + handshakes (bare number = seconds)', '5s')
    .option('--format <format>', 'text, json or prometheus', undefined)
    .option('--json', 'same as --format json')
    .option('--at <time>', 'judge validity at this ISO-8601 time instead of now')
    .option('--resolver <address>', 'DNS server (IP[:port]) for target names, instead of the system resolver; every address is checked')
    .option('--request-path <path>', 'after each handshake, send GET PATH as nginx would and judge the status (default: handshake only)')
    .option('--nginx-config [file]', "targets, settings and labels from nginx's configuration (FILE, - for `nginx -T` output; alone: `nginx -T`), and the files it loads");
  addNginxOptions(check).action(async (targets: string[], opts) => {
    const { checkCommand } = await import('./commands/check.js');
    run(await checkCommand(targets, opts, io));
  });
};

const defineServe: Define = (program, io, run) => {
  const serve = program
    .command('serve')
    .description('Prometheus exporter, blackbox style: /probe?target=host:port runs one check per scrape')
    .option('--listen <address>', 'host:port to listen on ([::1]:port for IPv6, :port for every interface)', '127.0.0.1:9219')
    .option('--targets <file>', 'targets file: its entries are addressable by ?target= with their own settings, its bundles allowed as ?ca=', collect, [])
    .option('--targets-only', 'refuse targets that are not in --targets')
    .option('--allow-targets <cidr|host,...>', 'a target not in --targets must be listed by name or resolve only into these CIDRs, else 403 (repeatable)', collect, [])
    .option('--ca <file>', 'default proxy_ssl_trusted_certificate (repeatable; also allowed as ?ca=)', collect, [])
    .option('--warn <duration>', 'WARNING threshold for tlsdoctor_check_status (30d; 33% = a share of the lifetime)', '30d')
    .option('--crit <duration>', 'CRITICAL threshold for tlsdoctor_check_status (7d, or 10%)', '7d')
    .option('--timeout <duration>', 'default budget per scrape (?timeout= may ask for less or up to --max-timeout)', '5s')
    .option('--max-timeout <duration>', 'the most a scrape may ask for with ?timeout=', '30s')
    .option('--refresh <duration>', 'status page (GET /): check the --targets entries again this long after each round ends (0 = show scrapes only)', '60s')
    .option('--resolver <address>', 'DNS server (IP[:port]) for target names, instead of the system resolver; every address is checked')
    .option('--request-path <path>', 'after each handshake, send GET PATH as nginx would and judge the status (default: handshake only)')
    .option('--nginx-config <file>', "targets, settings and labels from nginx's configuration (re-read on SIGHUP and on change), and the files it loads as file:PATH targets");
  addNginxOptions(serve).action(async (opts) => {
    const { serveCommand } = await import('./commands/serve.js');
    run(await serveCommand(opts, io));
  });
};

const defineNginx: Define = (program, io, run) => {
  const nginx = program
    .command('nginx')
    .description("read nginx's configuration, lint it, and probe every TLS upstream exactly as nginx would")
    .argument('[file]', 'nginx.conf (includes resolved), or - for `nginx -T` output on standard input (default: `nginx -T`)')
    .option('--nginx-version <x.y.z>', `nginx version to model, 1.18.0 to 1.31.x (default: a version line in the input, else \`nginx -v\` of the nginx on the PATH, else ${DEFAULT_NGINX_VERSION})`)
    .option('--nginx-build <file>', 'output of `nginx -V 2>&1` of that nginx: its version (and OpenSSL) are modelled')
    .option('--openssl-seclevel <n>', "OpenSSL security level of nginx's build (Debian/Ubuntu: 2)", '2')
    .option('--timeout <duration>', 'bound per probe: connect + handshake + first read (bare number = seconds)', '5s')
    .option('--concurrency <n>', 'upstream servers probed at the same time', '8')
    .option('--json', 'print the versioned JSON document')
    .option('--no-probe', 'configuration checks only: no network')
    .option('--allow-root-change', 'the fix may anchor on a root older than the one your bundle trusts (a retiring cross-signer)')
    .option('--resolver <address>', 'DNS server (IP[:port]) for upstream names, instead of the system resolver (and of the config\'s `resolver`)')
    .option('--no-fetch', 'never fetch missing intermediates from AIA URLs')
    .option('--fetch-allow <cidr|host,...>', 'AIA fetches may go there even when refused by default (link-local, cloud metadata; repeatable)', collect, [])
    .option('--fetch-deny <cidr|host,...>', 'AIA fetches never go there (decided after DNS, for every redirect; repeatable)', collect, [])
    .option('--intermediates <file|dir>', 'candidate CA certificates not trusted yet, for the fix (repeatable)', collect, [])
    .option('--only-failing', 'text: only the locations that fail (the summary counts the others)');
  addLintGateOptions(nginx).addHelpText('after', LINT_GATE_HELP).action(async (file: string | undefined, opts) => {
    const { nginxCommand } = await import('./commands/nginx.js');
    run(await nginxCommand(file, opts, io));
  });
};

const defineLint: Define = (program, io, run) => {
  // `lint`: the same engine as `nginx --no-probe` (the configuration checks only, no network), for CI.
  const lint = program
    .command('lint')
    .description('configuration checks only, no network: `tlsdoctor nginx --no-probe` as a CI gate (SARIF, JUnit)')
    .argument('[file]', 'nginx.conf (includes resolved), or - for `nginx -T` output on standard input (default: `nginx -T`)')
    .option('--nginx-version <x.y.z>', `nginx version to model (default: as for \`tlsdoctor nginx\`)`)
    .option('--nginx-build <file>', 'output of `nginx -V 2>&1` of that nginx')
    .option('--json', 'same as --format json');
  addLintGateOptions(lint).addHelpText('after', LINT_GATE_HELP).action(async (file: string | undefined, opts) => {
    const { nginxCommand } = await import('./commands/nginx.js');
    const defaults = { opensslSeclevel: '2', timeout: '5s', concurrency: '8', fetch: false };
    run(await nginxCommand(file, { ...defaults, ...opts, probe: false }, io));
  });
};

const defineExplain: Define = (program, io, run) => {
  program
    .command('explain')
    .description('explain nginx upstream TLS error-log lines: causes ranked, and the tlsdoctor probe command that pinpoints it')
    .argument('[line...]', 'one error-log line (default: standard input)')
    .option('--log <file>', 'a whole error log (- = standard input): grouped by upstream and error')
    .option('--config <file>', 'nginx.conf (or - for `nginx -T` output): the probe command gets the location\'s settings')
    .option('--nginx-version <x.y.z>', 'nginx version passed on to the probe command')
    .option('--json', 'print JSON')
    .action(async (line: string[], opts) => {
      const { explainCommand } = await import('./commands/explain.js');
      run(await explainCommand(line, opts, io));
    });
};

/** Every command, in the order `tlsdoctor --help` lists them. */
export const COMMANDS: Record<string, Define> = {
  probe: defineProbe,
  verify: defineVerify,
  inspect: defineInspect,
  demo: defineDemo,
  check: defineCheck,
  serve: defineServe,
  nginx: defineNginx,
  lint: defineLint,
  explain: defineExplain,
};
