import { divideRatio, exactNumber, formatFixed, ROUNDING_RULE } from '../money.ts';
import { isoInZone } from '../period.ts';
import { compareStrings } from '../compare.ts';
import { ownValue, recordOf } from '../records.ts';
import type { ChargeRow, RowStore } from '../allocation/chargeRows.ts';
import type { AllocationPolicies } from '../allocation/allocate.ts';
import type { PriceCatalog, PriceResolver } from '../pricing/catalog.ts';
import type { BillingPeriod, MeteredDay, Summary } from '../types.ts';
import { round2, round6, split2 } from './accumulators.ts';
import {
  byCost,
  costBreakdown,
  daySummaries,
  instanceTypeSummaries,
  moneyFormat,
  teamSummaries,
} from './breakdowns.ts';
import { capacityOf, type MonthCapacity } from './capacity.ts';
import { budgetTotalsOf, budgetUnitsOf, budgetWarnings } from './budgets.ts';
import { LOW_UTILIZATION_BELOW_PCT, lowUtilizationOf } from './lowUtilization.ts';
import { podWarnings } from './podWarnings.ts';
import { machineWarnings, reconcileMachines } from './reconcile.ts';
import { accumulateRows, type RowTotals } from './rowTotals.ts';
import { dayWarnings } from './warnings.ts';
import { warningText } from '../warningText.ts';

export {
  LOW_UTILIZATION_BELOW_PCT,
  LOW_UTILIZATION_COUNT,
  LOW_UTILIZATION_MIN_COST_SHARE,
} from './lowUtilization.ts';

/** The month's settings the summary reports (built from the config at the edge, see src/app/priceOptions.ts). */
export interface SummaryOptions {
  period: BillingPeriod;
  pricing: PriceCatalog;
  allocation: AllocationPolicies;
  /** The metering policies the days were metered under (recorded in policies). */
  metering: Pick<Summary['policies'], 'pendingOnNode' | 'maxBridgeSeconds'>;
  /**
   * Monthly budgets per team, in the billing currency (report.budgets). A Map: team names are label values,
   * and a team called "constructor" or "__proto__" has a budget only when one is configured for it.
   */
  budgets: ReadonlyMap<string, number>;
  /** The currency the budgets are in (report.budgetCurrency); absent = the billing currency. */
  budgetCurrency?: string;
  /** lowUtilization lists workloads below this GPU utilization, in percent; absent = {@link LOW_UTILIZATION_BELOW_PCT}. */
  lowUtilizationBelowPct?: number;
  source: Summary['source'];
}

/** Inputs of {@link buildSummary}: the rounded rows (their numbers in `store`) and context. */
export interface BuildSummaryInput {
  days: readonly MeteredDay[];
  rows: readonly ChargeRow[];
  store: RowStore;
  /** Per day, per node (in the day's nodes order): GPU-seconds its pods held. */
  allocatedGpuSecondsByDay: readonly Float64Array[];
  totalUnits: number;
  listTotalUnits: number;
  digits: number;
  options: SummaryOptions;
  resolver: PriceResolver;
  warnings: readonly string[];
}

/**
 * Builds summary.json's model from rounded rows. Every money figure is a sum of rounded row amounts (so
 * any breakdown sums to the grand total), except budgets. Definitions:
 * - totals.idleCost = Idle + IdleShare rows; unusedAllocationCost = UnusedAllocation rows;
 * - totals.spotSavings = Σ (ListCost − EffectiveCost) over Dynamic (Spot) rows;
 * - capacity/allocated/idle GPU-hours come from the nodes and pods metered (idle per node-period, ≥ 0);
 * - utilizationPct = mean of known pod utilization weighted by GPU-hours held;
 * - spotSharePct = Spot share of capacity GPU-hours; spotSpendSharePct = Spot (Dynamic) rows' share of the cost;
 * - budgets: variance over budgeted teams only, the rest of the spend as unbudgetedCost (budgets.ts);
 * - coveragePct = time-weighted kube-state-metrics coverage;
 * - blendedCostPerGpuHour = total cost / capacity GPU-hours; onDemandCostPerGpuHour = list cost / capacity GPU-hours;
 * - lowUtilization: see {@link lowUtilizationOf}.
 * Breakdowns are sorted by cost (descending) then key; maps are keyed in code-unit order by the renderer.
 * Steps: sum the rows (rowTotals.ts), sum the capacity (capacity.ts), then each part of the summary.
 */
export function buildSummary(input: BuildSummaryInput): Summary {
  const { rows, store, digits, options, days } = input;
  const { period, pricing } = options;
  const money = moneyFormat(digits);
  const totals = accumulateRows(rows, store);
  const capacity = capacityOf(days, input.allocatedGpuSecondsByDay);
  const budgetUnits = budgetUnitsOf(options, pricing);
  const teamCost = new Map([...totals.byTeam].map(([team, acc]) => [team, acc.units]));
  const byTeam = teamSummaries(totals, budgetUnits, digits);
  const sumOfRows = sumOfRowUnits(rows, store);
  const budgetContext = { totalUnits: input.totalUnits, options, pricing, money };
  return {
    ...headerOf(input),
    totals: monthTotals(input, totals, capacity),
    budgets: budgetTotalsOf(byTeam, budgetUnits, teamCost, budgetContext),
    byTeam,
    byProject: byCost(totals.byProject.entries2(), (key, acc) => {
      const [team, project] = split2(key);
      return { ...costBreakdown(money, project, acc), team };
    }),
    byNamespace: byCost(totals.byNamespace.entries2(), (key, acc) => {
      const [cluster, namespace] = split2(key);
      return { ...costBreakdown(money, namespace, acc), cluster };
    }),
    byCluster: byCost([...totals.byCluster], (key, acc) => costBreakdown(money, key, acc)),
    byGpuModel: byCost([...totals.byGpuModel], (key, acc) => costBreakdown(money, key, acc)),
    byPricingCategory: byCost([...totals.byCategory], (key, acc) => costBreakdown(money, key, acc)),
    byInstanceType: instanceTypeSummaries(totals, capacity, {
      period,
      pricing,
      resolver: input.resolver,
      digits,
    }),
    byDay: daySummaries(totals, period, days, digits),
    hourlyAllocatedGpus: hourlyAllocatedGpus(days, period.days),
    lowUtilization: lowUtilizationOf(totals.workloads, input.totalUnits, belowPctOf(options), money),
    coverage: {
      byDay: days.map((d) => d.coverage),
      gaps: days.flatMap((d) => d.coverage.gaps),
    },
    reconciliation: {
      capacityCost: money(input.totalUnits),
      sumOfRows: money(sumOfRows),
      difference: money(input.totalUnits - sumOfRows),
      ...reconcileMachines(days, input.resolver, digits, sumOfRows),
    },
    warnings: monthWarnings(input, budgetWarnings(options.budgets, teamCost, period.month)),
  };
}

/** What the month is: schema, source, period, currency, policies, catalog version and scrape intervals. */
function headerOf(input: BuildSummaryInput) {
  const { options, days, digits } = input;
  const { period, pricing, allocation } = options;
  return {
    schemaVersion: 1 as const,
    source: options.source,
    period: {
      month: period.month,
      zone: period.zone,
      start: isoInZone(period.startMs, period.zone),
      end: isoInZone(period.endMs, period.zone),
      hours: period.hours,
      days: period.days.length,
    },
    currency: {
      code: pricing.currency.code,
      minorDigits: digits,
      conversion: pricing.conversion && { ...pricing.conversion },
    },
    policies: {
      pendingOnNode: options.metering.pendingOnNode,
      maxBridgeSeconds: options.metering.maxBridgeSeconds,
      utilization: {
        mode: allocation.utilization.mode,
        floorPct: allocation.utilization.mode === 'floor' ? round2(allocation.utilization.floor * 100) : null,
      },
      idle: { mode: allocation.idle.mode, platformTeam: allocation.idle.platformTeam },
      rounding: ROUNDING_RULE,
      lowUtilizationBelowPct: belowPctOf(options),
    },
    priceCatalog: { version: pricing.catalogVersion },
    scrape: days[0]?.scrape ?? { kubeStateMetricsSeconds: 0, dcgmSeconds: null, source: 'config' as const },
  };
}

/** summary.json `totals`: the month's money by component, GPU-hours, rates and shares. */
function monthTotals(
  input: BuildSummaryInput,
  totals: RowTotals,
  capacity: MonthCapacity,
): Summary['totals'] {
  const { digits, days } = input;
  const money = moneyFormat(digits);
  const { capacityGpuSeconds, allocatedGpuSeconds } = capacity;
  const capacityGpuHours = capacityGpuSeconds / 3600;
  // Money per capacity GPU-hour, 4 decimals half-even: units / 10^digits / capacityGpuHours, exactly.
  const perGpuHour = (units: number) =>
    capacityGpuHours > 0
      ? formatFixed(
          divideRatio(
            { numerator: BigInt(units), denominator: 10n ** BigInt(digits) },
            exactNumber(capacityGpuHours),
          ),
          4,
        )
      : '0.0000';
  const totalSeconds = days.reduce((s, d) => s + (d.day.endMs - d.day.startMs), 0);
  const coveredSeconds = days.reduce(
    (s, d) => s + d.coverage.kubeStateMetrics * (d.day.endMs - d.day.startMs),
    0,
  );
  return {
    cost: money(input.totalUnits),
    listCost: money(input.listTotalUnits),
    directCost: money(totals.components.direct),
    idleCost: money(totals.components.idle),
    unusedAllocationCost: money(totals.components.unused),
    spotSavings: money(totals.spotSavingsUnits),
    capacityCost: money(input.totalUnits),
    capacityGpuHours: round6(capacityGpuHours),
    allocatedGpuHours: round6(allocatedGpuSeconds / 3600),
    idleGpuHours: round6(capacity.idleGpuSeconds / 3600),
    allocationRatePct: capacityGpuSeconds > 0 ? round2((allocatedGpuSeconds / capacityGpuSeconds) * 100) : 0,
    utilizationPct: totals.total.utilizationPct(),
    spotSharePct:
      capacityGpuSeconds > 0 ? round2((capacity.spotCapacityGpuSeconds / capacityGpuSeconds) * 100) : 0,
    spotSpendSharePct:
      input.totalUnits > 0
        ? round2(((totals.byCategory.get('Dynamic')?.units ?? 0) / input.totalUnits) * 100)
        : 0,
    coveragePct: totalSeconds > 0 ? round2((coveredSeconds / totalSeconds) * 100) : 0,
    blendedCostPerGpuHour: perGpuHour(input.totalUnits),
    onDemandCostPerGpuHour: perGpuHour(input.listTotalUnits),
    rowCount: input.rows.length,
  };
}

/** The month's warnings, each once: days without data, the days' own, machines', pods', pricing's. */
function monthWarnings(input: BuildSummaryInput, budgetWarnings: readonly string[]): string[] {
  const { days, digits, options, resolver } = input;
  const metered = new Set(days.map((d) => d.day.date));
  const warnings: string[] = [];
  const missingDates = options.period.days.filter((d) => !metered.has(d.date)).map((d) => d.date);
  if (missingDates.length > 0)
    warnings.push(
      warningText('noMeteredDays', { count: missingDates.length, dates: missingDates.join(', ') }),
    );
  warnings.push(...dayWarnings(days));
  warnings.push(...machineWarnings(days, resolver, digits, options.pricing.currency.code));
  warnings.push(...podWarnings(input.rows, input.store, digits, options.pricing.currency.code));
  warnings.push(...input.warnings, ...resolver.warnings, ...budgetWarnings);
  return [...new Set(warnings)];
}

function belowPctOf(options: SummaryOptions): number {
  return options.lowUtilizationBelowPct ?? LOW_UTILIZATION_BELOW_PCT;
}

function sumOfRowUnits(rows: readonly ChargeRow[], store: RowStore): number {
  let sum = 0;
  for (const row of rows) sum += store.effUnits[row.slot]!;
  return sum;
}

/** Per instance type, the days' hourly series concatenated in period order (zeros for days without data). */
function hourlyAllocatedGpus(
  days: readonly MeteredDay[],
  periodDays: readonly { date: string; startMs: number; endMs: number }[],
) {
  const byDate = new Map(days.map((d) => [d.day.date, d]));
  const types = [...new Set(days.flatMap((d) => Object.keys(d.hourlyAllocatedGpus)))].sort(compareStrings);
  return recordOf(
    types.map((type) => {
      const series: number[] = [];
      for (const day of periodDays) {
        const hours = Math.round((day.endMs - day.startMs) / 3_600_000);
        const values = ownValue(byDate.get(day.date)?.hourlyAllocatedGpus, type) ?? [];
        for (let h = 0; h < hours; h++) series.push(round6(values[h] ?? 0));
      }
      return [type, series];
    }),
  );
}
