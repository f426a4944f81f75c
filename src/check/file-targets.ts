/**
 * The files nginx loads for its upstreams and never sends, as targets of kind `file`: the anchors of
 * proxy_ssl_trusted_certificate, the certificate of proxy_ssl_certificate, the CRLs of proxy_ssl_crl. Their expiry
 * breaks every upstream that uses them at once and no handshake shows it coming, so each file gets the statuses
 * and metrics of a target (id `file:PATH`): its certificates (and CRL nextUpdates) are judged against the
 * thresholds, and its forecast is its earliest date. Pure: the file's parsed contents and the time come in.
 */
import { forecastFailure } from './forecast.js';
import { expiryStatus, reasonCodes } from './status.js';
import type { CheckedCert, CheckResult, CheckThresholds } from './types.js';

export type FileRole = 'trusted-certificate' | 'client-certificate' | 'crl';

export interface LoadedFile {
  path: string;
  role: FileRole;
  /** `file:line` of the pass directives that use it. */
  users: string[];
  certs: { subject: string; sha256: string; notBefore: Date; notAfter: Date }[];
  crls: { issuer: string; sha256: string; thisUpdate: Date; nextUpdate: Date | null }[];
  /** Why it could not be read (status UNKNOWN). */
  error?: { code: string; message: string };
}

const SOURCE: Record<FileRole, CheckedCert['source']> = { 'trusted-certificate': 'bundle', 'client-certificate': 'client', crl: 'crl' };

function dated(f: LoadedFile, at: Date): CheckedCert[] {
  const left = (d: Date) => Math.round((d.getTime() - at.getTime()) / 1000);
  const certs = f.certs.map((c, depth) => ({
    depth,
    source: SOURCE[f.role],
    subject: c.subject,
    sha256: c.sha256,
    notAfter: c.notAfter.toISOString(),
    secondsLeft: left(c.notAfter),
    lifetimeSeconds: Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / 1000),
  }));
  // A CRL "expires" at nextUpdate (X509_V_ERR_CRL_HAS_EXPIRED); its lifetime is nextUpdate - thisUpdate.
  const crls = f.crls.flatMap((c, depth) =>
    c.nextUpdate === null
      ? []
      : [{
          depth,
          source: 'crl' as const,
          subject: c.issuer,
          sha256: c.sha256,
          notAfter: c.nextUpdate.toISOString(),
          secondsLeft: left(c.nextUpdate),
          lifetimeSeconds: Math.round((c.nextUpdate.getTime() - c.thisUpdate.getTime()) / 1000),
        }],
  );
  return [...certs, ...crls];
}

/** EXPIRED / EXPIRES_SOON as for any target; a CRL past nextUpdate is CRL_EXPIRED (OpenSSL's error 12), not EXPIRED. */
function reasons(all: CheckedCert[], t: CheckThresholds): string[] {
  const out = reasonCodes([], all.filter((c) => c.source !== 'crl' || c.secondsLeft >= 0), t);
  if (all.some((c) => c.source === 'crl' && c.secondsLeft < 0)) out.push('CRL_EXPIRED');
  return out;
}

export function fileResult(f: LoadedFile, at: Date, thresholds: CheckThresholds): CheckResult {
  const all = f.error ? [] : dated(f, at);
  const earliest = all.reduce<CheckedCert | null>((min, c) => (!min || c.secondsLeft < min.secondsLeft ? c : min), null);
  const reason = f.error ? [f.error.code] : reasons(all, thresholds);
  const forecast = f.error
    ? undefined
    : forecastFailure(
        {
          nginxOk: true,
          reason,
          path: all.filter((c) => c.source === 'bundle'),
          clientCerts: all.filter((c) => c.source === 'client'),
          crls: all.filter((c) => c.source === 'crl').map((c) => ({ file: f.path, nextUpdate: c.notAfter })),
        },
        at,
      );
  return {
    id: `file:${f.path}`,
    kind: 'file',
    input: f.path,
    host: '',
    port: 0,
    origin: f.users.join(', '),
    proxySslName: '',
    labels: { kind: 'file', role: f.role },
    status: f.error ? 'UNKNOWN' : expiryStatus(all, thresholds),
    reason,
    notAfter: earliest?.notAfter ?? null,
    nginx: null,
    findings: [],
    handshake: false,
    protocol: null,
    path: all.filter((c) => c.source !== 'client'),
    clientCerts: all.filter((c) => c.source === 'client'),
    durationMs: 0,
    error: f.error ?? null,
    notes: f.role === 'trusted-certificate' ? ['every anchor of the bundle is judged; the upstream targets say which one their path uses'] : [],
    ...(forecast ? { forecast } : {}),
  };
}
