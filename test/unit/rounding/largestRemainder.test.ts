import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportionParts } from '../../../src/core/rounding/largestRemainder.ts';

/** apportionParts over every slot in index order, into a new array. */
function apportion(
  total: number,
  floors: number[],
  rems: number[],
  slots = floors.map((_, i) => i),
): number[] {
  const out = new Array<number>(floors.length).fill(0);
  apportionParts(total, floors, rems, slots, out);
  return out;
}

describe('apportionParts (largest remainder on fixed-point amounts)', () => {
  it('gives leftover units to the largest fine remainders, the earlier slot first on ties', () => {
    expect(apportion(10, [3, 3, 3], [5e14, 5e14, 0]).join()).toBe('4,3,3');
    expect(apportion(3, [0, 0, 1, 0], [4e14, 6e14, 2e14, 8e14]).join()).toBe('0,1,1,1');
  });

  it('breaks ties by the order of the slots given, not by their index', () => {
    expect(apportion(4, [1, 1, 1], [5e14, 5e14, 5e14], [2, 0, 1]).join()).toBe('1,1,2');
  });

  it('keeps a part whose share is already whole', () => {
    expect(apportion(3, [1, 0, 1], [0, 9e14, 1e14]).join()).toBe('1,1,1');
  });

  it('refuses a total below the sum of the floors', () => {
    expect(() => apportion(1, [1, 1], [0, 0])).toThrow(RangeError);
  });

  it('apportions a total so that the parts sum to it and each is its floor or one more (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ floor: fc.integer({ min: 0, max: 1_000_000 }), rem: fc.integer({ min: 0, max: 999 }) }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.nat(),
        (parts, seed) => {
          // Remainders in fine units (multiples of 10^12 so that ties are frequent).
          const floors = parts.map((p) => p.floor);
          const rems = parts.map((p) => p.rem * 1e12);
          const withRemainder = rems.filter((r) => r > 0).length;
          const floorSum = floors.reduce((s, v) => s + v, 0);
          const total = floorSum + (withRemainder === 0 ? 0 : seed % (withRemainder + 1));
          const out = apportion(total, floors, rems);
          expect(out.reduce((s, v) => s + v, 0)).toBe(total);
          out.forEach((units, i) => {
            expect(units - floors[i]!).toBeGreaterThanOrEqual(0);
            expect(units - floors[i]!).toBeLessThanOrEqual(1);
            // A part that got the extra unit has a remainder at least as large as any part that did not.
            if (units > floors[i]!)
              out.forEach((other, j) => {
                if (other === floors[j]!) expect(rems[i]!).toBeGreaterThanOrEqual(rems[j]!);
              });
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
