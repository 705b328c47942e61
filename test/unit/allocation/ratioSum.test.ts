import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RatioSum } from '../../../src/core/allocation/ratioSum.ts';
import { addRatio, compareRatio, type Ratio } from '../../../src/core/money.ts';

/** Ratios with few denominators (a node's rate × 10^-k, sevenths), as an idle pool's terms are, and any others. */
const ratio: fc.Arbitrary<Ratio> = fc.oneof(
  fc
    .tuple(
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      fc.constantFrom(1n, 7n, 3_600_000n, 7n * 3_600_000n),
      fc.integer({ min: 0, max: 18 }),
    )
    .map(([numerator, base, k]) => ({ numerator, denominator: base * 10n ** BigInt(k) })),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 20n }))
    .map(([numerator, denominator]) => ({ numerator, denominator })),
);

describe('RatioSum', () => {
  it('totals exactly what adding the ratios one by one with addRatio gives, in any order (property)', () => {
    fc.assert(
      fc.property(fc.array(ratio, { maxLength: 60 }), (terms) => {
        const sum = new RatioSum();
        let reference: Ratio = { numerator: 0n, denominator: 1n };
        for (const term of terms) {
          sum.add(term);
          reference = addRatio(reference, term);
        }
        const total = sum.total();
        expect(total.denominator > 0n).toBe(true);
        expect(compareRatio(total, reference)).toBe(0);
        // Read again, and after more terms: still the running sum.
        expect(compareRatio(sum.total(), reference)).toBe(0);
        const more = { numerator: 3n, denominator: 7n };
        sum.add(more);
        expect(compareRatio(sum.total(), addRatio(reference, more))).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('is 0/1 with nothing (or only zeros) added, and sums equal denominators by their numerators', () => {
    const sum = new RatioSum();
    expect(sum.total()).toEqual({ numerator: 0n, denominator: 1n });
    sum.add({ numerator: 0n, denominator: 9n });
    expect(sum.total()).toEqual({ numerator: 0n, denominator: 1n });
    sum.add({ numerator: 1n, denominator: 10n });
    sum.add({ numerator: 2n, denominator: 10n });
    sum.add({ numerator: 1n, denominator: 100n });
    expect(compareRatio(sum.total(), { numerator: 31n, denominator: 100n })).toBe(0);
  });
});
