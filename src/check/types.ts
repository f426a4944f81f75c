/**
 * The data of `tlsdoctor check` and `tlsdoctor serve`: what a target is, and the small summary kept per target.
 * A CheckResult holds no PEM, DER or Cert object: only the strings and numbers the renderers print. Within a
 * run, targets alike share their arrays and diagnosis parts (src/check/run-memo.ts) so that 10,000 results fit in a
 * few MB: results are read-only once made.
 */
import type { LookupFunction } from 'node:net';
import type { Finding } from '../diagnosis/codes.js';
import type { NginxOutcome } from '../diagnosis/types.js';
import type { NginxSettings } from '../nginx/defaults.js';

/** The monitoring-plugin states, exit codes 0..3 (src/cli/exit-codes.ts MONITORING_EXIT). */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** A target as written in a targets file or on the command line, before defaults are applied. */
export interface TargetSpec {
  /** `host:port` as written. */
  input: string;
  host: string;
  port: number;
  /** Where it was defined, for error messages: `targets.txt:12`, `argument 2`, `<stdin>:3`. */
  origin: string;
  /** Per-target overrides; undefined = the command's default applies. */
  name?: string;
  sni?: string;
  /** proxy_ssl_trusted_certificate files, absolute (resolved against the targets file's directory). */
  ca?: string[];
  depth?: string;
  protocols?: string;
  /** proxy_ssl_certificate / proxy_ssl_certificate_key files, absolute. */
  cert?: string;
  key?: string;
  /** `id=`: the target's identity (Prometheus `target` label) instead of the one derived from host, port and name. */
  id?: string;
  /** `warn=` / `crit=` as written (`14d`, `20%`): this target's thresholds over the command's (src/check/thresholds.ts). */
  warn?: string;
  crit?: string;
  labels: Record<string, string>;
}

/** A target with every setting decided: what checkTarget() runs. */
export interface CheckTarget {
  /** Unique key in one run: `host:port`, with `#2`, `#3`... on repeats (Prometheus `target` label). */
  id: string;
  spec: TargetSpec;
  settings: NginxSettings;
  /** Trust files for this target; empty = the system store (as `probe` without --ca). */
  caFiles: string[];
  clientCert?: { certFile: string; keyFile: string };
  timeoutMs: number;
  /** One request after the handshake (`--request-path`); absent: handshake only, the default of check and serve. */
  request?: { path: string };
  /** Resolves the host for the handshakes instead of DNS: `serve --allow-targets` pins the address it allowed. */
  lookup?: LookupFunction;
  /** This target's own thresholds (`warn=`/`crit=`); undefined = the run's. */
  thresholds?: CheckThresholds;
  /** Files nginx loads for this target and that no handshake shows (src/check/forecast.ts): CRLs and their nextUpdate. */
  crls?: { file: string; nextUpdate: string | null }[];
}

/** One certificate whose expiry is judged: a certificate of the path nginx builds, or of the client certificate file. */
export interface CheckedCert {
  /** Position: depth in the path (0 = leaf), or index in the client certificate file. */
  depth: number;
  /**
   * Where it came from: sent by the server, the trusted bundle (the anchor), ..., or `client`; `crl` for a CRL of
   * a `file` target (subject = its issuer, notAfter = its nextUpdate).
   */
  source: 'sent' | 'untrusted' | 'bundle' | 'pool' | 'fetched' | 'client' | 'crl';
  subject: string;
  sha256: string;
  notAfter: string;
  /** Seconds from the check's time to notAfter (negative once expired). */
  secondsLeft: number;
  /** notAfter - notBefore in seconds, when notBefore is known: what `--crit 20%` is a share of. */
  lifetimeSeconds?: number;
}

export interface CheckResult {
  id: string;
  /** `file`: a file nginx loads (bundle, client certificate, CRL), judged by its dates alone; absent: an upstream. */
  kind?: 'file';
  input: string;
  host: string;
  port: number;
  origin: string;
  proxySslName: string;
  labels: Record<string, string>;
  status: CheckStatus;
  /** Finding codes (error and warning severity) that explain the status, plus EXPIRES_SOON / the error code. */
  reason: string[];
  /** Earliest notAfter over the path and the client certificates (ISO), or null. */
  notAfter: string | null;
  /** What nginx does (as in `probe --json`); null when the target could not be checked. */
  nginx: NginxOutcome | null;
  /** Every finding (as in `probe --json`). */
  findings: Finding[];
  /** The TLS handshake completed with nginx's settings. */
  handshake: boolean;
  protocol: string | null;
  path: CheckedCert[];
  clientCerts: CheckedCert[];
  durationMs: number;
  /** Why the target could not be checked (status UNKNOWN), with a stable code. */
  error: { code: string; message: string } | null;
  notes: string[];
  /** Every address of the name and its verdict (src/check/check-addresses.ts); absent when not resolved here. */
  addresses?: { address: string; family: 4 | 6; verdict: 'ok' | 'fail'; status: CheckStatus; error: string | null }[];
  /** The first instant nginx fails and why (src/check/forecast.ts); absent when not forecast (UNKNOWN). */
  forecast?: Forecast;
}

/** What breaks nginx first: the whole path nginx builds, the client certificate it sends, or a CRL it loads. */
export interface FailureCause {
  /** `now`: nginx already fails (the reason codes say why); the others are dates still ahead. */
  kind: 'now' | 'certificate' | 'anchor' | 'client' | 'crl';
  /** The code nginx will log the failure under: the first reason, EXPIRED, or CRL_EXPIRED. */
  code: string;
  /** Position (path depth, or index in the client certificate file). */
  depth?: number;
  subject?: string;
  sha256?: string;
  /** The CRL file (kind `crl`). */
  file?: string;
}

export interface Forecast {
  /** ISO time; null when nothing known will make nginx fail (no dated certificate). */
  failsAt: string | null;
  failsBecause: FailureCause | null;
}

export interface CheckThresholds {
  warnMs: number;
  critMs: number;
  /**
   * Relative thresholds (`--warn 33%`, `--crit 20%`): WARNING/CRITICAL when less than this share of a certificate's
   * lifetime is left. When set they replace warnMs/critMs for certificates whose lifetime is known.
   */
  warnRatio?: number;
  critRatio?: number;
}

export interface CheckSummary {
  status: CheckStatus;
  exitCode: number;
  counts: Record<CheckStatus, number>;
  total: number;
  /** Smallest secondsLeft over every target (null when no certificate was seen). */
  minSecondsLeft: number | null;
}

export interface CheckRun {
  at: Date;
  /** The nginx version modelled for targets that do not set their own, and where it came from (nginx-options.ts). */
  nginxModel?: { version: string; source: string };
  thresholds: CheckThresholds;
  /** In input order. */
  results: CheckResult[];
  summary: CheckSummary;
  durationMs: number;
}
