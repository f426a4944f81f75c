/**
 * The observation `verify` and the pre-deploy check judge files with: as if the handshake completed and the server
 * sent exactly these certificates (no SNI, no client certificate), so the same engine judges files and live probes.
 */
import type { Cert } from '../certs/cert.js';
import type { ProbeObservation } from '../probe/types.js';

/** An observation for files: the handshake "completed" and the server "sent" exactly these certificates. */
export function offlineObservation(sent: Cert[], protocols: ProbeObservation['offeredProtocols']): ProbeObservation {
  return {
    host: '',
    port: 0,
    sni: null,
    offeredProtocols: protocols,
    outcome: 'handshake',
    sentChain: sent.map((c) => c.der),
    clientCertRequested: false,
    acceptableCaNames: [],
    clientCertSent: false,
    timings: { totalMs: 0 },
  };
}
