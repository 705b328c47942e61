import { compareStrings } from '../core/compare.ts';
import { formatMinorUnits } from '../core/money.ts';
import type { PricedRows, PricingCategory } from '../core/types.ts';
import { csvRecords, isoFormatter, neutralizeFormula, numberCell } from './csv.ts';

/**
 * The team lead's CSV (teams/<team>/costs.csv): one team's line items made readable in a spreadsheet —
 * UTF-8 with a byte order mark (so Excel opens Korean names correctly), CRLF, the cost and the pod first,
 * the most expensive line first, and a total row last. Every column is explained in the month's
 * COLUMNS.md ({@link columnsMarkdown}). The FOCUS-aligned teams/<team>.csv stays as it was, for tools.
 */
export const TEAM_CSV_COLUMNS = [
  'Cost',
  'Currency',
  'Pod',
  'Namespace',
  'Project',
  'CostType',
  'Date',
  'GpuHoursHeld',
  'GpuHoursBilled',
  'Gpus',
  'UtilizationPct',
  'PricePerGpuHour',
  'Pricing',
  'InstanceType',
  'GpuModel',
  'GpuResource',
  'Node',
  'Cluster',
  'PeriodStart',
  'PeriodEnd',
  'OnDemandCost',
  'PodUid',
  'Correction',
] as const;

/** The byte order mark that tells spreadsheets the file is UTF-8. */
export const UTF8_BOM = '\uFEFF';

/** PricingCategory as a team lead reads it: FOCUS's Dynamic is Spot, Standard is On-Demand. */
export const PRICING_NAMES: Record<PricingCategory, string> = {
  Standard: 'On-Demand',
  Dynamic: 'Spot',
  Committed: 'Committed',
};

/** How many line items one chunk holds. */
const CHUNK_ROWS = 500;

/**
 * The readable CSV of one team's rows (`indices` into `rows`) as chunks of text: the BOM and header, the
 * rows by cost (largest first, then in their original order), and the total row.
 */
export function* teamCostsCsvChunks(
  rows: PricedRows,
  indices: ArrayLike<number>,
  options: { currency: string; minorDigits: number; zone: string; correction: boolean },
): Iterable<string> {
  yield UTF8_BOM + csvRecords([TEAM_CSV_COLUMNS]);
  const costOf = rows.column('effectiveCost');
  const order = Array.from(indices, (i) => ({ i, units: minorUnitsOf(costOf(i)) }));
  order.sort((a, b) => b.units - a.units || a.i - b.i);
  const iso = isoFormatter(options.zone);
  const totals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };
  let batch: string[][] = [];
  for (const { i, units } of order) {
    const row = rows.get(i);
    totals.units += units;
    totals.listUnits += minorUnitsOf(row.listCost);
    totals.heldMicro += microOf(row.consumedGpuHours);
    totals.billedMicro += microOf(row.billableGpuHours);
    batch.push([
      row.effectiveCost,
      options.currency,
      text(row.pod),
      text(row.namespace),
      text(row.project),
      row.component,
      row.chargePeriod.date,
      row.consumedGpuHours,
      row.billableGpuHours,
      numberCell(row.gpuEquivalents),
      row.utilizationPct === null ? '' : numberCell(row.utilizationPct, 2),
      row.unitPrice,
      PRICING_NAMES[row.pricingCategory],
      text(row.instanceType),
      text(row.gpuModel),
      text(row.gpuResource),
      text(row.node),
      text(row.cluster),
      iso(row.chargePeriod.startMs),
      iso(row.chargePeriod.endMs),
      row.listCost,
      text(row.podUid),
      options.correction ? 'yes' : '',
    ]);
    if (batch.length === CHUNK_ROWS) {
      yield csvRecords(batch);
      batch = [];
    }
  }
  const total: string[] = TEAM_CSV_COLUMNS.map(() => '');
  total[0] = formatMinorUnits(totals.units, options.minorDigits);
  total[1] = options.currency;
  total[2] = `TOTAL (${indices.length} line items)`;
  total[7] = numberCell(totals.heldMicro / 1e6);
  total[8] = numberCell(totals.billedMicro / 1e6);
  total[20] = formatMinorUnits(totals.listUnits, options.minorDigits);
  batch.push(total);
  yield csvRecords(batch);
}

/** A text cell of a label value, safe from spreadsheet formulas. */
function text(value: string): string {
  return neutralizeFormula(value);
}

/** A fixed-point amount rounded to the minor unit ("12.30", "-0.05", "12300") as integer minor units. */
export function minorUnitsOf(amount: string): number {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const units = Number(whole + fraction);
  return negative ? -units : units;
}

/** GPU-hours printed with up to 6 decimals, in integer micro-hours (exact for such strings). */
function microOf(hours: string): number {
  return Math.round(Number(hours) * 1e6);
}

/** One team's biggest consumers, from its rows: pods, projects and namespaces by cost. */
export interface TeamFacts {
  rowCount: number;
  totalUnits: number;
  pods: TopEntry[];
  projects: TopEntry[];
  namespaces: TopEntry[];
}

/** A name (pod: namespace/pod; namespace: cluster/namespace when there are clusters), its money and GPU-hours held. */
export interface TopEntry {
  key: string;
  units: number;
  gpuHours: number;
}

/** The `top` biggest pods, projects and namespaces of one team's rows, by cost (then name). */
export function teamFacts(rows: PricedRows, indices: ArrayLike<number>, top: number): TeamFacts {
  const cost = rows.column('effectiveCost');
  const held = rows.column('consumedGpuHours');
  const namespace = rows.column('namespace');
  const pod = rows.column('pod');
  const project = rows.column('project');
  const cluster = rows.column('cluster');
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
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const units = minorUnitsOf(cost(i));
    totalUnits += units;
    // Idle rows of the platform team have no pod: they are not a workload.
    if (pod(i) === '') continue;
    const ns = namespace(i);
    const micro = microOf(held(i));
    const where = cluster(i) === '' ? ns : `${cluster(i)}/${ns}`;
    add(pods, where === '' ? pod(i) : `${where}/${pod(i)}`, units, micro);
    add(projects, project(i), units, micro);
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
