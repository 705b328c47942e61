import { buildSummary } from '../aggregate/summarize.ts';
import { allocateMonth, compareStrings } from '../allocation/allocate.ts';
import { formatMinorUnits, minorDigits, type RoundingGroup, roundHierarchically } from '../money.ts';
import type { CostComponent, MeteredDay } from '../types.ts';
import { PriceResolver } from './catalog.ts';
import type { PricedMonth, PriceMonthOptions, RoundedRow } from './model.ts';

export type { PricedMonth, PriceMonthOptions, RoundedRow } from './model.ts';

const COMPONENT_ORDER: Record<CostComponent, number> = {
  Direct: 0,
  UnusedAllocation: 1,
  Idle: 2,
  IdleShare: 3,
};

/**
 * Prices a month of metered days: resolves prices per node and charge period, applies the utilization
 * and idle policies (see allocateMonth), sorts rows (charge period, team, namespace, pod, uid, component,
 * then cluster, node, GPU resource) and rounds once:
 *
 * Rounding rule: money is exact (40 significant digits) until the end. The grand total is the exact
 * cost of all GPU node capacity of the month, rounded half-even to the currency's minor unit (ISO 4217:
 * USD 2 digits, KRW and JPY 0). That total is apportioned to teams by the largest-remainder method
 * applied to the teams' exact totals, and each team's rounded total is apportioned to its rows the same
 * way (ties go to the team name first alphabetically, then to the earlier row). ListCost is rounded the
 * same way from the exact On-Demand cost of capacity. So rows sum to team totals, team totals to the
 * grand total, the grand total equals the rounded capacity cost, and every rounded amount is less than
 * one minor unit from its exact value.
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
  });
  const exactRows = allocation.rows.sort((a, b) => compareRows(a.row, b.row));

  const teams = new Map<string, number[]>();
  exactRows.forEach(({ row }, i) => {
    const list = teams.get(row.team);
    if (list) list.push(i);
    else teams.set(row.team, [i]);
  });
  const groups: RoundingGroup[] = [...teams].map(([key, rows]) => ({ key, rows }));
  const effective = roundHierarchically(
    allocation.capacityCost,
    exactRows.map((r) => r.effective),
    groups,
    digits,
  );
  const list = roundHierarchically(
    allocation.capacityListCost,
    exactRows.map((r) => r.list),
    groups,
    digits,
  );

  const rows: RoundedRow[] = exactRows.map((exact, i) => {
    const row = exact.row;
    row.effectiveCostExact = exact.effective.toFixed();
    row.listCostExact = exact.list.toFixed();
    row.effectiveCost = formatMinorUnits(effective.rowUnits[i]!, digits);
    row.listCost = formatMinorUnits(list.rowUnits[i]!, digits);
    return row;
  });
  exactRows.length = 0;

  const summary = buildSummary({
    days: sortedDays,
    rows,
    effectiveUnits: effective.rowUnits,
    listUnits: list.rowUnits,
    totalUnits: effective.totalUnits,
    listTotalUnits: list.totalUnits,
    capacityCostExact: allocation.capacityCost,
    digits,
    options,
    resolver,
    warnings: allocation.warnings,
  });
  return { rows, summary };
}

function compareRows(a: RoundedRow, b: RoundedRow): number {
  return (
    a.chargePeriod.startMs - b.chargePeriod.startMs ||
    compareStrings(a.team, b.team) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.pod, b.pod) ||
    compareStrings(a.podUid, b.podUid) ||
    COMPONENT_ORDER[a.component] - COMPONENT_ORDER[b.component] ||
    compareStrings(a.cluster, b.cluster) ||
    compareStrings(a.node, b.node) ||
    compareStrings(a.gpuResource, b.gpuResource)
  );
}
