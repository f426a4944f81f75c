/**
 * From target specs and the command's defaults to runnable CheckTargets, and the cached file I/O of a check run
 * (shared by `check` and `serve`). Each bundle file is read and parsed once per process, whatever the number of
 * targets naming it; so is each client certificate.
 */
import { dirname, resolve } from 'node:path';
import type { CheckDeps, ClientCertMaterial, TrustSet } from '../check/check-target.js';
import { assignIds, checkExplicitIds, parseTargetArgument, parseTargetsFile, TargetsFileError } from '../check/targets-file.js';
import { targetThresholds, ThresholdError } from '../check/thresholds.js';
import type { CheckTarget, CheckThresholds, TargetSpec } from '../check/types.js';
import { loadTrust } from './commands/probe.js';
import type { CliIO } from './io.js';
import { settingsFromOptions, type NginxOptionValues } from './nginx-options.js';
import { readClientCertPair } from './read-client-cert.js';
import { CAP, readInputText, readStdinText } from './read-input.js';
import { UsageError } from './usage-error.js';

export interface CheckDefaults extends NginxOptionValues {
  /** --ca files (absolute), for targets without ca=. Empty: the system store. */
  ca: string[];
  timeoutMs: number;
  /** `--request-path`: one request after each handshake. */
  request?: { path: string };
  /** The command's --warn/--crit: a target's `warn=`/`crit=` replace one level of them. */
  thresholds?: CheckThresholds;
}

/** Per-target keys named like the options whose validation they reuse (settingsFromOptions' messages). */
const OPTION_TO_KEY: [RegExp, string][] = [
  [/--proxy-ssl-server-name\b/g, 'sni='],
  [/--proxy-ssl-verify-depth\b/g, 'depth='],
  [/--proxy-ssl-protocols\b/g, 'protocols='],
  [/--proxy-ssl-name\b/g, 'name='],
];

function optionValues(spec: TargetSpec, d: CheckDefaults): NginxOptionValues {
  return {
    ...d,
    proxySslName: spec.name ?? d.proxySslName,
    proxySslServerName: spec.sni ?? d.proxySslServerName,
    proxySslVerifyDepth: spec.depth ?? d.proxySslVerifyDepth,
    proxySslProtocols: spec.protocols ?? d.proxySslProtocols,
    proxySslCertificate: spec.cert ?? d.proxySslCertificate,
    proxySslCertificateKey: spec.cert ? spec.key : d.proxySslCertificateKey,
  };
}

/** One target with its own settings over the defaults; per-target mistakes name the line. */
export function resolveTarget(spec: TargetSpec, id: string, d: CheckDefaults, timeoutMs = d.timeoutMs): CheckTarget {
  const hasOwn = spec.name !== undefined || spec.sni !== undefined || spec.depth !== undefined || spec.protocols !== undefined;
  let settings;
  try {
    settings = settingsFromOptions(optionValues(spec, d), spec.host);
  } catch (e) {
    if (e instanceof UsageError && hasOwn) {
      let msg = e.message;
      for (const [re, key] of OPTION_TO_KEY) msg = msg.replace(re, key);
      throw new UsageError(e.code, `${spec.origin}: ${msg}`, { cause: e });
    }
    throw e;
  }
  let thresholds: CheckThresholds | undefined;
  try {
    thresholds = d.thresholds ? targetThresholds(spec, d.thresholds) : undefined;
  } catch (e) {
    if (e instanceof ThresholdError) throw new UsageError(e.code, e.message, { cause: e });
    throw e;
  }
  const certFile = spec.cert ?? d.proxySslCertificate;
  const keyFile = spec.cert ? spec.key : d.proxySslCertificateKey;
  // A plain literal, then the optional fields: a spread here gave every target its own property backing store.
  const target: CheckTarget = { id, spec, settings, caFiles: spec.ca ?? d.ca, timeoutMs };
  if (certFile && keyFile) target.clientCert = { certFile, keyFile };
  if (d.request) target.request = d.request;
  if (thresholds) target.thresholds = thresholds;
  return target;
}

export function resolveTargets(specs: TargetSpec[], d: CheckDefaults): CheckTarget[] {
  // Validate the command-wide options once, so that their mistakes are not blamed on a target's line.
  settingsFromOptions(d, 'localhost');
  try {
    checkExplicitIds(specs);
  } catch (e) {
    if (e instanceof TargetsFileError) throw new UsageError(e.code, e.message, { cause: e });
    throw e;
  }
  const ids = assignIds(specs);
  // Targets with equal settings share one (never mutated) object: a fleet held for the whole run.
  const shared = new Map<string, CheckTarget['settings']>();
  return specs.map((s, i) => {
    const t = resolveTarget(s, ids[i], d);
    const key = JSON.stringify(t.settings);
    const same = shared.get(key);
    if (same) t.settings = same;
    else shared.set(key, t.settings);
    return t;
  });
}

/** A targets file: 16 MiB is some 200,000 lines (read-input.ts CAP.targets). */
const TARGETS_INPUT = { label: '--targets', cap: CAP.targets, expected: 'a targets file' };

/**
 * The targets of a check: command-line arguments (`-` = a targets file on standard input), then --targets files.
 */
export async function collectTargetSpecs(args: string[], files: string[], io: CliIO): Promise<TargetSpec[]> {
  const specs: TargetSpec[] = [];
  let stdinUsed = false;
  const fromStdin = async () => {
    if (stdinUsed) throw new UsageError('STDIN_TWICE', 'standard input (-) can be read only once');
    stdinUsed = true;
    return parseTargetsFile(await readStdinText(io, TARGETS_INPUT), { name: '<stdin>', baseDir: io.cwd });
  };
  try {
    for (const [i, a] of args.entries()) {
      if (a === '-') specs.push(...(await fromStdin()));
      else specs.push(parseTargetArgument(a, `argument ${i + 1}`));
    }
    for (const f of files) {
      if (f === '-') {
        specs.push(...(await fromStdin()));
        continue;
      }
      const path = resolve(io.cwd, f);
      specs.push(...parseTargetsFile(readInputText(path, { ...TARGETS_INPUT, display: f }), { name: f, baseDir: dirname(path) }));
    }
  } catch (e) {
    if (e instanceof TargetsFileError) throw new UsageError(e.code, e.message, { cause: e });
    throw e;
  }
  return specs;
}

/** Combinations of several bundles remembered (`serve` scrapes choose them: ca=A&ca=B, ca=B&ca=A, ...). */
const MAX_COMBINATIONS = 64;

/**
 * File I/O of a run, cached by path: bundles and client certificates are read and parsed once. `readBundle`
 * is the reader of one file (tests count its calls).
 */
export function cachedCheckDeps(io: CliIO, readBundle: typeof loadTrust = loadTrust): CheckDeps {
  const bundles = new Map<string, Promise<TrustSet>>();
  const bundle = (files: string[]) => {
    const key = files.join('\0');
    let p = bundles.get(key);
    if (!p) {
      p = readBundle(files, io);
      bundles.set(key, p);
    }
    return p;
  };
  const clients = new Map<string, Promise<ClientCertMaterial>>();
  // Combinations are cached too: the same array object for the same files lets the chain engine reuse its
  // index of the trust store (src/chain/trust-store.ts memoises per array).
  const combined = new Map<string, Promise<TrustSet>>();
  return {
    loadTrust(files) {
      if (files.length <= 1) return bundle(files);
      const key = files.join('\0');
      let p = combined.get(key);
      if (!p) {
        p = Promise.all(files.map((f) => bundle([f]))).then((parts) => {
          const certs = parts.flatMap((x) => x.certs);
          return { certs, trust: { source: 'bundle' as const, files, count: certs.length }, notes: parts.flatMap((x) => x.notes) };
        });
        // Bounded: each entry is a new array of every certificate of its files, and whoever can reach `serve`
        // chooses the combinations; the files themselves stay parsed once in `bundles`.
        if (combined.size >= MAX_COMBINATIONS) combined.delete(combined.keys().next().value as string);
        combined.set(key, p);
      }
      return p;
    },
    loadClientCert(certFile, keyFile) {
      const key = `${certFile}\0${keyFile}`;
      let p = clients.get(key);
      if (!p) {
        // A bad pair is this target's input error (UNKNOWN naming both files); the other targets run on.
        p = readClientCertPair(certFile, keyFile, { cert: 'client certificate', key: 'client key' });
        clients.set(key, p);
      }
      return p;
    },
  };
}
