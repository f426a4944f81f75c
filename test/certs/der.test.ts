import { describe, expect, it } from 'vitest';
import { DerError, DerReader, MAX_DEPTH, decodeOid, decodeSmallInteger } from '../../src/certs/der.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('DerReader', () => {
  it('reads nested TLVs with short and long-form lengths', () => {
    const long = new Uint8Array(300).fill(0x41);
    const inner = Uint8Array.from([0x04, 0x82, 0x01, 0x2c, ...long]);
    const der = Uint8Array.from([0x30, 0x82, 0x01, 0x33, 0x02, 0x01, 0x05, ...inner]);
    const r = new DerReader(der);
    const root = r.root();
    expect(root).toMatchObject({ tag: 0x30, constructed: true, cls: 0, contentStart: 4, end: der.length });
    const [int, oct] = r.children(root);
    expect(r.content(int)).toEqual(bytes(5));
    expect(oct.tag).toBe(0x04);
    expect(r.content(oct).length).toBe(300);
  });

  // d2i_X509 reads BER: OpenSSL 3.0.22 loads certificates with indefinite lengths in every constructed element.
  it('reads indefinite lengths (BER) up to the end-of-contents octets, nested too', () => {
    const der = bytes(0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00);
    const r = new DerReader(der);
    const root = r.root();
    expect(root).toMatchObject({ contentStart: 2, end: 11, next: 13 });
    const [int, inner] = r.children(root);
    expect(r.content(int)).toEqual(bytes(5));
    expect(inner).toMatchObject({ tag: 0x30, end: 9, next: 11 });
    expect(r.children(inner).map((k) => k.tag)).toEqual([0x05]);
    expect(r.whole(inner)).toEqual(bytes(0x30, 0x80, 0x05, 0x00, 0x00, 0x00));
  });

  it('collects constructed strings like asn1_collect, refusing stray end-of-contents and deep nesting', () => {
    const r = new DerReader(bytes(0x24, 0x80, 0x04, 0x01, 0x61, 0x24, 0x03, 0x04, 0x01, 0x62, 0x00, 0x00));
    expect(Buffer.from(r.expectString(r.root(), 0x04, 'x')).toString()).toBe('ab');
    const stray = new DerReader(bytes(0x24, 0x05, 0x04, 0x01, 0x61, 0x00, 0x00));
    expect(() => stray.string(stray.root())).toThrow(DerError);
    let deep = bytes(0x04, 0x01, 0x61);
    for (let i = 0; i < 7; i++) deep = Uint8Array.from([0x24, deep.length, ...deep]);
    const dr = new DerReader(deep);
    expect(() => dr.string(dr.root())).toThrow(/nested too deep/);
  });

  it('decodes context-specific and high tag numbers', () => {
    const r = new DerReader(bytes(0xbf, 0x81, 0x00, 0x00));
    expect(r.root()).toMatchObject({ cls: 2, constructed: true, tagNumber: 128 });
  });

  it.each([
    ['an empty buffer', bytes()],
    ['a truncated length', bytes(0x30, 0x82, 0x01)],
    ['a length beyond the buffer', bytes(0x30, 0x05, 0x00)],
    ['an indefinite length on a primitive element', bytes(0x04, 0x80, 0x01, 0x00, 0x00)],
    ['an indefinite length without end-of-contents', bytes(0x30, 0x80, 0x02, 0x01, 0x05)],
    ['an indefinite length whose end-of-contents lies outside its parent', bytes(0x30, 0x04, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00)],
    ['a 5-octet length field', bytes(0x04, 0x85, 0, 0, 0, 0, 1, 0)],
    ['trailing data', bytes(0x05, 0x00, 0x00)],
    ['a child overrunning its parent', bytes(0x30, 0x03, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00)],
  ])('rejects %s with DerError', (_what, der) => {
    const r = new DerReader(der);
    expect(() => {
      const t = r.root();
      if (t.constructed) r.children(t);
    }).toThrow(DerError);
  });

  it('limits nesting depth', () => {
    let der = bytes(0x05, 0x00);
    for (let i = 0; i < MAX_DEPTH + 5; i++) {
      const len = der.length;
      const head = len < 128 ? [0x30, len] : [0x30, 0x81, len];
      der = Uint8Array.from([...head, ...der]);
    }
    const r = new DerReader(der);
    const walk = (t: ReturnType<DerReader['root']>): void => {
      if (t.constructed) for (const c of r.children(t)) walk(c);
    };
    expect(() => walk(r.root())).toThrow(/nesting deeper/);
  });

  it('throws nothing but DerError on random input', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    for (let n = 0; n < 2000; n++) {
      const buf = Uint8Array.from({ length: 1 + (n % 64) }, rand);
      const r = new DerReader(buf);
      try {
        const walk = (t: ReturnType<DerReader['root']>): void => {
          if (t.constructed) for (const c of r.children(t)) walk(c);
        };
        walk(r.root());
      } catch (e) {
        expect(e).toBeInstanceOf(DerError);
        expect((e as DerError).code).toBe('DER_PARSE');
      }
    }
  });
});

describe('decodeOid / decodeSmallInteger', () => {
  it('decodes OIDs, including large arcs and the 2.x joint arc', () => {
    expect(decodeOid(bytes(0x55, 0x1d, 0x13))).toBe('2.5.29.19');
    expect(decodeOid(bytes(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b))).toBe('1.2.840.113549.1.1.11');
    expect(decodeOid(bytes(0x88, 0x37, 0x03))).toBe('2.999.3');
    expect(() => decodeOid(bytes(0x2a, 0x86))).toThrow(DerError);
    expect(() => decodeOid(bytes(0x2a, 0x80, 0x01))).toThrow(DerError);
  });

  it('decodes signed small integers', () => {
    expect(decodeSmallInteger(bytes(0x00))).toBe(0);
    expect(decodeSmallInteger(bytes(0x7f))).toBe(127);
    expect(decodeSmallInteger(bytes(0x00, 0x80))).toBe(128);
    expect(decodeSmallInteger(bytes(0xff))).toBe(-1);
    expect(decodeSmallInteger(bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBeUndefined();
  });
});
