import { compareStrings } from '../compare.ts';
import { FINE_PER_MINOR, type Ratio, toMinorUnitsHalfEven } from '../money.ts';
import { apportionParts } from './largestRemainder.ts';

/**
 * The month's one rounding step. Money is exact until here: row amounts are integers of fine units
 * (10^-15 minor unit, see money.ts), and the capacity cost is an exact ratio.
 *
 * Rule (recorded in summary.json as policies.rounding, see ROUNDING_RULE):
 * 1. the grand total is the exact cost of all GPU capacity rounded half-to-even to the minor unit;
 * 2. it is apportioned to the teams by largest remainder of their exact totals (leftover units to the
 *    largest fine remainders; ties to the team name that sorts first in code-unit order);
 * 3. each team's rounded total is apportioned to its rows the same way (ties to the earlier row).
 * ListCost is rounded the same way from the exact On-Demand cost of capacity.
 *
 * Why it closes to the cent: a team's exact total T is the sum of its rows' fine amounts, and the grand
 * total G = round(C) where C is the exact capacity cost and Σ T differs from C by less than one fine unit
 * per node-period (≪ half a minor unit). So G − Σ floor(T) lies in [0, teams], and largest remainder
 * gives each team floor(T) or floor(T) + 1 (the latter only with a non-zero remainder); likewise a team's
 * rows get floor(row) or floor(row) + 1 summing to the team's units.
 */

/** What rounding reads of a row: the team it is charged to and the slot of its amounts. */
export interface RoundingRow {
  readonly rowTeam: string;
  readonly slot: number;
}

/**
 * The fixed-point amounts of the rows, by slot: whole minor units (`*Floor`) and the fine remainder below
 * them (`*Rem`), both exact doubles. Rounding writes the rounded minor units into `effUnits`/`listUnits`.
 */
export interface RoundingAmounts {
  readonly effFloor: Float64Array;
  readonly effRem: Float64Array;
  readonly listFloor: Float64Array;
  readonly listRem: Float64Array;
  readonly effUnits: Float64Array;
  readonly listUnits: Float64Array;
}

/** The rounded grand totals, in minor units. */
export interface RoundedTotals {
  /** EffectiveCost: the capacity cost rounded half-even. */
  totalUnits: number;
  /** ListCost: the On-Demand cost of capacity rounded half-even. */
  listTotalUnits: number;
}

/**
 * Rounds a month: the grand totals from the exact capacity costs (half-even), then each team and each
 * row by largest remainder, filling `amounts.effUnits` and `amounts.listUnits` for every row's slot.
 * `rows` are in their final order (ties between rows go to the earlier one).
 */
export function roundMonth(
  rows: readonly RoundingRow[],
  amounts: RoundingAmounts,
  capacityCost: Ratio,
  capacityListCost: Ratio,
  digits: number,
): RoundedTotals {
  const totals = {
    totalUnits: toMinorUnitsHalfEven(capacityCost, digits),
    listTotalUnits: toMinorUnitsHalfEven(capacityListCost, digits),
  };
  if (rows.length === 0) {
    if (totals.totalUnits !== 0 || totals.listTotalUnits !== 0)
      throw new RangeError(`cannot apportion ${totals.totalUnits} minor units over no rows`);
    return totals;
  }
  const groups = groupByTeam(rows);
  apportionToTeamsAndRows(groups, amounts.effFloor, amounts.effRem, amounts.effUnits, totals.totalUnits);
  apportionToTeamsAndRows(
    groups,
    amounts.listFloor,
    amounts.listRem,
    amounts.listUnits,
    totals.listTotalUnits,
  );
  return totals;
}

/** Rows' slots grouped by team: teams in code-unit order, each team's slots in row order. */
interface TeamGroups {
  /** Number of teams. */
  count: number;
  /** Team g's slots are bySlot[starts[g] .. starts[g + 1]). */
  starts: Int32Array;
  bySlot: Int32Array;
}

/** Groups the rows' slots by team with a counting sort (no per-row allocation). */
function groupByTeam(rows: readonly RoundingRow[]): TeamGroups {
  const teamIndex = new Map<string, number>();
  for (const row of rows) if (!teamIndex.has(row.rowTeam)) teamIndex.set(row.rowTeam, teamIndex.size);
  const teams = [...teamIndex.keys()].sort(compareStrings);
  const rank = new Int32Array(teams.length);
  teams.forEach((team, r) => {
    rank[teamIndex.get(team)!] = r;
  });
  const count = teams.length;
  const starts = new Int32Array(count + 1);
  const rowRank = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    const r = rank[teamIndex.get(row.rowTeam)!]!;
    rowRank[i] = r;
    starts[r + 1]!++;
  });
  for (let g = 0; g < count; g++) starts[g + 1]! += starts[g]!;
  const bySlot = new Int32Array(rows.length);
  const next = starts.slice(0, count);
  rows.forEach((row, i) => {
    bySlot[next[rowRank[i]!]!++] = row.slot;
  });
  return { count, starts, bySlot };
}

/** Steps 2 and 3 of the rule for one amount column: `total` to the teams, each team's units to its rows. */
function apportionToTeamsAndRows(
  groups: TeamGroups,
  floors: Float64Array,
  rems: Float64Array,
  out: Float64Array,
  total: number,
): void {
  const { count, starts, bySlot } = groups;
  const teamFloors = new Float64Array(count);
  const teamRems = new Float64Array(count);
  for (let g = 0; g < count; g++) {
    let floor = 0;
    let rem = 0;
    for (let k = starts[g]!; k < starts[g + 1]!; k++) {
      const slot = bySlot[k]!;
      floor += floors[slot]!;
      rem += rems[slot]!;
      // Carry whole minor units out of the remainder, so both stay exact doubles.
      if (rem >= FINE_PER_MINOR) {
        rem -= FINE_PER_MINOR;
        floor += 1;
      }
    }
    if (!Number.isSafeInteger(floor)) throw new RangeError(`team total of ${floor} minor units is too large`);
    teamFloors[g] = floor;
    teamRems[g] = rem;
  }
  const teamUnits = new Float64Array(count);
  apportionParts(
    total,
    teamFloors,
    teamRems,
    Int32Array.from({ length: count }, (_, g) => g),
    teamUnits,
  );
  for (let g = 0; g < count; g++) {
    apportionParts(teamUnits[g]!, floors, rems, bySlot.subarray(starts[g]!, starts[g + 1]!), out);
  }
}
