import { compareStrings } from '../../core/compare.ts';
import { Decimal } from 'decimal.js';
import type { CapacityAdvice } from '../../core/advice.ts';
import type { Summary, TeamSummary } from '../../core/types.ts';
import { percentChange } from './format.ts';

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
  const total = new Decimal(summary.totals.cost);
  const budgeted = summary.byTeam.filter((t) => t.budget !== null);
  const budgetSum = budgeted.reduce((sum, t) => sum.plus(t.budget!), new Decimal(0));
  const budget: BudgetStatus =
    budgeted.length === 0
      ? { budget: null, variance: null, usedPct: null, budgetedTeams: 0, teamsOver: 0 }
      : {
          budget: budgetSum.toFixed(summary.currency.minorDigits),
          variance: total.minus(budgetSum).toFixed(summary.currency.minorDigits),
          usedPct: budgetSum.isZero() ? null : total.div(budgetSum).times(100).toNumber(),
          budgetedTeams: budgeted.length,
          teamsOver: budgeted.filter((t) => new Decimal(t.cost).greaterThan(t.budget!)).length,
        };

  const comparison: PreviousComparison | null = previous
    ? {
        month: previous.period.month,
        total: previous.totals.cost,
        change: total.minus(previous.totals.cost).toFixed(summary.currency.minorDigits),
        changePct: percentChange(summary.totals.cost, previous.totals.cost),
        byTeam: new Map(previous.byTeam.map((t) => [t.key, t.cost])),
      }
    : null;

  const blended = new Decimal(summary.totals.blendedCostPerGpuHour || '0');
  const onDemand = new Decimal(summary.totals.onDemandCostPerGpuHour || '0');
  const gaps = summary.coverage.gaps;
  return {
    budget,
    previous: comparison,
    idleSharePct: total.isZero()
      ? null
      : new Decimal(summary.totals.idleCost).div(total).times(100).toNumber(),
    blendedVsOnDemandPct: onDemand.isZero()
      ? null
      : blended.minus(onDemand).div(onDemand).times(100).toNumber(),
    gapCount: gaps.length,
    gapHours: gaps.reduce((sum, g) => sum + Math.max(0, g.endMs - g.startMs), 0) / 3_600_000,
    advice,
  };
}
