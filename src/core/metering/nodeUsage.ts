import { compareStrings } from '../compare.ts';
import { byIdleReason, type ByIdleReason, IDLE_REASONS } from '../idleReasons.ts';
import type { NodeUsage } from '../types.ts';
import { NONE } from './held.ts';
import type { NodeCapacity } from './nodeCapacity.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { NodeGpus } from './nodeWeights.ts';
import type { Allocation } from './podUsage.ts';
import { describeNode } from './refs.ts';
import type { NodeWeights } from './weights.ts';
import type { WindowGrid } from './window.ts';
import { warningText } from '../warningText.ts';

/** What a node's pods hold of it, in 1/denominator GPU-equivalent units. */
export interface NodeAllocation {
  /** Per interval of the window. */
  allocatedUnits: Float64Array;
  /** Per charge period of the day: units × ms (exact). */
  allocatedByPeriod: number[];
}

/** Adds every allocation to its node, at each held interval of the day and per charge period (as bounded). */
export function allocateToNodes(
  allocations: readonly (Pick<Allocation, 'nodeId' | 'unitsPerStep' | 'held'> & Partial<Allocation>)[],
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
    const { from, to } = a.span ?? { from: window.dayFirst, to: window.dayLast };
    for (let k = from; k < to; k++) {
      if (a.held[k] === NONE) continue;
      const units = a.unitsAt ? a.unitsAt[k]! : a.unitsPerStep;
      node.allocatedUnits[k]! += units;
      for (const [p, ms] of window.slices[k - window.dayFirst]!) {
        node.allocatedByPeriod[p]! += units * ms;
      }
    }
  }
  return out;
}

/**
 * One row per node and charge period in which the node existed or had allocation: capacity (its
 * physical GPUs × the time it existed), allocation, idle (= capacity − allocation, exactly, in
 * 1/denominator GPU-ms) and idle by reason, sorted by period, cluster and node. Warns when a node's
 * allocation exceeds its capacity.
 */
export function meterNodeUsage(
  nodes: ReadonlyMap<string, NodeIdentity & { weights: NodeWeights; gpus: NodeGpus }>,
  capacity: ReadonlyMap<string, NodeCapacity>,
  allocation: ReadonlyMap<string, NodeAllocation>,
  window: WindowGrid,
  warnings: Set<string>,
): NodeUsage[] {
  const rows: NodeUsage[] = [];
  const none: NodeAllocation = {
    allocatedUnits: new Float64Array(window.intervals),
    allocatedByPeriod: new Array<number>(window.periods.length).fill(0),
  };
  for (const [id, node] of nodes) {
    const nodeCapacity = capacity.get(id)!;
    const nodeAllocation = allocation.get(id) ?? none;
    const totals = capacityByPeriod(nodeCapacity, nodeAllocation, window);
    if (totals.overSeconds > 0) {
      const inDay = nodeCapacity.present.subarray(window.dayFirst, window.dayLast);
      warnings.add(
        warningText(inDay.every((p) => p === NONE) ? 'nodeOverAllocatedNoCapacity' : 'nodeOverAllocated', {
          node: describeNode(node),
          seconds: totals.overSeconds,
          date: window.day.date,
        }),
      );
    }
    const scale = node.weights.denominator * 1000;
    window.periods.forEach((period, p) => {
      const capacityPart = totals.capacity[p]!;
      const allocated = nodeAllocation.allocatedByPeriod[p]!;
      if (capacityPart === 0 && allocated === 0 && totals.presentMs[p] === 0) return;
      const idleExact = byIdleReason((r) => totals.idleByReason[r][p]!);
      rows.push({
        cluster: node.cluster,
        node: node.node,
        chargePeriod: period,
        instanceType: node.instanceType,
        capacityType: node.capacityType,
        presentSeconds: totals.presentMs[p]! / 1000,
        capacityGpuSeconds: capacityPart / scale,
        allocatedGpuSeconds: allocated / scale,
        idleGpuSeconds: (capacityPart - allocated) / scale,
        gpus: nodeCapacity.physicalGpus,
        ...(node.gpus.gpuModel !== undefined ? { gpuModel: node.gpus.gpuModel } : {}),
        gpuSource: node.gpus.source,
        idleByReason: byIdleReason((r) => idleExact[r] / scale),
        ...(nodeCapacity.unknownResources.length > 0
          ? { unknownResources: nodeCapacity.unknownResources }
          : {}),
        exact: {
          denominator: node.weights.denominator,
          capacity: capacityPart,
          allocated,
          idle: capacityPart - allocated,
          idleByReason: idleExact,
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

/** Capacity pools in the order allocation consumes them; the first one's idle is "unallocated". */
const POOLS = [
  ['unallocated', 'advertisedUnits'],
  ['not-advertised', 'notAdvertisedUnits'],
  ['mig-unpartitioned', 'migUnpartitionedUnits'],
  ['unknown-resource', 'unknownResourceUnits'],
] as const;

/**
 * A node's capacity (units × ms), present ms and idle by reason per charge period of the day, and the
 * seconds of the day in which its allocation exceeded its capacity. At each interval the allocation
 * first uses what the node advertised (the rest of it is idle "unallocated"), then — pods the device
 * plugin did not place, such as DRA claims — what it did not advertise, unpartitioned MIG slices, and
 * unknown resources; what each pool keeps is idle for its reason. Over capacity, the (negative) idle
 * is all "unallocated". The reasons add up to capacity − allocation exactly.
 */
export function capacityByPeriod(
  capacity: NodeCapacity,
  allocation: Pick<NodeAllocation, 'allocatedUnits'>,
  window: WindowGrid,
): { capacity: number[]; presentMs: number[]; overSeconds: number; idleByReason: ByIdleReason<number[]> } {
  const periods = window.periods.length;
  const units = new Array<number>(periods).fill(0);
  const presentMs = new Array<number>(periods).fill(0);
  const idleByReason = byIdleReason(() => new Array<number>(periods).fill(0));
  // Indexed by the reason's place in IDLE_REASONS (plain loops: this runs for every node at every step).
  const sums = IDLE_REASONS.map((reason) => idleByReason[reason]);
  const pools = POOLS.map(([reason, pool]) => ({
    slot: IDLE_REASONS.indexOf(reason),
    units: capacity[pool],
  }));
  const unallocated = IDLE_REASONS.indexOf('unallocated');
  const idle = new Array<number>(IDLE_REASONS.length).fill(0);
  let overSeconds = 0;
  for (let k = window.dayFirst; k < window.dayLast; k++) {
    const allocated = allocation.allocatedUnits[k]!;
    const slices = window.slices[k - window.dayFirst]!;
    if (capacity.present[k] !== NONE || allocated !== 0) {
      let left = allocated;
      for (const { slot, units: pool } of pools) {
        const size = pool[k]!;
        const used = Math.min(size, left);
        idle[slot] = size - used;
        left -= used;
      }
      idle[unallocated]! -= left;
      for (let s = 0; s < slices.length; s++) {
        const p = slices[s]![0];
        const ms = slices[s]![1];
        for (let r = 0; r < sums.length; r++) sums[r]![p]! += idle[r]! * ms;
      }
    }
    if (capacity.present[k] !== NONE) {
      for (let s = 0; s < slices.length; s++) {
        const p = slices[s]![0];
        const ms = slices[s]![1];
        units[p]! += capacity.capacityUnits[k]! * ms;
        presentMs[p]! += ms;
      }
    }
    if (allocated > capacity.capacityUnits[k]!) overSeconds += window.stepMs / 1000;
  }
  return { capacity: units, presentMs, overSeconds, idleByReason };
}
