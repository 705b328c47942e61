import type { Config } from '../../config/schema.ts';
import type { BillingPeriod, CapacityType, PricedRow, Summary } from '../types.ts';

/** Everything priceMonth needs besides the metered days. */
export interface PriceMonthOptions {
  period: BillingPeriod;
  pricing: Config['pricing'];
  allocation: Config['allocation'];
  metering: Pick<Config['metering'], 'pendingOnNode' | 'maxBridgeSeconds'>;
  /** Monthly budgets per team, in the billing currency. */
  budgets: Record<string, number>;
  source: Summary['source'];
  /** ChargeClass of every row: '' normally, 'Correction' when restating a published month. */
  chargeClass?: '' | 'Correction';
  /**
   * Called after each internal step ('allocated', 'rounded', 'summarized') with its name, for progress
   * logs and benchmarks (the core reads no clock; the caller may).
   */
  onStage?: (stage: 'allocated' | 'rounded' | 'summarized') => void;
}

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

/** The priced month: rows in their deterministic order and the summary. */
export interface PricedMonth {
  rows: RoundedRow[];
  summary: Summary;
}
