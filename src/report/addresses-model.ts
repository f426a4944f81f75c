/**
 * Per-address verdicts (src/cli/run-probe-addresses.ts builds them), shared by the probe, nginx and check reports.
 */
import type { NginxOutcome } from '../diagnosis/types.js';
import type { BalancingPrediction } from '../nginx/balancing.js';
import type { NextUpstreamPolicy } from '../nginx/location-outcome.js';
import type { SessionOrderEffect } from '../nginx/session-reuse.js';

/** One address of the target and what nginx does with it. */
export interface AddressVerdict {
  address: string;
  family: 4 | 6;
  verdict: 'ok' | 'fail';
  /** 200, 502, 504; null when nginx would not start. */
  status: number | null;
  level: NginxOutcome['level'];
  /** The line nginx logs for a request through this address (null when ok). */
  error: string | null;
  verifyCode: number | null;
  /** Where nginx's request stops (diagnosis NginxStage). */
  stage: NginxOutcome['stage'];
  /** SHA-256 of the leaf this address presented (null: none), to spot nodes with different certificates. */
  leafSha256: string | null;
}

export interface AddressesReport {
  /** How the name was resolved: `literal` (nothing asked), `system` (getaddrinfo) or `resolver` (--resolver). */
  via: 'literal' | 'system' | 'resolver';
  addresses: AddressVerdict[];
  /** Requests 1..N on a fresh nginx with `proxy_pass https://name:port` (an implicit upstream); null: one address. */
  balancing: (BalancingPrediction & { policy: NextUpstreamPolicy }) | null;
  /** The resolution failure, when the name has no address (the report is then the probe's own DNS_FAILURE). */
  resolveError: { code: string; message: string } | null;
}


/** Order-dependent verdicts of the locations that reach one upstream server, and the fix that removes them. */
export interface SessionOrderGroup {
  /** `ip:port` as written in the configuration. */
  server: string;
  effects: SessionOrderEffect[];
  /** Locations to set `proxy_ssl_session_reuse off` in; `remaining` is empty when the model proves the fix. */
  reuseOff: string[];
  remaining: SessionOrderEffect[];
}
