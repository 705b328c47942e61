import { recordOf } from '../records.ts';
import { heldInDay, NONE } from './held.ts';
import type { NodeCapacity } from './nodeCapacity.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { Allocation } from './podUsage.ts';
import type { WindowGrid } from './window.ts';

const HOUR_MS = 3_600_000;

/**
 * Allocated GPU time per instance type and local hour, exactly: per node denominator (the node's GPUs are
 * counted in 1/denominator units, see nodeWeights.ts), the sum of the allocations' units × ms in each
 * hour. Integers as long as they stay below 2^53 (a 1/840 unit of a GPU held for a whole hour is 3·10^9),
 * so sums of any subsets of the day's pods (the shards of a day) add up to the day's exactly. Both levels
 * are objects without a prototype: instance types are label values ("__proto__" is one too).
 */
export type HourlyUnits = Record<string, Record<string, number[]>>;

/** An empty {@link HourlyUnits} (no prototype, see there). */
export function emptyHourlyUnits(): HourlyUnits {
  return Object.create(null) as HourlyUnits;
}

/** What the hourly profile reads of an allocation (tests give only the first three). */
type HourlyAllocation = Pick<Allocation, 'nodeId' | 'gpuEquivalents' | 'held'> & Partial<Allocation>;

/**
 * Mean allocated GPUs per local hour of the day, per instance type (for capacity advice): every
 * instance type present in the day has a series (zeros when nothing was allocated).
 */
export function hourlyAllocatedGpus(
  nodes: ReadonlyMap<string, NodeIdentity & { weights?: { denominator: number } }>,
  capacity: ReadonlyMap<string, NodeCapacity>,
  allocations: readonly HourlyAllocation[],
  window: WindowGrid,
): Record<string, number[]> {
  return hourlyFromUnits(hourlyAllocatedUnits(nodes, capacity, allocations, window));
}

/**
 * The exact allocated units of each instance type and hour (see {@link HourlyUnits}); an allocation
 * bounded by its node's capacity (boundToCapacity.ts) counts the units it was given at each interval.
 */
export function hourlyAllocatedUnits(
  nodes: ReadonlyMap<string, NodeIdentity & { weights?: { denominator: number } }>,
  capacity: ReadonlyMap<string, NodeCapacity>,
  allocations: readonly HourlyAllocation[],
  window: WindowGrid,
): HourlyUnits {
  const { day } = window;
  const hours = Math.round((day.endMs - day.startMs) / HOUR_MS);
  const units = emptyHourlyUnits();
  const byDenominatorOf = (instanceType: string) =>
    (units[instanceType] ??= Object.create(null) as Record<string, number[]>);
  for (const [id, node] of nodes) {
    if (heldInDay(capacity.get(id)!.present, window)) byDenominatorOf(node.instanceType);
  }
  for (const a of allocations) {
    const node = nodes.get(a.nodeId)!;
    const denominator = node.weights?.denominator ?? a.denominator ?? 1;
    const perStep = a.unitsPerStep ?? a.gpuEquivalents * denominator;
    const byDenominator = byDenominatorOf(node.instanceType);
    const { from, to } = a.span ?? { from: window.dayFirst, to: window.dayLast };
    for (let k = from; k < to; k++) {
      if (a.held[k] === NONE) continue;
      const series = (byDenominator[String(denominator)] ??= new Array<number>(hours).fill(0));
      const h = Math.floor((window.startMs + k * window.stepMs - day.startMs) / HOUR_MS);
      series[h]! += (a.unitsAt ? a.unitsAt[k]! : perStep) * window.stepMs;
    }
  }
  // Every type's series has the day's length, also for types with nothing allocated.
  for (const byDenominator of Object.values(units)) {
    if (Object.keys(byDenominator).length === 0) byDenominator['1'] = new Array<number>(hours).fill(0);
  }
  return units;
}

/** Mean GPUs per hour from exact units: Σ over denominators (ascending) of units / denominator, per hour. */
export function hourlyFromUnits(units: HourlyUnits): Record<string, number[]> {
  const hourly = new Map<string, number[]>();
  for (const [instanceType, byDenominator] of Object.entries(units)) {
    const denominators = Object.keys(byDenominator)
      .map(Number)
      .sort((a, b) => a - b);
    const hours = byDenominator[String(denominators[0])]!.length;
    const series = new Array<number>(hours).fill(0);
    for (let h = 0; h < hours; h++) {
      let gpuMs = 0;
      for (const d of denominators) gpuMs += byDenominator[String(d)]![h]! / d;
      series[h] = gpuMs / HOUR_MS;
    }
    hourly.set(instanceType, series);
  }
  return recordOf(hourly);
}

/** Adds `more` into `into` (the exact units of two disjoint sets of nodes of one day). */
export function addHourlyUnits(into: HourlyUnits, more: HourlyUnits): HourlyUnits {
  for (const [instanceType, byDenominator] of Object.entries(more)) {
    const target = (into[instanceType] ??= Object.create(null) as Record<string, number[]>);
    for (const [denominator, series] of Object.entries(byDenominator)) {
      const sum = target[denominator];
      if (!sum) target[denominator] = [...series];
      else for (let h = 0; h < series.length; h++) sum[h]! += series[h]!;
    }
  }
  return into;
}
