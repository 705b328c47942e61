import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import type { NodeUsage } from '../../../src/core/types.ts';
import { priceOptions, type RandomMonth, randomMonthArbitrary } from '../../support/meteredFixture.ts';

const D = Decimal.clone({ precision: 80 });

/** An independent oracle: the catalog price per GPU-hour a node pays at the start of its charge period. */
function oraclePerGpuHour(pricing: Config['pricing'], node: NodeUsage): Decimal {
  const entry = pricing.instanceTypes[node.instanceType]!;
  const latest = (kind: string, base: number | undefined) => {
    const applicable = pricing.overrides
      .map((o, i) => ({ o, i, from: Date.parse(o.from) }))
      .filter(
        ({ o, from }) =>
          o.instanceType === node.instanceType &&
          o.capacityType === kind &&
          from <= node.chargePeriod.startMs,
      )
      .sort((a, b) => a.from - b.from || a.i - b.i);
    return applicable.length > 0 ? applicable[applicable.length - 1]!.o.price : base;
  };
  const onDemand = latest('on-demand', entry.onDemand)!;
  let price = onDemand;
  if (node.capacityType === 'spot') price = latest('spot', entry.spot) ?? onDemand;
  if (node.capacityType === 'reserved') price = latest('committed', entry.committed) ?? onDemand;
  const rate = pricing.currency === pricing.priceCurrency ? new D(1) : new D(pricing.conversionRate!);
  return new D(price).div(entry.gpus).times(rate);
}

function oracleCapacityUnits(month: RandomMonth, digits: number): bigint {
  let total = new D(0);
  for (const day of month.days) {
    for (const node of day.nodes) {
      total = total.plus(
        oraclePerGpuHour(month.config.pricing, node).times(node.capacityGpuSeconds).div(3600),
      );
    }
  }
  return BigInt(total.times(new D(10).pow(digits)).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
}

const units = (text: string, _digits: number) => BigInt(text.replace('.', ''));

describe('priceMonth conservation (property)', () => {
  it('makes rows sum to the rounded capacity cost, rows to team totals and teams to the grand total, within one minor unit per row', () => {
    fc.assert(
      fc.property(randomMonthArbitrary(), (month) => {
        const { rows, summary } = priceMonth(month.days, priceOptions(month.period, month.config));
        const digits = summary.currency.minorDigits;
        const unit = new D(10).pow(-digits);

        const rowSum = [...rows].reduce((s, r) => s + units(r.effectiveCost, digits), 0n);
        expect(rowSum).toBe(oracleCapacityUnits(month, digits));
        expect(units(summary.totals.cost, digits)).toBe(rowSum);
        expect(summary.reconciliation.difference).toBe(digits === 0 ? '0' : '0.00');

        const teamSums = new Map<string, bigint>();
        for (const row of rows)
          teamSums.set(row.team, (teamSums.get(row.team) ?? 0n) + units(row.effectiveCost, digits));
        for (const team of summary.byTeam)
          expect(units(team.cost, digits)).toBe(teamSums.get(team.key) ?? 0n);
        expect(summary.byTeam.reduce((s, t) => s + units(t.cost, digits), 0n)).toBe(rowSum);

        for (const row of rows) {
          expect(row.effectiveCost.startsWith('-')).toBe(false);
          expect(row.listCost.startsWith('-')).toBe(false);
          expect(new D(row.effectiveCostExact).isNegative()).toBe(false);
          expect(new D(row.effectiveCost).minus(row.effectiveCostExact).abs().lt(unit)).toBe(true);
          expect(new D(row.listCost).minus(row.listCostExact).abs().lt(unit)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives byte-identical results for identical input', () => {
    fc.assert(
      fc.property(randomMonthArbitrary(), (month) => {
        const first = priceMonth(month.days, priceOptions(month.period, month.config));
        const second = priceMonth(structuredClone(month.days), priceOptions(month.period, month.config));
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      }),
      { numRuns: 50 },
    );
  });
});
