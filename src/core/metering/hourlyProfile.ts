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
  allocations: readonly Allocation[],
  window: WindowGrid,
): Record<string, number[]> {
  const { day } = window;
  const hours = Math.round((day.endMs - day.startMs) / HOUR_MS);
  const hourly: Record<string, number[]> = {};
  for (const [id, node] of nodes) {
    if (heldInDay(capacity.get(id)!.present, window)) {
      hourly[node.instanceType] ??= new Array<number>(hours).fill(0);
    }
  }
  // Accumulated as GPU-equivalent ms (exact for whole GPUs), then turned into the mean GPUs of each hour.
  for (const a of allocations) {
    const instanceType = nodes.get(a.nodeId)!.instanceType;
    for (let k = window.dayFirst; k < window.dayLast; k++) {
      if (a.held[k] === NONE) continue;
      const series = (hourly[instanceType] ??= new Array<number>(hours).fill(0));
      const h = Math.floor((window.startMs + k * window.stepMs - day.startMs) / HOUR_MS);
      series[h]! += a.gpuEquivalents * window.stepMs;
    }
  }
  for (const series of Object.values(hourly)) {
    for (let h = 0; h < series.length; h++) series[h] = series[h]! / HOUR_MS;
  }
  return hourly;
}
