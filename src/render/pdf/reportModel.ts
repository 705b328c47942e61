import { compareStrings } from '../../core/compare.ts';
import type { CapacityAdvice } from '../../core/advice.ts';
import {
  compareRatio,
  exactDecimal,
  formatFixed,
  signOf,
  subtractRatio,
  sumDecimals,
} from '../../core/money.ts';
import type { Summary, TeamSummary } from '../../core/types.ts';
import { percentChange, percentOf } from './format.ts';

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
  /** Total cost minus total budget (whole month, all teams), or null without budgets. */
  variance: string | null;
  /** Cost / budget x 100, or null. */
  usedPct: number | null;
  budgetedTeams: number;
  teamsOver: number;
}

export interface PreviousComparison {
  month: string;
  total: string;
  change: string;
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

/** Team cost change vs the previous month in percent, null when the team is new or had no cost. */
export function teamChangePct(team: TeamSummary, previous: PreviousComparison | null): number | null {
  const before = previous?.byTeam.get(team.key);
  return before === undefined ? null : percentChange(team.cost, before);
}

/** Builds the comparison figures of the report. */
export function buildReportModel(
  summary: Summary,
  previous: Summary | null,
  advice: CapacityAdvice,
): ReportModel {
  const digits = summary.currency.minorDigits;
  const total = exactDecimal(summary.totals.cost);
  const budgeted = summary.byTeam.filter((t) => t.budget !== null);
  const budgetSum = sumDecimals(budgeted.map((t) => t.budget!));
  const budget: BudgetStatus =
    budgeted.length === 0
      ? { budget: null, variance: null, usedPct: null, budgetedTeams: 0, teamsOver: 0 }
      : {
          budget: formatFixed(budgetSum, digits),
          variance: formatFixed(subtractRatio(total, budgetSum), digits),
          usedPct: signOf(budgetSum) === 0 ? null : percentOf(total, budgetSum),
          budgetedTeams: budgeted.length,
          teamsOver: budgeted.filter((t) => compareRatio(exactDecimal(t.cost), exactDecimal(t.budget!)) > 0).length,
        };

  const comparison: PreviousComparison | null = previous
    ? {
        month: previous.period.month,
        total: previous.totals.cost,
        change: formatFixed(subtractRatio(total, exactDecimal(previous.totals.cost)), digits),
        changePct: percentChange(summary.totals.cost, previous.totals.cost),
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
