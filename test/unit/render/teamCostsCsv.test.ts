import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricedRow, PricedRows } from '../../../src/core/types.ts';
import { csvRecords, isoFormatter, neutralizeFormula, numberCell } from '../../../src/render/csv.ts';
import {
  costOrder,
  minorUnitsOf,
  PRICING_NAMES,
  TEAM_CSV_COLUMNS,
  teamCostsCsvChunks,
  UTF8_BOM,
} from '../../../src/render/teamCsv.ts';
import { formatMinorUnits } from '../../../src/core/money.ts';

/** Plain rows as a {@link PricedRows} (the month's RowSet reads the same fields from its compact store). */
function pricedRows(rows: readonly PricedRow[]): PricedRows {
  return {
    length: rows.length,
    get: (i) => ({ ...rows[i]! }),
    column: (name) => (i) => rows[i]![name],
    [Symbol.iterator]: () => rows[Symbol.iterator](),
  };
}

/**
 * The readable CSV as it was written before records were encoded in the month's order (every row built
 * whole with `get`, in cost order, and every record handed to csv-stringify): the bytes it must keep.
 */
function referenceCsv(
  rows: PricedRows,
  indices: readonly number[],
  options: { currency: string; minorDigits: number; zone: string; correction: boolean },
): string {
  const iso = isoFormatter(options.zone);
  const order = indices.map((i) => ({ i, units: minorUnitsOf(rows.get(i).effectiveCost) }));
  order.sort((a, b) => b.units - a.units || a.i - b.i);
  const totals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };
  const records = order.map(({ i, units }) => {
    const row = rows.get(i);
    totals.units += units;
    totals.listUnits += minorUnitsOf(row.listCost);
    totals.heldMicro += Math.round(Number(row.consumedGpuHours) * 1e6);
    totals.billedMicro += Math.round(Number(row.billableGpuHours) * 1e6);
    return [
      row.effectiveCost,
      options.currency,
      neutralizeFormula(row.pod),
      neutralizeFormula(row.namespace),
      neutralizeFormula(row.project),
      row.component,
      row.chargePeriod.date,
      row.consumedGpuHours,
      row.billableGpuHours,
      numberCell(row.gpuEquivalents),
      row.utilizationPct === null ? '' : numberCell(row.utilizationPct, 2),
      row.unitPrice,
      PRICING_NAMES[row.pricingCategory],
      neutralizeFormula(row.instanceType),
      neutralizeFormula(row.gpuModel),
      neutralizeFormula(row.gpuResource),
      neutralizeFormula(row.node),
      neutralizeFormula(row.cluster),
      iso(row.chargePeriod.startMs),
      iso(row.chargePeriod.endMs),
      row.listCost,
      neutralizeFormula(row.podUid),
      options.correction ? 'yes' : '',
    ];
  });
  const total: string[] = TEAM_CSV_COLUMNS.map(() => '');
  total[0] = formatMinorUnits(totals.units, options.minorDigits);
  total[1] = options.currency;
  total[2] = `TOTAL (${indices.length} line items)`;
  total[7] = numberCell(totals.heldMicro / 1e6);
  total[8] = numberCell(totals.billedMicro / 1e6);
  total[20] = formatMinorUnits(totals.listUnits, options.minorDigits);
  return UTF8_BOM + csvRecords([TEAM_CSV_COLUMNS]) + csvRecords([...records, total]);
}

/** Label values that CSV encoding and formula neutralization must handle. */
const label = fc.oneof(
  fc.constantFrom('', 'ml', 'team-a', '=1+1', '-2', '+x', '@SUM(A1)', '\tTab', 'a,b', 'say "hi"', 'x\r\ny', '한국'),
  fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '-', ' ', 'é'), maxLength: 8 }),
);
/** A money amount with 2 minor digits, few distinct values so that costs tie. */
const amount = fc.integer({ min: 0, max: 40 }).map((units) => formatMinorUnits(units * 25, 2));
const hours = fc.integer({ min: 0, max: 50_000_000 }).map((micro) => numberCell(micro / 1e6));
const DAY = Date.UTC(2026, 9, 1);

const pricedRow: fc.Arbitrary<PricedRow> = fc
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

describe('teamCostsCsvChunks', () => {
  it('writes byte for byte what encoding every whole row in cost order wrote (property)', () => {
    fc.assert(
      fc.property(
        fc.array(pricedRow, { minLength: 0, maxLength: 1_200, size: 'max' }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        (plain, correction, every) => {
          const rows = pricedRows(plain);
          // A team's rows: every `every`-th row, in the month's order.
          const indices = plain.map((_, i) => i).filter((i) => i % every === 0);
          const options = { currency: 'USD', minorDigits: 2, zone: 'Asia/Seoul', correction };
          const written = [...teamCostsCsvChunks(rows, Int32Array.from(indices), options)].join('');
          expect(written).toBe(referenceCsv(rows, indices, options));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes the most expensive line first and ties in their original order', () => {
    const plain = fc.sample(pricedRow, { numRuns: 4, seed: 7 }).map((row, k) => ({
      ...row,
      pod: `pod-${k}`,
      effectiveCost: ['1.00', '3.00', '1.00', '2.00'][k]!,
    }));
    const options = { currency: 'USD', minorDigits: 2, zone: 'UTC', correction: false };
    const text = [...teamCostsCsvChunks(pricedRows(plain), [0, 1, 2, 3], options)].join('');
    const pods = text
      .split('\r\n')
      .slice(1, 5)
      .map((line) => line.split(',')[2]);
    expect(pods).toEqual(['pod-1', 'pod-3', 'pod-0', 'pod-2']);
  });
});

describe('costOrder', () => {
  it('orders positions by cost, largest first, ties by row index (not by position)', () => {
    const units = Float64Array.from([5, 9, 5, 9, 1]);
    // Positions 0 and 2 tie at 5: row 40 (position 2) comes before row 70 (position 0).
    const indices = [70, 12, 40, 3, 8];
    expect([...costOrder(units, indices)]).toEqual([3, 1, 2, 0, 4]);
  });
});
