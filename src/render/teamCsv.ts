import { compareStrings } from '../core/compare.ts';
import { formatMinorUnits } from '../core/money.ts';
import type { PricedRows, PricingCategory } from '../core/types.ts';
import { type CellKind, CsvEncoder, csvRecords, isoFormatter, numberCell } from './csv.ts';

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

/** The columns of {@link TEAM_CSV_COLUMNS} that hold numbers this program printed, and those that seldom repeat. */
const NUMBER_COLUMNS = new Set<string>([
  'Cost',
  'GpuHoursHeld',
  'GpuHoursBilled',
  'Gpus',
  'UtilizationPct',
  'PricePerGpuHour',
  'OnDemandCost',
]);
const UNIQUE_COLUMNS = new Set<string>(['Pod', 'PodUid']);

/** What each of {@link TEAM_CSV_COLUMNS} holds, for the {@link CsvEncoder}. */
const TEAM_CSV_KINDS: readonly CellKind[] = TEAM_CSV_COLUMNS.map((column) =>
  NUMBER_COLUMNS.has(column) ? 'number' : UNIQUE_COLUMNS.has(column) ? 'unique' : 'text',
);

/**
 * The readable CSV of one team's rows (`indices` into `rows`) as chunks of text: the BOM and header, the
 * rows by cost (largest first, then in their original order), and the total row.
 *
 * Each record is encoded while the rows are read in the order of `indices` (the month's order, in which
 * neighbouring rows share their pods, nodes and days in memory), and the encoded records are then written
 * in cost order: reading a month-sized store in cost order instead touched a row, its usage and its pod at
 * random for every line (issue #18). The team's encoded records are held until the file is written
 * (about a 40th of the month's chargeback CSV at 40 teams).
 */
export function* teamCostsCsvChunks(
  rows: PricedRows,
  indices: ArrayLike<number>,
  options: { currency: string; minorDigits: number; zone: string; correction: boolean },
): Iterable<string> {
  yield UTF8_BOM + csvRecords([TEAM_CSV_COLUMNS]);
  const { records, units, totals } = teamCostRecords(rows, indices, options);
  const order = costOrder(units, indices);
  const chunk: string[] = [];
  for (let k = 0; k < order.length; k++) {
    chunk.push(records[order[k]!]!);
    if (chunk.length === CHUNK_ROWS) {
      yield chunk.join('');
      chunk.length = 0;
    }
  }
  const total: string[] = TEAM_CSV_COLUMNS.map(() => '');
  total[0] = formatMinorUnits(totals.units, options.minorDigits);
  total[1] = options.currency;
  total[2] = `TOTAL (${indices.length} line items)`;
  total[7] = numberCell(totals.heldMicro / 1e6);
  total[8] = numberCell(totals.billedMicro / 1e6);
  total[20] = formatMinorUnits(totals.listUnits, options.minorDigits);
  chunk.push(csvRecords([total]));
  yield chunk.join('');
}

/**
 * Positions 0..units.length - 1 ordered by `units` (largest first), ties by row index (`indices`) — the
 * order of the readable CSV's lines.
 */
export function costOrder(units: Float64Array, indices: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(units.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  return order.sort((a, b) => units[b]! - units[a]! || indices[a]! - indices[b]!);
}

/** Every row of `indices` as an encoded record of the readable CSV (in the order of `indices`), its cost in minor units, and the totals. */
function teamCostRecords(
  rows: PricedRows,
  indices: ArrayLike<number>,
  options: { currency: string; zone: string; correction: boolean },
): {
  records: string[];
  units: Float64Array;
  totals: { units: number; listUnits: number; heldMicro: number; billedMicro: number };
} {
  const column = {
    effectiveCost: rows.column('effectiveCost'),
    pod: rows.column('pod'),
    namespace: rows.column('namespace'),
    project: rows.column('project'),
    component: rows.column('component'),
    chargePeriod: rows.column('chargePeriod'),
    consumedGpuHours: rows.column('consumedGpuHours'),
    billableGpuHours: rows.column('billableGpuHours'),
    gpuEquivalents: rows.column('gpuEquivalents'),
    utilizationPct: rows.column('utilizationPct'),
    unitPrice: rows.column('unitPrice'),
    pricingCategory: rows.column('pricingCategory'),
    instanceType: rows.column('instanceType'),
    gpuModel: rows.column('gpuModel'),
    gpuResource: rows.column('gpuResource'),
    node: rows.column('node'),
    cluster: rows.column('cluster'),
    listCost: rows.column('listCost'),
    podUid: rows.column('podUid'),
  };
  const iso = isoFormatter(options.zone);
  const encoder = new CsvEncoder(TEAM_CSV_KINDS);
  const correction = options.correction ? 'yes' : '';
  const units = new Float64Array(indices.length);
  const totals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };
  const records: string[] = [];
  const batch: string[] = [];
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const cost = column.effectiveCost(i);
    const listCost = column.listCost(i);
    const held = column.consumedGpuHours(i);
    const billed = column.billableGpuHours(i);
    const utilizationPct = column.utilizationPct(i);
    const chargePeriod = column.chargePeriod(i);
    units[k] = minorUnitsOf(cost);
    totals.units += units[k]!;
    totals.listUnits += minorUnitsOf(listCost);
    totals.heldMicro += microOf(held);
    totals.billedMicro += microOf(billed);
    batch.push(
      cost,
      options.currency,
      column.pod(i),
      column.namespace(i),
      column.project(i),
      column.component(i),
      chargePeriod.date,
      held,
      billed,
      numberCell(column.gpuEquivalents(i)),
      utilizationPct === null ? '' : numberCell(utilizationPct, 2),
      column.unitPrice(i),
      PRICING_NAMES[column.pricingCategory(i)],
      column.instanceType(i),
      column.gpuModel(i),
      column.gpuResource(i),
      column.node(i),
      column.cluster(i),
      iso(chargePeriod.startMs),
      iso(chargePeriod.endMs),
      listCost,
      column.podUid(i),
      correction,
    );
    if (batch.length === CHUNK_ROWS * TEAM_CSV_COLUMNS.length) {
      for (const record of encoder.encodeRecords(batch)) records.push(record);
      batch.length = 0;
    }
  }
  if (batch.length > 0) for (const record of encoder.encodeRecords(batch)) records.push(record);
  return { records, units, totals };
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
