/**
 * `tlsdoctor serve`: a Prometheus exporter in the blackbox_exporter style. Prometheus schedules and shards the
 * work: each scrape of `/probe?target=host:port&...` runs one check and answers its metrics (README "Metrics (contract)").
 *
 *   GET /probe?target=H:P[&name=N][&sni=on|off][&ca=FILE...][&depth=N][&protocols=L][&timeout=D]
 *   GET /metrics   the exporter's own counters
 *   GET /sd        Prometheus HTTP service discovery for the --targets entries
 *   GET /          the status page of the --targets entries (status-board.ts), else a short help page
 *
 * A scrape never outlives its budget: min(timeout=, --max-timeout, Prometheus' X-Prometheus-Scrape-Timeout-Seconds
 * minus 0.5 s, as blackbox_exporter does), enforced by guardedCheck (run-check.ts).
 *
 * Whoever reaches the port chooses host:port, so an exposed exporter is a port scanner for them. What limits it:
 * --targets-only (only the --targets entries), or --allow-targets (a query target must be allowed by that
 * allow-list, decided after DNS on every address, and the check connects to the address decided: a name that
 * rebinds between the check and the connection cannot escape it). A refused target gets 403 and no packet.
 * Entries of --targets are always allowed: they are chosen by whoever starts the exporter, like the ca= bundles.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { AddressPolicy } from '../fetch/address-policy.js';
import { checkDestination, pinnedLookup, systemResolveHost, type ResolveHost } from '../fetch/destination.js';
import { parseTarget } from '../probe/parse-target.js';
import { targetIdFor } from './targets-file.js';
import { targetThresholds } from './thresholds.js';
import { EXPOSITION_CONTENT_TYPE } from '../report/exposition.js';
import { exporterMetrics, newExporterStats, observeDuration } from '../report/exporter-metrics.js';
import { probePrometheus } from '../report/prometheus.js';
import type { CheckDeps } from './check-target.js';
import { DEADLINE_GRACE_MS, guardedCheck } from './run-check.js';
import type { CheckResult, CheckTarget, CheckThresholds, TargetSpec } from './types.js';

export interface ExporterOptions {
  host: string;
  port: number;
  /** The per-target check: checkAddresses() (every address of the name) from the CLI; default checkTarget. */
  check?: typeof import('./check-target.js').checkTarget;
  /** Entries of --targets, addressable by `?target=<id>` with their own settings and labels. */
  listed: CheckTarget[];
  /** Files nginx loads (serve --nginx-config), addressable by `?target=file:PATH`. */
  files?: FileTargetSource[];
  /** Refuse targets not in `listed`. */
  targetsOnly: boolean;
  /** --allow-targets: where a target not in `listed` may be (decided after resolution); undefined = anywhere. */
  allowTargets?: AddressPolicy;
  /** The resolver `allowTargets` decides on (tests inject a stub); the check connects to what it returned. */
  resolveHost?: ResolveHost;
  /**
   * The bundle files a scrape may name with `ca=` (absolute): the --ca files and those of the targets file.
   * Never an arbitrary path from the query: whoever can reach the port would otherwise make this process open
   * any file it can read (private keys, /proc, a FIFO that blocks forever) and learn from the answer whether it
   * exists and parses. Bundles are chosen by whoever starts the exporter, not by whoever scrapes it.
   */
  allowedCa: Set<string>;
  /** Turn a spec into a runnable target with the command's defaults (throws a message-bearing error on bad values). */
  resolveTarget(spec: TargetSpec, id: string, timeoutMs: number): CheckTarget;
  deps: CheckDeps;
  thresholds: CheckThresholds;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  cwd: string;
  now(): Date;
  /** GET /: the status page (src/check/status-page-response.ts), given the help text; without it / is the help. */
  statusPage?(help: string): { headers: Record<string, string>; body: string };
  /** Told every scrape's result (the status board keeps those of listed targets). */
  onScrape?(target: CheckTarget, result: CheckResult, at: Date): void;
}

/** A `file` target (src/check/file-targets.ts) the exporter answers for: judged at each scrape. */
export interface FileTargetSource {
  id: string;
  labels: Record<string, string>;
  check(at: Date, thresholds: CheckThresholds): Promise<CheckResult>;
}

export interface RunningExporter {
  url: string;
  port: number;
  /** Replace the listed targets (and file targets): serve --nginx-config after re-reading the configuration. */
  setListed(listed: CheckTarget[], files?: FileTargetSource[]): void;
  /** The outcome of the last configuration reload, for /metrics. */
  setReloadStatus(ok: boolean, atSeconds: number): void;
  close(): Promise<void>;
}

const PARAMS = new Set(['target', 'name', 'sni', 'ca', 'depth', 'protocols', 'timeout', 'warn', 'crit']);

/** blackbox_exporter's default --timeout-offset: leave Prometheus time to receive the answer. */
const SCRAPE_TIMEOUT_OFFSET_MS = 500;

class BadRequest extends Error {}

function parseTimeout(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) throw new BadRequest(`timeout=${text}: not a duration (examples: 5s, 500ms; a bare number is seconds)`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (!(ms > 0)) throw new BadRequest(`timeout=${text}: must be positive`);
  return ms;
}

/** The time a scrape may take: the least of what it asks, the cap, and what Prometheus waits for. */
export function scrapeBudgetMs(requested: number | undefined, o: Pick<ExporterOptions, 'defaultTimeoutMs' | 'maxTimeoutMs'>, scrapeHeader?: string): number {
  let ms = Math.min(requested ?? o.defaultTimeoutMs, o.maxTimeoutMs);
  const header = scrapeHeader !== undefined ? Number(scrapeHeader) * 1000 : NaN;
  if (Number.isFinite(header) && header > 0) {
    // The check may overrun its budget by DEADLINE_GRACE_MS before it is cut off.
    const fit = header - SCRAPE_TIMEOUT_OFFSET_MS - DEADLINE_GRACE_MS;
    ms = Math.min(ms, Math.max(fit, header / 4));
  }
  return Math.max(1, Math.round(ms));
}

const HELP = `tlsdoctor exporter: what nginx would do with TLS upstreams, as Prometheus metrics.

GET /probe?target=HOST:PORT   one check per scrape (blackbox style); metrics in README "Metrics (contract)"
    name=N          proxy_ssl_name (default: the host, as $proxy_host)
    sni=on|off      proxy_ssl_server_name
    ca=FILE         proxy_ssl_trusted_certificate, only a file named by --ca or the --targets file (repeatable)
    depth=N         proxy_ssl_verify_depth
    protocols=L     proxy_ssl_protocols, e.g. TLSv1.2,TLSv1.3
    warn=T crit=T   this target's thresholds: 14d, 12h, or 20% of the certificate's lifetime
    timeout=D       budget for this scrape (capped by --max-timeout and the scrape timeout)
  A target listed in --targets uses its own settings and labels; parameters override them.
  Other targets: 400 under --targets-only; 403 unless allowed by --allow-targets, when given.
GET /metrics    the exporter's own metrics
GET /sd         the --targets entries for Prometheus http_sd_configs
`;

/**
 * A query target under --allow-targets: resolved once and decided, then pinned to that answer (a name that does
 * not resolve keeps its error, so the check reports the DNS failure as it would without the allow-list). The
 * resolution is part of the scrape's budget.
 */
async function admit(target: CheckTarget, o: ExporterOptions, listed: Map<string, CheckTarget>): Promise<{ target: CheckTarget } | { refused: string }> {
  if (!o.allowTargets || listed.has(target.id)) return { target };
  const started = performance.now();
  const d = await checkDestination(target.spec.host, o.allowTargets, o.resolveHost ?? systemResolveHost, target.timeoutMs);
  if (d.status === 'refused') return { refused: d.because };
  const answer = d.status === 'unresolved' ? d.error : (d.pinned ?? 'system');
  const left = Math.max(1, Math.round(target.timeoutMs - (performance.now() - started)));
  return { target: { ...target, lookup: pinnedLookup(() => answer), timeoutMs: left } };
}

/**
 * The request-target as a URL, or undefined when it is not one. Node's parser passes on what it does not judge
 * (`http://[`, `http://h:99999/`, `//[`: absolute and authority-like forms of RFC 9112 §3.2) and WHATWG URL
 * throws on them: that is the client's error, never a 500.
 */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://exporter.invalid');
  } catch {
    return undefined;
  }
}

interface ListedIndex {
  all: CheckTarget[];
  byId: Map<string, CheckTarget>;
  byAddress: Map<string, CheckTarget[]>;
  files: FileTargetSource[];
}

function indexListed(all: CheckTarget[], files: FileTargetSource[]): ListedIndex {
  const byAddress = new Map<string, CheckTarget[]>();
  for (const t of all) {
    const key = targetIdFor(t.spec.host, t.spec.port);
    byAddress.set(key, [...(byAddress.get(key) ?? []), t]);
  }
  return { all, byId: new Map(all.map((t) => [t.id, t])), byAddress, files };
}

export async function startExporter(o: ExporterOptions): Promise<RunningExporter> {
  const stats = newExporterStats(Math.floor(Date.now() / 1000));
  // Replaced as a whole by setListed() (serve --nginx-config re-reads the configuration): a scrape sees the old
  // set or the new one, never a mix.
  let current = indexListed(o.listed, o.files ?? []);

  function send(res: http.ServerResponse, code: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(code, { 'Content-Type': type, ...headers, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  }

  function targetFor(q: URLSearchParams, scrapeHeader: string | undefined): CheckTarget {
    for (const key of q.keys()) {
      if (!PARAMS.has(key)) throw new BadRequest(`unknown parameter "${key}" (known: ${[...PARAMS].join(', ')})`);
    }
    for (const key of PARAMS) {
      if (key !== 'ca' && q.getAll(key).length > 1) throw new BadRequest(`parameter "${key}" given more than once`);
    }
    const targetText = q.get('target');
    if (!targetText) throw new BadRequest('missing target=host:port');
    const { byId: listed, byAddress } = current;
    let base = listed.get(targetText);
    let id = targetText;
    if (!base) {
      let t;
      try {
        t = parseTarget(targetText);
      } catch (e) {
        throw new BadRequest((e as Error).message);
      }
      // The name nginx verifies is part of the identity (targets-file.ts targetIdFor): two virtual hosts behind
      // one address scraped with `&name=` are two targets, as in a targets file.
      const name = q.get('name') ?? undefined;
      id = targetIdFor(t.host, t.port, name);
      // Without `&name=`, a listed entry at that address, if it is the only one (scrape configs written before
      // the name joined the identity keep working).
      const atAddress = byAddress.get(t.display) ?? [];
      base = listed.get(id) ?? (name === undefined && atAddress.length === 1 ? atAddress[0] : undefined);
    }
    if (!base && o.targetsOnly) throw new BadRequest(`target ${targetText} is not in --targets (the exporter runs with --targets-only)`);
    const spec: TargetSpec = base
      ? { ...base.spec }
      : (() => {
          const t = parseTarget(targetText);
          return { input: targetText, host: t.host, port: t.port, origin: 'query', labels: {} };
        })();
    for (const [key, field] of [
      ['name', 'name'],
      ['sni', 'sni'],
      ['depth', 'depth'],
      ['protocols', 'protocols'],
      ['warn', 'warn'],
      ['crit', 'crit'],
    ] as const) {
      const v = q.get(key);
      if (v !== null) {
        if (v === '') throw new BadRequest(`${key}= needs a value`);
        spec[field] = v;
      }
    }
    const cas = q.getAll('ca');
    if (cas.length > 0) {
      spec.ca = cas.map((c) => {
        const abs = isAbsolute(c) ? c : resolve(o.cwd, c);
        if (!o.allowedCa.has(abs)) {
          throw new BadRequest(`ca=${c} is not allowed: a scrape may only name bundles given to the exporter with --ca or in --targets`);
        }
        return abs;
      });
    }
    const timeoutText = q.get('timeout');
    const budget = scrapeBudgetMs(timeoutText !== null ? parseTimeout(timeoutText) : undefined, o, scrapeHeader);
    // A listed target scraped as listed keeps its own resolved settings (from nginx's configuration, for
    // serve --nginx-config: they are not the command's defaults plus a spec).
    if (base && [...q.keys()].every((k) => k === 'target' || k === 'timeout')) return { ...base, timeoutMs: budget };
    try {
      const target = o.resolveTarget(spec, base?.id ?? id, budget);
      // warn= / crit= of the scrape (or of the listed entry) over the exporter's --warn / --crit.
      const own = target.thresholds ?? targetThresholds(spec, o.thresholds);
      return own ? { ...target, thresholds: own } : target;
    } catch (e) {
      throw new BadRequest((e as Error).message);
    }
  }

  /** `?target=file:PATH` of a file nginx loads (serve --nginx-config): read and judged now, no packet sent. */
  async function fileRoute(f: FileTargetSource, res: http.ServerResponse): Promise<void> {
    const at = o.now();
    const result = await f.check(at, o.thresholds);
    stats.probes[result.status]++;
    send(res, 200, EXPOSITION_CONTENT_TYPE, probePrometheus(result, at));
  }

  async function probeRoute(url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const file = current.files.find((f) => f.id === url.searchParams.get('target'));
    if (file && [...url.searchParams.keys()].every((k) => k === 'target')) return fileRoute(file, res);
    let requested: CheckTarget;
    try {
      const header = req.headers['x-prometheus-scrape-timeout-seconds'];
      requested = targetFor(url.searchParams, Array.isArray(header) ? header[0] : header);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      stats.badRequests++;
      send(res, 400, 'text/plain; charset=utf-8', `${e.message}\n`);
      return;
    }
    const admission = await admit(requested, o, current.byId);
    if ('refused' in admission) {
      stats.refusedTargets++;
      send(res, 403, 'text/plain; charset=utf-8', `target ${requested.spec.input} is not allowed: ${admission.refused}\n`);
      return;
    }
    const target = admission.target;
    stats.inFlight++;
    const at = o.now();
    const started = performance.now();
    try {
      const result = await guardedCheck(target, { at, thresholds: o.thresholds, deps: o.deps, ...(o.check ? { check: o.check } : {}) });
      stats.probes[result.status]++;
      if (result.error) stats.errors[result.error.code] = (stats.errors[result.error.code] ?? 0) + 1;
      observeDuration(stats, (performance.now() - started) / 1000);
      o.onScrape?.(target, result, at);
      send(res, 200, EXPOSITION_CONTENT_TYPE, probePrometheus(result, at));
    } finally {
      stats.inFlight--;
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
      return;
    }
    const url = requestUrl(req.url);
    if (!url) {
      stats.badRequests++;
      send(res, 400, 'text/plain; charset=utf-8', 'unparsable request-target (expected /probe?target=host:port, see /)\n');
      return;
    }
    switch (url.pathname) {
      case '/probe':
        return probeRoute(url, req, res);
      case '/metrics':
        stats.residentMemoryBytes = process.memoryUsage.rss();
        send(res, 200, EXPOSITION_CONTENT_TYPE, exporterMetrics(stats));
        return;
      case '/sd':
        send(
          res,
          200,
          'application/json',
          JSON.stringify([
            ...current.all.map((t) => ({ targets: [t.id], labels: t.spec.labels })),
            ...current.files.map((f) => ({ targets: [f.id], labels: f.labels })),
          ]) + '\n',
        );
        return;
      case '/': {
        const page = o.statusPage?.(HELP);
        if (page) send(res, 200, page.headers['Content-Type'] ?? 'text/html; charset=utf-8', page.body, page.headers);
        else send(res, 200, 'text/plain; charset=utf-8', HELP);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', `no such page: ${url.pathname} (see /)\n`);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    });
  });
  // A scrape's answer is ready within its budget; a client that sends nothing is dropped after this.
  server.requestTimeout = o.maxTimeoutMs + 10_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostText = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${hostText}:${port}`,
    port,
    setListed(listed, files = []) {
      current = indexListed(listed, files);
    },
    setReloadStatus(ok, atSeconds) {
      stats.configReload = { successful: ok, successTimestampSeconds: ok ? atSeconds : (stats.configReload?.successTimestampSeconds ?? 0) };
    },
    close: () =>
      new Promise<void>((done) => {
        // Stop accepting, drop idle keep-alive connections, let running scrapes answer (each is bounded by
        // its budget), then cut whatever is left.
        const cut = setTimeout(() => server.closeAllConnections(), o.maxTimeoutMs + DEADLINE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          done();
        });
        server.closeIdleConnections();
      }),
  };
}
