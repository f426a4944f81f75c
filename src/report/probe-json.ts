/**
 * The versioned JSON document of `probe --json` and `verify --json` (documented in README, "JSON output").
 * schemaVersion changes only when a field changes meaning or disappears; new fields may be added.
 */
import { summarizeCertificate } from '../certs/summary.js';
import type { ProbeReport } from './model.js';
import { TOOL_VERSION } from './version.js';

export const SCHEMA_VERSION = 1;

export function probeDocument(r: ProbeReport): Record<string, unknown> {
  const o = r.observation;
  const d = r.diagnosis;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'tlsdoctor', version: TOOL_VERSION },
    command: r.command,
    target: r.target ?? null,
    at: r.at.toISOString(),
    settings: {
      proxySslName: r.settings.proxySslName,
      proxySslServerName: r.settings.proxySslServerName,
      proxySslVerifyDepth: r.settings.proxySslVerifyDepth,
      proxySslProtocols: r.settings.proxySslProtocols,
      proxySslCertificate: r.settings.proxySslCertificate ?? null,
      nginxVersion: r.settings.nginxVersion,
      nginxVersionSource: r.settings.nginxVersionSource ?? null,
      opensslSeclevel: r.settings.opensslSeclevel,
      trustedCertificate: r.trust.files,
      trustSource: r.trust.source,
      trustedCount: r.trust.count,
    },
    connection: o
      ? {
          outcome: o.outcome,
          address: o.address ?? null,
          protocol: o.protocol ?? null,
          cipher: o.cipher ?? null,
          sni: o.sni,
          clientCertificateRequested: o.clientCertRequested,
          clientCertificateSent: o.clientCertSent,
          acceptableCaNames: o.acceptableCaNames,
          alert: o.alert ?? null,
          error: o.error ? { code: o.error.code, message: o.error.message } : null,
          timings: o.timings,
          // Additive (schemaVersion 1): present only when observed.
          ...(o.ephemeralKey ? { ephemeralKey: o.ephemeralKey } : {}),
          ...(o.certificateMessageBytes !== undefined ? { certificateMessageBytes: o.certificateMessageBytes } : {}),
          ...(o.request ? { request: o.request, response: o.response ?? null } : {}),
        }
      : null,
    ...(r.client ? { client: r.client } : {}),
    ...(r.whatIfs ? { whatIfs: r.whatIfs } : {}),
    nginx: d.nginx,
    presentedChain: r.sent.map((c, index) => ({ index, ...summarizeCertificate(c) })),
    // Additive (schemaVersion 1), probe only: `handshake`, `<what-if id>-what-if`, `protocol-what-if`, or null.
    ...(r.presentedBy !== undefined ? { presentedBy: r.presentedBy } : {}),
    path: d.fullPath.map((p, depth) => ({
      depth,
      source: p.ref.source,
      index: p.ref.index ?? null,
      subject: p.ref.subject,
      sha256: p.ref.sha256,
      selfSigned: p.selfSigned,
      isCa: p.isCa,
      notAfter: p.notAfter,
    })),
    anchored: d.anchored,
    neededDepth: d.neededDepth,
    earliestNotAfter: d.earliestNotAfter,
    verifyErrors: d.verifyErrors,
    paths: d.paths,
    pathSearch: d.pathSearch,
    findings: d.findings,
    fetched: r.fetches,
    notes: r.notes,
    fix: r.fix ?? null,
    // Present only when --timeout cut the run short after the first handshake (additive: schemaVersion 1).
    ...(r.cut ? { cut: r.cut } : {}),
  };
}
