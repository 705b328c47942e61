import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricedRows } from '../../../src/core/types.ts';
import { HTML_DIMENSIONS, type HtmlData, htmlData } from '../../../src/render/html/htmlReport.ts';
import { minorUnitsByText, pricedRow, pricedRows } from '../../support/pricedRows.ts';

/** htmlData as it was written before records were found by pod uid (a JSON key per row): the result it must keep. */
function referenceData(rows: PricedRows): HtmlData {
  const tables = HTML_DIMENSIONS.map(() => new Map<string, number>());
  const indexOf = (d: number, value: string) => {
    const table = tables[d]!;
    let index = table.get(value);
    if (index === undefined) {
      index = table.size;
      table.set(value, index);
    }
    return index;
  };
  const records = new Map<string, (number | string)[]>();
  for (const row of rows) {
    const values = [row.team, row.project, row.namespace, row.cluster, row.gpuModel, row.pricingCategory];
    const dims = values.map((value, k) => indexOf(k, value));
    const key = JSON.stringify([...dims, row.pod, row.podUid]);
    let record = records.get(key);
    if (!record) {
      record = [...dims, row.pod, 0, 0, 0, 0];
      records.set(key, record);
    }
    const hours = Number(row.consumedGpuHours);
    record[7] = (record[7] as number) + minorUnitsByText(row.effectiveCost);
    record[8] = (record[8] as number) + hours;
    if (row.utilizationPct !== null && row.component === 'Direct') {
      record[9] = (record[9] as number) + hours;
      record[10] = (record[10] as number) + hours * row.utilizationPct;
    }
  }
  const values = Object.fromEntries(
    HTML_DIMENSIONS.map((d, k) => [d, [...tables[k]!.keys()]]),
  ) as HtmlData['values'];
  return { values, records: [...records.values()] };
}

/** Rows of a few teams, pods and uids, so that records share uids, pods and dimensions in every way. */
const rowsOfFewPods = fc.array(
  fc
    .tuple(
      pricedRow,
      fc.constantFrom('ml', 'vision', ''),
      fc.constantFrom('p-1', 'p-2', ''),
      fc.constantFrom('u-1', 'u-2', 'u-3', ''),
      fc.constantFrom('Standard', 'Dynamic'),
    )
    .map(([row, team, pod, podUid, pricingCategory]) => ({ ...row, team, pod, podUid, pricingCategory })),
  { maxLength: 300, size: 'max' },
);

/**
 * Runs of rows of one pod (its Direct, IdleShare and UnusedAllocation rows are neighbours in the month's
 * order), of few namespaces and projects, so that a row repeats the row before's dimensions and uid.
 */
const runsOfPodRows = fc
  .array(
    fc.tuple(
      pricedRow,
      fc.constantFrom('ml', 'vision'),
      fc.constantFrom('p-1', 'p-2'),
      fc.constantFrom('u-1', 'u-2', ''),
      fc.constantFrom('ns-a', 'ns-b'),
      fc.constantFrom('proj', ''),
      fc.array(fc.constantFrom('Direct', 'IdleShare', 'UnusedAllocation'), { minLength: 1, maxLength: 3 }),
    ),
    { maxLength: 120 },
  )
  .map((runs) =>
    runs.flatMap(([row, team, pod, podUid, namespace, project, components]) =>
      components.map(
        (component) => ({ ...row, team, pod, podUid, namespace, project, component }) as typeof row,
      ),
    ),
  );

describe('htmlData', () => {
  it("sums runs of a pod's neighbouring rows into its record as the reference does (property)", () => {
    fc.assert(
      fc.property(runsOfPodRows, (plain) => {
        const rows = pricedRows(plain);
        expect(htmlData(rows)).toEqual(referenceData(rows));
      }),
      { numRuns: 150 },
    );
  });

  it('sums the rows per pod and dimensions exactly as one record per distinct key, in first-row order (property)', () => {
    fc.assert(
      fc.property(fc.oneof(rowsOfFewPods, fc.array(pricedRow, { maxLength: 300 })), (plain) => {
        const rows = pricedRows(plain);
        expect(htmlData(rows)).toEqual(referenceData(rows));
      }),
      { numRuns: 150 },
    );
  });
});
