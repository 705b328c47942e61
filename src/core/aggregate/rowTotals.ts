import {
  type ChargeRow,
  DIRECT,
  type RowStore,
  roundedHours,
  UNUSED_ALLOCATION,
  utilizationPctOf,
} from '../allocation/chargeRows.ts';
import { compositeKey } from '../records.ts';
import type { CapacityType } from '../types.ts';
import { Accumulator, Accumulators, Accumulators2, key2 } from './accumulators.ts';

/** Money by cost component (units of the minor unit). */
export interface ComponentUnits {
  direct: number;
  idle: number;
  unused: number;
}

/** One day's money by pricing category and team. */
export interface DayTotals {
  cost: number;
  spot: number;
  onDemand: number;
  committed: number;
  teams: Map<string, number>;
}

/** Every sum summary.json takes from the rounded rows, in one pass over them. */
export interface RowTotals {
  total: Accumulator;
  components: ComponentUnits;
  spotSavingsUnits: number;
  byTeam: Accumulators;
  teamComponents: Map<string, ComponentUnits>;
  byProject: Accumulators2;
  byNamespace: Accumulators2;
  byCluster: Accumulators;
  byGpuModel: Accumulators;
  byCategory: Accumulators;
  /** Money by {@link instanceTypeKey}. */
  byInstanceCost: Map<string, number>;
  /** GPU model by (cluster, instance type), the first seen. */
  gpuModels: Map<string, string>;
  byDay: Map<string, DayTotals>;
  /** Workloads by compositeKey(cluster, namespace, project, team): pods' rows except UnusedAllocation. */
  workloads: Map<string, Accumulator>;
}

/** The key of a byInstanceType entry: cluster, instance type and capacity type. */
export function instanceTypeKey(cluster: string, instanceType: string, capacityType: CapacityType): string {
  return compositeKey(cluster, instanceType, capacityType);
}

/** Sums the rounded rows by every breakdown summary.json reports. */
export function accumulateRows(rows: readonly ChargeRow[], store: RowStore): RowTotals {
  const totals = emptyTotals();
  // cluster/namespace → project/team; keys joined only once per distinct workload.
  const workloadsByNamespace = new Accumulators2();
  const workloadsByProjectTeam = new Map<Accumulator, Accumulators2>();
  const { effUnits, listUnits, consumedHours } = store;
  let lastTypeKey = '';
  let lastInfo: ChargeRow['info'] | undefined;
  // The row's figures, which `add` adds to an accumulator: one function for the month, not one per row
  // (the bundles keep function names, so each new closure also cost a defineProperty: ≈ 0.8 s of CPU at
  // 10,000 GPUs, issue #18).
  let units = 0;
  let list = 0;
  let hours = 0;
  let isDirect = false;
  let utilizationPct: number | null = null;
  const add = (acc: Accumulator) => acc.add(units, list, hours, isDirect, utilizationPct);
  for (const row of rows) {
    const slot = row.slot;
    units = effUnits[slot]!;
    list = listUnits[slot]!;
    hours = roundedHours(consumedHours[slot]!);
    isDirect = row.code === DIRECT;
    utilizationPct = isDirect ? utilizationPctOf(row.usage) : null;
    const { usage, info, rowTeam: team } = row;
    const cluster = usage ? usage.pod.cluster : info.cluster;
    const namespace = usage ? usage.pod.namespace : '';
    const project = usage ? usage.project : '';
    add(totals.total);
    add(totals.byTeam.of(team));
    addComponent(totals, team, row.code, units);
    add(totals.byProject.of(team, project));
    add(totals.byNamespace.of(cluster, namespace));
    add(totals.byCluster.of(cluster));
    add(totals.byGpuModel.of(info.gpuModel));
    add(totals.byCategory.of(info.pricingCategory));
    if (info !== lastInfo) {
      lastInfo = info;
      lastTypeKey = instanceTypeKey(info.cluster, info.instanceType, info.capacityType);
      const modelKey = key2(info.cluster, info.instanceType);
      if (!totals.gpuModels.has(modelKey)) totals.gpuModels.set(modelKey, info.gpuModel);
    }
    totals.byInstanceCost.set(lastTypeKey, (totals.byInstanceCost.get(lastTypeKey) ?? 0) + units);
    if (info.pricingCategory === 'Dynamic') totals.spotSavingsUnits += list - units;
    addToDay(totals.byDay, (usage ? usage.chargePeriod : info.chargePeriod).date, info, team, units);
    if (namespace !== '' && row.code !== UNUSED_ALLOCATION) {
      const marker = workloadsByNamespace.of(cluster, namespace);
      let inner = workloadsByProjectTeam.get(marker);
      if (!inner) {
        inner = new Accumulators2();
        workloadsByProjectTeam.set(marker, inner);
      }
      add(inner.of(project, team));
    }
  }
  totals.workloads = workloadsOf(workloadsByNamespace, workloadsByProjectTeam);
  return totals;
}

function emptyTotals(): RowTotals {
  return {
    total: new Accumulator(),
    components: { direct: 0, idle: 0, unused: 0 },
    spotSavingsUnits: 0,
    byTeam: new Accumulators(),
    teamComponents: new Map(),
    byProject: new Accumulators2(),
    byNamespace: new Accumulators2(),
    byCluster: new Accumulators(),
    byGpuModel: new Accumulators(),
    byCategory: new Accumulators(),
    byInstanceCost: new Map(),
    gpuModels: new Map(),
    byDay: new Map(),
    workloads: new Map(),
  };
}

function addComponent(totals: RowTotals, team: string, code: number, units: number): void {
  let components = totals.teamComponents.get(team);
  if (!components) {
    components = { direct: 0, idle: 0, unused: 0 };
    totals.teamComponents.set(team, components);
  }
  if (code === DIRECT) {
    components.direct += units;
    totals.components.direct += units;
  } else if (code === UNUSED_ALLOCATION) {
    components.unused += units;
    totals.components.unused += units;
  } else {
    components.idle += units;
    totals.components.idle += units;
  }
}

function addToDay(
  byDay: Map<string, DayTotals>,
  date: string,
  info: ChargeRow['info'],
  team: string,
  units: number,
): void {
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
}

function workloadsOf(
  byNamespace: Accumulators2,
  byProjectTeam: Map<Accumulator, Accumulators2>,
): Map<string, Accumulator> {
  const workloads = new Map<string, Accumulator>();
  for (const [cluster, namespaces] of byNamespace.outer) {
    for (const [namespace, marker] of namespaces) {
      for (const [project, teams] of byProjectTeam.get(marker)!.outer) {
        for (const [team, acc] of teams) workloads.set(compositeKey(cluster, namespace, project, team), acc);
      }
    }
  }
  return workloads;
}
