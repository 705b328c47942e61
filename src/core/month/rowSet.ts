import {
  type ChargeRow,
  COMPONENTS,
  hoursText,
  type RowStore,
  utilizationPctOf,
} from '../allocation/chargeRows.ts';
import { formatFineExact, formatMinorUnits } from '../money.ts';
import type { PricedRow, PricedRows, UtilizationSource } from '../types.ts';

/** How each field of a {@link PricedRow} is read from a compact row and the month's store. */
const FIELDS: { [K in keyof PricedRow]-?: (row: ChargeRow, store: RowStore) => PricedRow[K] } = {
  chargePeriod: (r) => (r.usage ? r.usage.chargePeriod : r.info.chargePeriod),
  cluster: (r) => (r.usage ? r.usage.pod.cluster : r.info.cluster),
  team: (r) => r.rowTeam,
  project: (r) => (r.usage ? r.usage.project : ''),
  namespace: (r) => (r.usage ? r.usage.pod.namespace : ''),
  pod: (r) => (r.usage ? r.usage.pod.pod : ''),
  podUid: (r) => (r.usage ? r.usage.pod.uid : ''),
  node: (r) => (r.usage ? r.usage.node : r.info.node),
  instanceType: (r) => r.info.instanceType,
  gpuModel: (r) => r.info.gpuModel,
  gpuResource: (r) => (r.usage ? r.usage.gpuResource : ''),
  gpuEquivalents: (r) => (r.usage ? r.usage.gpuEquivalents : r.info.idleGpuEquivalents),
  pricingCategory: (r) => r.info.pricingCategory,
  component: (r) => COMPONENTS[r.code]!,
  consumedGpuHours: (r, s) => hoursText(s.consumedHours[r.slot]!),
  billableGpuHours: (r, s) => hoursText(s.billableHours[r.slot]!),
  utilizationPct: (r) => utilizationPctOf(r.usage),
  utilizationSource: (r): UtilizationSource => (r.usage ? r.usage.utilizationSource : 'none'),
  unitPrice: (r) => (r.pool ? r.pool.unitPrice || r.info.unitPrice : r.info.unitPrice),
  effectiveCostExact: (r, s) => formatFineExact(s.effFloor[r.slot]!, s.effRem[r.slot]!, s.digits),
  listCostExact: (r, s) => formatFineExact(s.listFloor[r.slot]!, s.listRem[r.slot]!, s.digits),
  coverage: (r) => r.info.coverage,
  priceFallback: (r) => (r.pool ? r.info.fallback || r.pool.fallback : r.info.fallback),
  costSource: (r) => r.info.costSource,
  providerId: (r) => r.info.providerId,
  capacityType: (r) => r.info.capacityType,
  effectiveCost: (r, s) => formatMinorUnits(s.effUnits[r.slot]!, s.digits),
  listCost: (r, s) => formatMinorUnits(s.listUnits[r.slot]!, s.digits),
  chargeClass: (_r, s) => s.chargeClass,
};

const FIELD_NAMES = Object.keys(FIELDS) as (keyof PricedRow)[];

/**
 * The month's rows (see {@link PricedRows}): the compact rows allocation built, in their final order,
 * over the store whose amounts rounding filled in. It holds nothing per row beyond what allocation
 * already holds, so handing the rows out costs no memory; each `get` or iteration step builds one plain
 * row, and `column` reads one field.
 */
export class RowSet implements PricedRows {
  readonly #rows: readonly ChargeRow[];
  readonly #store: RowStore;

  constructor(rows: readonly ChargeRow[], store: RowStore) {
    this.#rows = rows;
    this.#store = store;
  }

  get length(): number {
    return this.#rows.length;
  }

  get(index: number): PricedRow {
    const row = this.#rowAt(index);
    const plain: Record<string, unknown> = {};
    for (const name of FIELD_NAMES)
      plain[name] = (FIELDS[name] as (r: ChargeRow, s: RowStore) => unknown)(row, this.#store);
    return plain as unknown as PricedRow;
  }

  column<K extends keyof PricedRow>(name: K): (index: number) => PricedRow[K] {
    const read = FIELDS[name] as (r: ChargeRow, s: RowStore) => PricedRow[K];
    if (typeof read !== 'function') throw new RangeError(`rows have no field "${String(name)}"`);
    const rows = this.#rows;
    const store = this.#store;
    return (index) => read(rows[index]!, store);
  }

  minorUnits(name: 'effectiveCost' | 'listCost'): (index: number) => number {
    const rows = this.#rows;
    const store = this.#store;
    if (name === 'effectiveCost') return (index) => store.effUnits[rows[index]!.slot]!;
    if (name === 'listCost') return (index) => store.listUnits[rows[index]!.slot]!;
    throw new RangeError(`rows have no amount "${String(name)}"`);
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
