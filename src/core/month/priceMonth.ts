import { buildSummary, type SummaryOptions } from '../aggregate/summarize.ts';
import { allocateMonth } from '../allocation/allocate.ts';
import { PriceResolver } from '../pricing/catalog.ts';
import { roundMonth } from '../rounding/roundMonth.ts';
import type { BillingPeriod, MeteredDay, PricedRows, Summary } from '../types.ts';
import { RowSet } from './rowSet.ts';

/**
 * Everything priceMonth needs besides the metered days: plain data, built from the validated config at
 * the edge (src/app/priceOptions.ts).
 */
export interface PriceMonthOptions extends SummaryOptions {
  /** ChargeClass of every row: '' normally, 'Correction' when restating a published month. */
  chargeClass?: '' | 'Correction';
  /**
   * Called after each step ('allocated', 'rounded', 'summarized') with its name, for progress logs and
   * benchmarks (the core reads no clock; the caller may).
   */
  onStage?: (stage: 'allocated' | 'rounded' | 'summarized') => void;
}

/** The priced month: rows in their deterministic order and the summary. */
export interface PricedMonth {
  rows: PricedRows;
  summary: Summary;
}

/**
 * The month stage: prices, allocates, rounds and summarizes a month of metered days, in that order.
 *
 * 1. catalog: a {@link PriceResolver} over the price catalog gives each node and charge period its prices;
 * 2. allocation ({@link allocateMonth}): every pod and node priced exactly, the utilization and idle
 *    policies applied, rows sorted (charge period, team, namespace, pod, uid, component, then cluster,
 *    node, GPU resource);
 * 3. rounding ({@link roundMonth}): money rounded once — the exact capacity cost half-even to the minor
 *    unit, apportioned to teams and then to rows by largest remainder;
 * 4. aggregation ({@link buildSummary}): summary.json's model from the rounded rows.
 *
 * So rows sum to team totals, team totals to the grand total, the grand total equals the rounded capacity
 * cost, and every rounded amount is less than one minor unit from its exact value.
 */
export function priceMonth(days: readonly MeteredDay[], options: PriceMonthOptions): PricedMonth {
  const digits = options.pricing.currency.minorDigits;
  const month = daysInOrder(days, options.period);

  const catalog = new PriceResolver(options.pricing);
  const allocation = allocateMonth(month, catalog, {
    ...options.allocation,
    chargeClass: options.chargeClass ?? '',
    digits,
  });
  options.onStage?.('allocated');

  const { rows, store } = allocation;
  const totals = roundMonth(rows, store, allocation.capacityCost, allocation.capacityListCost, digits);
  options.onStage?.('rounded');

  const summary = buildSummary({
    days: month,
    rows,
    store,
    allocatedGpuSecondsByDay: allocation.allocatedGpuSecondsByDay,
    totalUnits: totals.totalUnits,
    listTotalUnits: totals.listTotalUnits,
    digits,
    options,
    resolver: catalog,
    warnings: allocation.warnings,
  });
  options.onStage?.('summarized');
  return { rows: new RowSet(rows, store), summary };
}

/** The days in time order, each checked to belong to `period` and to be given once. */
function daysInOrder(days: readonly MeteredDay[], period: BillingPeriod): MeteredDay[] {
  const periodDates = new Set(period.days.map((d) => d.date));
  const seen = new Set<string>();
  for (const day of days) {
    if (!periodDates.has(day.day.date))
      throw new RangeError(`day ${day.day.date} is not in billing period ${period.month}`);
    if (seen.has(day.day.date)) throw new RangeError(`day ${day.day.date} was given twice`);
    seen.add(day.day.date);
  }
  return [...days].sort((a, b) => a.day.startMs - b.day.startMs);
}
