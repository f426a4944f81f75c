/**
 * When the differential re-probe (handshake-what-ifs.ts) runs: only after a failed first handshake, so that module
 * is loaded only then.
 */
import type { ProbeObservation } from '../probe/types.js';

/** Failures worth a re-probe: the peer answered TLS and refused, or went silent after our ClientHello. */
export function worthWhatIfs(o: ProbeObservation): boolean {
  if (o.alert?.during === 'first-read') return false;
  if (o.error?.code === 'CAPTURE_LIMIT' || /excessive message size/i.test(o.error?.message ?? '')) return false;
  // No version in common: the protocol what-ifs (run-probe.ts serverProtocols) ask each version instead.
  if (o.alert?.description === 70 || /unsupported protocol|no protocols available|version too low|wrong ssl version/i.test(o.error?.message ?? '')) return false;
  switch (o.outcome) {
    case 'alert':
    case 'tls-error':
    case 'closed':
      return true;
    case 'network-error':
      return o.error?.code === 'ECONNRESET';
    case 'timeout':
      return o.timings.connectMs !== undefined;
    default:
      return false;
  }
}

