import { compareStrings } from '../compare.ts';
import { formatMinorUnits, formatTrimmed } from '../money.ts';
import type { PriceCatalog, PriceResolver } from '../pricing/catalog.ts';
import { recordOf } from '../records.ts';
import type {
  BillingPeriod,
  CostBreakdown,
  DaySummary,
  InstanceTypeSummary,
  MeteredDay,
  TeamSummary,
} from '../types.ts';
import { Accumulator, key2, round2, round6 } from './accumulators.ts';
import type { MonthCapacity } from './capacity.ts';
import type { RowTotals } from './rowTotals.ts';

/** Formats integer minor units as a decimal string of the currency. */
export type MoneyFormat = (units: number) => string;

/** A moneyFormat for a currency with `digits` minor digits. */
export function moneyFormat(digits: number): MoneyFormat {
  return (units) => formatMinorUnits(units, digits);
}

/** One breakdown entry: money, list money, GPU-hours and utilization of a group of rows. */
export function costBreakdown(money: MoneyFormat, key: string, acc: Accumulator): CostBreakdown {
  return {
    key,
    cost: money(acc.units),
    listCost: money(acc.listUnits),
    gpuHours: round6(acc.gpuHours),
    utilizationPct: acc.utilizationPct(),
  };
}

/** Entries sorted by cost (descending) then key, each made into an entry. */
export function byCost<T>(entries: [string, Accumulator][], make: (key: string, acc: Accumulator) => T): T[] {
  return entries
    .sort(([ka, a], [kb, b]) => b.units - a.units || compareStrings(ka, kb))
    .map(([k, a]) => make(k, a));
}

/** Per team: its money by component, idle share, and budget and variance when a budget is configured. */
export function teamSummaries(
  totals: RowTotals,
  budgetUnits: ReadonlyMap<string, number>,
  digits: number,
): TeamSummary[] {
  const money = moneyFormat(digits);
  const { byTeam } = totals;
  for (const team of budgetUnits.keys()) if (!byTeam.has(team)) byTeam.set(team, new Accumulator());
  return byCost([...byTeam], (team, acc) => {
    const components = totals.teamComponents.get(team) ?? { direct: 0, idle: 0, unused: 0 };
    const budget = budgetUnits.get(team) ?? null;
    return {
      ...costBreakdown(money, team, acc),
      directCost: money(components.direct),
      idleCost: money(components.idle),
      unusedAllocationCost: money(components.unused),
      idleSharePct: acc.units > 0 ? round2(((components.idle + components.unused) / acc.units) * 100) : 0,
      budget: budget === null ? null : money(budget),
      variance: budget === null ? null : money(acc.units - budget),
    };
  });
}

/** One entry per cluster, instance type and capacity type (clusters may price a type differently). */
export function instanceTypeSummaries(
  totals: RowTotals,
  capacity: MonthCapacity,
  context: { period: BillingPeriod; pricing: PriceCatalog; resolver: PriceResolver; digits: number },
): InstanceTypeSummary[] {
  const money = moneyFormat(context.digits);
  const { pricing } = context;
  return [...capacity.instanceTypes.entries()]
    .map(([typeKey, e]) => ({ e, units: totals.byInstanceCost.get(typeKey) ?? 0 }))
    .sort(
      (a, b) =>
        b.units - a.units ||
        compareStrings(a.e.instanceType, b.e.instanceType) ||
        compareStrings(a.e.capacityType, b.e.capacityType) ||
        compareStrings(a.e.cluster, b.e.cluster),
    )
    .map(({ e, units }): InstanceTypeSummary => {
      const gpuModel = totals.gpuModels.get(key2(e.cluster, e.instanceType));
      const prices = context.resolver.catalogPrices(
        e.cluster,
        e.instanceType,
        context.period.endMs - 1,
        gpuModel,
      );
      const catalogEntry =
        pricing.byCluster.get(e.cluster)?.get(e.instanceType) ?? pricing.instanceTypes.get(e.instanceType);
      return {
        // The unnamed cluster of a single-cluster setup is left out (as before clusters were told apart).
        ...(e.cluster === '' ? {} : { cluster: e.cluster }),
        instanceType: e.instanceType,
        gpuModel: gpuModel ?? catalogEntry?.gpuModel ?? 'unknown',
        capacityType: e.capacityType,
        capacityGpuHours: round6(e.capacity / 3600),
        allocatedGpuHours: round6(e.allocated / 3600),
        idleGpuHours: round6(e.idle / 3600),
        cost: money(units),
        onDemandPricePerGpuHour: prices ? formatTrimmed(prices.onDemand, 6) : '0',
        spotPricePerGpuHour: prices?.spot ? formatTrimmed(prices.spot, 6) : null,
      };
    });
}

/** Every day of the period (zeros for days without data): money by pricing category and team, coverage. */
export function daySummaries(
  totals: RowTotals,
  period: BillingPeriod,
  days: readonly MeteredDay[],
  digits: number,
): DaySummary[] {
  const money = moneyFormat(digits);
  const coverageByDate = new Map(days.map((d) => [d.day.date, d.coverage]));
  return period.days.map((d) => {
    const day = totals.byDay.get(d.date);
    // Own properties for every team ("__proto__" too): assignment would set the prototype instead.
    const teamsOfDay = recordOf(
      [...(day?.teams ?? [])]
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([team, units]) => [team, money(units)]),
    );
    const coverage = coverageByDate.get(d.date);
    return {
      date: d.date,
      cost: money(day?.cost ?? 0),
      spotCost: money(day?.spot ?? 0),
      onDemandCost: money(day?.onDemand ?? 0),
      committedCost: money(day?.committed ?? 0),
      byTeam: teamsOfDay,
      coveragePct: coverage ? round2(coverage.kubeStateMetrics * 100) : 0,
    };
  });
}
