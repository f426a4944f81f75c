/**
 * `tlsdoctor serve --listen 127.0.0.1:9219 [--targets FILE]`: start the exporter (src/check/exporter.ts), run
 * until SIGTERM or SIGINT, then stop accepting, let running scrapes answer, and exit 0.
 */
import { requestPathOption } from '../request-option.js';
import { resolve } from 'node:path';
import { checkAddresses } from '../../check/check-addresses.js';
import { startExporter, type RunningExporter } from '../../check/exporter.js';
import { DEFAULT_CONCURRENCY } from '../../check/run-check.js';
import { createStatusBoard, type StatusBoard } from '../../check/status-board.js';
import { statusPageResponder } from '../../check/status-page-response.js';
import { parseResolverOption } from '../probe-addresses-output.js';
import { AddressListError, allowListPolicy, parseIp, parseRules, type AddressPolicy } from '../../fetch/address-policy.js';
import { cachedCheckDeps, collectTargetSpecs, resolveTarget, resolveTargets } from '../check-targets.js';
import { parseDuration } from '../duration.js';
import { sizeHeapForFleet } from '../fleet-heap.js';
import { parseThresholdOptions } from '../threshold-options.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import type { NginxOptionValues } from '../nginx-options.js';
import { UsageError } from '../usage-error.js';
import { withLocalNginxVersion } from '../nginx-options.js';
import type { CheckDeps } from '../../check/check-target.js';
import { startReloader } from '../config-reloader.js';
import { fileTargetSources, nginxTrustDeps, readNginxConfigTargets, type NginxConfigTargets } from '../nginx-config-targets.js';

export interface ServeCommandOptions extends NginxOptionValues {
  /** `--nginx-config FILE`: the targets from nginx's configuration, re-read on SIGHUP and on change. */
  nginxConfig?: string;
  /** `--resolver ADDR`: resolve target names there (every address is checked). */
  resolver?: string;
  /** `--request-path`: one request after each handshake (default: handshake only). */
  requestPath?: string;
  listen: string;
  targets: string[];
  targetsOnly?: boolean;
  allowTargets: string[];
  ca: string[];
  warn: string;
  crit: string;
  timeout: string;
  maxTimeout: string;
  /** `--refresh D`: time between the status page's check rounds of the --targets entries (0 = scrapes only). */
  refresh: string;
}

/** `host:port`, `[v6]:port`, or `:port` (every interface). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError('BAD_LISTEN', `--listen: "${text}" is not host:port (e.g. 127.0.0.1:9219, [::1]:9219, :9219)`);
  const host = m[1] ?? (m[2] === '' ? '::' : m[2]);
  return { host, port };
}

/** --allow-targets CIDR|HOST[,...] (repeatable) as an allow-list; undefined when not given. */
export function parseAllowTargets(values: string[]): AddressPolicy | undefined {
  if (values.length === 0) return undefined;
  try {
    return allowListPolicy(parseRules(values, 'allow', '--allow-targets'), '--allow-targets');
  } catch (e) {
    if (e instanceof AddressListError) throw new UsageError(e.code, e.message, { cause: e });
    throw e;
  }
}

/** Only the loopback interface can reach it: 127.0.0.0/8, ::1, or the name localhost. */
export function listensOnLoopbackOnly(host: string): boolean {
  const ip = parseIp(host);
  if (!ip) return host.toLowerCase() === 'localhost';
  return ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** An exporter any client on the network can point anywhere: say so at start, with the way to restrict it. */
export function exposureWarning(host: string, url: string, allowTargets: boolean, targetsOnly: boolean): string | undefined {
  if (listensOnLoopbackOnly(host) || allowTargets || targetsOnly) return undefined;
  return `${url} is reachable beyond loopback and probes any host:port a client names; restrict it with --allow-targets CIDR|HOST[,...] or --targets FILE --targets-only, or listen on 127.0.0.1`;
}

/** Resolves on the first SIGTERM or SIGINT (systemd stop, Ctrl-C). */
function stopSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (sig: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      done(sig);
    };
    const onTerm = () => on('SIGTERM');
    const onInt = () => on('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

/** How often the configuration's files are checked for a change (one stat per file). */
const CONFIG_POLL_MS = 2000;

/** SIGHUP and file changes re-read the configuration; a failed read keeps the targets and says so (stderr, metric). */
function watchConfig(first: NginxConfigTargets, read: () => Promise<NginxConfigTargets>, exporter: RunningExporter, board: StatusBoard, io: CliIO, renewDeps: () => void) {
  exporter.setReloadStatus(true, Math.floor(io.now().getTime() / 1000));
  const reloader = startReloader(first, {
    read,
    apply: (cfg) => {
      renewDeps();
      exporter.setListed(cfg.targets, fileTargetSources(cfg.files));
      board.setListed(cfg.targets);
      exporter.setReloadStatus(true, Math.floor(io.now().getTime() / 1000));
      io.stderr(`tlsdoctor: configuration re-read: ${cfg.targets.length} targets, ${cfg.files.length} files\n`);
    },
    filesOf: (cfg) => cfg.configFiles,
    failed: (message) => {
      exporter.setReloadStatus(false, 0);
      io.stderr(`tlsdoctor: configuration re-read failed, keeping the previous targets: ${message}\n`);
    },
    intervalMs: CONFIG_POLL_MS,
  });
  const onHup = () => void reloader.reload();
  process.on('SIGHUP', onHup);
  return {
    stop: () => {
      process.off('SIGHUP', onHup);
      reloader.stop();
    },
  };
}

export async function serveCommand(o: ServeCommandOptions, io: CliIO): Promise<number> {
  // Before the targets are read: V8 grows its young generation while they are parsed (src/cli/fleet-heap.ts).
  sizeHeapForFleet();
  const { host, port } = parseListen(o.listen);
  const thresholds = parseThresholdOptions(o.warn, o.crit);
  const defaultTimeoutMs = parseDuration(o.timeout, '--timeout');
  const maxTimeoutMs = parseDuration(o.maxTimeout, '--max-timeout');
  if (defaultTimeoutMs <= 0 || maxTimeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout and --max-timeout must be positive');
  if (o.targetsOnly && o.targets.length === 0 && !o.nginxConfig) throw new UsageError('MISSING_TARGETS', '--targets-only needs --targets FILE or --nginx-config FILE');
  if (o.nginxConfig && (o.targets.length > 0 || o.nginxConfig === '-')) {
    throw new UsageError('CONFLICTING_OPTIONS', '--nginx-config FILE (re-read on SIGHUP and on change) takes no --targets, and no - (standard input cannot be read again)');
  }
  const allowTargets = parseAllowTargets(o.allowTargets ?? []);
  const refreshMs = parseDuration(o.refresh ?? '60s', '--refresh');
  // At least a second: rounds back to back would be a handshake loop against every upstream. At most what a Node
  // timer holds (2^31-1 ms, ~24.8 days): setTimeout fires a longer delay at once (Node docs, timers.setTimeout).
  if (refreshMs !== 0 && (refreshMs < 1000 || refreshMs > 2 ** 31 - 1)) {
    throw new UsageError('BAD_DURATION', `--refresh: "${o.refresh}" must be 0 (no rounds: the page shows scrapes) or between 1s and 24d`);
  }

  const ca = o.ca.map((f) => resolve(io.cwd, f));
  const defaults = {
    ...(await withLocalNginxVersion(o, io.env, (m) => io.stderr(`tlsdoctor: warning: ${m}\n`))),
    ca,
    timeoutMs: defaultTimeoutMs,
    thresholds,
    ...(o.requestPath !== undefined ? { request: requestPathOption(o.requestPath) } : {}),
  };
  const specs = o.targets.length > 0 ? await collectTargetSpecs([], o.targets, io) : [];
  const configFile = o.nginxConfig ? resolve(io.cwd, o.nginxConfig) : undefined;
  const readConfig = () => readNginxConfigTargets(configFile, { ...o, timeoutMs: defaultTimeoutMs }, io);
  const fromConfig = configFile ? await readConfig() : undefined;
  const listed = fromConfig ? fromConfig.targets : resolveTargets(specs, defaults);
  // Bundles and client certificates are cached per read of the configuration: a reload sees changed files.
  const freshDeps = () => (fromConfig ? nginxTrustDeps(cachedCheckDeps(io)) : cachedCheckDeps(io));
  let inner = freshDeps();
  const deps: CheckDeps = { loadTrust: (f) => inner.loadTrust(f), loadClientCert: (c, k) => inner.loadClientCert(c, k) };
  // Read every bundle now: a missing file is a start-up error, not a stream of UNKNOWN scrapes.
  await deps.loadTrust(ca);
  const allowedCa = new Set([...ca, ...specs.flatMap((s) => s.ca ?? [])]);
  // Bundles of the configuration are not read here: one nginx cannot load is that target's UNKNOWN, not a start-up error.
  for (const f of allowedCa) {
    try {
      await deps.loadTrust([f]);
    } catch (e) {
      // A bundle named by a targets file's ca=: name that file and line, not --ca.
      const spec = ca.includes(f) ? undefined : specs.find((s) => s.ca?.includes(f));
      if (spec && e instanceof UsageError && e.message.startsWith(`--ca ${f}:`)) {
        throw new UsageError(e.code, `${spec.origin}: ca=${e.message.slice('--ca '.length)}`, { cause: e });
      }
      throw e;
    }
  }

  const check = checkAddresses({ resolver: parseResolverOption(o.resolver) });
  const now = () => io.now();
  // GET /: the listed targets, checked in rounds every --refresh (src/check/status-board.ts).
  const board = createStatusBoard({ listed, refreshMs, concurrency: DEFAULT_CONCURRENCY, thresholds, deps, check, now });
  const exporter: RunningExporter = await startExporter({
    host,
    port,
    listed,
    ...(fromConfig ? { files: fileTargetSources(fromConfig.files) } : {}),
    targetsOnly: !!o.targetsOnly,
    ...(allowTargets ? { allowTargets } : {}),
    allowedCa,
    resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
    deps,
    check,
    thresholds,
    defaultTimeoutMs,
    maxTimeoutMs,
    cwd: io.cwd,
    now,
    statusPage: statusPageResponder(board, { now, refreshMs }),
    onScrape: (target, result, at) => board.recordScrape(target, result, at),
  });
  board.start();
  io.stderr(`tlsdoctor: serving on ${exporter.url} (/probe?target=host:port, /metrics${listed.length ? `, ${listed.length} targets on /sd and the status page /` : ''})\n`);
  const model = fromConfig ? { v: fromConfig.nginxVersion, src: fromConfig.nginxVersionSource } : { v: defaults.nginxVersion, src: defaults.nginxVersionSource };
  io.stderr(`tlsdoctor: predicting as nginx ${model.v} (${model.src})\n`);
  if (fromConfig) io.stderr(`tlsdoctor: ${fromConfig.targets.length} targets and ${fromConfig.files.length} files from ${o.nginxConfig}; re-read on SIGHUP and on change\n`);
  const warning = exposureWarning(host, exporter.url, !!allowTargets, !!o.targetsOnly);
  if (warning) io.stderr(`tlsdoctor: warning: ${warning}\n`);
  const reloader = fromConfig ? watchConfig(fromConfig, readConfig, exporter, board, io, () => (inner = freshDeps())) : undefined;
  const sig = await stopSignal();
  reloader?.stop();
  io.stderr(`tlsdoctor: ${sig}, stopping\n`);
  await Promise.all([board.stop(), exporter.close()]);
  return EXIT.OK;
}
