import fc from 'fast-check';
import { formatMinorUnits } from '../../src/core/money.ts';
import type { PricedRow, PricedRows } from '../../src/core/types.ts';
import { numberCell } from '../../src/render/csv.ts';
import { HOSTILE_CELLS } from './csv.ts';

/** Plain rows as a {@link PricedRows} (the month's RowSet reads the same fields from its compact store). */
export function pricedRows(rows: readonly PricedRow[]): PricedRows {
  return {
    length: rows.length,
    get: (i) => ({ ...rows[i]! }),
    column: (name) => (i) => rows[i]![name],
    minorUnits: (name) => (i) => minorUnitsByText(rows[i]![name]),
    hours: (name) => (i) => Number(rows[i]![name]),
    [Symbol.iterator]: () => rows[Symbol.iterator](),
  };
}

/** Label values that CSV encoding and formula neutralization must handle. */
const label = fc.oneof(
  fc.constantFrom(...HOSTILE_CELLS, '+x', '한국', 'lone \uD800 surrogate'),
  fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '-', ' ', 'é'), maxLength: 8 }),
);
/** A money amount with 2 minor digits, few distinct values so that costs tie. */
const amount = fc.integer({ min: 0, max: 40 }).map((units) => formatMinorUnits(units * 25, 2));
const hours = fc.integer({ min: 0, max: 50_000_000 }).map((micro) => numberCell(micro / 1e6));
const DAY = Date.UTC(2026, 9, 1);

/** A priced row of team "ml" with hostile labels, tied costs and a day of October 2026. */
export const pricedRow: fc.Arbitrary<PricedRow> = fc
  .record({
    day: fc.integer({ min: 0, max: 30 }),
    pod: label,
    namespace: label,
    project: label,
    node: label,
    cluster: label,
    gpuResource: label,
    podUid: label,
    component: fc.constantFrom('Direct', 'Idle', 'IdleShare', 'UnusedAllocation'),
    pricingCategory: fc.constantFrom('Standard', 'Dynamic', 'Committed'),
    gpuEquivalents: fc.constantFrom(1, 0.5, 3 / 7, 8),
    utilizationPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
    effectiveCost: amount,
    listCost: amount,
    consumedGpuHours: hours,
    billableGpuHours: hours,
  })
  .map(
    (r) =>
      ({
        chargePeriod: {
          date: `2026-10-${String(r.day + 1).padStart(2, '0')}`,
          startMs: DAY + r.day * 86_400_000,
          endMs: DAY + (r.day + 1) * 86_400_000,
        },
        cluster: r.cluster,
        team: 'ml',
        project: r.project,
        namespace: r.namespace,
        pod: r.pod,
        podUid: r.podUid,
        node: r.node,
        instanceType: 'p4d.24xlarge',
        gpuModel: 'A100',
        gpuResource: r.gpuResource,
        gpuEquivalents: r.gpuEquivalents,
        pricingCategory: r.pricingCategory,
        component: r.component,
        consumedGpuHours: r.consumedGpuHours,
        billableGpuHours: r.billableGpuHours,
        utilizationPct: r.utilizationPct,
        utilizationSource: 'dcgm',
        unitPrice: '32.7726',
        effectiveCostExact: r.effectiveCost,
        listCostExact: r.listCost,
        coverage: 1,
        priceFallback: false,
        costSource: '',
        providerId: '',
        capacityType: 'on-demand',
        effectiveCost: r.effectiveCost,
        listCost: r.listCost,
        chargeClass: '',
      }) as unknown as PricedRow,
  );

/** Minor units of a fixed-point amount, read through strings (how the render code read them at first): a reference. */
export function minorUnitsByText(amount: string): number {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const units = Number(whole + fraction);
  return negative ? -units : units;
}
