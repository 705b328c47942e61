import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apportionLargestRemainder,
  formatMinorUnits,
  Money,
  minorDigits,
  roundHierarchically,
  toMinorUnitsHalfEven,
} from '../../../src/core/money.ts';
import { ConfigError } from '../../../src/errors.ts';

const m = (values: string[]) => values.map((v) => new Money(v));

describe('money', () => {
  it('knows the ISO 4217 minor units of USD, KRW, JPY and KWD', () => {
    expect(['USD', 'KRW', 'JPY', 'KWD'].map(minorDigits)).toEqual([2, 0, 0, 3]);
  });

  it('rejects a currency whose minor unit it does not know', () => {
    expect(() => minorDigits('XYZ')).toThrow(ConfigError);
  });

  it('rounds half to even', () => {
    expect(['0.125', '0.135', '0.1251', '-0.125'].map((v) => toMinorUnitsHalfEven(new Money(v), 2))).toEqual([
      12, 14, 13, -12,
    ]);
  });

  it('formats minor units exactly', () => {
    expect([
      formatMinorUnits(1234, 2),
      formatMinorUnits(5, 2),
      formatMinorUnits(0, 2),
      formatMinorUnits(17488, 0),
    ]).toEqual(['12.34', '0.05', '0.00', '17488']);
    expect(formatMinorUnits(900719925474099, 2)).toBe('9007199254740.99');
  });

  it('gives leftover units to the largest remainders, earlier index first on ties', () => {
    expect(apportionLargestRemainder(10, m(['3.5', '3.5', '3'])).join()).toBe('4,3,3');
    expect(apportionLargestRemainder(3, m(['0.4', '0.6', '1.2', '0.8'])).join()).toBe('0,1,1,1');
  });

  it('keeps a part whose share is already whole', () => {
    expect(apportionLargestRemainder(3, m(['1', '0.9', '1.1'])).join()).toBe('1,1,1');
  });

  it('apportions a total so that the parts sum to it and each is within one unit of its share (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 30 }),
        (thousandths) => {
          const exact = thousandths.map((t) => new Money(t).div(1000));
          const total = toMinorUnitsHalfEven(exact.reduce((s, v) => s.plus(v), new Money(0)).div(100), 2);
          const rows = thousandths.map((_, i) => i);
          const groups = [
            { key: 'b', rows: rows.filter((i) => i % 2 === 0) },
            { key: 'a', rows: rows.filter((i) => i % 2 === 1) },
          ].filter((g) => g.rows.length > 0);
          const result = roundHierarchically(
            exact.reduce((s, v) => s.plus(v), new Money(0)).div(100),
            exact.map((v) => v.div(100)),
            groups,
            2,
          );
          expect(result.rowUnits.reduce((s, v) => s + v, 0)).toBe(total);
          for (const g of groups) {
            expect(g.rows.reduce((s, i) => s + result.rowUnits[i]!, 0)).toBe(result.groupUnits.get(g.key));
          }
          result.rowUnits.forEach((units, i) => {
            expect(Math.abs(units - exact[i]!.toNumber())).toBeLessThan(1);
            expect(units).toBeGreaterThanOrEqual(0);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
