import { stringify } from 'csv-stringify/sync';
import { isoInZone } from '../core/period.ts';
import type { RoundedRow } from '../core/pricing/model.ts';
import { safeFileName } from '../core/safeName.ts';
import type { BillingPeriod, Summary } from '../core/types.ts';

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

/** Records per csv-stringify call when streaming (bounded memory, few calls). */
const CHUNK_ROWS = 2000;

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

const FORMULA_START = /^[=+\-@\t\r]/;

/** Prefixes a text cell with a single quote when a spreadsheet would read it as a formula. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Stringifies records (already strings) as RFC 4180 CSV with CRLF, quoting any field with CR or LF. */
export function csvRecords(records: readonly (readonly string[])[]): string {
  if (records.length === 0) return '';
  return stringify(records as string[][], {
    record_delimiter: CSV_RECORD_DELIMITER,
    // csv-stringify only quotes the exact record delimiter; a lone CR or LF must be quoted too.
    quoted_match: /[\r\n]/,
  });
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

function chargebackRecord(meta: CsvMeta, iso: (ms: number) => string): (row: RoundedRow) => string[] {
  const billingStart = neutralizeFormula(iso(meta.period.startMs));
  const billingEnd = neutralizeFormula(iso(meta.period.endMs));
  const currency = neutralizeFormula(meta.currency);
  const utilizationPolicy = neutralizeFormula(meta.utilizationPolicy);
  const idlePolicy = neutralizeFormula(meta.idlePolicy);
  const catalogVersion = neutralizeFormula(meta.catalogVersion);
  const source = neutralizeFormula(meta.source);
  const t = neutralizeFormula;
  return (row) => [
    billingStart,
    billingEnd,
    t(iso(row.chargePeriod.startMs)),
    t(iso(row.chargePeriod.endMs)),
    currency,
    row.effectiveCost,
    row.listCost,
    t(row.pricingCategory),
    row.consumedGpuHours,
    'GPU-Hours',
    t(row.node),
    t(row.instanceType),
    'Usage',
    t(meta.chargeClass ?? row.chargeClass),
    t(row.cluster),
    t(row.team),
    t(row.project),
    t(row.namespace),
    t(row.pod),
    t(row.podUid),
    t(row.gpuModel),
    t(row.gpuResource),
    numberCell(row.gpuEquivalents),
    row.utilizationPct === null ? '' : numberCell(row.utilizationPct, 2),
    row.billableGpuHours,
    row.unitPrice,
    t(row.component),
    numberCell(row.coverage * 100, 2),
    utilizationPolicy,
    idlePolicy,
    row.priceFallback ? 'true' : 'false',
    catalogVersion,
    source,
  ];
}

/**
 * The chargeback CSV as chunks of text, for streaming to a file or S3 without holding the whole file:
 * the header, then one record per row in the order given (priceMonth's deterministic order).
 */
export function chargebackCsvChunks(rows: Iterable<RoundedRow>, meta: CsvMeta): Iterable<string> {
  return csvChunks(CHARGEBACK_COLUMNS, rows, chargebackRecord(meta, isoFormatter(meta.period.zone)));
}

/** The whole chargeback CSV as one string (small months and tests; use {@link chargebackCsvChunks} otherwise). */
export function renderChargebackCsv(rows: readonly RoundedRow[], meta: CsvMeta): string {
  return [...chargebackCsvChunks(rows, meta)].join('');
}

/** Key of a team's CSV, `teams/<safeFileName(team)>.csv`. */
export function teamCsvPath(team: string): string {
  return `teams/${safeFileName(team)}.csv`;
}

/** Only `team`'s rows, lazily, in their original order. */
export function* rowsOfTeam(rows: Iterable<RoundedRow>, team: string): Iterable<RoundedRow> {
  for (const row of rows) if (row.team === team) yield row;
}

/** Teams present in `rows`, in code-unit order. */
export function teamsOf(rows: Iterable<RoundedRow>): string[] {
  const teams = new Set<string>();
  for (const row of rows) teams.add(row.team);
  return [...teams].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Per-team chargeback files: path `teams/<safeFileName(team)>.csv` and chunks of only that team's rows. */
export function teamChargebackCsvs(
  rows: readonly RoundedRow[],
  meta: CsvMeta,
): { team: string; path: string; chunks: Iterable<string> }[] {
  return teamsOf(rows).map((team) => ({
    team,
    path: teamCsvPath(team),
    chunks: chargebackCsvChunks(rowsOfTeam(rows, team), meta),
  }));
}
