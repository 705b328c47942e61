import { compareStrings } from '../core/compare.ts';
import { formatMinorUnits } from '../core/money.ts';
import type { PricedRows, PricingCategory } from '../core/types.ts';
import {
  type CellKind,
  CHARGEBACK_COLUMNS,
  type CsvMeta,
  CsvEncoder,
  csvRecords,
  isoFormatter,
  memo,
  numberCell,
} from './csv.ts';

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

/** Lines encoded per pass over a team's rows (a team of more rows is written in several passes). */
const LINES_PER_PASS = 65_536;

/**
 * The bytes of encoded lines waiting to be written in cost order: outside the JavaScript heap, so that
 * they cost the garbage collector nothing, and reused from team to team. A generator that finds it in
 * use (two files written at once) takes a buffer of its own.
 */
let spareLineBytes: Buffer | undefined;

/**
 * Not what the monthly report runs: it writes costs.csv from the chargeback CSV's encoded records
 * ({@link TeamCostLineWriter}, {@link teamCostsCsvChunksOfLines}). This encodes the same file from the
 * rows themselves and is kept as that path's reference: test/unit/render/teamCostsCsv.test.ts holds the
 * two byte for byte (and bench/core.ts uses it for trees older than the line writer).
 *
 * The readable CSV of one team's rows (`indices` into `rows`) as chunks of UTF-8 bytes: the BOM and
 * header, the rows by cost (largest first, then in their original order), and the total row. A chunk is
 * a view of a buffer the next chunk reuses: consume it (write or copy it) before pulling the next
 * (`spoolBytes` in src/adapters/fs/spool.ts does). Bytes, not text: the lines are encoded into bytes to
 * be put in cost order, and decoding them into a string that the spool encoded again cost ≈ 2 s of CPU
 * and ~0.4 GB of short-lived strings at 10,000 GPUs (issue #18).
 *
 * Rows are read in the order of `indices` (the month's order, in which neighbouring rows share their pods
 * and nodes in memory) and written in cost order. Reading a month-sized store in cost order touched a
 * row, its usage and its pod at random for every line: most of this file's CPU at 10,000 GPUs (issue
 * #18). So the sort keys and totals are read in one pass, then each pass encodes the lines of up to
 * {@link LINES_PER_PASS} ranks (all of them for a team of that size) in the month's order into bytes
 * outside the heap, and writes them in cost order. Lines are encoded by the chargeback CSV's
 * {@link CsvEncoder}; no row is built whole.
 */
export function* teamCostsCsvChunks(
  rows: PricedRows,
  indices: ArrayLike<number>,
  options: {
    currency: string;
    minorDigits: number;
    zone: string;
    correction: boolean;
    /** Lines encoded per pass ({@link LINES_PER_PASS}; smaller in tests). */
    linesPerPass?: number;
  },
): Iterable<Uint8Array> {
  yield Buffer.from(UTF8_BOM + csvRecords([TEAM_CSV_COLUMNS]), 'utf8');
  const linesPerPass = options.linesPerPass ?? LINES_PER_PASS;
  const costUnits = rows.minorUnits('effectiveCost');
  const count = indices.length;
  const units = new Float64Array(count);
  for (let k = 0; k < count; k++) units[k] = costUnits(indices[k]!);
  const order = costOrder(units, indices);
  const rank = new Uint32Array(count);
  for (let r = 0; r < count; r++) rank[order[r]!] = r;
  const lines = new TeamCostLines(rows, options);
  let bytes = spareLineBytes ?? Buffer.allocUnsafe(1 << 20);
  let chunk = Buffer.allocUnsafe(1 << 18);
  spareLineBytes = undefined;
  try {
    for (let from = 0; from < count; from += linesPerPass) {
      const to = Math.min(count, from + linesPerPass);
      // Where each line of ranks from..to-1 lies in `bytes`: [start, end).
      const start = new Float64Array(to - from);
      const end = new Float64Array(to - from);
      let used = 0;
      const write = (r: number, line: string) => {
        const most = used + 3 * line.length;
        if (most > bytes.length) {
          const larger = Buffer.allocUnsafe(Math.max(most, 2 * bytes.length));
          bytes.copy(larger, 0, 0, used);
          bytes = larger;
        }
        start[r - from] = used;
        used += bytes.write(line, used, 'utf8');
        end[r - from] = used;
      };
      for (let k = 0; k < count; k++) {
        const r = rank[k]!;
        if (r >= from && r < to) lines.add(indices[k]!, r, write);
      }
      lines.flush(write);
      for (let r = from; r < to; r += CHUNK_ROWS) {
        const last = Math.min(to, r + CHUNK_ROWS);
        let size = 0;
        for (let q = r; q < last; q++) size += end[q - from]! - start[q - from]!;
        // One buffer for every chunk: a new one per chunk (600 MB of them at 10,000 GPUs) counted as
        // external memory, which makes V8 run full collections of the month-sized heap.
        if (size > chunk.length) chunk = Buffer.allocUnsafe(Math.max(size, 2 * chunk.length));
        let at = 0;
        for (let q = r; q < last; q++) at += bytes.copy(chunk, at, start[q - from]!, end[q - from]!);
        yield chunk.subarray(0, size);
      }
    }
  } finally {
    spareLineBytes = bytes;
  }
  yield totalRow(lines.totals, count, options);
}

/** Sums of a team's lines in integers (minor units, micro-hours): the same in any order. */
interface LineTotals {
  units: number;
  listUnits: number;
  heldMicro: number;
  billedMicro: number;
}

/** costs.csv's last record: the team's cost, its On-Demand cost and GPU-hours over its `count` lines. */
function totalRow(
  totals: LineTotals,
  count: number,
  options: { currency: string; minorDigits: number },
): Buffer {
  const total: string[] = TEAM_CSV_COLUMNS.map(() => '');
  total[0] = formatMinorUnits(totals.units, options.minorDigits);
  total[1] = options.currency;
  total[2] = `TOTAL (${count} line items)`;
  total[7] = numberCell(totals.heldMicro / 1e6);
  total[8] = numberCell(totals.billedMicro / 1e6);
  total[20] = formatMinorUnits(totals.listUnits, options.minorDigits);
  return Buffer.from(csvRecords([total]), 'utf8');
}

/**
 * Where each of {@link TEAM_CSV_COLUMNS} is found among the chargeback CSV's columns: the same cell (the
 * same reader and the same formatting, so the same encoded field: a field's encoding depends only on its
 * value and on its column being text or a number, which agree on both sides). null: a cell of the
 * readable CSV's own (the currency, the date, the pricing's readable name, the correction flag).
 */
const FROM_CHARGEBACK: Record<(typeof TEAM_CSV_COLUMNS)[number], (typeof CHARGEBACK_COLUMNS)[number] | null> =
  {
    Cost: 'EffectiveCost',
    Currency: null,
    Pod: 'x_Pod',
    Namespace: 'x_Namespace',
    Project: 'x_Project',
    CostType: 'x_CostComponent',
    Date: null,
    GpuHoursHeld: 'ConsumedQuantity',
    GpuHoursBilled: 'x_BillableGpuHours',
    Gpus: 'x_GpuEquivalents',
    UtilizationPct: 'x_GpuUtilizationPct',
    PricePerGpuHour: 'x_UnitPrice',
    Pricing: null,
    InstanceType: 'SkuId',
    GpuModel: 'x_GpuModel',
    GpuResource: 'x_GpuResource',
    Node: 'ResourceId',
    Cluster: 'x_Cluster',
    PeriodStart: 'ChargePeriodStart',
    PeriodEnd: 'ChargePeriodEnd',
    OnDemandCost: 'ListCost',
    PodUid: 'x_PodUid',
    Correction: null,
  };

/** Per readable column, the position of its field among the chargeback record's fields (-1: its own). */
const CHARGEBACK_POSITION: readonly number[] = TEAM_CSV_COLUMNS.map((column) => {
  const from = FROM_CHARGEBACK[column];
  return from === null ? -1 : CHARGEBACK_COLUMNS.indexOf(from);
});

/**
 * The lines of every team's readable CSV, made from the chargeback CSV's encoded records as
 * `chargebackAndTeamCsvChunks` (csv.ts) encodes them: `add` is its `eachRecord`. Nineteen of the 23 fields
 * of a line are fields of the row's chargeback record, already read and encoded; the other four (the
 * currency, the date, the readable pricing, the correction flag) take few values, each encoded once. Each
 * line (CRLF-ended) is handed to `write(team, line)` in the rows' order, which returns its UTF-8 byte
 * length, kept in `lineBytes` (by row) for {@link teamCostsCsvChunksOfLines}, which writes them in cost
 * order. This replaced reading 19 fields of each row again, in cost order or by team, and encoding them
 * again: most of costs.csv's ≈ 13 s of CPU at 10,000 GPUs (issue #18).
 */
export class TeamCostLineWriter {
  /** The UTF-8 byte length of each row's line (by row index), once it has been added. */
  readonly lineBytes: Uint32Array;
  /** Adds row `i`'s line to team `team`'s lines, from its chargeback record's `fields` from `start`. */
  readonly add: (i: number, team: number, fields: readonly string[], start: number) => void;

  constructor(
    rows: PricedRows,
    meta: Pick<CsvMeta, 'period'>,
    options: { currency: string; zone: string; correction: boolean },
    write: (team: number, line: string) => number,
  ) {
    // The chargeback record's charge period bounds are this file's only if both are in the same zone.
    if (meta.period.zone !== options.zone)
      throw new RangeError(`the chargeback CSV's zone ${meta.period.zone} is not ${options.zone}`);
    const lineBytes = new Uint32Array(rows.length);
    this.lineBytes = lineBytes;
    const chargePeriod = rows.column('chargePeriod');
    const pricingCategory = rows.column('pricingCategory');
    const encoder = new CsvEncoder(['text']);
    // A text cell's field: the record of one cell without its CRLF.
    const field = memo((text: string) => encoder.encode([text]).slice(0, -2), 10_000);
    const currency = field(options.currency);
    const correction = field(options.correction ? 'yes' : '');
    const pricing = memo((category: PricingCategory) => field(PRICING_NAMES[category]));
    const width = TEAM_CSV_COLUMNS.length;
    const line = new Array<string>(width);
    const positions = CHARGEBACK_POSITION;
    const dateAt = TEAM_CSV_COLUMNS.indexOf('Date');
    const pricingAt = TEAM_CSV_COLUMNS.indexOf('Pricing');
    const currencyAt = TEAM_CSV_COLUMNS.indexOf('Currency');
    const correctionAt = TEAM_CSV_COLUMNS.indexOf('Correction');
    this.add = (i, team, fields, start) => {
      for (let k = 0; k < width; k++) {
        const at = positions[k]!;
        if (at !== -1) line[k] = fields[start + at]!;
      }
      line[currencyAt] = currency;
      line[dateAt] = field(chargePeriod(i).date);
      line[pricingAt] = pricing(pricingCategory(i));
      line[correctionAt] = correction;
      line[width - 1] += '\r\n';
      lineBytes[i] = write(team, line.join(','));
    };
  }
}

/** Bytes read from a team's lines at a time (whole lines; a longer line is read alone). */
const READ_BYTES = 1 << 22;

/** The buffers of {@link teamCostsCsvChunksOfLines}, reused from team to team (as {@link spareLineBytes}). */
let spareOfLines: { pass: Buffer; block: Buffer } | undefined;

/**
 * What {@link teamCostsCsvChunks} writes for one team's rows (`indices` into `rows`), byte for byte, from
 * the team's lines as {@link TeamCostLineWriter} wrote them: in the order of `indices`, the line of row
 * `i` being `lineBytes[i]` bytes long, read by `readAt(into, length, position)` (exactly `length` bytes of
 * the lines from byte `position` into the start of `into`). The lines of up to `linesPerPass` ranks are put
 * in cost order in a buffer outside the JavaScript heap, reading the lines in their order, and handed
 * out as views of it: consume each chunk before pulling the next. Totals are read from the rows' numbers.
 */
export function* teamCostsCsvChunksOfLines(
  rows: PricedRows,
  indices: ArrayLike<number>,
  lineBytes: ArrayLike<number>,
  readAt: (into: Uint8Array, length: number, position: number) => void,
  options: {
    currency: string;
    minorDigits: number;
    /** Lines put in order per pass ({@link LINES_PER_PASS}; smaller in tests). */
    linesPerPass?: number;
    /** Bytes read at a time ({@link READ_BYTES}; smaller in tests). */
    readBytes?: number;
  },
): Iterable<Uint8Array> {
  yield Buffer.from(UTF8_BOM + csvRecords([TEAM_CSV_COLUMNS]), 'utf8');
  const linesPerPass = options.linesPerPass ?? LINES_PER_PASS;
  const cost = rows.minorUnits('effectiveCost');
  const list = rows.minorUnits('listCost');
  const held = rows.hours('consumedGpuHours');
  const billed = rows.hours('billableGpuHours');
  const count = indices.length;
  const units = new Float64Array(count);
  // Where each line starts among the lines (line k ends where line k + 1 starts).
  const offset = new Float64Array(count + 1);
  // Sums of integers (minor units, micro-hours): the same in any order.
  const totals: LineTotals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };
  for (let k = 0; k < count; k++) {
    const i = indices[k]!;
    units[k] = cost(i);
    totals.units += units[k]!;
    totals.listUnits += list(i);
    totals.heldMicro += Math.round(held(i) * 1e6);
    totals.billedMicro += Math.round(billed(i) * 1e6);
    offset[k + 1] = offset[k]! + lineBytes[i]!;
  }
  const order = costOrder(units, indices);
  const rank = new Uint32Array(count);
  for (let r = 0; r < count; r++) rank[order[r]!] = r;
  const spare = spareOfLines;
  spareOfLines = undefined;
  let pass = spare?.pass ?? Buffer.allocUnsafe(1 << 20);
  let block =
    options.readBytes === undefined
      ? (spare?.block ?? Buffer.allocUnsafe(READ_BYTES))
      : Buffer.allocUnsafe(options.readBytes);
  try {
    for (let from = 0; from < count; from += linesPerPass) {
      const to = Math.min(count, from + linesPerPass);
      // Where the line of each rank from..to-1 goes in `pass`.
      const at = new Float64Array(to - from + 1);
      for (let r = from; r < to; r++) {
        const k = order[r]!;
        at[r - from + 1] = at[r - from]! + offset[k + 1]! - offset[k]!;
      }
      if (at[to - from]! > pass.length) pass = Buffer.allocUnsafe(Math.max(at[to - from]!, 2 * pass.length));
      for (let k = 0; k < count;) {
        let m = k;
        while (m < count && offset[m + 1]! - offset[k]! <= block.length) m++;
        if (m === k) {
          block = Buffer.allocUnsafe(offset[k + 1]! - offset[k]!);
          continue;
        }
        readAt(block, offset[m]! - offset[k]!, offset[k]!);
        for (let q = k; q < m; q++) {
          const r = rank[q]!;
          if (r >= from && r < to)
            block.copy(pass, at[r - from]!, offset[q]! - offset[k]!, offset[q + 1]! - offset[k]!);
        }
        k = m;
      }
      for (let r = from; r < to; r += CHUNK_ROWS) {
        const last = Math.min(to, r + CHUNK_ROWS);
        yield pass.subarray(at[r - from]!, at[last - from]!);
      }
    }
  } finally {
    spareOfLines = { pass, block: options.readBytes === undefined ? block : (spare?.block ?? block) };
  }
  yield totalRow(totals, count, options);
}

/** Encodes lines of the readable CSV, {@link CHUNK_ROWS} at a time, each handed over with its rank. */
class TeamCostLines {
  readonly #cells: (i: number, out: string[]) => void;
  /** GPU-hours held and billed, the numbers the line prints. */
  readonly #held: (i: number) => number;
  readonly #billed: (i: number) => number;
  readonly #encoder = new CsvEncoder(TEAM_CSV_KINDS);
  readonly #batch: string[] = [];
  readonly #ranks: number[] = [];
  /** Over every line added: cost and On-Demand cost in minor units, GPU-hours held and billed in micro-hours. */
  readonly totals: LineTotals = { units: 0, listUnits: 0, heldMicro: 0, billedMicro: 0 };

  constructor(rows: PricedRows, options: { currency: string; zone: string; correction: boolean }) {
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
    this.#held = rows.hours('consumedGpuHours');
    this.#billed = rows.hours('billableGpuHours');
    const iso = isoFormatter(options.zone);
    const correction = options.correction ? 'yes' : '';
    const gpusCell = memo((gpus: number) => numberCell(gpus), 10_000);
    // Percentages with 2 decimals: at most 10,001 values.
    const utilizationCell = memo((pct: number) => numberCell(pct, 2), 10_001);
    this.#cells = (i, out) => {
      const utilizationPct = column.utilizationPct(i);
      const chargePeriod = column.chargePeriod(i);
      out.push(
        column.effectiveCost(i),
        options.currency,
        column.pod(i),
        column.namespace(i),
        column.project(i),
        column.component(i),
        chargePeriod.date,
        column.consumedGpuHours(i),
        column.billableGpuHours(i),
        gpusCell(column.gpuEquivalents(i)),
        utilizationPct === null ? '' : utilizationCell(utilizationPct),
        column.unitPrice(i),
        PRICING_NAMES[column.pricingCategory(i)],
        column.instanceType(i),
        column.gpuModel(i),
        column.gpuResource(i),
        column.node(i),
        column.cluster(i),
        iso(chargePeriod.startMs),
        iso(chargePeriod.endMs),
        column.listCost(i),
        column.podUid(i),
        correction,
      );
    };
  }

  /** Adds the line of row `i`, of rank `rank`; encodes and hands over the batch when it is full. */
  add(i: number, rank: number, write: (rank: number, line: string) => void): void {
    const batch = this.#batch;
    const at = batch.length;
    this.#cells(i, batch);
    this.totals.units += minorUnitsOf(batch[at]!);
    this.totals.heldMicro += Math.round(this.#held(i) * 1e6);
    this.totals.billedMicro += Math.round(this.#billed(i) * 1e6);
    this.totals.listUnits += minorUnitsOf(batch[at + 20]!);
    this.#ranks.push(rank);
    if (this.#ranks.length === CHUNK_ROWS) this.flush(write);
  }

  /** Encodes the lines added since the last flush and hands each over with its rank. */
  flush(write: (rank: number, line: string) => void): void {
    if (this.#ranks.length === 0) return;
    const lines = this.#encoder.encodeRecords(this.#batch);
    for (let j = 0; j < lines.length; j++) write(this.#ranks[j]!, lines[j]!);
    this.#batch.length = 0;
    this.#ranks.length = 0;
  }
}

/**
 * Positions 0..units.length - 1 ordered by `units` (largest first), ties by row index (`indices`) — the
 * order of the readable CSV's lines.
 */
export function costOrder(units: Float64Array, indices: ArrayLike<number>): Uint32Array {
  const count = units.length;
  // When the costs are whole minor units and the row indices ascend (a team's rows in the month's order,
  // so ties by row index are ties by position), each position's rank is fixed by one exact double,
  // (largest − units) × count + position, and the doubles are sorted natively: ≈ 5 × faster than a
  // comparator at 10,000 GPUs (issue #18).
  let least = Infinity;
  let largest = -Infinity;
  let keyed = true;
  for (let k = 0; k < count && keyed; k++) {
    const u = units[k]!;
    if (!Number.isSafeInteger(u) || (k > 0 && indices[k]! <= indices[k - 1]!)) keyed = false;
    if (u < least) least = u;
    if (u > largest) largest = u;
  }
  if (keyed && count > 0 && (largest - least + 1) * count <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(count);
    for (let k = 0; k < count; k++) keys[k] = (largest - units[k]!) * count + k;
    keys.sort();
    const order = new Uint32Array(count);
    for (let r = 0; r < count; r++) order[r] = keys[r]! % count;
    return order;
  }
  const order = new Uint32Array(units.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  return order.sort((a, b) => units[b]! - units[a]! || indices[a]! - indices[b]!);
}

/**
 * A fixed-point amount rounded to the minor unit ("12.30", "-0.05", "12300") as integer minor units. Read
 * digit by digit (no intermediate strings: the team pack and report.html read two million of them at
 * 10,000 GPUs); exact for amounts of up to 2^53 minor units, which {@link formatMinorUnits} guarantees.
 */
export function minorUnitsOf(amount: string): number {
  const negative = amount.charCodeAt(0) === 45;
  let units = 0;
  for (let k = negative ? 1 : 0; k < amount.length; k++) {
    const c = amount.charCodeAt(k);
    if (c !== 46) units = units * 10 + (c - 48);
  }
  return negative ? -units : units;
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
  const cost = rows.minorUnits('effectiveCost');
  const held = rows.hours('consumedGpuHours');
  const namespace = rows.column('namespace');
  const pod = rows.column('pod');
  const project = rows.column('project');
  const cluster = rows.column('cluster');
  const pods = new Map<string, TopEntry>();
  const projects = new Map<string, TopEntry>();
  const namespaces = new Map<string, TopEntry>();
  const entryOf = (map: Map<string, TopEntry>, key: string) => {
    let entry = map.get(key);
    if (!entry) {
      entry = { key, units: 0, gpuHours: 0 };
      map.set(key, entry);
    }
    return entry;
  };
  // Per cluster and namespace: the namespace's entry and its pods' entries by pod name, so that a row
  // finds its entries without building its keys ("cluster/namespace/pod") again; keys that happen to be
  // equal for different names still share one entry.
  const places = new Map<string, Map<string, { namespace: TopEntry; pods: Map<string, TopEntry> }>>();
  let totalUnits = 0;
  // The row before's names and entries: a pod's Direct and IdleShare rows are neighbours, and found
  // again by the same names.
  let lastCluster: string | undefined;
  let lastNs: string | undefined;
  let lastPod: string | undefined;
  let lastProject: string | undefined;
  let place: { namespace: TopEntry; pods: Map<string, TopEntry> } | undefined;
  let podEntry: TopEntry | undefined;
  let projectEntry: TopEntry | undefined;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const units = cost(i);
    totalUnits += units;
    // Idle rows of the platform team have no pod: they are not a workload.
    const podName = pod(i);
    if (podName === '') continue;
    const clusterName = cluster(i);
    const ns = namespace(i);
    const projectName = project(i);
    if (podName !== lastPod || ns !== lastNs || clusterName !== lastCluster || projectName !== lastProject) {
      let inCluster = places.get(clusterName);
      if (!inCluster) places.set(clusterName, (inCluster = new Map()));
      place = inCluster.get(ns);
      if (!place) {
        const where = clusterName === '' ? ns : `${clusterName}/${ns}`;
        place = { namespace: entryOf(namespaces, where), pods: new Map() };
        inCluster.set(ns, place);
      }
      podEntry = place.pods.get(podName);
      if (!podEntry) {
        const where = place.namespace.key;
        podEntry = entryOf(pods, where === '' ? podName : `${where}/${podName}`);
        place.pods.set(podName, podEntry);
      }
      projectEntry = entryOf(projects, projectName);
      lastCluster = clusterName;
      lastNs = ns;
      lastPod = podName;
      lastProject = projectName;
    }
    const micro = Math.round(held(i) * 1e6);
    podEntry!.units += units;
    podEntry!.gpuHours += micro;
    projectEntry!.units += units;
    projectEntry!.gpuHours += micro;
    place!.namespace.units += units;
    place!.namespace.gpuHours += micro;
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
