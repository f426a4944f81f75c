/**
 * What `tlsdoctor nginx` produced, before rendering (nginx-json.ts, nginx-text.ts). Built by
 * src/cli/run-nginx.ts.
 */
import type { NginxOutcome } from '../diagnosis/types.js';
import type { UpstreamServer, UpstreamTls } from '../nginx/effective-settings.js';
import type { AnyLintFinding } from '../nginx/lints.js';
import type { GateResult } from '../nginx/suppressions.js';
import type { LocationOutcome, NextUpstreamPolicy } from '../nginx/location-outcome.js';
import type { LocationDiff } from '../remediation/location-diff.js';
import type { AddressesReport, SessionOrderGroup } from './addresses-model.js';
import type { Balancing } from './addresses-text.js';
import type { ProbeReport } from './model.js';

export type NginxSourceKind = 'file' | 'stdin' | 'nginx -T';

/** One server of one TLS pass directive: what was probed and what nginx does with it. */
export interface NginxUpstreamRow {
  upstream: UpstreamTls;
  /** Null when the target could not be resolved statically (variables). */
  server: UpstreamServer | null;
  /** Why it was not probed (unresolved variable, unix socket, `down`, --no-probe...), null when probed. */
  skipped: string | null;
  /** nginx would refuse to start over something only this upstream needs (an unreadable client certificate). */
  refusesToStart: boolean;
  /** The probe with exactly this upstream's settings, verification on. */
  report: ProbeReport | null;
  /** What nginx does with this server as configured (proxy_ssl_verify off applied); null when not probed. */
  nginx: NginxOutcome | null;
  /** The fix as a diff against the location block; null when nothing changes or nothing was probed. */
  diff: LocationDiff | null;
  /** The `tlsdoctor probe` command that reproduces this probe (add --out DIR to get the files). */
  probeCommand: string | null;
  notes: string[];
  /** Every address of the server's name and its verdict (src/cli/run-probe-addresses.ts); absent when not probed. */
  addresses?: AddressesReport | null;
}

/** One TLS pass directive: what a request to its location gets. */
export interface NginxLocationRow {
  upstream: UpstreamTls;
  outcome: LocationOutcome;
  policy: NextUpstreamPolicy;
  /** Requests 1..N on a fresh nginx over every peer (src/nginx/balancing.ts); null when not predictable. */
  requests?: Balancing | null;
}

export interface NginxRunReport {
  at: Date;
  nginxVersion: string;
  /**
   * Where the version came from: the flag, `nginx -V` output given with --nginx-build, a `nginx version:` line in
   * the configuration read from standard input, the local nginx, or the default.
   */
  nginxVersionSource: '--nginx-version' | '--nginx-build' | 'input' | 'nginx -v' | 'default';
  /** Why the version is uncertain or outside the modelled range (a guess for a pasted dump), else null. */
  nginxVersionNote: string | null;
  source: { kind: NginxSourceKind; main: string; files: string[] };
  /** The findings that count: not suppressed (findings about suppression comments included). */
  lints: AnyLintFinding[];
  /** Findings an inline `# tlsdoctor: allow RULE -- reason` comment covers (README "Inline suppressions"). */
  suppressed?: GateResult['suppressed'];
  suppressions?: GateResult['suppressions'];
  /** A lint says nginx refuses to start (nginx -t fails). */
  refusesToStart: boolean;
  rows: NginxUpstreamRow[];
  locations: NginxLocationRow[];
  /** False with --no-probe. */
  probed: boolean;
  /** Locations whose verdict depends on request order through the shared session cache (src/nginx/session-reuse.ts). */
  sessionOrder?: SessionOrderGroup[];
}
