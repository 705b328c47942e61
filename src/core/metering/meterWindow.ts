import type { MeteredDay, WindowObservations } from '../types.ts';
import { attributorOf } from './attribution.ts';
import { coverageOf } from './coverage.ts';
import { hourlyAllocatedGpus } from './hourlyProfile.ts';
import { indexNodes, indexPods } from './indexObservations.ts';
import { type NodeCapacity, meterNodeCapacity } from './nodeCapacity.ts';
import { identifyNode, type NodeIdentity } from './nodeIdentity.ts';
import { allocateToNodes, meterNodeUsage } from './nodeUsage.ts';
import { weighNode } from './nodeWeights.ts';
import type { MeterOptions } from './options.ts';
import { indexUtilization } from './podUtilization.ts';
import { meterPods } from './podUsage.ts';
import type { NodeWeights } from './weights.ts';
import { windowGridOf } from './window.ts';

/**
 * Meters one day from the observations of its window (the day plus a bridging margin on both sides).
 *
 * A grid point at t credits the interval [t - step, t) to every pod seen Running there (and, when
 * `pendingOnNode` is "charged", Pending while bound to a node), and to every node that reported GPU
 * capacity there. Bridging: a gap between two points at which the same pod uid was Running (on its
 * node: a pod never changes node), no longer than `maxBridgeSeconds`, is credited too, because
 * phases only move forward (a pod Running on both sides of a gap was Running throughout); a longer
 * gap, or one with a different phase on a side, is not. Node capacity gaps bridge by the same rule
 * with the capacity seen before the gap. Bridged seconds are reported separately. Results are clipped
 * to the day and split at its charge periods, so consecutive days sum to the continuous truth.
 *
 * The steps, in order: lay out the window's grid → index pods and nodes → identify and weigh each
 * node → node capacity per interval → pod usage (attribution, utilization, allocations) → node usage
 * (capacity, allocation, idle) → hourly profile → coverage. Warnings are collected in that order.
 *
 * Pure: everything needed is in `obs` and `options`.
 */
export function meterWindow(obs: WindowObservations, options: MeterOptions): MeteredDay {
  const window = windowGridOf(obs.grid, options);
  const warnings = new Set<string>();
  const pods = indexPods(obs, warnings);
  const index = indexNodes(obs, pods);

  const nodes = new Map<string, NodeIdentity & { weights: NodeWeights }>();
  for (const id of index.ids) {
    const [cluster = '', node = ''] = id.split('\u0000');
    const identity = identifyNode(cluster, node, index.labels.get(id), options, warnings);
    const weights = weighNode(
      identity,
      index.capacity.get(id) ?? [],
      index.resources.get(id) ?? [],
      options.migSlicesPerGpu,
      warnings,
    );
    nodes.set(id, { ...identity, weights });
  }
  const capacity = new Map<string, NodeCapacity>();
  for (const [id, node] of nodes) {
    capacity.set(id, meterNodeCapacity(node, index.capacity.get(id) ?? [], window, warnings));
  }

  const { rows: podRows, allocations } = meterPods(
    pods,
    {
      window,
      pendingOnNode: options.pendingOnNode,
      nodes,
      attribute: attributorOf(obs, options),
      utilization: indexUtilization(obs, window),
    },
    warnings,
  );
  const nodeRows = meterNodeUsage(nodes, capacity, allocateToNodes(allocations, window), window, warnings);
  const hourly = hourlyAllocatedGpus(nodes, capacity, allocations, window);
  if (window.misaligned > 0)
    warnings.add(
      `${window.misaligned} observation point(s) were not on the ${window.stepMs} ms grid of the window and were ignored`,
    );

  return {
    day: options.day,
    pods: podRows,
    nodes: nodeRows,
    coverage: coverageOf(obs, window),
    scrape: obs.scrape,
    hourlyAllocatedGpus: hourly,
    warnings: [...warnings],
  };
}
