/**
 * Which handshake presented the chain a probe report shows (JSON `presentedBy`, presented-chain.pem's header, the
 * text report's "Chain as sent" line). nginx's own handshake may fail before the server's Certificate message
 * (no SNI to an upstream that needs one, no TLS version in common); then the chain comes from the what-if
 * handshake that got one (src/cli/handshake-what-ifs.ts, src/cli/run-probe.ts `whatIfChain`), and every output
 * must say so: a chain "as sent" to a handshake nginx never completes would otherwise read as nginx's own.
 */
import type { ProbeObservation } from '../probe/types.js';
import type { DiagnoseInput, WhatIfId } from './types.js';

/**
 * `handshake`: nginx's own handshake (or the files given to `verify`); `<id>-what-if`: the handshake what-if of
 * that id (`sni-what-if` also for the SNI what-if of run-probe.ts); `protocol-what-if`: a one-version handshake.
 * A stable JSON value: never renamed, new ones only added.
 */
export type PresentedBy = 'handshake' | `${WhatIfId}-what-if` | 'protocol-what-if';

export interface PresentedSource {
  by: PresentedBy;
  /** The handshake whose Certificate message the chain is (its sentChain lines up with the chain's certificates). */
  observation: ProbeObservation;
  /** The setting the what-if changed, in nginx's or OpenSSL's words (absent for nginx's own handshake). */
  change?: string;
}

/** Where the input's presented chain comes from; null when no handshake got a certificate. */
export function presentedSource(input: DiagnoseInput): PresentedSource | null {
  const own = input.observation;
  if (input.sent.length > 0 || (input.unparsable?.length ?? 0) > 0) {
    const w = input.whatIfs;
    // run-probe.ts `presentedOf`: a handshake what-if's chain stands in only when nginx's handshake saw none.
    if (own.sentChain.length === 0 && w?.succeeded && w.observation && w.observation.sentChain.length > 0) {
      const change = w.tried.find((t) => t.id === w.succeeded)?.change;
      return { by: `${w.succeeded}-what-if`, observation: w.observation, ...(change ? { change } : {}) };
    }
    return { by: 'handshake', observation: own };
  }
  const chain = input.whatIfChain;
  if (!chain || chain.sent.length === 0) return null;
  const o = chain.observation;
  return chain.change === 'sni'
    ? { by: 'sni-what-if', observation: o, change: `proxy_ssl_server_name on (SNI "${o.sni ?? input.settings.proxySslName}")` }
    : { by: 'protocol-what-if', observation: o, change: `proxy_ssl_protocols ${o.protocol ?? '(another version)'}` };
}
