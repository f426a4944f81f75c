/**
 * Synthetic observations of the fixture scenarios' upstreams, for pure tests of diagnosis and remediation:
 * what a probe made with given nginx settings would see (SNI selects the chain, protocol versions intersect,
 * a required client certificate fails with the alert the ground-truth nginx runs log). The real handshakes are
 * exercised by test/nginx-real; this is the same server model without sockets.
 */
import { parseCertificate } from '../../src/certs/parse.js';
import type { Cert } from '../../src/certs/cert.js';
import type { CandidateCert, DiagnoseInput } from '../../src/diagnosis/types.js';
import { isIpLiteral, sniFor, type NginxSettings } from '../../src/nginx/defaults.js';
import type { ProbeObservation, TlsProtocol } from '../../src/probe/types.js';
import { CLIENT_CERT_PLACEHOLDER } from '../../src/remediation/plan.js';
import { FIXTURE_CLOCK, manifest, pemToDers, readFixture, type Scenario } from '../helpers/fixtures.js';

const ORDER: TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** The nginx the manifest was measured with (its default protocols lack TLSv1.3). */
export const NGINX_VERSION = '1.22.1';

const certCache = new Map<string, Cert>();
export function certOf(file: string): Cert {
  let c = certCache.get(file);
  if (!c) {
    c = parseCertificate(new Uint8Array(pemToDers(readFixture(file))[0]));
    certCache.set(file, c);
  }
  return c;
}

export function dersOf(files: string[]): Uint8Array[] {
  return files.map((f) => certOf(f).der);
}

export function scenarioSettings(s: Scenario): NginxSettings {
  return {
    proxySslName: s.proxySslName,
    proxySslServerName: s.sni,
    proxySslVerifyDepth: s.depth,
    proxySslProtocols: [...s.proxySslProtocols],
    nginxVersion: NGINX_VERSION,
    opensslSeclevel: 2,
    ...(s.clientCert ? { proxySslCertificate: s.clientCert.cert, proxySslCertificateKey: s.clientCert.key } : {}),
  };
}

/** Every CA certificate of the fixture PKI, as a `--intermediates` folder of internal CAs. */
export function fixturePool(): CandidateCert[] {
  return Object.entries(manifest().files)
    .filter(([, f]) => f.kind === 'root' || f.kind === 'intermediate')
    .map(([name]) => ({ cert: certOf(name), source: 'pool' as const, origin: `pki/${name}` }));
}

/** A client certificate the upstream accepts: its own CA's, or the placeholder the user fills in. */
function acceptedClientCert(path: string | undefined): boolean {
  return path === 'client.pem' || path === CLIENT_CERT_PLACEHOLDER;
}

function base(s: Scenario, settings: NginxSettings, sni: string | null): ProbeObservation {
  return {
    host: s.proxyPassHost,
    port: 8443,
    ...(s.server === 'refused' ? {} : { address: '127.0.0.1' }),
    sni,
    offeredProtocols: [...settings.proxySslProtocols],
    outcome: 'handshake',
    sentChain: [],
    clientCertRequested: false,
    acceptableCaNames: [],
    clientCertSent: false,
    timings: { connectMs: 1, handshakeMs: 2, totalMs: 3 },
  };
}

/** What a probe with `settings` (and `sniOverride`, for the what-if handshake) sees from the scenario's server. */
export function simulate(s: Scenario, settings: NginxSettings, sniOverride?: string): { observation: ProbeObservation; sent: Cert[] } {
  const sni = sniOverride ?? sniFor(settings) ?? null;
  const o = base(s, settings, sni);
  switch (s.server) {
    case 'refused':
      return { observation: { ...o, outcome: 'refused', timings: { totalMs: 1 }, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }, sent: [] };
    case 'timeout':
      return { observation: { ...o, outcome: 'timeout', timings: { connectMs: 1, totalMs: 5000 } }, sent: [] };
    case 'plain-http':
      return {
        observation: {
          ...o,
          outcome: 'not-tls',
          nonTlsPreview: 'HTTP/1.1 400 Bad Request',
          error: { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number', opensslReason: 'wrong version number' },
        },
        sent: [],
      };
    case 'tls':
      break;
  }
  const files = sni && s.sniCerts?.[sni] ? s.sniCerts[sni].serve : (s.serve ?? []);
  const sent = files.map(certOf);
  const common = ORDER.filter((p) => settings.proxySslProtocols.includes(p) && (s.tls ?? []).includes(p));
  if (common.length === 0) {
    return {
      observation: {
        ...o,
        outcome: 'alert',
        alert: { description: 70, name: 'protocol_version', during: 'handshake' },
        error: { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', message: 'tlsv1 alert protocol version', opensslReason: 'tlsv1 alert protocol version' },
      },
      sent: [],
    };
  }
  const protocol = common[common.length - 1];
  const wire: ProbeObservation = { ...o, protocol, cipher: 'TLS_AES_128_GCM_SHA256', sentChain: sent.map((c) => c.der) };
  if (s.clientAuth?.mode === 'required') {
    const ca = certOf(s.clientAuth.ca).subject;
    const withCert = settings.proxySslCertificate !== undefined;
    const req: ProbeObservation = { ...wire, clientCertRequested: true, acceptableCaNames: [ca], clientCertSent: withCert };
    if (withCert && acceptedClientCert(settings.proxySslCertificate)) return { observation: req, sent };
    if (withCert) {
      return {
        observation: { ...req, outcome: 'alert', alert: { description: 48, name: 'unknown_ca', during: 'handshake' } },
        sent: protocol === 'TLSv1.3' ? [] : sent,
      };
    }
    if (protocol === 'TLSv1.3') {
      // As src/probe records it: the handshake completes, the alert arrives on the first read.
      return {
        observation: {
          ...req,
          outcome: 'alert',
          alert: { description: 116, name: 'certificate_required', during: 'first-read' },
          error: { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'tlsv13 alert certificate required', opensslReason: 'tlsv13 alert certificate required' },
        },
        sent,
      };
    }
    return { observation: { ...req, outcome: 'alert', alert: { description: 40, name: 'handshake_failure', during: 'handshake' } }, sent };
  }
  return { observation: wire, sent };
}

/** The DiagnoseInput a probe of the scenario with its (broken) settings builds, as src/cli/run-probe.ts does. */
export function scenarioInput(s: Scenario, opts: { pool: boolean }): DiagnoseInput {
  const settings = scenarioSettings(s);
  const { observation, sent } = simulate(s, settings);
  const input: DiagnoseInput = {
    observation,
    sent,
    trusted: s.trusted.map(certOf),
    trustSource: 'bundle',
    candidates: opts.pool ? fixturePool() : [],
    settings,
    at: FIXTURE_CLOCK,
  };
  // The what-if handshake with SNI, made when nginx sends none and the name does not match.
  const leaf = sent[0];
  const name = settings.proxySslName;
  if (leaf && !settings.proxySslServerName && !isIpLiteral(name) && leaf.native.checkHost(name) === undefined) {
    const w = simulate(s, settings, name);
    if (w.sent[0] && w.sent[0].sha256 !== leaf.sha256) {
      input.sniObservation = w.observation;
      input.sniSent = w.sent;
    }
  }
  return input;
}
