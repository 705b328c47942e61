import { FINE_PER_MINOR, trimTrailingZeros } from '../money.ts';
import type { CostSource } from '../pricing/catalog.ts';
import type { CapacityType, ChargePeriod, CostComponent, PodUsage, PricingCategory } from '../types.ts';

/**
 * The compact form of the priced rows. A month has about one row per pod-day (two under the share and
 * utilization policies), so rows are not 30-field objects: each is a small {@link ChargeRow} that points
 * at the PodUsage it prices and at its node's {@link NodeInfo}, while its numbers live in the typed arrays
 * of a {@link RowStore}. Allocation writes the exact amounts, rounding the rounded ones; the month stage
 * hands the rows out as a PricedRows collection (month/rowSet.ts) that builds plain rows on demand.
 */

/** Components by code (the order is the row sort order). */
export const COMPONENTS: readonly CostComponent[] = ['Direct', 'UnusedAllocation', 'Idle', 'IdleShare'];
export const DIRECT = 0;
export const UNUSED_ALLOCATION = 1;
export const IDLE = 2;
export const IDLE_SHARE = 3;

/** What every row of one node in one charge period shares (also used for pods on unknown nodes). */
export interface NodeInfo {
  /** The month's row store (held here rather than on every row). */
  store: RowStore;
  cluster: string;
  node: string;
  chargePeriod: ChargePeriod;
  instanceType: string;
  capacityType: CapacityType;
  gpuModel: string;
  pricingCategory: PricingCategory;
  /** The node's cloud instance (kube_node_info{provider_id}), '' when unknown. */
  providerId: string;
  /** x_UnitPrice of the node's rows. */
  unitPrice: string;
  fallback: boolean;
  /** Where the node's effective price came from ('' without a billing export). */
  costSource: CostSource | '';
  /** kube-state-metrics coverage of the day, 0..1. */
  coverage: number;
  /** GPU equivalents shown on the node's Idle row (idle GPU-seconds / period seconds). */
  idleGpuEquivalents: number;
}

/** An idle pool split over pods (IdleShare rows): its blended unit price and whether a fallback price fed it. */
export interface SharePool {
  unitPrice: string;
  fallback: boolean;
}

/**
 * Column storage of row numbers, indexed by a row's slot. Money is fixed-point (see money.ts): whole
 * minor units in `*Floor` and the fine remainder in `*Rem`, both exact doubles; `*Units` is the rounded
 * amount in minor units, filled in by the rounding pass. GPU-hours are display floats.
 */
export class RowStore {
  readonly digits: number;
  readonly chargeClass: '' | 'Correction';
  /** Team of UnusedAllocation and Idle rows. */
  readonly platformTeam: string;
  length = 0;
  effFloor: Float64Array;
  effRem: Float64Array;
  listFloor: Float64Array;
  listRem: Float64Array;
  consumedHours: Float64Array;
  billableHours: Float64Array;
  effUnits: Float64Array;
  listUnits: Float64Array;

  constructor(capacity: number, digits: number, chargeClass: '' | 'Correction', platformTeam: string) {
    this.digits = digits;
    this.chargeClass = chargeClass;
    this.platformTeam = platformTeam;
    const n = Math.max(16, capacity);
    this.effFloor = new Float64Array(n);
    this.effRem = new Float64Array(n);
    this.listFloor = new Float64Array(n);
    this.listRem = new Float64Array(n);
    this.consumedHours = new Float64Array(n);
    this.billableHours = new Float64Array(n);
    this.effUnits = new Float64Array(n);
    this.listUnits = new Float64Array(n);
  }

  /** Appends a row's numbers; returns its slot. Amounts are non-negative fine units. */
  push(effective: bigint, list: bigint, consumedHours: number, billableHours: number): number {
    if (this.length === this.effFloor.length) this.#grow();
    const slot = this.length++;
    setFine(this.effFloor, this.effRem, slot, effective);
    if (list === effective) {
      this.listFloor[slot] = this.effFloor[slot]!;
      this.listRem[slot] = this.effRem[slot]!;
    } else setFine(this.listFloor, this.listRem, slot, list);
    this.consumedHours[slot] = consumedHours;
    this.billableHours[slot] = billableHours;
    return slot;
  }

  #grow(): void {
    const n = this.effFloor.length * 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.effFloor = grow(this.effFloor);
    this.effRem = grow(this.effRem);
    this.listFloor = grow(this.listFloor);
    this.listRem = grow(this.listRem);
    this.consumedHours = grow(this.consumedHours);
    this.billableHours = grow(this.billableHours);
    this.effUnits = grow(this.effUnits);
    this.listUnits = grow(this.listUnits);
  }
}

const FINE_PER_MINOR_BIG = BigInt(FINE_PER_MINOR);

function setFine(floors: Float64Array, rems: Float64Array, slot: number, fine: bigint): void {
  if (fine === 0n) return;
  if (fine < 0n) throw new RangeError(`negative amount of ${fine} fine units`);
  const floor = fine / FINE_PER_MINOR_BIG;
  floors[slot] = Number(floor);
  rems[slot] = Number(fine - floor * FINE_PER_MINOR_BIG);
  if (!Number.isSafeInteger(floors[slot]!))
    throw new RangeError(`amount of ${floor} minor units is too large`);
}

/**
 * One priced row, compactly: its PodUsage (null for Idle rows), its node's {@link NodeInfo} (which also
 * points at the store), and its slot and component code packed into one small integer — three fields, so
 * a month of two million rows costs about 100 MB. Internal to the month stage; readers get plain rows
 * from month/rowSet.ts.
 */
export class ChargeRow {
  /** slot × 4 + component code */
  readonly packed: number;

  constructor(
    readonly usage: PodUsage | null,
    readonly info: NodeInfo,
    slot: number,
    code: number,
  ) {
    this.packed = slot * 4 + code;
  }

  /** Slot of the row's numbers in the store. */
  get slot(): number {
    return Math.floor(this.packed / 4);
  }

  /** Component code (index into COMPONENTS). */
  get code(): number {
    return this.packed % 4;
  }

  /** Team charged: the pod's for Direct and IdleShare rows, the platform team otherwise. */
  get rowTeam(): string {
    const code = this.packed % 4;
    return this.usage && (code === DIRECT || code === IDLE_SHARE)
      ? this.usage.team
      : this.info.store.platformTeam;
  }

  /** The idle pool of an IdleShare row. */
  get pool(): SharePool | null {
    return null;
  }
}

/** An IdleShare row: also points at its pool (unit price, fallback flag). */
export class ShareRow extends ChargeRow {
  readonly #pool: SharePool;

  constructor(usage: PodUsage, info: NodeInfo, slot: number, pool: SharePool) {
    super(usage, info, slot, IDLE_SHARE);
    this.#pool = pool;
  }

  override get pool(): SharePool {
    return this.#pool;
  }
}

/** GPU-hours held as a display number: rounded to 6 decimals (what the CSV shows), 0 for non-finite. */
export function roundedHours(hours: number): number {
  const rounded = Math.round(hours * 1e6) / 1e6;
  return rounded === 0 || !Number.isFinite(rounded) ? 0 : rounded;
}

/** GPU-hours for display: at most 6 decimals, no exponent, no negative zero. */
export function hoursText(hours: number): string {
  const rounded = roundedHours(hours);
  if (rounded === 0) return '0';
  if (Number.isInteger(rounded)) return String(rounded);
  return trimTrailingZeros(rounded.toFixed(6));
}

/** A pod's utilization in percent (2 decimals), or null when unknown. */
export function utilizationPctOf(usage: PodUsage | null): number | null {
  if (!usage || usage.utilization === null) return null;
  return Math.round(Math.min(1, Math.max(0, usage.utilization)) * 100 * 100) / 100;
}
