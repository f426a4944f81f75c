/** forecastFailure (src/check/forecast.ts): pure, the time passed in; the instant is notAfter itself (OpenSSL X509_cmp_time). */
import { describe, expect, it } from 'vitest';
import { forecastFailure } from '../../src/check/forecast.js';
import type { CheckedCert } from '../../src/check/types.js';

const AT = new Date('2026-06-01T00:00:00Z');
const cert = (depth: number, source: CheckedCert['source'], notAfter: string): CheckedCert => ({
  depth,
  source,
  subject: `CN=c${depth}${source}`,
  sha256: `${depth}${source}`,
  notAfter,
  secondsLeft: Math.round((Date.parse(notAfter) - AT.getTime()) / 1000),
});

describe('forecastFailure', () => {
  const path = [cert(0, 'sent', '2026-09-01T00:00:00Z'), cert(1, 'sent', '2027-01-01T00:00:00Z'), cert(2, 'bundle', '2026-08-01T12:00:00Z')];

  it('the earliest date nginx depends on: here the anchor of the bundle, at its notAfter exactly', () => {
    expect(forecastFailure({ nginxOk: true, reason: [], path, clientCerts: [] }, AT)).toEqual({
      failsAt: '2026-08-01T12:00:00.000Z',
      failsBecause: { kind: 'anchor', code: 'EXPIRED', depth: 2, subject: 'CN=c2bundle', sha256: '2bundle' },
    });
  });

  it('a client certificate or a CRL nextUpdate that comes first wins; a CRL without nextUpdate never expires', () => {
    const client = [cert(0, 'client', '2026-07-01T00:00:00Z')];
    expect(forecastFailure({ nginxOk: true, reason: [], path, clientCerts: client }, AT)?.failsBecause).toMatchObject({ kind: 'client', depth: 0 });
    const crls = [{ file: '/etc/nginx/crl.pem', nextUpdate: '2026-06-02T00:00:00.000Z' }, { file: '/etc/nginx/old.pem', nextUpdate: null }];
    expect(forecastFailure({ nginxOk: true, reason: [], path, clientCerts: client, crls }, AT)).toEqual({
      failsAt: '2026-06-02T00:00:00.000Z',
      failsBecause: { kind: 'crl', code: 'CRL_EXPIRED', file: '/etc/nginx/crl.pem' },
    });
  });

  it('ties go to the path, leaf first', () => {
    const tie = [cert(0, 'sent', '2030-01-01T00:00:00Z'), cert(1, 'sent', '2030-01-01T00:00:00Z')];
    expect(forecastFailure({ nginxOk: true, reason: [], path: tie, clientCerts: [cert(0, 'client', '2030-01-01T00:00:00Z')] }, AT)?.failsBecause).toMatchObject({ kind: 'certificate', depth: 0 });
  });

  it('failing now is "now" with the first reason; not checked is no forecast; nothing dated is null', () => {
    expect(forecastFailure({ nginxOk: false, reason: ['TIMEOUT', 'EXPIRES_SOON'], path: [], clientCerts: [] }, AT)).toEqual({
      failsAt: AT.toISOString(),
      failsBecause: { kind: 'now', code: 'TIMEOUT' },
    });
    expect(forecastFailure({ nginxOk: null, reason: ['CHECK_TIMEOUT'], path: [], clientCerts: [] }, AT)).toBeUndefined();
    expect(forecastFailure({ nginxOk: true, reason: [], path: [], clientCerts: [] }, AT)).toEqual({ failsAt: null, failsBecause: null });
  });
});
