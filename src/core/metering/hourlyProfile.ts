import { recordOf } from '../records.ts';
import { heldInDay, NONE } from './held.ts';
import type { NodeCapacity } from './nodeCapacity.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { Allocation } from './podUsage.ts';
import type { WindowGrid } from './window.ts';

const HOUR_MS = 3_600_000;

/**
 * Mean allocated GPUs per local hour of the day, per instance type (for capacity advice): every
 * instance type present in the day has a series (zeros when nothing was allocated).
 */
export function hourlyAllocatedGpus(
  nodes: ReadonlyMap<string, NodeIdentity>,
  capacity: ReadonlyMap<string, NodeCapacity>,
  allocations: readonly (Pick<Allocation, 'nodeId' | 'gpuEquivalents' | 'held'> & Partial<Allocation>)[],
  window: WindowGrid,
): Record<string, number[]> {
  const { day } = window;
  const hours = Math.round((day.endMs - day.startMs) / HOUR_MS);
  // A Map while it is filled: instance types are label values ("__proto__" is one too).
  const hourly = new Map<string, number[]>();
  const seriesOf = (instanceType: string): number[] => {
    let series = hourly.get(instanceType);
    if (!series) {
      series = new Array<number>(hours).fill(0);
      hourly.set(instanceType, series);
    }
    return series;
  };
  for (const [id, node] of nodes) {
    if (heldInDay(capacity.get(id)!.present, window)) seriesOf(node.instanceType);
  }
  // Accumulated as GPU-equivalent ms (exact for whole GPUs), then turned into the mean GPUs of each hour.
  for (const a of allocations) {
    const instanceType = nodes.get(a.nodeId)!.instanceType;
    for (let k = window.dayFirst; k < window.dayLast; k++) {
      if (a.held[k] === NONE) continue;
      const series = seriesOf(instanceType);
      const h = Math.floor((window.startMs + k * window.stepMs - day.startMs) / HOUR_MS);
      const gpus = a.unitsAt && a.denominator ? a.unitsAt[k]! / a.denominator : a.gpuEquivalents;
      series[h]! += gpus * window.stepMs;
    }
  }
  for (const series of hourly.values()) {
    for (let h = 0; h < series.length; h++) series[h] = series[h]! / HOUR_MS;
  }
  return recordOf(hourly);
}
