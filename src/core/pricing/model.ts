import type { CapacityType, PricedRow } from '../types.ts';

/**
 * A priced row with its money rounded to the currency's minor unit (see {@link priceMonth}). priceMonth
 * returns compact read-only views that expose these fields as getters (see allocation/chargeRows.ts):
 * read them, JSON.stringify them, or copy one with `toPlainRow`; do not spread them.
 */
export interface RoundedRow extends PricedRow {
  /** EffectiveCost rounded to the minor unit, fixed-point (e.g. "12.30", or "12300" for KRW). */
  effectiveCost: string;
  /** ListCost (On-Demand equivalent) rounded to the minor unit. */
  listCost: string;
  /** Capacity type of the node the cost comes from. */
  capacityType: CapacityType;
  /** FOCUS ChargeClass: '' or 'Correction'. */
  chargeClass: '' | 'Correction';
}
