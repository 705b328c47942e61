import { compareStrings } from '../compare.ts';
import type { NodeUsage } from '../types.ts';
import { NONE } from './held.ts';
import type { NodeCapacity } from './nodeCapacity.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { Allocation } from './podUsage.ts';
import { describeNode } from './refs.ts';
import type { NodeWeights } from './weights.ts';
import type { WindowGrid } from './window.ts';

/** What a node's pods hold of it, in 1/denominator GPU-equivalent units. */
export interface NodeAllocation {
  /** Per interval of the window. */
  allocatedUnits: Float64Array;
  /** Per charge period of the day: units × ms (exact). */
  allocatedByPeriod: number[];
}

/** Adds every allocation to its node, at each held interval of the day and per charge period. */
export function allocateToNodes(
  allocations: readonly Allocation[],
  window: WindowGrid,
): Map<string, NodeAllocation> {
  const out = new Map<string, NodeAllocation>();
  for (const a of allocations) {
    let node = out.get(a.nodeId);
    if (!node) {
      node = {
        allocatedUnits: new Float64Array(window.intervals),
        allocatedByPeriod: new Array<number>(window.periods.length).fill(0),
      };
      out.set(a.nodeId, node);
    }
    for (let k = window.dayFirst; k < window.dayLast; k++) {
      if (a.held[k] === NONE) continue;
      node.allocatedUnits[k]! += a.unitsPerStep;
      for (const [p, ms] of window.slices[k - window.dayFirst]!) {
        node.allocatedByPeriod[p]! += a.unitsPerStep * ms;
      }
    }
  }
  return out;
}

/**
 * One row per node and charge period in which the node had capacity or allocation: capacity,
 * allocation and idle (= capacity − allocation, exactly, in 1/denominator GPU-ms), sorted by period,
 * cluster and node. Warns when a node's allocation exceeds the capacity it reported.
 */
export function meterNodeUsage(
  nodes: ReadonlyMap<string, NodeIdentity & { weights: NodeWeights }>,
  capacity: ReadonlyMap<string, NodeCapacity>,
  allocation: ReadonlyMap<string, NodeAllocation>,
  window: WindowGrid,
  warnings: Set<string>,
): NodeUsage[] {
  const rows: NodeUsage[] = [];
  const empty = new Float64Array(window.intervals);
  for (const [id, node] of nodes) {
    const { present, capacityUnits, lastCapacityGpus } = capacity.get(id)!;
    const allocatedUnits = allocation.get(id)?.allocatedUnits ?? empty;
    const allocatedByPeriod = allocation.get(id)?.allocatedByPeriod;
    const capacityByPeriod = new Array<number>(window.periods.length).fill(0);
    const presentMsByPeriod = new Array<number>(window.periods.length).fill(0);
    let overSeconds = 0;
    for (let k = window.dayFirst; k < window.dayLast; k++) {
      if (present[k] !== NONE) {
        for (const [p, ms] of window.slices[k - window.dayFirst]!) {
          capacityByPeriod[p]! += capacityUnits[k]! * ms;
          presentMsByPeriod[p]! += ms;
        }
      }
      if (allocatedUnits[k]! > capacityUnits[k]!) overSeconds += window.stepMs / 1000;
    }
    if (overSeconds > 0) {
      warnings.add(
        `node ${describeNode(node)}: allocated GPUs exceed reported capacity for ${overSeconds} s on ${window.day.date}` +
          (present.subarray(window.dayFirst, window.dayLast).every((p) => p === NONE)
            ? ' (node reports no GPU capacity)'
            : ''),
      );
    }
    const scale = node.weights.denominator * 1000;
    window.periods.forEach((period, p) => {
      const capacityPart = capacityByPeriod[p]!;
      const allocated = allocatedByPeriod?.[p] ?? 0;
      if (capacityPart === 0 && allocated === 0 && presentMsByPeriod[p] === 0) return;
      rows.push({
        cluster: node.cluster,
        node: node.node,
        chargePeriod: period,
        instanceType: node.instanceType,
        capacityType: node.capacityType,
        presentSeconds: presentMsByPeriod[p]! / 1000,
        capacityGpuSeconds: capacityPart / scale,
        allocatedGpuSeconds: allocated / scale,
        idleGpuSeconds: (capacityPart - allocated) / scale,
        gpus: node.catalog?.gpus ?? lastCapacityGpus,
        exact: {
          denominator: node.weights.denominator,
          capacity: capacityPart,
          allocated,
          idle: capacityPart - allocated,
        },
      });
    });
  }
  return rows.sort(
    (a, b) =>
      a.chargePeriod.startMs - b.chargePeriod.startMs ||
      compareStrings(a.cluster, b.cluster) ||
      compareStrings(a.node, b.node),
  );
}
