import { compareStrings } from '../core/compare.ts';
import { isoInZone } from '../core/period.ts';
import type { BillingPeriod, PricedRows, Summary } from '../core/types.ts';

/**
 * CSV output, shared by the chargeback files and the metering tables.
 *
 * Format: RFC 4180, UTF-8 without a byte-order mark, one header row, CRLF record delimiters (RFC 4180's
 * line break; every spreadsheet and CSV library accepts it). A field is quoted when it contains a comma,
 * a double quote, CR or LF; quotes inside are doubled.
 *
 * Spreadsheet formula injection: team, project, namespace and pod names come from cluster labels, which
 * anyone who can create a pod controls. Every *text* cell that starts with `=`, `+`, `-`, `@`, TAB or CR is
 * prefixed with a single quote (OWASP's CSV-injection advice), so Excel and Sheets show it as text.
 * Numeric cells are produced by this program from numbers, are never negative in the chargeback file,
 * and are kept out of the neutralizer so they stay numbers.
 */

/**
 * Records per chunk when streaming: ~100 KB of text, small enough that a chunk is a young-generation
 * string (V8 puts strings over ~128 KB in the large-object space, which only a full GC frees).
 */
const CHUNK_ROWS = 200;

/** RFC 4180 record delimiter used by every CSV we write. */
export const CSV_RECORD_DELIMITER = '\r\n';

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

const NEEDS_QUOTES = /[",\r\n]/;

/** One RFC 4180 field: quoted, with inner quotes doubled, when it contains a comma, a quote, CR or LF. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A text cell: neutralized against formula injection, then quoted as needed. */
function textCell(value: string): string {
  return csvField(neutralizeFormula(value));
}

/** Records (already strings) as RFC 4180 CSV with CRLF, quoting any field with a comma, quote, CR or LF. */
export function csvRecords(records: readonly (readonly string[])[]): string {
  let out = '';
  for (const record of records) {
    let line = '';
    for (let i = 0; i < record.length; i++) line += (i === 0 ? '' : ',') + csvField(record[i]!);
    out += line + CSV_RECORD_DELIMITER;
  }
  return out;
}

/**
 * Streams a CSV: the header, then `toRecord` of each item, `CHUNK_ROWS` records per chunk. Only one
 * chunk is held in memory at a time.
 */
export function* csvChunks<T>(
  header: readonly string[],
  items: Iterable<T>,
  toRecord: (item: T) => string[],
): Iterable<string> {
  yield csvRecords([header]);
  let batch: string[][] = [];
  for (const item of items) {
    batch.push(toRecord(item));
    if (batch.length >= CHUNK_ROWS) {
      yield csvRecords(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield csvRecords(batch);
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
  return rounded.toFixed(decimals).replace(/\.?0+$/, '');
}

/** Memoizes a one-argument formatter (for cells with few distinct values: teams, nodes, prices). */
function memo<K, V>(format: (key: K) => V, limit = 100_000): (key: K) => V {
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

/** Formats row `i` of `rows` as one CSV line (CRLF included); every cell as csvRecords would write it. */
function chargebackLine(rows: PricedRows, meta: CsvMeta, iso: (ms: number) => string): (i: number) => string {
  const constant = (text: string) => textCell(text);
  const head = `${constant(iso(meta.period.startMs))},${constant(iso(meta.period.endMs))},`;
  const currency = constant(meta.currency);
  const tail = `${constant(meta.utilizationPolicy)},${constant(meta.idlePolicy)},`;
  const catalogAndSource = `${constant(meta.catalogVersion)},${constant(meta.source)}`;
  const chargeClass = meta.chargeClass === undefined ? undefined : constant(meta.chargeClass);
  const isoCell = memo((ms: number) => textCell(iso(ms)));
  const account = memo((cluster: string) => textCell(meta.clusters?.[cluster]?.accountId ?? ''));
  const region = memo((cluster: string) => textCell(meta.clusters?.[cluster]?.region ?? ''));
  const text = memo(textCell);
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
  };
  return (i) => {
    const chargePeriod = row.chargePeriod(i);
    const utilizationPct = row.utilizationPct(i);
    const cluster = row.cluster(i);
    return (
      head +
      isoCell(chargePeriod.startMs) +
      ',' +
      isoCell(chargePeriod.endMs) +
      ',' +
      currency +
      ',' +
      csvField(row.effectiveCost(i)) +
      ',' +
      csvField(row.listCost(i)) +
      ',' +
      text(row.pricingCategory(i)) +
      ',' +
      csvField(row.consumedGpuHours(i)) +
      ',GPU-Hours,' +
      text(row.node(i)) +
      ',' +
      text(row.instanceType(i)) +
      ',Usage,' +
      (chargeClass ?? text(row.chargeClass(i))) +
      ',' +
      text(cluster) +
      ',' +
      text(row.team(i)) +
      ',' +
      text(row.project(i)) +
      ',' +
      text(row.namespace(i)) +
      ',' +
      textCell(row.pod(i)) +
      ',' +
      textCell(row.podUid(i)) +
      ',' +
      text(row.gpuModel(i)) +
      ',' +
      text(row.gpuResource(i)) +
      ',' +
      number6(row.gpuEquivalents(i)) +
      ',' +
      (utilizationPct === null ? '' : number2(utilizationPct)) +
      ',' +
      csvField(row.billableGpuHours(i)) +
      ',' +
      csvField(row.unitPrice(i)) +
      ',' +
      text(row.component(i)) +
      ',' +
      percent(row.coverage(i)) +
      ',' +
      tail +
      (row.priceFallback(i) ? 'true' : 'false') +
      ',' +
      catalogAndSource +
      ',' +
      account(cluster) +
      ',' +
      region(cluster) +
      CSV_RECORD_DELIMITER
    );
  };
}

/**
 * The chargeback CSV as chunks of text, for streaming to a file or S3 without holding the whole file:
 * the header, then one record per row in the order given (priceMonth's deterministic order; `indices`
 * selects and orders a subset), about 200 records per chunk. Lines are built straight from the rows'
 * columns (no per-row objects).
 */
export function* chargebackCsvChunks(
  rows: PricedRows,
  meta: CsvMeta,
  indices?: ArrayLike<number>,
): Iterable<string> {
  yield csvRecords([CHARGEBACK_COLUMNS]);
  const line = chargebackLine(rows, meta, isoFormatter(meta.period.zone));
  const count = indices ? indices.length : rows.length;
  let chunk = '';
  let inChunk = 0;
  for (let k = 0; k < count; k++) {
    chunk += line(indices ? indices[k]! : k);
    if (++inChunk === CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (inChunk > 0) yield chunk;
}

/**
 * Per-team chargeback files: each team (in code-unit order) with chunks of only its rows, in their
 * original order. Rows are grouped in one pass into one index array per team (4 bytes a row), not
 * filtered once per team. Where a team's file goes is the output layout's business (`keys.teamCsv` in
 * src/app/context.ts).
 */
export function teamChargebackCsvs(
  rows: PricedRows,
  meta: CsvMeta,
): { team: string; chunks: Iterable<string> }[] {
  const teamOf = rows.column('team');
  const counts = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const team = teamOf(i);
    counts.set(team, (counts.get(team) ?? 0) + 1);
  }
  const byTeam = new Map<string, { indices: Int32Array; filled: number }>();
  for (const [team, count] of counts) byTeam.set(team, { indices: new Int32Array(count), filled: 0 });
  for (let i = 0; i < rows.length; i++) {
    const entry = byTeam.get(teamOf(i))!;
    entry.indices[entry.filled++] = i;
  }
  return [...byTeam.keys()]
    .sort(compareStrings)
    .map((team) => ({ team, chunks: chargebackCsvChunks(rows, meta, byTeam.get(team)!.indices) }));
}
