import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/probe/byte-queue.js';

describe('ByteQueue', () => {
  it('takes contiguous copies across chunk boundaries', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.from([1, 2]));
    q.push(new Uint8Array(0));
    q.push(Uint8Array.from([3]));
    q.push(Uint8Array.from([4, 5, 6]));
    expect(q.length).toBe(6);
    expect(q.at(0)).toBe(1);
    expect(q.at(3)).toBe(4);
    expect(Array.from(q.take(4))).toEqual([1, 2, 3, 4]);
    expect(q.at(0)).toBe(5);
    expect(Array.from(q.take(2))).toEqual([5, 6]);
    expect(q.length).toBe(0);
    expect(() => q.at(0)).toThrow(RangeError);
  });

  it('stays linear for a one-byte-at-a-time peer (100k single-byte chunks)', () => {
    const q = new ByteQueue();
    for (let i = 0; i < 100_000; i++) q.push(Uint8Array.of(i & 0xff));
    const all = q.take(100_000);
    expect(all[99_999]).toBe(99_999 & 0xff);
  });
});
