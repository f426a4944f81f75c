/**
 * The fuzz harness itself: a harness that could not see a crash or a hang would make every "0 crashes" line
 * meaningless.
 */
import { describe, expect, it } from 'vitest';
import { DER_MUTATORS, fuzz, mutateBytes, rngFor, tamperDerLength, tlv, tlvHeaders } from './fuzz-kit.js';

describe('fuzz harness', () => {
  it('is deterministic: input i is the same for the same seed, and different for another index', () => {
    const seed = Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x00]);
    const a = mutateBytes(rngFor(1, 42), seed, [], DER_MUTATORS, 6);
    const b = mutateBytes(rngFor(1, 42), seed, [], DER_MUTATORS, 6);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const distinct = new Set(Array.from({ length: 50 }, (_, i) => Buffer.from(mutateBytes(rngFor(1, i), seed, [], DER_MUTATORS)).toString('hex')));
    expect(distinct.size).toBeGreaterThan(30);
  });

  it('never changes its seed, not even a Node Buffer (whose slice() is a view)', () => {
    const seed = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x00]);
    for (let i = 0; i < 200; i++) mutateBytes(rngFor(9, i), seed, [seed], DER_MUTATORS, 6);
    expect(seed.toString('hex')).toBe('3006020105040100');
  });

  it('finds TLV headers, including DER inside an OCTET STRING, and rewrites only a length', () => {
    const inner = tlv(0x30, Uint8Array.from([0x05, 0x00]));
    const der = tlv(0x30, Uint8Array.from([0x02, 0x01, 0x07]), tlv(0x04, inner));
    expect(tlvHeaders(der).map((h) => der[h.start])).toEqual([0x30, 0x02, 0x04, 0x30, 0x05]);
    for (let i = 0; i < 20; i++) {
      const out = tamperDerLength(rngFor(3, i), der);
      expect(Buffer.from(out).equals(Buffer.from(der))).toBe(false);
    }
  });

  it('counts an unexpected exception as a crash and a slow input as a hang, with the index to replay', async () => {
    const r = await fuzz({
      name: 'self-test',
      iterations: 20,
      perInputMs: 30,
      generate: (_rng, i) => i,
      run: (i) => {
        if (i === 3) throw new TypeError('boom');
        if (i === 5) throw new RangeError('typed');
        if (i === 7) {
          const until = performance.now() + 60;
          while (performance.now() < until);
        }
      },
      expected: (e) => e instanceof RangeError,
      preview: (i) => String(i),
      useEnv: false,
    });
    expect(r.inputs).toBe(20);
    expect(r.crashes.map((c) => c.index)).toEqual([3]);
    expect(r.crashes[0].detail).toContain('TypeError: boom');
    expect(r.hangs.map((h) => h.index)).toEqual([7]);
    expect(r.typedErrors).toBe(1);
    expect(r.summary).toMatch(/^self-test: 20 inputs, 1 crashes, 1 hangs/);
  });
});
