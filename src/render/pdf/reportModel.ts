import { compareStrings } from '../../core/compare.ts';
import type { CapacityAdvice } from '../../core/advice.ts';
import {
  absRatio,
  exactDecimal,
  formatFixed,
  multiplyRatio,
  signOf,
  subtractRatio,
} from '../../core/money.ts';
import type { Summary, TeamSummary } from '../../core/types.ts';
import { percentOf } from './format.ts';

/**
 * The figures the PDF shows that are not stored in the Summary as such: comparisons with the previous
 * month and the budgets, top-N groupings. Pure: no pdfkit, no I/O.
 */

export interface Grouped {
  key: string;
  value: number;
  /** Number of keys folded into this entry (1 unless it is "other"). */
  count: number;
  isOther: boolean;
}

/** The `n` largest entries, and the rest folded into one "other" entry (only when it holds two or more). */
export function topWithOther(entries: { key: string; value: number }[], n: number): Grouped[] {
  const sorted = [...entries].sort((a, b) => b.value - a.value || compareStrings(a.key, b.key));
  if (sorted.length <= n + 1) return sorted.map((e) => ({ ...e, count: 1, isOther: false }));
  const top = sorted.slice(0, n).map((e) => ({ ...e, count: 1, isOther: false }));
  const rest = sorted.slice(n);
  return [
    ...top,
    { key: '', value: rest.reduce((s, e) => s + e.value, 0), count: rest.length, isOther: true },
  ];
}

export interface BudgetStatus {
  /** Sum of the budgets of teams that have one, or null when no team has a budget. */
  budget: string | null;
  /** Cost of the budgeted teams minus their budgets (never idle, unallocated or unbudgeted teams), or null. */
  variance: string | null;
  /** Budgeted teams' cost / budget x 100, or null. */
  usedPct: number | null;
  /** The month's cost outside every budget (idle capacity, unallocated, teams without a budget), or null. */
  unbudgetedCost: string | null;
  budgetedTeams: number;
  teamsOver: number;
  /** The currency the budgets are written in, and the rate they were converted at when not the bill's. */
  currency: string | null;
  conversionRate: string | null;
}

export interface PreviousComparison {
  month: string;
  total: string;
  /** Days of the previous month (month over month is compared per day: months have 28 to 31 days). */
  days: number;
  /** This month's total minus the previous month's (not normalized). */
  change: string;
  /** Change of the cost per day, in percent: a flat 31-day month after a 30-day one is 0 %, not +3.3 %. */
  changePct: number | null;
  /** Cost of each team in the previous month. */
  byTeam: Map<string, string>;
}

export interface ReportModel {
  budget: BudgetStatus;
  previous: PreviousComparison | null;
  /** Idle cost / total cost x 100, or null for a month that cost nothing. */
  idleSharePct: number | null;
  /** (blended - On-Demand) / On-Demand x 100, or null. */
  blendedVsOnDemandPct: number | null;
  /** Number of coverage gaps and their hours. */
  gapCount: number;
  gapHours: number;
  advice: CapacityAdvice;
}

/** Team cost change per day vs the previous month in percent, null when the team is new or had no cost. */
export function teamChangePct(
  team: TeamSummary,
  previous: PreviousComparison | null,
  days: number,
): number | null {
  const before = previous?.byTeam.get(team.key);
  return before === undefined || previous === null
    ? null
    : perDayChangePct(team.cost, days, before, previous.days);
}

/**
 * (current / days − previous / previousDays) ÷ (previous / previousDays) × 100, exactly until display; null
 * when the previous month cost nothing.
 */
export function perDayChangePct(
  current: string,
  days: number,
  previous: string,
  previousDays: number,
): number | null {
  const prev = multiplyRatio(exactDecimal(previous), {
    numerator: 1n,
    denominator: BigInt(Math.max(1, previousDays)),
  });
  if (signOf(prev) === 0) return null;
  const cur = multiplyRatio(exactDecimal(current), { numerator: 1n, denominator: BigInt(Math.max(1, days)) });
  return percentOf(subtractRatio(cur, prev), absRatio(prev));
}

/** Builds the comparison figures of the report. */
export function buildReportModel(
  summary: Summary,
  previous: Summary | null,
  advice: CapacityAdvice,
): ReportModel {
  const digits = summary.currency.minorDigits;
  const total = exactDecimal(summary.totals.cost);
  const b = summary.budgets;
  const budget: BudgetStatus =
    b === null
      ? {
          budget: null,
          variance: null,
          usedPct: null,
          unbudgetedCost: null,
          budgetedTeams: 0,
          teamsOver: 0,
          currency: null,
          conversionRate: null,
        }
      : {
          budget: b.budget,
          variance: b.variance,
          usedPct:
            signOf(exactDecimal(b.budget)) === 0
              ? null
              : percentOf(exactDecimal(b.budgetedCost), exactDecimal(b.budget)),
          unbudgetedCost: b.unbudgetedCost,
          budgetedTeams: b.budgetedTeams,
          teamsOver: b.teamsOver,
          currency: b.currency,
          conversionRate: b.conversionRate,
        };

  const comparison: PreviousComparison | null = previous
    ? {
        month: previous.period.month,
        total: previous.totals.cost,
        days: previous.period.days,
        change: formatFixed(subtractRatio(total, exactDecimal(previous.totals.cost)), digits),
        changePct: perDayChangePct(
          summary.totals.cost,
          summary.period.days,
          previous.totals.cost,
          previous.period.days,
        ),
        byTeam: new Map(previous.byTeam.map((t) => [t.key, t.cost])),
      }
    : null;

  const blended = exactDecimal(summary.totals.blendedCostPerGpuHour || '0');
  const onDemand = exactDecimal(summary.totals.onDemandCostPerGpuHour || '0');
  const gaps = summary.coverage.gaps;
  return {
    budget,
    previous: comparison,
    idleSharePct: signOf(total) === 0 ? null : percentOf(exactDecimal(summary.totals.idleCost), total),
    blendedVsOnDemandPct:
      signOf(onDemand) === 0 ? null : percentOf(subtractRatio(blended, onDemand), onDemand),
    gapCount: gaps.length,
    gapHours: gaps.reduce((sum, g) => sum + Math.max(0, g.endMs - g.startMs), 0) / 3_600_000,
    advice,
  };
}
