import { buildSummary } from '../aggregate/summarize.ts';
import { allocateMonth } from '../allocation/allocate.ts';
import { compareStrings } from '../compare.ts';
import type { ChargeRow, RowStore } from '../allocation/chargeRows.ts';
import { apportionParts, divideHalfEven, FINE_PER_MINOR, minorDigits, pow10, type Ratio } from '../money.ts';
import type { MeteredDay } from '../types.ts';
import { PriceResolver } from './catalog.ts';
import type { PricedMonth, PriceMonthOptions, RoundedRow } from './model.ts';

export type { PricedMonth, PriceMonthOptions, RoundedRow } from './model.ts';

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
  const totalUnits = roundedTotal(allocation.capacityCost, digits);
  const listTotalUnits = roundedTotal(allocation.capacityListCost, digits);
  roundRows(rows, store, totalUnits, listTotalUnits);
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

/** An exact amount in the billing currency, rounded half-even to minor units. */
function roundedTotal(amount: Ratio, digits: number): number {
  const units = Number(divideHalfEven(amount.numerator * pow10(digits), amount.denominator));
  if (!Number.isSafeInteger(units)) throw new RangeError(`total of ${units} minor units is too large`);
  return units;
}

/**
 * The one rounding step (see {@link priceMonth}), on the fixed-point amounts of the rows in their final
 * order; fills `store.effUnits` and `store.listUnits`.
 *
 * Why it closes to the cent: a team's exact total T is the sum of its rows' fine amounts, and the grand
 * total G = round(C) where C is the exact capacity cost and Σ T differs from C by less than one fine unit
 * per node-period (≪ half a minor unit). So G − Σ floor(T) lies in [0, teams], and largest remainder
 * gives each team floor(T) or floor(T) + 1 (the latter only with a non-zero remainder); likewise a team's
 * rows get floor(row) or floor(row) + 1 summing to the team's units.
 */
function roundRows(
  rows: readonly ChargeRow[],
  store: RowStore,
  totalUnits: number,
  listTotalUnits: number,
): void {
  const teamIndex = new Map<string, number>();
  for (const row of rows) if (!teamIndex.has(row.rowTeam)) teamIndex.set(row.rowTeam, teamIndex.size);
  const teams = [...teamIndex.keys()].sort(compareStrings);
  const rank = new Int32Array(teams.length);
  teams.forEach((team, r) => {
    rank[teamIndex.get(team)!] = r;
  });
  const G = teams.length;
  // Rows' slots grouped by team (in team order), each group in row order: a counting sort.
  const counts = new Int32Array(G + 1);
  const rowRank = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    const r = rank[teamIndex.get(row.rowTeam)!]!;
    rowRank[i] = r;
    counts[r + 1]!++;
  });
  for (let g = 0; g < G; g++) counts[g + 1]! += counts[g]!;
  const bySlot = new Int32Array(rows.length);
  const next = counts.slice(0, G);
  rows.forEach((row, i) => {
    bySlot[next[rowRank[i]!]!++] = row.slot;
  });

  const round = (floors: Float64Array, rems: Float64Array, out: Float64Array, total: number) => {
    const groupFloors = new Float64Array(G);
    const groupRems = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      let floor = 0;
      let rem = 0;
      for (let k = counts[g]!; k < counts[g + 1]!; k++) {
        const slot = bySlot[k]!;
        floor += floors[slot]!;
        rem += rems[slot]!;
        // Carry whole minor units out of the remainder, so both stay exact doubles.
        if (rem >= FINE_PER_MINOR) {
          rem -= FINE_PER_MINOR;
          floor += 1;
        }
      }
      if (!Number.isSafeInteger(floor))
        throw new RangeError(`team total of ${floor} minor units is too large`);
      groupFloors[g] = floor;
      groupRems[g] = rem;
    }
    const groupUnits = new Float64Array(G);
    apportionParts(
      total,
      groupFloors,
      groupRems,
      Int32Array.from({ length: G }, (_, g) => g),
      groupUnits,
    );
    for (let g = 0; g < G; g++) {
      apportionParts(groupUnits[g]!, floors, rems, bySlot.subarray(counts[g]!, counts[g + 1]!), out);
    }
  };
  if (rows.length === 0) {
    if (totalUnits !== 0 || listTotalUnits !== 0)
      throw new RangeError(`cannot apportion ${totalUnits} minor units over no rows`);
    return;
  }
  round(store.effFloor, store.effRem, store.effUnits, totalUnits);
  round(store.listFloor, store.listRem, store.listUnits, listTotalUnits);
}

/** A plain-object copy of a row (rows are views; copy one before spreading or structuredClone). */
export { toPlainRow } from '../allocation/chargeRows.ts';
