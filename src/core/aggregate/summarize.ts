import { compareStrings } from '../compare.ts';
import {
  type ChargeRow,
  DIRECT,
  type RowStore,
  roundedHours,
  UNUSED_ALLOCATION,
  utilizationPctOf,
} from '../allocation/chargeRows.ts';
import {
  divideRatio,
  exactDecimal,
  exactNumber,
  formatFixed,
  formatMinorUnits,
  formatTrimmed,
  ROUNDING_RULE,
  toMinorUnitsHalfEven,
} from '../money.ts';
import { isoInZone } from '../period.ts';
import { compositeKey, ownValue, partsOf, recordOf } from '../records.ts';
import type { AllocationPolicies } from '../allocation/allocate.ts';
import type { PriceCatalog, PriceResolver } from '../pricing/catalog.ts';
import { machineWarnings, reconcileMachines } from './reconcile.ts';
import { podWarnings } from './podWarnings.ts';
import { dayWarnings } from './warnings.ts';
import type {
  BillingPeriod,
  CapacityType,
  CostBreakdown,
  DaySummary,
  InstanceTypeSummary,
  MeteredDay,
  Summary,
  TeamSummary,
} from '../types.ts';

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

/** A workload needs at least this share of the month's cost to be listed in lowUtilization. */
export const LOW_UTILIZATION_MIN_COST_SHARE = 0.005;
/** How many workloads lowUtilization lists. */
export const LOW_UTILIZATION_COUNT = 10;

class Accumulator {
  units = 0;
  listUnits = 0;
  gpuHours = 0;
  utilizationHours = 0;
  utilizationWeighted = 0;

  add(units: number, listUnits: number, hours: number, direct: boolean, utilizationPct: number | null): void {
    this.units += units;
    this.listUnits += listUnits;
    this.gpuHours += hours;
    if (direct && utilizationPct !== null) {
      this.utilizationHours += hours;
      this.utilizationWeighted += hours * utilizationPct;
    }
  }

  utilizationPct(): number | null {
    return this.utilizationHours > 0 ? round2(this.utilizationWeighted / this.utilizationHours) : null;
  }
}

/** Accumulators by key, remembering the last key (rows come sorted, so consecutive rows share keys). */
class Accumulators<K = string> extends Map<K, Accumulator> {
  #lastKey: K | undefined;
  #last: Accumulator | undefined;

  of(key: K): Accumulator {
    if (this.#last !== undefined && key === this.#lastKey) return this.#last;
    let acc = this.get(key);
    if (!acc) {
      acc = new Accumulator();
      this.set(key, acc);
    }
    this.#lastKey = key;
    this.#last = acc;
    return acc;
  }
}

/** Two-level accumulators (e.g. team → project) without building key strings per row. */
class Accumulators2 {
  readonly outer = new Map<string, Accumulators>();
  #lastKey: string | undefined;
  #last: Accumulators | undefined;

  of(a: string, b: string): Accumulator {
    let inner = a === this.#lastKey ? this.#last : undefined;
    if (!inner) {
      inner = this.outer.get(a);
      if (!inner) {
        inner = new Accumulators();
        this.outer.set(a, inner);
      }
      this.#lastKey = a;
      this.#last = inner;
    }
    return inner.of(b);
  }

  /** Entries keyed by the composite key of (a, b), in insertion order of a then b. */
  entries2(): [string, Accumulator][] {
    const out: [string, Accumulator][] = [];
    for (const [a, inner] of this.outer) for (const [b, acc] of inner) out.push([key2(a, b), acc]);
    return out;
  }
}

/**
 * Builds summary.json's model from rounded rows. Every money figure is a sum of rounded row amounts (so
 * any breakdown sums to the grand total), except budgets. Definitions:
 * - totals.idleCost = Idle + IdleShare rows; unusedAllocationCost = UnusedAllocation rows;
 * - totals.spotSavings = Σ (ListCost − EffectiveCost) over Dynamic (Spot) rows;
 * - capacity/allocated/idle GPU-hours come from the nodes and pods metered (idle per node-period, ≥ 0);
 * - utilizationPct = mean of known pod utilization weighted by GPU-hours held;
 * - spotSharePct = Spot share of capacity GPU-hours; coveragePct = time-weighted kube-state-metrics coverage;
 * - blendedCostPerGpuHour = total cost / capacity GPU-hours; onDemandCostPerGpuHour = list cost / capacity GPU-hours;
 * - lowUtilization = the 10 namespace/project workloads with known utilization and at least 0.5 % of the
 *   month's cost that have the lowest utilization, listed most expensive first.
 * Breakdowns are sorted by cost (descending) then key; maps are keyed in code-unit order by the renderer.
 */
export function buildSummary(input: BuildSummaryInput): Summary {
  const { rows, store, digits, options, days } = input;
  const { period, pricing, allocation } = options;
  const money = (units: number) => formatMinorUnits(units, digits);

  const byTeam = new Accumulators();
  const teamComponents = new Map<string, { direct: number; idle: number; unused: number }>();
  const byProject = new Accumulators2();
  const byNamespace = new Accumulators2();
  const byCluster = new Accumulators();
  const byGpuModel = new Accumulators();
  const byCategory = new Accumulators();
  const byInstanceCost = new Map<string, number>();
  const byDay = new Map<
    string,
    { cost: number; spot: number; onDemand: number; committed: number; teams: Map<string, number> }
  >();
  // cluster/namespace → project/team; keys joined only once per distinct workload.
  const workloadsByNamespace = new Accumulators2();
  const workloadsByProjectTeam = new Map<Accumulator, Accumulators2>();
  const gpuModels = new Map<string, string>();
  const total = new Accumulator();
  let direct = 0;
  let idle = 0;
  let unused = 0;
  let spotSavingsUnits = 0;
  const { effUnits, listUnits, consumedHours } = store;
  let lastTypeKey = '';
  let lastInfo: ChargeRow['info'] | undefined;

  for (const row of rows) {
    const slot = row.slot;
    const units = effUnits[slot]!;
    const list = listUnits[slot]!;
    const hours = roundedHours(consumedHours[slot]!);
    const isDirect = row.code === DIRECT;
    const utilizationPct = isDirect ? utilizationPctOf(row.usage) : null;
    const usage = row.usage;
    const info = row.info;
    const team = row.rowTeam;
    const cluster = usage ? usage.pod.cluster : info.cluster;
    const namespace = usage ? usage.pod.namespace : '';
    const project = usage ? usage.project : '';
    total.add(units, list, hours, isDirect, utilizationPct);
    byTeam.of(team).add(units, list, hours, isDirect, utilizationPct);
    let components = teamComponents.get(team);
    if (!components) {
      components = { direct: 0, idle: 0, unused: 0 };
      teamComponents.set(team, components);
    }
    if (isDirect) {
      components.direct += units;
      direct += units;
    } else if (row.code === UNUSED_ALLOCATION) {
      components.unused += units;
      unused += units;
    } else {
      components.idle += units;
      idle += units;
    }
    byProject.of(team, project).add(units, list, hours, isDirect, utilizationPct);
    byNamespace.of(cluster, namespace).add(units, list, hours, isDirect, utilizationPct);
    byCluster.of(cluster).add(units, list, hours, isDirect, utilizationPct);
    byGpuModel.of(info.gpuModel).add(units, list, hours, isDirect, utilizationPct);
    byCategory.of(info.pricingCategory).add(units, list, hours, isDirect, utilizationPct);
    if (info !== lastInfo) {
      lastInfo = info;
      lastTypeKey = instanceTypeKey(info.cluster, info.instanceType, info.capacityType);
      const modelKey = key2(info.cluster, info.instanceType);
      if (!gpuModels.has(modelKey)) gpuModels.set(modelKey, info.gpuModel);
    }
    byInstanceCost.set(lastTypeKey, (byInstanceCost.get(lastTypeKey) ?? 0) + units);
    if (info.pricingCategory === 'Dynamic') spotSavingsUnits += list - units;
    const date = (usage ? usage.chargePeriod : info.chargePeriod).date;
    let day = byDay.get(date);
    if (!day) {
      day = { cost: 0, spot: 0, onDemand: 0, committed: 0, teams: new Map<string, number>() };
      byDay.set(date, day);
    }
    day.cost += units;
    if (info.pricingCategory === 'Dynamic') day.spot += units;
    else if (info.pricingCategory === 'Committed') day.committed += units;
    else day.onDemand += units;
    day.teams.set(team, (day.teams.get(team) ?? 0) + units);
    if (namespace !== '' && row.code !== UNUSED_ALLOCATION) {
      const marker = workloadsByNamespace.of(cluster, namespace);
      let inner = workloadsByProjectTeam.get(marker);
      if (!inner) {
        inner = new Accumulators2();
        workloadsByProjectTeam.set(marker, inner);
      }
      inner.of(project, team).add(units, list, hours, isDirect, utilizationPct);
    }
  }
  const workloads = new Map<string, Accumulator>();
  for (const [cluster, namespaces] of workloadsByNamespace.outer) {
    for (const [namespace, marker] of namespaces) {
      for (const [project, teams] of workloadsByProjectTeam.get(marker)!.outer) {
        for (const [team, acc] of teams)
          workloads.set(compositeKey(cluster, namespace, project, team), acc);
      }
    }
  }

  // Capacity figures from the metered nodes and pods.
  let capacityGpuSeconds = 0;
  let spotCapacityGpuSeconds = 0;
  let allocatedGpuSeconds = 0;
  let idleGpuSeconds = 0;
  const instanceTypes = new Map<
    string,
    {
      instanceType: string;
      capacityType: CapacityType;
      cluster: string;
      capacity: number;
      allocated: number;
      idle: number;
    }
  >();
  days.forEach((day, d) => {
    const allocatedByNode = input.allocatedGpuSecondsByDay[d]!;
    day.nodes.forEach((node, n) => {
      const allocated = allocatedByNode[n]!;
      const nodeIdle = Math.max(0, node.capacityGpuSeconds - allocated);
      capacityGpuSeconds += node.capacityGpuSeconds;
      if (node.capacityType === 'spot') spotCapacityGpuSeconds += node.capacityGpuSeconds;
      allocatedGpuSeconds += allocated;
      idleGpuSeconds += nodeIdle;
      const typeKey = instanceTypeKey(node.cluster, node.instanceType, node.capacityType);
      const entry = instanceTypes.get(typeKey) ?? {
        instanceType: node.instanceType,
        capacityType: node.capacityType,
        cluster: node.cluster,
        capacity: 0,
        allocated: 0,
        idle: 0,
      };
      entry.capacity += node.capacityGpuSeconds;
      entry.allocated += allocated;
      entry.idle += nodeIdle;
      instanceTypes.set(typeKey, entry);
    });
  });
  const capacityGpuHours = capacityGpuSeconds / 3600;

  const breakdown = (key: string, acc: Accumulator): CostBreakdown => ({
    key,
    cost: money(acc.units),
    listCost: money(acc.listUnits),
    gpuHours: round6(acc.gpuHours),
    utilizationPct: acc.utilizationPct(),
  });
  const byCost = <T>(entries: [string, Accumulator][], make: (key: string, acc: Accumulator) => T): T[] =>
    entries
      .sort(([ka, a], [kb, b]) => b.units - a.units || compareStrings(ka, kb))
      .map(([k, a]) => make(k, a));

  const budgetUnits = (team: string): number | null => {
    const budget = options.budgets.get(team);
    return budget === undefined ? null : toMinorUnitsHalfEven(exactDecimal(budget), digits);
  };
  for (const team of options.budgets.keys()) if (!byTeam.has(team)) byTeam.set(team, new Accumulator());
  const teams: TeamSummary[] = byCost([...byTeam], (team, acc) => {
    const components = teamComponents.get(team) ?? { direct: 0, idle: 0, unused: 0 };
    const budget = budgetUnits(team);
    return {
      ...breakdown(team, acc),
      directCost: money(components.direct),
      idleCost: money(components.idle),
      unusedAllocationCost: money(components.unused),
      idleSharePct: acc.units > 0 ? round2(((components.idle + components.unused) / acc.units) * 100) : 0,
      budget: budget === null ? null : money(budget),
      variance: budget === null ? null : money(acc.units - budget),
    };
  });

  // One entry per cluster, instance type and capacity type: clusters may price a type differently.
  const instanceTypeSummaries: InstanceTypeSummary[] = [...instanceTypes.entries()]
    .map(([typeKey, e]) => ({ e, units: byInstanceCost.get(typeKey) ?? 0 }))
    .sort(
      (a, b) =>
        b.units - a.units ||
        compareStrings(a.e.instanceType, b.e.instanceType) ||
        compareStrings(a.e.capacityType, b.e.capacityType) ||
        compareStrings(a.e.cluster, b.e.cluster),
    )
    .map(({ e, units }): InstanceTypeSummary => {
      const gpuModel = gpuModels.get(key2(e.cluster, e.instanceType));
      const prices = input.resolver.catalogPrices(e.cluster, e.instanceType, period.endMs - 1, gpuModel);
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

  const coverageByDate = new Map(days.map((d) => [d.day.date, d.coverage]));
  const daySummaries: DaySummary[] = period.days.map((d) => {
    const day = byDay.get(d.date);
    // Own properties for every team ("__proto__" too): assignment would set the prototype instead.
    const teamsOfDay = recordOf(
      [...(day?.teams ?? [])].sort(([a], [b]) => compareStrings(a, b)).map(([team, units]) => [team, money(units)]),
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

  const minWorkloadUnits = Math.max(1, input.totalUnits * LOW_UTILIZATION_MIN_COST_SHARE);
  const lowUtilization = [...workloads.entries()]
    .filter(([, acc]) => acc.utilizationPct() !== null && acc.units >= minWorkloadUnits)
    .sort(
      ([ka, a], [kb, b]) =>
        a.utilizationPct()! - b.utilizationPct()! || b.units - a.units || compareStrings(ka, kb),
    )
    .slice(0, LOW_UTILIZATION_COUNT)
    .sort(([ka, a], [kb, b]) => b.units - a.units || compareStrings(ka, kb))
    .map(([key, acc]) => {
      const [cluster, namespace, project, team] = partsOf(key) as [string, string, string, string];
      return {
        cluster,
        namespace,
        project,
        team,
        cost: money(acc.units),
        utilizationPct: acc.utilizationPct()!,
      };
    });

  const totalSeconds = days.reduce((s, d) => s + (d.day.endMs - d.day.startMs), 0);
  const coveragePct =
    totalSeconds > 0
      ? round2(
          (days.reduce((s, d) => s + d.coverage.kubeStateMetrics * (d.day.endMs - d.day.startMs), 0) /
            totalSeconds) *
            100,
        )
      : 0;

  const warnings: string[] = [];
  const missingDates = period.days.filter((d) => !coverageByDate.has(d.date)).map((d) => d.date);
  if (missingDates.length > 0)
    warnings.push(`no metered data for ${missingDates.length} day(s): ${missingDates.join(', ')}`);
  warnings.push(...dayWarnings(days));
  warnings.push(...machineWarnings(days, input.resolver, digits, pricing.currency.code));
  warnings.push(...podWarnings(rows, store, digits, pricing.currency.code));
  warnings.push(...input.warnings, ...input.resolver.warnings);

  let sumOfRows = 0;
  for (const row of rows) sumOfRows += store.effUnits[row.slot]!;
  // Money per capacity GPU-hour, 4 decimals half-even: units / 10^digits / capacityGpuHours, exactly.
  const perGpuHour = (units: number) =>
    capacityGpuHours > 0
      ? formatFixed(
          divideRatio({ numerator: BigInt(units), denominator: 10n ** BigInt(digits) }, exactNumber(capacityGpuHours)),
          4,
        )
      : '0.0000';

  return {
    schemaVersion: 1,
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
    },
    priceCatalog: { version: pricing.catalogVersion },
    scrape: days[0]?.scrape ?? { kubeStateMetricsSeconds: 0, dcgmSeconds: null, source: 'config' },
    totals: {
      cost: money(input.totalUnits),
      listCost: money(input.listTotalUnits),
      directCost: money(direct),
      idleCost: money(idle),
      unusedAllocationCost: money(unused),
      spotSavings: money(spotSavingsUnits),
      capacityCost: money(input.totalUnits),
      capacityGpuHours: round6(capacityGpuHours),
      allocatedGpuHours: round6(allocatedGpuSeconds / 3600),
      idleGpuHours: round6(idleGpuSeconds / 3600),
      allocationRatePct:
        capacityGpuSeconds > 0 ? round2((allocatedGpuSeconds / capacityGpuSeconds) * 100) : 0,
      utilizationPct: total.utilizationPct(),
      spotSharePct: capacityGpuSeconds > 0 ? round2((spotCapacityGpuSeconds / capacityGpuSeconds) * 100) : 0,
      coveragePct,
      blendedCostPerGpuHour: perGpuHour(input.totalUnits),
      onDemandCostPerGpuHour: perGpuHour(input.listTotalUnits),
      rowCount: rows.length,
    },
    byTeam: teams,
    byProject: byCost(byProject.entries2(), (key, acc) => {
      const [team, project] = split2(key);
      return { ...breakdown(project, acc), team };
    }),
    byNamespace: byCost(byNamespace.entries2(), (key, acc) => {
      const [cluster, namespace] = split2(key);
      return { ...breakdown(namespace, acc), cluster };
    }),
    byCluster: byCost([...byCluster], breakdown),
    byGpuModel: byCost([...byGpuModel], breakdown),
    byPricingCategory: byCost([...byCategory], breakdown),
    byInstanceType: instanceTypeSummaries,
    byDay: daySummaries,
    hourlyAllocatedGpus: hourlyAllocatedGpus(days, period.days),
    lowUtilization,
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
    warnings: [...new Set(warnings)],
  };
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

function key2(a: string, b: string): string {
  return compositeKey(a, b);
}

/** The key of a byInstanceType entry: cluster, instance type and capacity type. */
function instanceTypeKey(cluster: string, instanceType: string, capacityType: CapacityType): string {
  return compositeKey(cluster, instanceType, capacityType);
}

function split2(key: string): [string, string] {
  return partsOf(key) as [string, string];
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
