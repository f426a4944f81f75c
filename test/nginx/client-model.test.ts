/**
 * nginx's upstream client as the probe reproduces it (src/nginx/client-model.ts): the cipher list and the level
 * nginx runs at, conf commands applied last, and what node cannot reproduce said, not dropped.
 */
import { describe, expect, it } from 'vitest';
import { ephemeralSecurityBits, nginxClient, seclevelOf } from '../../src/nginx/client-model.js';
import { defaultSettings } from '../../src/nginx/defaults.js';

const settings = (extra: Partial<ReturnType<typeof defaultSettings>> = {}) => ({ ...defaultSettings('upstream.test', '1.22.1'), ...extra });

describe('nginxClient', () => {
  it('defaults to proxy_ssl_ciphers DEFAULT at the build\'s level, written out for node (whose default is 1)', () => {
    const c = nginxClient(settings());
    expect(c.tls).toEqual({ cipherString: 'DEFAULT:@SECLEVEL=2' });
    expect(c.seclevel).toBe(2);
    expect(c.protocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']); // 1.22.1: TLSv1.3 joined the default in 1.23.4
    expect(c.unmodelled).toEqual([]);
  });

  it('honours @SECLEVEL=N in proxy_ssl_ciphers, the last one winning, as SSL_CTX_set_cipher_list', () => {
    expect(nginxClient(settings({ proxySslCiphers: 'HIGH:@SECLEVEL=0' }))).toMatchObject({ seclevel: 0, tls: { cipherString: 'HIGH:@SECLEVEL=0' } });
    expect(seclevelOf('DEFAULT:@SECLEVEL=0:@SECLEVEL=3', 2)).toBe(3);
    expect(seclevelOf('HIGH', 1)).toBe(1);
  });

  it('applies conf commands after the directives: CipherString overrides, Groups, SignatureAlgorithms, Min/MaxProtocol, Options', () => {
    const c = nginxClient(
      settings({
        proxySslCiphers: 'HIGH',
        proxySslConfCommands: [
          { name: 'CipherString', value: 'ECDHE+AESGCM:@SECLEVEL=1' },
          { name: 'Ciphersuites', value: 'TLS_AES_128_GCM_SHA256' },
          { name: 'Groups', value: 'X25519:P-256' },
          { name: 'SignatureAlgorithms', value: 'ECDSA+SHA256' },
          { name: 'MinProtocol', value: 'TLSv1.2' },
          { name: 'Options', value: 'UnsafeLegacyServerConnect,-SessionTicket,KTLS' },
          { name: 'VerifyMode', value: 'Peer' },
        ],
      }),
    );
    expect(c.tls).toEqual({
      cipherString: 'ECDHE+AESGCM:@SECLEVEL=1',
      ciphersuites: 'TLS_AES_128_GCM_SHA256',
      groups: 'X25519:P-256',
      sigalgs: 'ECDSA+SHA256',
      options: ['SSL_OP_LEGACY_SERVER_CONNECT', 'SSL_OP_NO_TICKET'],
    });
    expect(c.seclevel).toBe(1);
    expect(c.protocols).toEqual(['TLSv1.2']);
    expect(c.unmodelled).toEqual(['Options KTLS', 'VerifyMode Peer']);
  });

  it('MaxProtocol narrows from above', () => {
    expect(nginxClient(settings({ proxySslConfCommands: [{ name: 'MaxProtocol', value: 'TLSv1.2' }] })).protocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
  });
});

describe('ephemeralSecurityBits', () => {
  it('counts as OpenSSL does for the security level: BN_security_bits for DH, half the size for ECDH', () => {
    expect(ephemeralSecurityBits({ type: 'DH', bits: 1024 })).toBe(80);
    expect(ephemeralSecurityBits({ type: 'DH', bits: 2047 })).toBe(80); // a 2047-bit group fails at level 2
    expect(ephemeralSecurityBits({ type: 'DH', bits: 2048 })).toBe(112);
    expect(ephemeralSecurityBits({ type: 'DH', bits: 3072 })).toBe(128);
    expect(ephemeralSecurityBits({ type: 'ECDH', bits: 192 })).toBe(96);
    expect(ephemeralSecurityBits({ type: 'ECDH', bits: 256 })).toBe(128);
  });
});
