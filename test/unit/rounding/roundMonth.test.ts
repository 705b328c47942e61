import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactDecimal, toMinorUnitsHalfEven } from '../../../src/core/money.ts';
import { roundMonth, type RoundingAmounts } from '../../../src/core/rounding/roundMonth.ts';

/**
 * Amounts for rows given in cents as decimal strings ("0.5" = half a cent), split into whole minor units
 * and fine units (10^-15 minor unit); list = effective unless given.
 */
function amounts(cents: string[], listCents: string[] = cents): RoundingAmounts {
  const split = (values: string[]) => {
    const floor = new Float64Array(values.length);
    const rem = new Float64Array(values.length);
    values.forEach((v, i) => {
      const [whole, fraction = ''] = v.split('.');
      floor[i] = Number(whole);
      rem[i] = Number(fraction.padEnd(15, '0'));
    });
    return [floor, rem] as const;
  };
  const [effFloor, effRem] = split(cents);
  const [listFloor, listRem] = split(listCents);
  return {
    effFloor,
    effRem,
    listFloor,
    listRem,
    effUnits: new Float64Array(cents.length),
    listUnits: new Float64Array(cents.length),
  };
}

const usd = (text: string) => exactDecimal(text);

describe('roundMonth (the one rounding step)', () => {
  it('rounds the grand total half to even', () => {
    expect(['0.125', '0.135', '0.1251', '0.115'].map((v) => toMinorUnitsHalfEven(usd(v), 2))).toEqual([
      12, 14, 13, 12,
    ]);
    expect(toMinorUnitsHalfEven(usd('17487.5'), 0)).toBe(17488);
    expect(toMinorUnitsHalfEven(usd('17486.5'), 0)).toBe(17486);
    // An exact ratio, not a decimal: 1/3 USD is 33 cents.
    expect(toMinorUnitsHalfEven({ numerator: 1n, denominator: 3n }, 2)).toBe(33);
  });

  it('gives a row the rounded capacity cost, not its own rounding', () => {
    // One row of exactly 12.5 cents: the grand total is 12 (half-even), so the row gets 12, not 13.
    const a = amounts(['12.5']);
    const totals = roundMonth([{ rowTeam: 'ml', slot: 0 }], a, usd('0.125'), usd('0.125'), 2);
    expect([totals.totalUnits, a.effUnits[0]]).toEqual([12, 12]);
  });

  it('gives a leftover unit to the team that sorts first when the teams tie, whatever the row order', () => {
    const a = amounts(['0.5', '0.5']);
    const rows = [
      { rowTeam: 'search', slot: 0 },
      { rowTeam: 'ml', slot: 1 },
    ];
    roundMonth(rows, a, usd('0.01'), usd('0.01'), 2);
    expect([...a.effUnits]).toEqual([0, 1]);
  });

  it('gives a leftover unit to the earlier row of a team when its rows tie', () => {
    // Rows in the order slot 1, then slot 0: "earlier" is the row order, not the slot.
    const a = amounts(['0.5', '0.5']);
    const rows = [
      { rowTeam: 'ml', slot: 1 },
      { rowTeam: 'ml', slot: 0 },
    ];
    roundMonth(rows, a, usd('0.01'), usd('0.01'), 2);
    expect([...a.effUnits]).toEqual([0, 1]);
  });

  it('gives leftover units to the largest remainders (largest remainder, not rounding each row)', () => {
    // 3.4 + 3.3 + 3.3 = 10 cents: rounding each row would give 3 + 3 + 3 = 9.
    const a = amounts(['3.4', '3.3', '3.3']);
    const rows = [0, 1, 2].map((slot) => ({ rowTeam: 'ml', slot }));
    roundMonth(rows, a, usd('0.10'), usd('0.10'), 2);
    expect([...a.effUnits]).toEqual([4, 3, 3]);
  });

  it('rounds ListCost on its own from the On-Demand capacity cost', () => {
    const a = amounts(['1.5', '1.5'], ['2.25', '2.75']);
    const rows = [
      { rowTeam: 'ml', slot: 0 },
      { rowTeam: 'ml', slot: 1 },
    ];
    const totals = roundMonth(rows, a, usd('0.03'), usd('0.05'), 2);
    expect(totals).toEqual({ totalUnits: 3, listTotalUnits: 5 });
    expect([...a.effUnits, ...a.listUnits]).toEqual([2, 1, 2, 3]);
  });

  it('refuses to apportion a non-zero total over no rows', () => {
    expect(() => roundMonth([], amounts([]), usd('0.01'), usd('0.01'), 2)).toThrow(RangeError);
    expect(roundMonth([], amounts([]), usd('0'), usd('0'), 2)).toEqual({ totalUnits: 0, listTotalUnits: 0 });
  });

  it('makes rows sum to their team and teams to the half-even total, each within a unit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            team: fc.constantFrom('a', 'b', 'c'),
            // Thousandths of a cent, so exact totals often end in a half.
            milli: fc.integer({ min: 0, max: 5_000_000 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (rows) => {
          const a = amounts(rows.map((r) => (r.milli / 1000).toFixed(3)));
          const exactCents = rows.reduce((s, r) => s + r.milli, 0);
          const capacity = { numerator: BigInt(exactCents), denominator: 100_000n };
          const refs = rows.map((r, slot) => ({ rowTeam: r.team, slot }));
          const { totalUnits } = roundMonth(refs, a, capacity, capacity, 2);
          expect(totalUnits).toBe(toMinorUnitsHalfEven(capacity, 2));
          expect([...a.effUnits].reduce((s, v) => s + v, 0)).toBe(totalUnits);
          rows.forEach((r, i) => expect(Math.abs(a.effUnits[i]! - r.milli / 1000)).toBeLessThan(1));
          for (const team of ['a', 'b', 'c']) {
            const exact = rows.filter((r) => r.team === team).reduce((s, r) => s + r.milli, 0) / 1000;
            const rounded = rows.reduce((s, r, i) => s + (r.team === team ? a.effUnits[i]! : 0), 0);
            expect(Math.abs(rounded - exact)).toBeLessThan(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
