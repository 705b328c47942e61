import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvoiceLedger, type InvoiceLine } from '../../../src/core/billing/ledger.ts';
import { exactDecimal } from '../../../src/core/money.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import { chargePeriods } from '../../../src/core/period.ts';
import { priceCutInstants } from '../../../src/core/pricing/catalog.ts';
import type { MeteredDay, PricingCategory } from '../../../src/core/types.ts';
import { priceOptions, type RandomMonth, randomMonthArbitrary } from '../../support/meteredFixture.ts';

const D = Decimal.clone({ precision: 80 });
const HOUR = 3_600_000;

/** Gives every node of a random month its own cloud instance (kube_node_info provider_id). */
function withProviderIds(days: MeteredDay[]): MeteredDay[] {
  return days.map((d) => ({
    ...d,
    nodes: d.nodes.map((n) => ({ ...n, providerId: providerIdOf(n.cluster, n.node) })),
  }));
}

function providerIdOf(cluster: string, node: string): string {
  const hex = Buffer.from(`${cluster}/${node}`).toString('hex').padEnd(17, '0').slice(0, 17);
  return `aws:///us-east-1a/i-${hex}`;
}

/** Hourly invoice lines (UTC hours) for every node's instance over the month's days, with random costs. */
const invoiceArbitrary = (month: RandomMonth) =>
  fc.array(
    fc.record({
      cost: fc
        .bigInt({ min: 0n, max: 99_999_999_999n })
        .map((n) => `${n / 10_000_000_000n}.${String(n % 10_000_000_000n).padStart(10, '0')}`),
      category: fc.constantFrom<PricingCategory>('Standard', 'Dynamic', 'Committed'),
    }),
    { minLength: 24 * month.days.length * 4, maxLength: 24 * month.days.length * 4 },
  );

function linesOf(month: RandomMonth, draws: { cost: string; category: PricingCategory }[]): InvoiceLine[] {
  const instances = [
    ...new Set(month.days.flatMap((d) => d.nodes.map((n) => providerIdOf(n.cluster, n.node)))),
  ];
  const start = month.days[0]!.day.startMs;
  const end = month.days.at(-1)!.day.endMs;
  const lines: InvoiceLine[] = [];
  let k = 0;
  instances.forEach((providerId) => {
    const resourceId = providerId.slice(providerId.lastIndexOf('/') + 1);
    for (let t = start; t < end; t += HOUR) {
      const draw = draws[k++ % draws.length]!;
      lines.push({
        billingAccountId: '111122223333',
        subAccountId: '444455556666',
        resourceId,
        instanceType: '',
        region: 'us-east-1',
        startMs: t,
        endMs: t + HOUR,
        usageSeconds: 3600,
        effectiveCost: exactDecimal(draw.cost),
        pricingCategory: draw.category,
        team: null,
        project: null,
      });
    }
  });
  return lines;
}

describe('the chargeback equals the invoice (property)', () => {
  it('makes the month total equal, to the cent, the invoice cost of every instance-day whose node had GPU capacity, under every utilization and idle policy', () => {
    fc.assert(
      fc.property(
        randomMonthArbitrary().chain((month) => fc.tuple(fc.constant(month), invoiceArbitrary(month))),
        ([month, draws]) => {
          const days = withProviderIds(month.days);
          const lines = linesOf(month, draws);
          const ledger = new InvoiceLedger(
            chargePeriods(month.period.days, priceCutInstants(month.config.pricing, month.period)),
          );
          for (const line of lines) ledger.add(line);
          // The export covers the month's days entirely.
          ledger.noteCoverage('111122223333', month.period.endMs);
          const options = priceOptions(month.period, month.config, {
            invoice: {
              costs: ledger.result(),
              source: { format: 'focus', description: 'property test' },
              gpuInstanceTypes: {},
              defaultProject: 'unallocated',
            },
          });
          const { rows, summary } = priceMonth(days, options);
          const digits = summary.currency.minorDigits;

          // Oracle: per instance and day, the lines' costs count when a node of the instance had capacity that day.
          let expected = new D(0);
          for (const day of days) {
            const capacity = new Map<string, number>();
            for (const n of day.nodes)
              capacity.set(n.providerId!, (capacity.get(n.providerId!) ?? 0) + n.capacityGpuSeconds);
            for (const line of lines) {
              if (line.startMs < day.day.startMs || line.endMs > day.day.endMs) continue;
              const id = [...capacity.keys()].find((p) => p.endsWith(`/${line.resourceId}`))!;
              if (capacity.get(id)! > 0)
                expected = expected.plus(
                  new D(line.effectiveCost.numerator.toString()).div(
                    line.effectiveCost.denominator.toString(),
                  ),
                );
            }
          }
          const expectedText = expected.toDecimalPlaces(digits, Decimal.ROUND_HALF_EVEN).toFixed(digits);
          expect(summary.totals.cost).toBe(expectedText);
          expect(summary.invoice!.invoicePricedCost).toBe(expectedText);
          expect(summary.invoice!.catalogPricedCost).toBe(new D(0).toFixed(digits));
          // Rows add up to the total, as always.
          const rowSum = [...rows].reduce((s, r) => s.plus(r.effectiveCost), new D(0));
          expect(rowSum.toFixed(digits)).toBe(expectedText);
          // Every row of a node with capacity says the invoice priced it.
          for (const row of rows)
            if (row.component !== 'Direct' || row.effectiveCost !== '0')
              expect(row.costSource).toMatch(/^(invoice|catalog-not-on-invoice)$/);
        },
      ),
      { numRuns: 60 },
    );
  });
});
