/**
 * src/probe/legacy-versions.ts: TLS 1.0/1.1 judged as nginx's OpenSSL 3.0 judges them when the runtime's OpenSSL
 * (3.5 in Node 22.23.5 and 24.22.3) does not offer them above security level 0. End to end, the tls10-only
 * scenarios of test/cli/probe-scenarios.test.ts and test/nginx-real/ exercise it on such a Node; on Node 20
 * (OpenSSL 3.0) the first handshake already is nginx's and nothing is retried (the decisions below say so).
 */
import { describe, expect, it } from 'vitest';
import type { ClientHello, ServerHello } from '../../src/probe/handshake-messages.js';
import { asOpenSsl30, atLevelZero, legacyVersionsDropped } from '../../src/probe/legacy-versions.js';
import type { ProbeObservation, ProbeParams } from '../../src/probe/types.js';

const params: ProbeParams = {
  host: '127.0.0.1',
  port: 443,
  protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
  timeoutMs: 5000,
  client: { cipherString: 'HIGH:!aNULL:!MD5:@SECLEVEL=2' },
};
const failed: ProbeObservation = {
  host: '127.0.0.1',
  port: 443,
  sni: null,
  offeredProtocols: ['TLSv1.2', 'TLSv1.1', 'TLSv1'],
  outcome: 'alert',
  alert: { description: 70, name: 'protocol_version', during: 'handshake' },
  sentChain: [],
  clientCertRequested: false,
  acceptableCaNames: [],
  clientCertSent: false,
  timings: { totalMs: 3 },
};
const hello = (supportedVersions: number[] | null): ClientHello => ({
  legacyVersion: 0x0303,
  random: new Uint8Array(32),
  cipherSuites: [],
  serverName: null,
  supportedVersions,
  extensionTypes: [],
});
const serverHello = (version: number): ServerHello => ({ legacyVersion: version, version, random: new Uint8Array(32), cipherSuite: 0xc013, helloRetryRequest: false });

describe('legacyVersionsDropped', () => {
  it('supported_versions without a version nginx offers, on a failed handshake', () => {
    expect(legacyVersionsDropped(params, failed, { client: hello([0x0304, 0x0303]) })).toBe(true);
    // OpenSSL 3.0 offers them: nothing to redo.
    expect(legacyVersionsDropped(params, failed, { client: hello([0x0304, 0x0303, 0x0302, 0x0301]) })).toBe(false);
    // A handshake that completed, nginx offering no legacy version, or the permissive observer: nothing to redo.
    expect(legacyVersionsDropped(params, { ...failed, outcome: 'handshake' }, { client: hello([0x0304, 0x0303]) })).toBe(false);
    expect(legacyVersionsDropped(params, { ...failed, offeredProtocols: ['TLSv1.3', 'TLSv1.2'] }, { client: hello([0x0304, 0x0303]) })).toBe(false);
    expect(legacyVersionsDropped({ ...params, client: undefined }, failed, { client: hello([0x0304, 0x0303]) })).toBe(false);
  });

  it('no supported_versions: the client refused a legacy version nginx offers as `unsupported protocol`', () => {
    const refused: ProbeObservation = {
      ...failed,
      outcome: 'tls-error',
      alert: undefined,
      error: { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', message: 'error:0A000102:SSL routines::unsupported protocol', opensslReason: 'unsupported protocol' },
    };
    expect(legacyVersionsDropped(params, refused, { client: hello(null), server: serverHello(0x0301) })).toBe(true);
    expect(legacyVersionsDropped({ ...params, protocols: ['TLSv1.2'] }, { ...refused, offeredProtocols: ['TLSv1.2'] }, { client: hello(null), server: serverHello(0x0301) })).toBe(false);
    expect(legacyVersionsDropped(params, { ...refused, error: { ...refused.error!, opensslReason: 'no shared cipher' } }, { client: hello(null), server: serverHello(0x0301) })).toBe(false);
  });

  it('the retry keeps the client configuration at security level 0 within the deadline left', () => {
    const p = atLevelZero(params, 1234);
    expect(p.client?.cipherString).toBe('HIGH:!aNULL:!MD5:@SECLEVEL=2:@SECLEVEL=0');
    expect(p.timeoutMs).toBe(1234);
    expect(p.protocols).toEqual(params.protocols);
  });
});

describe('asOpenSsl30', () => {
  const chain = [new Uint8Array([0x30, 0x00])];
  const seen: ProbeObservation = { ...failed, outcome: 'handshake', alert: undefined, protocol: 'TLSv1', cipher: 'ECDHE-ECDSA-AES256-SHA', sentChain: chain, ephemeralKey: { type: 'ECDH', name: 'prime256v1', bits: 256 } };

  it('TLS 1.0/1.1 with a signed key exchange: legacy sigalg, after the Certificate message', () => {
    const o = asOpenSsl30(seen, '3.5.9', 2)!;
    expect(o).toMatchObject({ outcome: 'tls-error', protocol: 'TLSv1', sentChain: chain, clientCertRequested: false, error: { opensslReason: 'legacy sigalg disallowed or unsupported' } });
    expect(o.error?.message).toMatch(/^error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported: as OpenSSL 3\.0 .*3\.5\.9/);
    expect(o.ephemeralKey).toBeUndefined();
    expect(asOpenSsl30({ ...seen, protocol: 'TLSv1.1', cipher: 'DHE-RSA-AES128-SHA', outcome: 'alert', clientCertRequested: true }, '3.5.9', 2)?.outcome).toBe('tls-error');
  });

  it('a DHE group below nginx\'s level fails first, as tls_process_ske_dhe() checks it before the signature', () => {
    const dhe = { ...seen, cipher: 'DHE-RSA-AES128-SHA', ephemeralKey: { type: 'DH' as const, bits: 1024 } };
    expect(asOpenSsl30(dhe, '3.5.9', 2)?.error).toMatchObject({ code: 'ERR_SSL_DH_KEY_TOO_SMALL', opensslReason: 'dh key too small' });
    expect(asOpenSsl30(dhe, '3.5.9', 2)?.error?.message).toMatch(/^error:0A00018A:SSL routines::dh key too small: /);
    expect(asOpenSsl30(dhe, '3.5.9', 1)?.error?.opensslReason).toBe('legacy sigalg disallowed or unsupported');
    expect(asOpenSsl30({ ...dhe, ephemeralKey: { type: 'DH', bits: 2048 } }, '3.5.9', 2)?.error?.opensslReason).toBe('legacy sigalg disallowed or unsupported');
  });

  it('plain RSA key exchange, or a failure before the key exchange: the level-0 handshake as it is', () => {
    expect(asOpenSsl30({ ...seen, cipher: 'AES128-SHA' }, '3.5.9', 2)).toEqual({ ...seen, cipher: 'AES128-SHA' });
    const early = { ...seen, outcome: 'alert' as const, alert: { description: 40, name: 'handshake_failure', during: 'handshake' as const } };
    expect(asOpenSsl30(early, '3.5.9', 2)).toBe(early);
  });

  it('TLS 1.2 or later chosen at level 0: the first handshake stands', () => {
    expect(asOpenSsl30({ ...seen, protocol: 'TLSv1.2' }, '3.5.9', 2)).toBeUndefined();
  });
});
