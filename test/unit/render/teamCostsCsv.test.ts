import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricedRows } from '../../../src/core/types.ts';
import { minorUnitsByText, pricedRow, pricedRows } from '../../support/pricedRows.ts';
import {
  chargebackAndTeamCsvChunks,
  type CsvMeta,
  csvRecords,
  isoFormatter,
  neutralizeFormula,
  numberCell,
  rowsByTeam,
} from '../../../src/render/csv.ts';
import {
  costOrder,
  TeamCostLineWriter,
  teamCostsCsvChunksOfLines,
  minorUnitsOf,
  PRICING_NAMES,
  TEAM_CSV_COLUMNS,
  teamCostsCsvChunks,
  teamFacts,
  type TeamFacts,
  type TopEntry,
  UTF8_BOM,
} from '../../../src/render/teamCsv.ts';
import { compareStrings } from '../../../src/core/compare.ts';
import { formatMinorUnits } from '../../../src/core/money.ts';

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
  const order = indices.map((i) => ({ i, units: minorUnitsByText(rows.get(i).effectiveCost) }));
  order.sort((a, b) => b.units - a.units || a.i - b.i);
  const totals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };
  const records = order.map(({ i, units }) => {
    const row = rows.get(i);
    totals.units += units;
    totals.listUnits += minorUnitsByText(row.listCost);
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

/** The file's bytes: each chunk copied as it is pulled (a chunk is a view the next one reuses). */
function bytesOf(chunks: Iterable<Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('teamCostsCsvChunks', () => {
  it('writes byte for byte what encoding every whole row in cost order wrote (property)', () => {
    fc.assert(
      fc.property(
        fc.array(pricedRow, { minLength: 0, maxLength: 1_200, size: 'max' }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(undefined, 1, 7, 500, 501),
        (plain, correction, every, linesPerPass) => {
          const rows = pricedRows(plain);
          // A team's rows: every `every`-th row, in the month's order.
          const indices = plain.map((_, i) => i).filter((i) => i % every === 0);
          const options = { currency: 'USD', minorDigits: 2, zone: 'Asia/Seoul', correction };
          const chunks = teamCostsCsvChunks(rows, Int32Array.from(indices), { ...options, linesPerPass });
          // Bytes, as the file is written (a lone surrogate is U+FFFD in UTF-8 either way).
          const written = bytesOf(chunks);
          expect(written.equals(Buffer.from(referenceCsv(rows, indices, options), 'utf8'))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes the most expensive line first and ties in their original order', () => {
    const plain = fc.sample(pricedRow, { numRuns: 4, seed: 7 }).map((row, k) => ({
      ...row,
      ...{ pod: `pod-${k}`, podUid: `uid-${k}`, namespace: 'ns', project: 'p', node: 'n', cluster: 'c' },
      gpuResource: 'nvidia.com/gpu',
      effectiveCost: ['1.00', '3.00', '1.00', '2.00'][k]!,
    }));
    const options = { currency: 'USD', minorDigits: 2, zone: 'UTC', correction: false };
    const text = bytesOf(teamCostsCsvChunks(pricedRows(plain), [0, 1, 2, 3], options)).toString('utf8');
    const pods = text
      .split('\r\n')
      .slice(1, 5)
      .map((line) => line.split(',')[2]);
    expect(pods).toEqual(['pod-1', 'pod-3', 'pod-0', 'pod-2']);
  });
  it('writes two files at once, their chunks interleaved, each as if written alone', () => {
    const plain = fc.sample(pricedRow, { numRuns: 1_300, seed: 11 });
    const rows = pricedRows(plain);
    const options = { currency: 'KRW', minorDigits: 0, zone: 'UTC', correction: false, linesPerPass: 600 };
    const teams = [
      plain.map((_, i) => i).filter((i) => i % 2 === 0),
      plain.map((_, i) => i).filter((i) => i % 3 === 0),
    ];
    const alone = teams.map((indices) =>
      bytesOf(teamCostsCsvChunks(rows, indices, options)).toString('utf8'),
    );
    const iterators = teams.map((indices) => teamCostsCsvChunks(rows, indices, options)[Symbol.iterator]());
    const together = ['', ''];
    for (let done = 0; done < 2;) {
      done = 0;
      for (let t = 0; t < 2; t++) {
        const next = iterators[t]!.next();
        if (next.done) done++;
        else together[t] += Buffer.from(next.value).toString('utf8');
      }
    }
    expect(together).toEqual(alone);
  });
});

/**
 * Every team's costs.csv made from the chargeback CSV's records ({@link TeamCostLineWriter} fed by
 * chargebackAndTeamCsvChunks, lines kept in memory per team, then {@link teamCostsCsvChunksOfLines}).
 */
function costsFromChargeback(
  rows: PricedRows,
  meta: CsvMeta,
  options: { currency: string; minorDigits: number; zone: string; correction: boolean },
  sizes: { linesPerPass?: number; readBytes?: number },
): Map<string, Buffer> {
  const teams = rowsByTeam(rows);
  const lines = [...teams.keys()].map(() => [] as Buffer[]);
  const writer = new TeamCostLineWriter(rows, meta, options, (t, line) => {
    const bytes = Buffer.from(line, 'utf8');
    lines[t]!.push(bytes);
    return bytes.byteLength;
  });
  for (const _ of chargebackAndTeamCsvChunks(rows, meta, teams, () => {}, writer.add));
  const files = new Map<string, Buffer>();
  let t = 0;
  for (const [team, indices] of teams) {
    const file = Buffer.concat(lines[t++]!);
    const readAt = (into: Uint8Array, length: number, position: number) => {
      expect(position + length).toBeLessThanOrEqual(file.byteLength);
      expect(file.copy(into, 0, position, position + length)).toBe(length);
    };
    files.set(
      team,
      bytesOf(teamCostsCsvChunksOfLines(rows, indices, writer.lineBytes, readAt, { ...options, ...sizes })),
    );
  }
  return files;
}

describe('teamCostsCsvChunksOfLines (lines from the chargeback CSV)', () => {
  const meta = (zone: string, billing: boolean, correction: boolean): CsvMeta => ({
    period: { startMs: Date.UTC(2026, 9, 1), endMs: Date.UTC(2026, 10, 1), zone },
    currency: 'USD',
    catalogVersion: 'v1',
    utilizationPolicy: 'utilization',
    idlePolicy: 'share-by-node',
    source: 'demo',
    ...(correction ? { chargeClass: 'Correction' as const } : {}),
    ...(billing ? { billing: true } : {}),
  });

  it('writes byte for byte what teamCostsCsvChunks writes for every team, in any number of passes and reads (property)', () => {
    const team = fc.constantFrom('ml', '=platform', 'b,c', '한국');
    const row = fc.tuple(pricedRow, team).map(([r, t]) => ({ ...r, team: t }));
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 0, maxLength: 600, size: 'max' }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('UTC', 'Asia/Seoul'),
        fc.constantFrom(undefined, 1, 7, 500, 501),
        fc.constantFrom(undefined, 1, 300, 4_000),
        (plain, correction, billing, zone, linesPerPass, readBytes) => {
          const rows = pricedRows(plain);
          const options = { currency: 'USD', minorDigits: 2, zone, correction };
          const made = costsFromChargeback(rows, meta(zone, billing, !correction), options, {
            linesPerPass,
            readBytes,
          });
          const teams = rowsByTeam(rows);
          expect([...made.keys()]).toEqual([...teams.keys()]);
          for (const [name, indices] of teams) {
            const expected = bytesOf(teamCostsCsvChunks(rows, indices, { ...options, linesPerPass }));
            expect(made.get(name)!.equals(expected)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a chargeback CSV in another zone (its charge period bounds would not be the readable ones)', () => {
    const rows = pricedRows(fc.sample(pricedRow, { numRuns: 3, seed: 5 }));
    const options = { currency: 'USD', zone: 'Asia/Seoul', correction: false };
    expect(() => new TeamCostLineWriter(rows, meta('UTC', false, false), options, () => 0)).toThrow(
      RangeError,
    );
  });
});

describe('costOrder', () => {
  it('orders as a comparator on (cost descending, row index) does, whole, fractional, huge or out-of-order (property)', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.constantFrom(2 ** 52, 2 ** 53 - 1, 0.5, -0),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 300 }), fc.boolean(), (values, shuffled) => {
        const units = Float64Array.from(values);
        const indices = values.map((_, k) => (shuffled ? (k * 7919) % 1009 : 3 * k + 1));
        const expected = values
          .map((_, k) => k)
          .sort((a, b) => units[b]! - units[a]! || indices[a]! - indices[b]!);
        expect([...costOrder(units, indices)]).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('orders positions by cost, largest first, ties by row index (not by position)', () => {
    const units = Float64Array.from([5, 9, 5, 9, 1]);
    // Positions 0 and 2 tie at 5: row 40 (position 2) comes before row 70 (position 0).
    const indices = [70, 12, 40, 3, 8];
    expect([...costOrder(units, indices)]).toEqual([3, 1, 2, 0, 4]);
  });
});

/** teamFacts as it was written before it found its entries by cluster, namespace and pod name: the result it must keep. */
function referenceFacts(rows: PricedRows, indices: readonly number[], top: number): TeamFacts {
  const pods = new Map<string, TopEntry>();
  const projects = new Map<string, TopEntry>();
  const namespaces = new Map<string, TopEntry>();
  const add = (map: Map<string, TopEntry>, key: string, units: number, micro: number) => {
    const entry = map.get(key) ?? { key, units: 0, gpuHours: 0 };
    entry.units += units;
    entry.gpuHours += micro;
    map.set(key, entry);
  };
  let totalUnits = 0;
  for (const i of indices) {
    const row = rows.get(i);
    const units = minorUnitsByText(row.effectiveCost);
    totalUnits += units;
    if (row.pod === '') continue;
    const micro = Math.round(Number(row.consumedGpuHours) * 1e6);
    const where = row.cluster === '' ? row.namespace : `${row.cluster}/${row.namespace}`;
    add(pods, where === '' ? row.pod : `${where}/${row.pod}`, units, micro);
    add(projects, row.project, units, micro);
    add(namespaces, where, units, micro);
  }
  const largest = (map: Map<string, TopEntry>) =>
    [...map.values()]
      .sort((a, b) => b.units - a.units || compareStrings(a.key, b.key))
      .slice(0, top)
      .map((e) => ({ ...e, gpuHours: e.gpuHours / 1e6 }));
  return {
    rowCount: indices.length,
    totalUnits,
    pods: largest(pods),
    projects: largest(projects),
    namespaces: largest(namespaces),
  };
}

describe('teamFacts', () => {
  it("sums each pod's, project's and namespace's rows as the keys built per row did, equal keys of different names included (property)", () => {
    // Names with "/" so that different clusters, namespaces and pods make equal keys ("a/b" + "c" and "a" + "b/c").
    const name = fc.constantFrom('', 'a', 'b', 'a/b', 'b/c', 'c');
    const row = fc
      .tuple(pricedRow, name, name, name, name)
      .map(([r, cluster, namespace, pod, project]) => ({ ...r, cluster, namespace, pod, project }));
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 200, size: 'max' }),
        fc.integer({ min: 1, max: 8 }),
        (plain, top) => {
          const rows = pricedRows(plain);
          const indices = plain.map((_, i) => i);
          expect(teamFacts(rows, indices, top)).toEqual(referenceFacts(rows, indices, top));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('minorUnitsOf', () => {
  it('reads every amount formatMinorUnits prints back as its minor units, as reading it through strings did (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          fc.maxSafeInteger(),
          fc.constant(Number.MIN_SAFE_INTEGER),
        ),
        fc.integer({ min: 0, max: 4 }),
        (units, digits) => {
          const amount = formatMinorUnits(units, digits);
          expect(minorUnitsOf(amount)).toBe(units);
          expect(minorUnitsOf(amount)).toBe(minorUnitsByText(amount));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads "12.30" as 1230, "-0.05" as -5 and "12300" as 12300', () => {
    expect([minorUnitsOf('12.30'), minorUnitsOf('-0.05'), minorUnitsOf('12300'), minorUnitsOf('0')]).toEqual([
      1230, -5, 12300, 0,
    ]);
  });
});
