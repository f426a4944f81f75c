/**
 * How the fix files name the upstream in their comments: `host:port` (IPv6 in brackets) after a live probe.
 * `verify` judges files and has no address (its observation has host '' and port 0, see
 * cli/offline-observation.ts): it is named by proxy_ssl_name instead of the meaningless ":0".
 */
import type { ProbeObservation } from '../probe/types.js';

export function isOffline(o: ProbeObservation): boolean {
  return o.host === '' && o.port === 0;
}

export function upstreamLabel(o: ProbeObservation, proxySslName: string): string {
  if (isOffline(o)) return `${proxySslName} (judged offline from certificate files)`;
  return `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
}
