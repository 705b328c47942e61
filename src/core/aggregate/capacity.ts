import type { CapacityType, MeteredDay } from '../types.ts';
import { instanceTypeKey } from './rowTotals.ts';

/** GPU-seconds of one cluster, instance type and capacity type over the month. */
export interface InstanceTypeCapacity {
  instanceType: string;
  capacityType: CapacityType;
  cluster: string;
  capacity: number;
  allocated: number;
  idle: number;
}

/** The month's capacity figures from the metered nodes and the GPU-seconds their pods held. */
export interface MonthCapacity {
  capacityGpuSeconds: number;
  spotCapacityGpuSeconds: number;
  allocatedGpuSeconds: number;
  /** Σ per node and day of max(0, capacity − allocated). */
  idleGpuSeconds: number;
  /** By {@link instanceTypeKey}, in the order first met. */
  instanceTypes: Map<string, InstanceTypeCapacity>;
}

/** Sums capacity, allocation and idle GPU-seconds over the days' nodes, also per instance type. */
export function capacityOf(
  days: readonly MeteredDay[],
  allocatedGpuSecondsByDay: readonly Float64Array[],
): MonthCapacity {
  const month: MonthCapacity = {
    capacityGpuSeconds: 0,
    spotCapacityGpuSeconds: 0,
    allocatedGpuSeconds: 0,
    idleGpuSeconds: 0,
    instanceTypes: new Map(),
  };
  days.forEach((day, d) => {
    const allocatedByNode = allocatedGpuSecondsByDay[d]!;
    day.nodes.forEach((node, n) => {
      const allocated = allocatedByNode[n]!;
      const nodeIdle = Math.max(0, node.capacityGpuSeconds - allocated);
      month.capacityGpuSeconds += node.capacityGpuSeconds;
      if (node.capacityType === 'spot') month.spotCapacityGpuSeconds += node.capacityGpuSeconds;
      month.allocatedGpuSeconds += allocated;
      month.idleGpuSeconds += nodeIdle;
      const typeKey = instanceTypeKey(node.cluster, node.instanceType, node.capacityType);
      const entry = month.instanceTypes.get(typeKey) ?? {
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
      month.instanceTypes.set(typeKey, entry);
    });
  });
  return month;
}
