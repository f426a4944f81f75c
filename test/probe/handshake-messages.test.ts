import { describe, expect, it } from 'vitest';
import { MalformedWireError } from '../../src/probe/byte-reader.js';
import {
  HandshakeReassembler,
  parseCertificate,
  parseCertificateRequest,
  parseClientHello,
  parseServerHello,
} from '../../src/probe/handshake-messages.js';
import { RFC8448 } from './rfc8448-vectors.js';

const u16 = (n: number) => [n >> 8, n & 0xff];
const u24 = (n: number) => [n >> 16, (n >> 8) & 0xff, n & 0xff];
const msg = (type: number, body: number[]) => [type, ...u24(body.length), ...body];

describe('HandshakeReassembler', () => {
  it('yields several messages from one fragment and one message from several fragments', () => {
    const big = Array.from({ length: 40000 }, (_, i) => i & 0xff);
    const stream = Uint8Array.from([...msg(2, [1, 2]), ...msg(11, big), ...msg(14, [])]);
    for (const size of [3, 16384, stream.length]) {
      const h = new HandshakeReassembler(1 << 20);
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...h.push(stream.subarray(i, i + size)));
      expect(out.map((m) => [m.type, m.body.length])).toEqual([
        [2, 2],
        [11, 40000],
        [14, 0],
      ]);
      expect(Buffer.from(out[1].body).equals(Buffer.from(big))).toBe(true);
      expect(h.midMessage).toBe(false);
    }
  });

  it('refuses a message longer than its limit instead of buffering it', () => {
    const h = new HandshakeReassembler(1000);
    expect(() => h.push(Uint8Array.from([11, ...u24(0xffffff)]))).toThrow(MalformedWireError);
  });
});

describe('hello parsers (RFC 8448 §3 messages)', () => {
  it('ClientHello: SNI, supported_versions, suites, random', () => {
    const ch = parseClientHello(RFC8448.clientHello.subarray(4));
    expect(ch.serverName).toBe('server');
    expect(ch.supportedVersions).toEqual([0x0304]);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(Buffer.from(ch.random).toString('hex')).toBe(RFC8448.clientRandom);
    expect(ch.extensionTypes).toContain(0);
  });

  it('ServerHello: version from supported_versions, suite', () => {
    const sh = parseServerHello(RFC8448.serverHello.subarray(4));
    expect(sh.legacyVersion).toBe(0x0303);
    expect(sh.version).toBe(0x0304);
    expect(sh.cipherSuite).toBe(0x1301);
    expect(sh.helloRetryRequest).toBe(false);
  });

  it('ServerHello without extensions (TLS 1.0-1.2 may omit them)', () => {
    const body = [3, 1, ...Array(32).fill(1), 0, ...u16(0xc014), 0];
    const sh = parseServerHello(Uint8Array.from(body));
    expect(sh.version).toBe(0x0301);
    expect(sh.cipherSuite).toBe(0xc014);
  });

  it('truncated hello throws MalformedWireError', () => {
    expect(() => parseClientHello(RFC8448.clientHello.subarray(4, 60))).toThrow(MalformedWireError);
  });
});

describe('Certificate and CertificateRequest', () => {
  const a = [0x30, 0x01, 0xaa];
  const b = [0x30, 0x02, 0xbb, 0xcc];

  it('TLS 1.2 Certificate: list of uint24-prefixed DER, order kept', () => {
    const list = [...u24(a.length), ...a, ...u24(b.length), ...b, ...u24(a.length), ...a];
    const c = parseCertificate(Uint8Array.from([...u24(list.length), ...list]), false);
    expect(c.certificates.map((x) => Array.from(x))).toEqual([a, b, a]);
  });

  it('TLS 1.3 Certificate: context + entries with extensions (RFC 8448 server Certificate)', () => {
    // serverFlight = EncryptedExtensions (4 + 0x24) then Certificate
    const flight = RFC8448.serverFlight;
    const start = 4 + 0x24;
    expect(flight[start]).toBe(11);
    const len = (flight[start + 1] << 16) | (flight[start + 2] << 8) | flight[start + 3];
    const c = parseCertificate(flight.subarray(start + 4, start + 4 + len), true);
    expect(c.requestContext?.length).toBe(0);
    expect(c.certificates).toHaveLength(1);
    expect(c.certificates[0].length).toBe(0x1b0);
    expect(c.entryExtensionTypes).toEqual([[]]);
  });

  it('TLS 1.2 CertificateRequest: types, sigalgs, CA names', () => {
    const cas = [...u16(a.length), ...a, ...u16(b.length), ...b];
    const body = [1, 1, ...u16(2), 4, 3, ...u16(cas.length), ...cas];
    const r = parseCertificateRequest(Uint8Array.from(body), 0x0303);
    expect(r.certificateAuthorities.map((x) => Array.from(x))).toEqual([a, b]);
  });

  it('TLS 1.0/1.1 CertificateRequest has no sigalgs field', () => {
    const cas = [...u16(a.length), ...a];
    const body = [1, 1, ...u16(cas.length), ...cas];
    expect(parseCertificateRequest(Uint8Array.from(body), 0x0301).certificateAuthorities).toHaveLength(1);
  });

  it('TLS 1.3 CertificateRequest: names in the certificate_authorities extension (47)', () => {
    const cas = [...u16(b.length), ...b];
    const ext47 = [...u16(47), ...u16(cas.length + 2), ...u16(cas.length), ...cas];
    const ext13 = [...u16(13), ...u16(4), ...u16(2), 4, 3];
    const exts = [...ext13, ...ext47];
    const body = [0, ...u16(exts.length), ...exts];
    const r = parseCertificateRequest(Uint8Array.from(body), 0x0304);
    expect(r.requestContext?.length).toBe(0);
    expect(r.certificateAuthorities.map((x) => Array.from(x))).toEqual([b]);
  });
});
