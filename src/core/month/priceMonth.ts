import { buildSummary } from '../aggregate/summarize.ts';
import { allocateMonth } from '../allocation/allocate.ts';
import { minorDigits } from '../money.ts';
import { PriceResolver } from '../pricing/catalog.ts';
import type { PricedMonth, PriceMonthOptions, RoundedRow } from '../pricing/model.ts';
import { roundMonth } from '../rounding/roundMonth.ts';
import type { MeteredDay } from '../types.ts';

export type { PricedMonth, PriceMonthOptions, RoundedRow } from '../pricing/model.ts';

/**
 * Prices a month of metered days: resolves prices per node and charge period, applies the utilization
 * and idle policies (see allocateMonth), sorts rows (charge period, team, namespace, pod, uid, component,
 * then cluster, node, GPU resource) and rounds once:
 *
 * Rounding rule: money is exact until the end — rates and GPU-seconds are exact ratios, and row amounts
 * are integers of 10^-15 minor unit (see money.ts). The grand total is the exact cost of all GPU node
 * capacity of the month, rounded half-even to the currency's minor unit (ISO 4217: USD 2 digits, KRW and
 * JPY 0). That total is apportioned to teams by the largest-remainder method applied to the teams' exact
 * totals, and each team's rounded total is apportioned to its rows the same way (ties go to the team
 * name first alphabetically, then to the earlier row). ListCost is rounded the same way from the exact
 * On-Demand cost of capacity. So rows sum to team totals, team totals to the grand total, the grand total
 * equals the rounded capacity cost, and every rounded amount is less than one minor unit from its exact
 * value.
 */
export function priceMonth(days: MeteredDay[], options: PriceMonthOptions): PricedMonth {
  const { period, pricing } = options;
  const digits = minorDigits(pricing.currency);
  const periodDates = new Set(period.days.map((d) => d.date));
  const seen = new Set<string>();
  for (const day of days) {
    if (!periodDates.has(day.day.date))
      throw new RangeError(`day ${day.day.date} is not in billing period ${period.month}`);
    if (seen.has(day.day.date)) throw new RangeError(`day ${day.day.date} was given twice`);
    seen.add(day.day.date);
  }
  const sortedDays = [...days].sort((a, b) => a.day.startMs - b.day.startMs);

  const resolver = new PriceResolver(pricing);
  const allocation = allocateMonth(sortedDays, resolver, {
    ...options.allocation,
    chargeClass: options.chargeClass ?? '',
    digits,
  });
  options.onStage?.('allocated');
  const { rows, store } = allocation;
  const { totalUnits, listTotalUnits } = roundMonth(
    rows,
    store,
    allocation.capacityCost,
    allocation.capacityListCost,
    digits,
  );
  options.onStage?.('rounded');

  const summary = buildSummary({
    days: sortedDays,
    rows,
    store,
    allocatedGpuSecondsByDay: allocation.allocatedGpuSecondsByDay,
    totalUnits,
    listTotalUnits,
    digits,
    options,
    resolver,
    warnings: allocation.warnings,
  });
  options.onStage?.('summarized');
  // The views implement RoundedRow through prototype getters (see chargeRows.ts).
  return { rows: rows as unknown as RoundedRow[], summary };
}

/** A plain-object copy of a row (rows are views; copy one before spreading or structuredClone). */
export { toPlainRow } from '../allocation/chargeRows.ts';
