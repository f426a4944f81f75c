/** The fleet commands' heap growth setting yields to a growing factor the user chose. */
import { describe, expect, it } from 'vitest';
import { tightenHeapGrowth } from '../../src/cli/fleet-heap.js';

describe('tightenHeapGrowth', () => {
  it('sets the factor when the user chose none', () => {
    expect(tightenHeapGrowth({}, [])).toBe(true);
    expect(tightenHeapGrowth({ NODE_OPTIONS: '--max-old-space-size=512' }, ['--expose-gc'])).toBe(true);
  });

  it("keeps the user's factor from node's command line or NODE_OPTIONS, in either spelling", () => {
    expect(tightenHeapGrowth({}, ['--heap-growing-percent=80'])).toBe(false);
    expect(tightenHeapGrowth({ NODE_OPTIONS: '--heap_growing_percent=10' }, [])).toBe(false);
  });
});
