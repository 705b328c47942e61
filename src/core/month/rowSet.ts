import {
  type ChargeRow,
  COMPONENTS,
  hoursText,
  roundedHours,
  type RowStore,
  utilizationPctOf,
} from '../allocation/chargeRows.ts';
import { formatFineExact, formatMinorUnits } from '../money.ts';
import type { PricedRow, PricedRows, UtilizationSource } from '../types.ts';

type Rows = readonly ChargeRow[];
type Reader<K extends keyof PricedRow> = (index: number) => PricedRow[K];

/**
 * How each field of a {@link PricedRow} is read from the compact rows and the month's store: per field, a
 * function that makes the field's reader over `rows`. One function literal per field, each reading its
 * row itself: a reader that called a per-field function from one shared closure made that call site see
 * every field's function (megamorphic: not inlined), and the CSVs call these readers tens of millions of
 * times at 10,000 GPUs (issue #18).
 */
const COLUMNS: { [K in keyof PricedRow]-?: (rows: Rows, s: RowStore) => Reader<K> } = {
  chargePeriod: (rows) => (i) => {
    const r = rows[i]!;
    return r.usage ? r.usage.chargePeriod : r.info.chargePeriod;
  },
  cluster: (rows) => (i) => {
    const r = rows[i]!;
    return r.usage ? r.usage.pod.cluster : r.info.cluster;
  },
  team: (rows) => (i) => rows[i]!.rowTeam,
  project: (rows) => (i) => {
    const u = rows[i]!.usage;
    return u ? u.project : '';
  },
  namespace: (rows) => (i) => {
    const u = rows[i]!.usage;
    return u ? u.pod.namespace : '';
  },
  pod: (rows) => (i) => {
    const u = rows[i]!.usage;
    return u ? u.pod.pod : '';
  },
  podUid: (rows) => (i) => {
    const u = rows[i]!.usage;
    return u ? u.pod.uid : '';
  },
  node: (rows) => (i) => {
    const r = rows[i]!;
    return r.usage ? r.usage.node : r.info.node;
  },
  instanceType: (rows) => (i) => rows[i]!.info.instanceType,
  gpuModel: (rows) => (i) => rows[i]!.info.gpuModel,
  gpuResource: (rows) => (i) => {
    const u = rows[i]!.usage;
    return u ? u.gpuResource : '';
  },
  gpuEquivalents: (rows) => (i) => {
    const r = rows[i]!;
    return r.usage ? r.usage.gpuEquivalents : r.info.idleGpuEquivalents;
  },
  pricingCategory: (rows) => (i) => rows[i]!.info.pricingCategory,
  component: (rows) => (i) => COMPONENTS[rows[i]!.packed % 4]!,
  consumedGpuHours: (rows, s) => (i) => hoursText(s.consumedHours[rows[i]!.slot]!),
  billableGpuHours: (rows, s) => (i) => hoursText(s.billableHours[rows[i]!.slot]!),
  utilizationPct: (rows) => (i) => utilizationPctOf(rows[i]!.usage),
  utilizationSource:
    (rows) =>
    (i): UtilizationSource => {
      const u = rows[i]!.usage;
      return u ? u.utilizationSource : 'none';
    },
  unitPrice: (rows) => (i) => {
    const r = rows[i]!;
    const pool = r.pool;
    return pool ? pool.unitPrice || r.info.unitPrice : r.info.unitPrice;
  },
  effectiveCostExact: (rows, s) => (i) => {
    const slot = rows[i]!.slot;
    return formatFineExact(s.effFloor[slot]!, s.effRem[slot]!, s.digits);
  },
  listCostExact: (rows, s) => (i) => {
    const slot = rows[i]!.slot;
    return formatFineExact(s.listFloor[slot]!, s.listRem[slot]!, s.digits);
  },
  coverage: (rows) => (i) => rows[i]!.info.coverage,
  priceFallback: (rows) => (i) => {
    const r = rows[i]!;
    const pool = r.pool;
    return pool ? r.info.fallback || pool.fallback : r.info.fallback;
  },
  costSource: (rows) => (i) => rows[i]!.info.costSource,
  providerId: (rows) => (i) => rows[i]!.info.providerId,
  capacityType: (rows) => (i) => rows[i]!.info.capacityType,
  effectiveCost: (rows, s) => (i) => formatMinorUnits(s.effUnits[rows[i]!.slot]!, s.digits),
  listCost: (rows, s) => (i) => formatMinorUnits(s.listUnits[rows[i]!.slot]!, s.digits),
  chargeClass: (_rows, s) => () => s.chargeClass,
};

const FIELD_NAMES = Object.keys(COLUMNS) as (keyof PricedRow)[];

/**
 * The month's rows (see {@link PricedRows}): the compact rows allocation built, in their final order,
 * over the store whose amounts rounding filled in. It holds nothing per row beyond what allocation
 * already holds, so handing the rows out costs no memory; each `get` or iteration step builds one plain
 * row, and `column` reads one field.
 */
export class RowSet implements PricedRows {
  readonly #rows: readonly ChargeRow[];
  readonly #store: RowStore;
  /** One reader per field, in {@link FIELD_NAMES} order, for `get`. */
  readonly #readers: ((index: number) => unknown)[];

  constructor(rows: readonly ChargeRow[], store: RowStore) {
    this.#rows = rows;
    this.#store = store;
    this.#readers = FIELD_NAMES.map((name) => COLUMNS[name](rows, store));
  }

  get length(): number {
    return this.#rows.length;
  }

  get(index: number): PricedRow {
    this.#rowAt(index);
    const plain: Record<string, unknown> = {};
    const readers = this.#readers;
    for (let k = 0; k < FIELD_NAMES.length; k++) plain[FIELD_NAMES[k]!] = readers[k]!(index);
    return plain as unknown as PricedRow;
  }

  column<K extends keyof PricedRow>(name: K): (index: number) => PricedRow[K] {
    if (!Object.hasOwn(COLUMNS, name)) throw new RangeError(`rows have no field "${String(name)}"`);
    return (COLUMNS[name] as (rows: Rows, s: RowStore) => Reader<K>)(this.#rows, this.#store);
  }

  minorUnits(name: 'effectiveCost' | 'listCost'): (index: number) => number {
    const rows = this.#rows;
    const store = this.#store;
    if (name === 'effectiveCost') return (index) => store.effUnits[rows[index]!.slot]!;
    if (name === 'listCost') return (index) => store.listUnits[rows[index]!.slot]!;
    throw new RangeError(`rows have no amount "${String(name)}"`);
  }

  hours(name: 'consumedGpuHours' | 'billableGpuHours'): (index: number) => number {
    const rows = this.#rows;
    const store = this.#store;
    // roundedHours is the number hoursText prints (a test pins Number(hoursText(h)) to it).
    if (name === 'consumedGpuHours') return (index) => roundedHours(store.consumedHours[rows[index]!.slot]!);
    if (name === 'billableGpuHours') return (index) => roundedHours(store.billableHours[rows[index]!.slot]!);
    throw new RangeError(`rows have no GPU-hours "${String(name)}"`);
  }

  *[Symbol.iterator](): Iterator<PricedRow> {
    for (let i = 0; i < this.#rows.length; i++) yield this.get(i);
  }

  /** JSON of the rows: an array of plain rows (for tests and debugging; a month-sized array is large). */
  toJSON(): PricedRow[] {
    return [...this];
  }

  #rowAt(index: number): ChargeRow {
    const row = this.#rows[index];
    if (row === undefined) throw new RangeError(`row ${index} is outside 0..${this.#rows.length - 1}`);
    return row;
  }
}
