import { compareStrings } from '../compare.ts';
import { exactDecimal, multiplyRatio, toMinorUnitsHalfEven } from '../money.ts';
import type { PriceCatalog } from '../pricing/catalog.ts';
import type { BudgetTotals, TeamSummary } from '../types.ts';
import type { MoneyFormat } from './breakdowns.ts';
import { warningText } from '../warningText.ts';

/** The configured budgets: per team, in `currency` (absent: the billing currency). */
export interface BudgetOptions {
  budgets: ReadonlyMap<string, number>;
  /** The currency the budgets are written in; absent = the billing currency. */
  budgetCurrency?: string;
}

/**
 * Each team's budget in integer minor units of the billing currency. A budget in the catalog's price
 * currency is converted at the catalog's fixed rate (exactly, then rounded half-even); a budget in any other
 * currency cannot be compared with the bill and is refused (the config schema refuses it first).
 */
export function budgetUnitsOf(options: BudgetOptions, pricing: PriceCatalog): Map<string, number> {
  const bill = pricing.currency.code;
  const currency = options.budgetCurrency ?? bill;
  let rate = exactDecimal(1);
  if (currency !== bill) {
    if (pricing.conversion?.from !== currency)
      throw new RangeError(
        `budgets in ${currency} cannot be compared with a bill in ${bill}: no conversion rate`,
      );
    rate = exactDecimal(pricing.conversion.rate);
  }
  const digits = pricing.currency.minorDigits;
  return new Map(
    [...options.budgets].map(([team, amount]) => [
      team,
      toMinorUnitsHalfEven(multiplyRatio(exactDecimal(amount), rate), digits),
    ]),
  );
}

/**
 * summary.json `budgets`: the variance over budgeted teams only (their cost against their budgets), and the
 * rest of the month's spend — teams without a budget, idle capacity, unallocated — as its own line. Null
 * when no budget is configured.
 */
export function budgetTotalsOf(
  teams: readonly TeamSummary[],
  budgetUnits: ReadonlyMap<string, number>,
  costUnits: ReadonlyMap<string, number>,
  context: { totalUnits: number; options: BudgetOptions; pricing: PriceCatalog; money: MoneyFormat },
): BudgetTotals | null {
  if (budgetUnits.size === 0) return null;
  const { money, pricing, options } = context;
  let budget = 0;
  let budgetedCost = 0;
  let teamsOver = 0;
  for (const team of teams) {
    const units = budgetUnits.get(team.key);
    if (units === undefined) continue;
    const cost = costUnits.get(team.key) ?? 0;
    budget += units;
    budgetedCost += cost;
    if (cost > units) teamsOver++;
  }
  const currency = options.budgetCurrency ?? pricing.currency.code;
  return {
    currency,
    conversionRate: currency === pricing.currency.code ? null : pricing.conversion!.rate,
    budgetedTeams: budgetUnits.size,
    teamsOver,
    budget: money(budget),
    budgetedCost: money(budgetedCost),
    variance: money(budgetedCost - budget),
    unbudgetedCost: money(context.totalUnits - budgetedCost),
  };
}

/**
 * One warning per budget whose team has no spend this month: not an error (the team may simply not have
 * run), but a misspelled team name would otherwise count its whole budget as unused.
 */
export function budgetWarnings(
  budgets: ReadonlyMap<string, number>,
  costUnits: ReadonlyMap<string, number>,
  month: string,
): string[] {
  return [...budgets.keys()]
    .filter((team) => !costUnits.has(team))
    .sort(compareStrings)
    .map((team) => warningText('budgetWithoutSpend', { team, month }));
}
