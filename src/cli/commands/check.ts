/**
 * `tlsdoctor check TARGET... | --targets FILE | -`: many upstreams, monitoring-plugin exit codes (0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN). Bad usage is UNKNOWN too (monitoring-plugins' usage() exits STATE_UNKNOWN): one line,
 * `UNKNOWN: <message>` on stdout for the text format (what Nagios/Icinga display), `tlsdoctor: <message>` on stderr
 * for json/prometheus (stdout stays machine-readable).
 */
import { resolve } from 'node:path';
import { checkAddresses } from '../../check/check-addresses.js';
import { DEFAULT_CONCURRENCY, runCheck } from '../../check/run-check.js';
import { parseResolverOption } from '../probe-addresses-output.js';
import { EXIT_FOR_STATUS, summarize } from '../../check/status.js';
import { fileResults, nginxTrustDeps, readNginxConfigTargets, type NginxConfigTargets } from '../nginx-config-targets.js';
import { checkJsonChunks } from '../../report/check-json.js';
import { checkTextChunks } from '../../report/check-text.js';
import { checkPrometheusChunks } from '../../report/prometheus.js';
import { cachedCheckDeps, collectTargetSpecs, resolveTargets } from '../check-targets.js';
import { parseDuration } from '../duration.js';
import { sizeHeapForFleet } from '../fleet-heap.js';
import { parseThresholdOptions } from '../threshold-options.js';
import type { CliIO } from '../io.js';
import type { NginxOptionValues } from '../nginx-options.js';
import { requestPathOption } from '../request-option.js';
import { UsageError } from '../usage-error.js';
import { withLocalNginxVersion } from '../nginx-options.js';
import { parseAt } from './probe.js';

export interface CheckCommandOptions extends NginxOptionValues {
  /** `--nginx-config [FILE|-]`: the targets from nginx's configuration (true: `nginx -T`). */
  nginxConfig?: string | true;
  /** `--resolver ADDR`: resolve target names there (every address is checked). */
  resolver?: string;
  targets: string[];
  ca: string[];
  warn: string;
  crit: string;
  concurrency: string;
  timeout: string;
  json?: boolean;
  format?: string;
  at?: string;
  requestPath?: string;
}

type Format = 'text' | 'json' | 'prometheus';

/** Progress appears only on a terminal, and only once the run has lasted this long. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 250;

function formatOf(o: CheckCommandOptions): Format {
  const f = (o.format ?? (o.json ? 'json' : 'text')).toLowerCase();
  if (f !== 'text' && f !== 'json' && f !== 'prometheus') {
    throw new UsageError('BAD_FORMAT', `--format: expected text, json or prometheus, got "${o.format}"`);
  }
  if (o.json && f !== 'json') throw new UsageError('BAD_FORMAT', `--json conflicts with --format ${f}`);
  return f;
}

function parseConcurrency(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 10_000) {
    throw new UsageError('BAD_NUMBER', `--concurrency: "${text}" is not a whole number 1..10000`);
  }
  return Number(text);
}

function isUserError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === 'UsageError' || e.name === 'InputError' || code === 'BAD_TARGET';
}

function progress(io: CliIO): { update(done: number, total: number, bad: number): void; stop(): void } {
  if (!io.stderrIsTTY) return { update() {}, stop() {} };
  const started = Date.now();
  let line = '';
  let shown = false;
  const timer = setInterval(() => {
    if (Date.now() - started < PROGRESS_AFTER_MS || line === '') return;
    io.stderr(`\r\x1b[K${line}`);
    shown = true;
  }, PROGRESS_EVERY_MS);
  timer.unref();
  return {
    update(done, total, bad) {
      line = `tlsdoctor: checked ${done}/${total} targets, ${bad} not OK`;
    },
    stop() {
      clearInterval(timer);
      if (shown) io.stderr('\r\x1b[K');
    },
  };
}

/** `--nginx-config`: targets, settings and labels from the configuration; host:port and --targets do not mix with it. */
async function configTargets(args: string[], o: CheckCommandOptions, timeoutMs: number, io: CliIO): Promise<NginxConfigTargets> {
  if (args.length > 0 || o.targets.length > 0 || o.ca.length > 0) {
    throw new UsageError('CONFLICTING_OPTIONS', '--nginx-config takes the targets and their bundles from the configuration: no host:port, --targets or --ca with it');
  }
  const cfg = await readNginxConfigTargets(o.nginxConfig === true ? undefined : o.nginxConfig, { ...o, timeoutMs }, io);
  for (const s of cfg.skipped) io.stderr(`tlsdoctor: not monitored: ${s.where}: ${s.why}\n`);
  if (cfg.targets.length === 0 && cfg.files.length === 0) throw new UsageError('NO_TARGETS', 'no TLS upstream to monitor in the nginx configuration');
  return cfg;
}

export async function checkCommand(args: string[], o: CheckCommandOptions, io: CliIO): Promise<number> {
  let format: Format = 'text';
  // Before the targets are read: V8 grows its young generation while they are parsed (src/cli/fleet-heap.ts).
  sizeHeapForFleet();
  try {
    format = formatOf(o);
    const thresholds = parseThresholdOptions(o.warn, o.crit);
    const concurrency = parseConcurrency(o.concurrency ?? String(DEFAULT_CONCURRENCY));
    const timeoutMs = parseDuration(o.timeout, '--timeout');
    if (timeoutMs <= 0) throw new UsageError('BAD_DURATION', '--timeout must be positive');
    const at = parseAt(o.at, io);

    const fromConfig = o.nginxConfig !== undefined ? await configTargets(args, o, timeoutMs, io) : undefined;
    let targets = fromConfig?.targets ?? [];
    let deps = cachedCheckDeps(io);
    let modelled: NginxOptionValues = fromConfig ? { nginxVersion: fromConfig.nginxVersion, nginxVersionSource: fromConfig.nginxVersionSource } : {};
    if (fromConfig) deps = nginxTrustDeps(deps);
    else {
      const specs = await collectTargetSpecs(args, o.targets, io);
      if (specs.length === 0) throw new UsageError('NO_TARGETS', 'no targets: give host:port arguments, --targets FILE, --nginx-config, or - for standard input');
      const ca = o.ca.map((f) => resolve(io.cwd, f));
      modelled = await withLocalNginxVersion(o, io.env, (m) => io.stderr(`tlsdoctor: warning: ${m}\n`));
      targets = resolveTargets(specs, { ...modelled, ca, timeoutMs, thresholds, ...(o.requestPath !== undefined ? { request: requestPathOption(o.requestPath) } : {}) });
      // The command-wide bundle is read now: a typo in --ca is a usage error, not N unknown targets.
      await deps.loadTrust(ca);
    }

    const bar = progress(io);
    let bad = 0;
    const run = await runCheck(targets, {
      at,
      thresholds,
      concurrency,
      deps,
      check: checkAddresses({ resolver: parseResolverOption(o.resolver) }),
      onResult: (r, done, total) => {
        if (r.status !== 'OK') bad++;
        bar.update(done, total, bad);
      },
    }).finally(() => bar.stop());
    if (modelled.nginxVersion && modelled.nginxVersionSource) run.nginxModel = { version: modelled.nginxVersion, source: modelled.nginxVersionSource };
    if (fromConfig) {
      // The files nginx loads are targets too (kind file), judged at the run's time.
      run.results.push(...fileResults(fromConfig.files, at, thresholds));
      run.summary = summarize(run.results);
    }

    // Chunks, not one string: process.stdout writes to files and pipes synchronously on Linux (Node docs,
    // "A note on process I/O"), so a 10,000-target document is never held whole.
    const chunks = format === 'json' ? checkJsonChunks(run) : format === 'prometheus' ? checkPrometheusChunks(run) : checkTextChunks(run);
    for (const chunk of chunks) io.stdout(chunk);
    return run.summary.exitCode;
  } catch (e) {
    if (!isUserError(e)) throw e;
    if (format === 'text') io.stdout(`UNKNOWN: ${e.message}\n`);
    else io.stderr(`tlsdoctor: ${e.message}\n`);
    return EXIT_FOR_STATUS.UNKNOWN;
  }
}
