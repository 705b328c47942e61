import { type Options, stringify } from 'csv-stringify/sync';
import { compareStrings } from '../core/compare.ts';
import { trimTrailingZeros } from '../core/money.ts';
import { isoInZone } from '../core/period.ts';
import { ownValue } from '../core/records.ts';
import type { BillingPeriod, PricedRows, Summary } from '../core/types.ts';

/**
 * CSV output, shared by the chargeback files and the metering tables.
 *
 * Format: RFC 4180, UTF-8 without a byte-order mark, one header row, CRLF record delimiters (RFC 4180's
 * line break; every spreadsheet and CSV library accepts it). A field is quoted when it contains a comma,
 * a double quote, CR or LF; quotes inside are doubled.
 *
 * Fields are encoded by csv-stringify (see {@link CsvEncoder}); records are streamed in chunks.
 *
 * Spreadsheet formula injection: team, project, namespace and pod names come from cluster labels, which
 * anyone who can create a pod controls. Every *text* cell that starts with `=`, `+`, `-`, `@`, TAB or CR is
 * prefixed with a single quote (OWASP's CSV-injection advice), so Excel and Sheets show it as text.
 * Numeric cells are produced by this program from numbers, and are kept out of the neutralizer so they
 * stay numbers (an over-allocated node's idle GPU-hours in nodes.csv is negative).
 */

/**
 * Records per chunk when streaming: ~100 KB of text, small enough that a chunk is a young-generation
 * string (V8 puts strings over ~128 KB in the large-object space, which only a full GC frees).
 */
const CHUNK_ROWS = 200;

/**
 * csv-stringify's options for every CSV we write: RFC 4180 with CRLF record delimiters, a field quoted
 * when it contains a comma, a double quote, CR or LF (`quote_record_delimiter` makes a lone CR or LF count,
 * not only CRLF), inner quotes doubled, no header (written as a record), no BOM. Formula neutralization
 * is ours (see {@link neutralizeFormula}): it applies to text cells only, never to numbers.
 */
const CSV_OPTIONS: Options = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  record_delimiter: '\r\n',
  quote_record_delimiter: true,
  eof: true,
  header: false,
  bom: false,
  escape_formulas: false,
};

/**
 * The same encoding rules for encoding fields alone ({@link CsvEncoder}): a one-character record delimiter
 * quotes exactly the same fields, because with `quote_record_delimiter` any CR or LF already makes a
 * field quoted, and makes every character that causes quoting a single character.
 */
const FIELD_OPTIONS: Options = { ...CSV_OPTIONS, record_delimiter: '\n' };

/** The chargeback columns, in order. These names are a contract with finance: do not rename. */
export const CHARGEBACK_COLUMNS = [
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'BillingCurrency',
  'EffectiveCost',
  'ListCost',
  'PricingCategory',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ResourceId',
  'SkuId',
  'ChargeCategory',
  'ChargeClass',
  'x_Cluster',
  'x_Team',
  'x_Project',
  'x_Namespace',
  'x_Pod',
  'x_PodUid',
  'x_GpuModel',
  'x_GpuResource',
  'x_GpuEquivalents',
  'x_GpuUtilizationPct',
  'x_BillableGpuHours',
  'x_UnitPrice',
  'x_CostComponent',
  'x_DataCoveragePct',
  'x_UtilizationPolicy',
  'x_IdlePolicy',
  'x_PriceFallback',
  'x_PriceCatalogVersion',
  'x_Source',
  // Appended last so that existing column positions never move.
  'SubAccountId',
  'RegionId',
] as const;

/**
 * Columns appended to the chargeback CSV (after RegionId) only when a billing export is configured, so a
 * run without one writes exactly the columns above: where the row's price came from (`invoice`,
 * `catalog-export-pending`, `catalog-not-on-invoice`; see CostSource in src/core/pricing/catalog.ts) and the
 * node's cloud instance (kube_node_info provider_id; the instance id for GPU instances outside clusters).
 */
export const BILLING_COLUMNS = ['x_CostSource', 'x_ProviderResourceId'] as const;

/** The chargeback columns that hold numbers this program printed (written as printed, never neutralized). */
const CHARGEBACK_NUMBER_COLUMNS: ReadonlySet<string> = new Set([
  'EffectiveCost',
  'ListCost',
  'ConsumedQuantity',
  'x_GpuEquivalents',
  'x_GpuUtilizationPct',
  'x_BillableGpuHours',
  'x_UnitPrice',
  'x_DataCoveragePct',
]);

/** Month-level values repeated on every chargeback row. */
export interface CsvMeta {
  /** The billing period (its zone gives every timestamp's offset). */
  period: Pick<BillingPeriod, 'startMs' | 'endMs' | 'zone'>;
  /** ISO 4217 billing currency. */
  currency: string;
  catalogVersion: string;
  /** allocation.utilization.mode */
  utilizationPolicy: string;
  /** allocation.idle.mode */
  idlePolicy: string;
  /** Where the data came from, e.g. "demo" (so demo outputs are clearly named) or "prometheus". */
  source: string;
  /** Overrides the rows' ChargeClass when set (e.g. 'Correction' for a restatement). */
  chargeClass?: '' | 'Correction';
  /** Cluster -> AWS account and region (config `clusters`), for FOCUS SubAccountId and RegionId. */
  clusters?: Record<string, { accountId?: string; region?: string }>;
  /** A billing export is configured: {@link BILLING_COLUMNS} are appended. */
  billing?: boolean;
}

/** The CSV metadata that goes with a priced month's summary. */
export function csvMetaFromSummary(
  summary: Summary,
  period: Pick<BillingPeriod, 'startMs' | 'endMs' | 'zone'>,
): CsvMeta {
  return {
    period,
    currency: summary.currency.code,
    catalogVersion: summary.priceCatalog.version,
    utilizationPolicy: summary.policies.utilization.mode,
    idlePolicy: summary.policies.idle.mode,
    source: summary.source.kind,
  };
}

/** Prefixes a text cell with a single quote when a spreadsheet would read it as a formula (= + - @ TAB CR). */
export function neutralizeFormula(text: string): string {
  const c = text.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 ? `'${text}` : text;
}

/** Records of text cells (already neutralized where needed) as RFC 4180 CSV text with CRLF, by csv-stringify. */
export function csvRecords(records: readonly (readonly string[])[]): string {
  return stringify(records as string[][], CSV_OPTIONS);
}

/**
 * What a column holds. A 'text' cell is neutralized against formula injection and encoded by
 * csv-stringify; so is a 'unique' cell, text that seldom repeats from row to row (pod names and uids),
 * which is therefore not remembered. A 'number' cell is a number this program printed (digits, at most
 * one '.', a leading '-'; or empty for none), which no CSV encoding changes, and is written as printed.
 */
export type CellKind = 'text' | 'unique' | 'number';

/** Distinct text values a {@link CsvEncoder} remembers per column before it starts over. */
const ENCODED_VALUES_KEPT = 10_000;

/**
 * Turns batches of records into CSV text with csv-stringify, cheaply enough for month-sized files
 * (millions of records). csv-stringify's work per field is most of what writing a CSV costs, and a month
 * repeats the same text on most rows (timestamps, teams, namespaces, nodes, prices), so:
 * - each batch hands csv-stringify the distinct text values it has not encoded recently, neutralized,
 *   in one call (one record of them);
 * - the encoded field of each 'text' value is remembered per column (up to a bound); 'unique' values
 *   (pod names and uids) are not, remembering them would only cost time and memory;
 * - 'number' cells are written as printed;
 * - a record is its fields joined by the delimiter, ended by the record delimiter.
 * The result is byte for byte what `csvRecords` (csv-stringify on the whole records) returns; a property
 * test pins that on hostile text.
 */
export class CsvEncoder {
  readonly #kinds: readonly CellKind[];
  readonly #keep: number;
  /** Per 'text' column: value -> encoded field; null for 'unique' and 'number' columns. */
  readonly #encoded: (Map<string, string> | null)[];
  /** Per column: the last text value seen and its field (consecutive records often repeat a value). */
  readonly #lastValue: (string | undefined)[];
  readonly #lastField: string[];
  #fields: string[] = [];
  /** Scratch: the fields of one record. */
  #record: string[] = [];

  /** Cells per record. */
  get width(): number {
    return this.#kinds.length;
  }

  constructor(kinds: readonly CellKind[], keep = ENCODED_VALUES_KEPT) {
    if (kinds.length === 0) throw new RangeError('a CSV needs at least one column');
    this.#kinds = kinds;
    this.#keep = keep;
    this.#encoded = kinds.map((kind) => (kind === 'text' ? new Map() : null));
    this.#lastValue = kinds.map(() => undefined);
    this.#lastField = kinds.map(() => '');
  }

  /** The CSV text of the records in `cells`, one cell per column, record after record (each ends with CRLF). */
  encode(cells: readonly string[]): string {
    return this.encodeRecords(cells).join('');
  }

  /**
   * The CSV text of each record in `cells` (one string per record, each ending with CRLF): what
   * {@link encode} returns, split by record, for callers that write the records in another order. Each
   * record is joined into one flat string: built field by field with `+`, it was a tree of ~2 strings a
   * field that writing (Buffer.from) had to flatten, and that outlived young-generation collections.
   * `each`, when given, is called for every record with the encoded fields of the batch and where the
   * record's fields start among them, for files made of the same fields (the team costs.csv); the array is
   * the encoder's scratch, valid only during the call.
   */
  encodeRecords(
    cells: readonly string[],
    each?: (record: number, fields: readonly string[], start: number) => void,
  ): string[] {
    const fields = this.#fieldsOf(cells);
    const width = this.#kinds.length;
    const record = this.#record;
    record.length = width;
    const records = new Array<string>(cells.length / width);
    for (let start = 0, r = 0; start < cells.length; start += width, r++) {
      // `each` sees the record's encoded fields (fields[start..start + width - 1]) before they are joined.
      if (each) each(r, fields, start);
      for (let k = 0; k < width; k++) record[k] = fields[start + k]!;
      record[width - 1] += '\r\n';
      records[r] = record.join(',');
    }
    return records;
  }

  /** The encoded field of every cell of `cells` (the encoder's scratch array, valid until the next call). */
  #fieldsOf(cells: readonly string[]): string[] {
    const kinds = this.#kinds;
    const width = kinds.length;
    if (cells.length % width !== 0) throw new RangeError(`${cells.length} cells are not records of ${width}`);
    const encoded = this.#encoded;
    const lastValue = this.#lastValue;
    const lastField = this.#lastField;
    const fields = this.#fields;
    fields.length = cells.length;
    // Cells not in memory: their positions, and for each the index of its value among those to encode
    // (a value new to a remembered column is encoded once however often the batch repeats it, a value of
    // a 'unique' column once however many consecutive records repeat it).
    const missed: number[] = [];
    const slots: number[] = [];
    const values: string[] = [];
    let pending: Map<string, number> | undefined;
    const lastMissed: (string | undefined)[] = new Array(width);
    const lastSlot = new Int32Array(width);
    for (let k = 0, column = 0; k < cells.length; k++) {
      const value = cells[k]!;
      if (kinds[column] === 'number') fields[k] = value;
      else if (value === lastValue[column]) fields[k] = lastField[column]!;
      else {
        const memory = encoded[column];
        const field = memory?.get(value);
        if (field !== undefined) {
          fields[k] = field;
          lastValue[column] = value;
          lastField[column] = field;
        } else {
          let slot =
            value === lastMissed[column] ? lastSlot[column] : memory ? pending?.get(value) : undefined;
          if (slot === undefined) {
            slot = values.push(value) - 1;
            if (memory) (pending ??= new Map()).set(value, slot);
          }
          lastMissed[column] = value;
          lastSlot[column] = slot;
          missed.push(k);
          slots.push(slot);
        }
      }
      if (++column === width) column = 0;
    }
    if (values.length > 0) {
      const encodedValues = this.#encodeAll(values);
      for (let j = 0; j < missed.length; j++) fields[missed[j]!] = encodedValues[slots[j]!]!;
      this.#remember(cells, missed, fields);
    }
    return fields;
  }

  /**
   * The fields of `values`, neutralized, as csv-stringify writes them. First all of them as one field:
   * csv-stringify quotes a field for a character in it (the delimiter, the quote, CR or LF; all single
   * characters with these options, so no two values can form one across their boundary), so when it
   * leaves their concatenation as it is, each of them is its own field, which is the usual case. Else
   * one csv-stringify call encodes them as the fields of one record. csv-stringify writes a field either
   * as it is or in quotes with inner quotes doubled, and never leaves a field that holds a quote unquoted,
   * so where each field ends follows from its value; a field that does not end where expected means the
   * library's format changed, and is an error.
   */
  #encodeAll(values: readonly string[]): string[] {
    const cells = values.map(neutralizeFormula);
    const joined = cells.join('');
    if (stringify([[joined]], FIELD_OPTIONS) === `${joined}\n`) return cells;
    const text = stringify([cells], FIELD_OPTIONS);
    const fields = new Array<string>(cells.length);
    let at = 0;
    for (let j = 0; j < cells.length; j++) {
      const cell = cells[j]!;
      const quoted = text.charCodeAt(at) === 34;
      let length = cell.length;
      if (quoted) {
        let quotes = 0;
        for (let k = cell.indexOf('"'); k !== -1; k = cell.indexOf('"', k + 1)) quotes++;
        length += 2 + quotes;
      }
      const end = at + length;
      const next = text.charCodeAt(end);
      if (next !== 44 && !(next === 10 && end === text.length - 1))
        throw new Error(`csv-stringify wrote an unexpected field for ${JSON.stringify(cell.slice(0, 40))}`);
      // Unquoted, the field is the cell itself: keep that string rather than a copy.
      fields[j] = quoted ? text.slice(at, end) : cell;
      at = end + 1;
    }
    return fields;
  }

  /** Remembers the fields of this batch's missed 'text' cells in their columns' memories (a full memory starts over). */
  #remember(cells: readonly string[], missed: readonly number[], fields: readonly string[]): void {
    const width = this.#kinds.length;
    for (const k of missed) {
      const column = k % width;
      const memory = this.#encoded[column];
      if (!memory || memory.has(cells[k]!)) continue;
      if (memory.size >= this.#keep) memory.clear();
      memory.set(cells[k]!, fields[k]!);
      this.#lastValue[column] = cells[k]!;
      this.#lastField[column] = fields[k]!;
    }
  }
}

/**
 * Streams a CSV: the header, then one record per item, `CHUNK_ROWS` records per chunk; `addRecord` appends
 * an item's raw cells (see {@link CellKind}) to the batch, and `encoder` (one per column layout) turns
 * batches into text. Only one chunk is held in memory at a time.
 */
export function* csvChunks<T>(
  header: readonly string[],
  items: Iterable<T>,
  addRecord: (item: T, batch: string[]) => void,
  encoder: CsvEncoder,
): Iterable<string> {
  if (encoder.width !== header.length) throw new RangeError('the encoder has one cell kind per column');
  yield csvRecords([header]);
  const width = header.length;
  const batch: string[] = [];
  for (const item of items) {
    const before = batch.length;
    addRecord(item, batch);
    if (batch.length - before !== width)
      throw new RangeError(`a record of ${batch.length - before} cells for ${width} columns`);
    if (batch.length === CHUNK_ROWS * width) {
      yield encoder.encode(batch);
      batch.length = 0;
    }
  }
  if (batch.length > 0) yield encoder.encode(batch);
}

/** 0, 1, ..., count - 1. */
function* positions(count: number): Iterable<number> {
  for (let k = 0; k < count; k++) yield k;
}

/** ISO 8601 with the zone's offset, memoized (charge period bounds repeat on thousands of rows). */
export function isoFormatter(zone: string): (ms: number) => string {
  const cache = new Map<number, string>();
  return (ms) => {
    let text = cache.get(ms);
    if (text === undefined) {
      text = isoInZone(ms, zone);
      cache.set(ms, text);
    }
    return text;
  };
}

/** Formats a float for a numeric cell: up to `decimals` decimals, no exponent, no negative zero. */
export function numberCell(value: number, decimals = 6): string {
  if (!Number.isFinite(value)) return '';
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  if (rounded === 0) return '0';
  // What toFixed prints for a safe integer once its zero decimals are trimmed, without toFixed (usage.csv's
  // seconds are whole: three cells a pod-day at 10,000 GPUs). Not for 0 decimals, which trims the integer's
  // own trailing zeros (a property test pins both).
  if (decimals > 0 && Number.isSafeInteger(rounded)) return String(rounded);
  return trimTrailingZeros(rounded.toFixed(decimals));
}

/** Memoizes a one-argument formatter (for cells with few distinct values: teams, nodes, prices). */
export function memo<K, V>(format: (key: K) => V, limit = 100_000): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= limit) cache.clear();
      value = format(key);
      cache.set(key, value);
    }
    return value;
  };
}

/** What each chargeback column holds (see {@link CellKind}), in CHARGEBACK_COLUMNS order. */
const CHARGEBACK_KINDS: readonly CellKind[] = CHARGEBACK_COLUMNS.map((name) =>
  CHARGEBACK_NUMBER_COLUMNS.has(name)
    ? 'number'
    : name === 'x_Pod' || name === 'x_PodUid'
      ? 'unique'
      : 'text',
);

/** The chargeback header of `meta`: with a billing export, {@link BILLING_COLUMNS} appended. */
function chargebackHeader(meta: CsvMeta): readonly string[] {
  return meta.billing ? [...CHARGEBACK_COLUMNS, ...BILLING_COLUMNS] : CHARGEBACK_COLUMNS;
}

/** A new encoder for the chargeback columns of `meta`. */
function chargebackEncoder(meta: CsvMeta): CsvEncoder {
  return new CsvEncoder(meta.billing ? [...CHARGEBACK_KINDS, 'text', 'text'] : CHARGEBACK_KINDS);
}

/** Appends the raw cells of row `i` of `rows`, a chargeback record, to `out`. */
function chargebackRecord(
  rows: PricedRows,
  meta: CsvMeta,
  iso: (ms: number) => string,
): (i: number, out: string[]) => void {
  const periodStart = iso(meta.period.startMs);
  const periodEnd = iso(meta.period.endMs);
  const number6 = memo((value: number) => numberCell(value));
  const number2 = memo((value: number) => numberCell(value, 2));
  const percent = memo((coverage: number) => numberCell(coverage * 100, 2));
  const row = {
    chargePeriod: rows.column('chargePeriod'),
    effectiveCost: rows.column('effectiveCost'),
    listCost: rows.column('listCost'),
    pricingCategory: rows.column('pricingCategory'),
    consumedGpuHours: rows.column('consumedGpuHours'),
    node: rows.column('node'),
    instanceType: rows.column('instanceType'),
    chargeClass: rows.column('chargeClass'),
    cluster: rows.column('cluster'),
    team: rows.column('team'),
    project: rows.column('project'),
    namespace: rows.column('namespace'),
    pod: rows.column('pod'),
    podUid: rows.column('podUid'),
    gpuModel: rows.column('gpuModel'),
    gpuResource: rows.column('gpuResource'),
    gpuEquivalents: rows.column('gpuEquivalents'),
    utilizationPct: rows.column('utilizationPct'),
    billableGpuHours: rows.column('billableGpuHours'),
    unitPrice: rows.column('unitPrice'),
    component: rows.column('component'),
    coverage: rows.column('coverage'),
    priceFallback: rows.column('priceFallback'),
    costSource: rows.column('costSource'),
    providerId: rows.column('providerId'),
  };
  const billing = meta.billing === true;
  return (i, out) => {
    const chargePeriod = row.chargePeriod(i);
    const utilizationPct = row.utilizationPct(i);
    const cluster = row.cluster(i);
    // Own entries only: a cluster label value may be "constructor".
    const account = ownValue(meta.clusters, cluster);
    out.push(
      periodStart,
      periodEnd,
      iso(chargePeriod.startMs),
      iso(chargePeriod.endMs),
      meta.currency,
      row.effectiveCost(i),
      row.listCost(i),
      row.pricingCategory(i),
      row.consumedGpuHours(i),
      'GPU-Hours',
      row.node(i),
      row.instanceType(i),
      'Usage',
      meta.chargeClass ?? row.chargeClass(i),
      cluster,
      row.team(i),
      row.project(i),
      row.namespace(i),
      row.pod(i),
      row.podUid(i),
      row.gpuModel(i),
      row.gpuResource(i),
      number6(row.gpuEquivalents(i)),
      utilizationPct === null ? '' : number2(utilizationPct),
      row.billableGpuHours(i),
      row.unitPrice(i),
      row.component(i),
      percent(row.coverage(i)),
      meta.utilizationPolicy,
      meta.idlePolicy,
      row.priceFallback(i) ? 'true' : 'false',
      meta.catalogVersion,
      meta.source,
      account?.accountId ?? '',
      account?.region ?? '',
    );
    if (billing) out.push(row.costSource(i), row.providerId(i));
  };
}

/**
 * The chargeback CSV as chunks of text, for streaming to a file or S3 without holding the whole file:
 * the header, then one record per row in the order given (priceMonth's deterministic order; `indices`
 * selects and orders a subset), about 200 records per chunk. Records are built from the rows' columns
 * (no per-row objects).
 */
export function chargebackCsvChunks(
  rows: PricedRows,
  meta: CsvMeta,
  indices?: ArrayLike<number>,
  encoder = chargebackEncoder(meta),
): Iterable<string> {
  const record = chargebackRecord(rows, meta, isoFormatter(meta.period.zone));
  const count = indices ? indices.length : rows.length;
  return csvChunks(
    chargebackHeader(meta),
    positions(count),
    (k, out) => record(indices ? indices[k]! : k, out),
    encoder,
  );
}

/**
 * Per-team chargeback files: each team (in code-unit order) with chunks of only its rows, in their
 * original order ({@link rowsByTeam}). Where a team's file goes is the output layout's business (`keys.teamCsv` in
 * src/app/context.ts).
 */
export function teamChargebackCsvs(
  rows: PricedRows,
  meta: CsvMeta,
): { team: string; chunks: Iterable<string> }[] {
  const byTeam = rowsByTeam(rows);
  // One encoder for every team's file: they share most values (timestamps, prices, nodes).
  const encoder = chargebackEncoder(meta);
  return [...byTeam].map(([team, indices]) => ({
    team,
    chunks: chargebackCsvChunks(rows, meta, indices, encoder),
  }));
}

/**
 * The chargeback CSV's chunks, exactly as {@link chargebackCsvChunks} makes them, and from the same
 * encoding of each record every team's file, exactly as {@link teamChargebackCsvs} makes it: the team
 * files hold the same records, so encoding each row once for both halves the CSVs' work at 10,000 GPUs
 * (issue #18). `teams` is {@link rowsByTeam} of `rows`; team `t` is the t-th of its entries. As the
 * chunks are pulled, `write(t, text)` receives team t's file piece by piece: its header when the first
 * chunk is pulled, then each of its records as the chunk holding it is made. A team's file is complete
 * when the last chunk has been pulled. `eachRecord`, when given, sees every row's encoded fields (in
 * CHARGEBACK_COLUMNS order, from `start` in `fields`, valid only during the call) with the row's index and
 * team, in the rows' order: the team costs.csv is made of the same fields ({@link TeamCostLineWriter} in
 * teamCsv.ts), so they are not read and encoded a second time (issue #18).
 */
export function* chargebackAndTeamCsvChunks(
  rows: PricedRows,
  meta: CsvMeta,
  teams: ReadonlyMap<string, ArrayLike<number>>,
  write: (team: number, text: string) => void,
  eachRecord?: (row: number, team: number, fields: readonly string[], start: number) => void,
): Iterable<string> {
  for (const records of chargebackBatches(rows, meta, teams, write, eachRecord)) yield records.join('');
}

/**
 * What {@link chargebackAndTeamCsvChunks} writes, with the chargeback CSV handed to `writeAll` record by
 * record (the header first) rather than as chunks: the monthly report appends each to a spooled file, so
 * the ~1 GB of chunk strings a month of 10,000 GPUs made (each a copy of its records) never exist (issue
 * #18). The team files and `eachRecord` are served exactly as there.
 */
export function writeChargebackAndTeamCsvs(
  rows: PricedRows,
  meta: CsvMeta,
  teams: ReadonlyMap<string, ArrayLike<number>>,
  writeAll: (text: string) => void,
  write: (team: number, text: string) => void,
  eachRecord?: (row: number, team: number, fields: readonly string[], start: number) => void,
): void {
  for (const records of chargebackBatches(rows, meta, teams, write, eachRecord))
    for (let r = 0; r < records.length; r++) writeAll(records[r]!);
}

/**
 * The chargeback CSV's records in batches (the header alone first, then {@link CHUNK_ROWS} records at a
 * time), each record handed to its team's file as its batch is made. See {@link chargebackAndTeamCsvChunks}.
 */
function* chargebackBatches(
  rows: PricedRows,
  meta: CsvMeta,
  teams: ReadonlyMap<string, ArrayLike<number>>,
  write: (team: number, text: string) => void,
  eachRecord?: (row: number, team: number, fields: readonly string[], start: number) => void,
): Iterable<readonly string[]> {
  const teamOf = new Int32Array(rows.length).fill(-1);
  let t = 0;
  for (const indices of teams.values()) {
    for (let k = 0; k < indices.length; k++) teamOf[indices[k]!] = t;
    t++;
  }
  const missing = teamOf.indexOf(-1);
  if (missing !== -1) throw new RangeError(`row ${missing} is in no team's file`);
  const header = csvRecords([chargebackHeader(meta)]);
  for (let team = 0; team < teams.size; team++) write(team, header);
  yield [header];
  const record = chargebackRecord(rows, meta, isoFormatter(meta.period.zone));
  const encoder = chargebackEncoder(meta);
  const batch: string[] = [];
  for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
    const to = Math.min(rows.length, from + CHUNK_ROWS);
    for (let i = from; i < to; i++) record(i, batch);
    const records = encoder.encodeRecords(
      batch,
      eachRecord && ((r, fields, start) => eachRecord(from + r, teamOf[from + r]!, fields, start)),
    );
    batch.length = 0;
    for (let i = from; i < to; i++) write(teamOf[i]!, records[i - from]!);
    yield records;
  }
}

/**
 * The indices of each team's rows, in their original order, teams in code-unit order. Rows are grouped in
 * one pass into one index array per team (4 bytes a row), not filtered once per team.
 */
export function rowsByTeam(rows: PricedRows): Map<string, Int32Array> {
  const teamOf = rows.column('team');
  // Each row's team as a number (the month's rows come in runs of one team: a lookup per run, not per row).
  const numbers = new Map<string, number>();
  const counts: number[] = [];
  const teamNumber = new Int32Array(rows.length);
  let last: string | undefined;
  let lastNumber = -1;
  for (let i = 0; i < rows.length; i++) {
    const team = teamOf(i);
    if (team !== last) {
      last = team;
      lastNumber = numbers.get(team) ?? -1;
      if (lastNumber === -1) {
        numbers.set(team, (lastNumber = numbers.size));
        counts.push(0);
      }
    }
    teamNumber[i] = lastNumber;
    counts[lastNumber]!++;
  }
  const indices = counts.map((count) => new Int32Array(count));
  const filled = new Int32Array(counts.length);
  for (let i = 0; i < rows.length; i++) {
    const t = teamNumber[i]!;
    indices[t]![filled[t]!++] = i;
  }
  const byTeam = new Map([...numbers].map(([team, t]) => [team, { indices: indices[t]! }]));
  return new Map([...byTeam.keys()].sort(compareStrings).map((team) => [team, byTeam.get(team)!.indices]));
}
