import { compareStrings } from '../compare.ts';
import { partsOf } from '../records.ts';
import type { MeteredDay, NodeProviderId, NodeUsage, ShardFacts, WindowObservations } from '../types.ts';
import { attributorOf } from './attribution.ts';
import { coverageOf } from './coverage.ts';
import { hourlyAllocatedUnits, hourlyFromUnits } from './hourlyProfile.ts';
import { indexNodes, indexPods } from './indexObservations.ts';
import { type NodeCapacity, meterNodeCapacity } from './nodeCapacity.ts';
import { knownGpusOf } from './nodeGpus.ts';
import { identifyNode, type NodeIdentity } from './nodeIdentity.ts';
import { allocateToNodes, meterNodeUsage } from './nodeUsage.ts';
import { boundToCapacity } from './boundToCapacity.ts';
import { type NodeGpus, physicalGpusOf, weighNode } from './nodeWeights.ts';
import type { MeterOptions } from './options.ts';
import { meterGpuQuotas } from './gpuQuotas.ts';
import { indexUtilization } from './podUtilization.ts';
import { meterPods } from './podUsage.ts';
import { describeNode, key } from './refs.ts';
import { restrictObservations } from './shards.ts';
import { isNvidiaResource, type NodeWeights } from './weights.ts';
import { type WindowGrid, windowGridOf } from './window.ts';
import { warningText } from '../warningText.ts';

/**
 * Meters one day from the observations of its window (the day plus a bridging margin on both sides).
 *
 * A grid point at t credits the interval [t - step, t) to every pod seen Running there (and, when
 * `pendingOnNode` is "charged", Pending while bound to a node), and to every GPU node that existed
 * there: its physical GPUs (catalog, GPU feature discovery labels or metering.physicalGpus; else what
 * it advertises), whatever it advertised — what it advertised only divides that capacity among pods,
 * and the rest is idle for a reason. Bridging: a gap between two points at which the same pod uid was Running (on its
 * node: a pod never changes node), no longer than `maxBridgeSeconds`, is credited too, because
 * phases only move forward (a pod Running on both sides of a gap was Running throughout); a longer
 * gap, or one with a different phase on a side, is not. Node presence gaps bridge by the same rule
 * with what the node advertised before the gap. Bridged seconds are reported separately. Results are clipped
 * to the day and split at its charge periods, so consecutive days sum to the continuous truth.
 *
 * The steps, in order: lay out the window's grid → index pods and nodes → identify each node, find its
 * physical GPUs and weigh its resources (nodes with no GPU, no GPU resource and no pod are dropped) →
 * node capacity per interval → pod usage (attribution, utilization, allocations; a request at most what
 * fits the node) → bound to capacity (at each grid interval, pods hold at most what the node has) → node
 * usage (capacity, allocation, idle) → hourly profile → coverage. Warnings are collected in that order.
 *
 * With `options.shard` (count > 1) only that shard of the day is metered (its nodes and the pods on them,
 * see shards.ts; `obs` may hold more) and the result carries what mergeShardDays needs.
 *
 * Pure: everything needed is in `obs` and `options`.
 */
export function meterWindow(all: WindowObservations, options: MeterOptions): MeteredDay {
  const shard = options.shard;
  const obs = shard && shard.count > 1 ? restrictObservations(all, shard) : all;
  const window = windowGridOf(obs.grid, options);
  const warnings = new Set<string>();
  const pods = indexPods(obs, warnings);
  const index = indexNodes(obs, pods);

  const podNodes = new Set([...pods.values()].map((p) => key(p.pod.cluster, p.node)));
  const nodes = new Map<string, NodeIdentity & { weights: NodeWeights; gpus: NodeGpus }>();
  for (const id of index.ids) {
    const [cluster = '', node = ''] = partsOf(id);
    const labels = index.labels.get(id);
    const series = index.capacity.get(id) ?? [];
    // Catalog warnings matter only when neither GFD nor configuration knows the node's GPUs.
    const identityWarnings = new Set<string>();
    const identity = identifyNode(cluster, node, labels, options, identityWarnings);
    const known = knownGpusOf(identity, labels, options);
    const resources = index.resources.get(id) ?? [];
    const advertises = [...resources].some(isNvidiaResource);
    if (known.gpus === undefined && !advertises && !podNodes.has(id)) continue;
    if (known.source === undefined || known.source === 'catalog')
      for (const w of identityWarnings) warnings.add(w);
    const weights = weighNode(identity, series, resources, options.migSlicesPerGpu, warnings, known);
    const gpus = physicalGpusOf(known, weights, series);
    if (gpus.physicalGpus === 0 && !podNodes.has(id)) {
      if (advertises)
        warnings.add(
          warningText('nodeNotCountable', {
            node: describeNode(identity),
            resources: [...resources].filter(isNvidiaResource).join(', '),
          }),
        );
      continue;
    }
    nodes.set(id, { ...identity, weights, gpus });
  }
  const capacity = new Map<string, NodeCapacity>();
  for (const [id, node] of nodes) {
    const series = index.capacity.get(id) ?? [];
    capacity.set(id, meterNodeCapacity(node, series, window, warnings, index.presence.get(id) ?? []));
  }

  const { rows: podRows, allocations } = meterPods(
    pods,
    {
      window,
      pendingOnNode: options.pendingOnNode,
      nodes,
      attribute: attributorOf(obs, options),
      utilization: indexUtilization(obs, window),
      ...(options.idleHeld ? { idleHeld: options.idleHeld } : {}),
    },
    warnings,
  );
  boundToCapacity(allocations, capacity, window, nodes, warnings);
  const nodeRows = withProviderIds(
    meterNodeUsage(nodes, capacity, allocateToNodes(allocations, window), window, warnings),
    obs.nodeProviderIds,
    warnings,
  );
  const hourlyUnits = hourlyAllocatedUnits(nodes, capacity, allocations, window);
  if (window.misaligned > 0)
    warnings.add(warningText('pointsOffGrid', { count: window.misaligned, stepMs: window.stepMs }));

  return {
    day: options.day,
    pods: podRows,
    nodes: nodeRows,
    coverage: coverageOf(obs, window),
    scrape: obs.scrape,
    hourlyAllocatedGpus: hourlyFromUnits(hourlyUnits),
    warnings: [...warnings],
    // GPU quotas belong to no node: a sharded day meters them in shard 0 only.
    ...(obs.gpuQuotas
      ? {
          gpuQuotas:
            shard && shard.count > 1 && shard.index !== 0 ? [] : meterGpuQuotas(obs.gpuQuotas, window),
        }
      : {}),
    ...(shard && shard.count > 1
      ? { shard: shardFactsOf(obs, window, { index: shard.index, count: shard.count }, hourlyUnits) }
      : {}),
  };
}

/** What mergeShardDays needs of one shard besides its rows (see ShardFacts). */
function shardFactsOf(
  obs: WindowObservations,
  window: WindowGrid,
  shard: { index: number; count: number },
  hourlyUnits: ShardFacts['hourlyUnits'],
): ShardFacts {
  const intervalsOf = (tsMs: readonly number[]) => {
    const out = new Set<number>();
    for (const t of tsMs) {
      const k = window.stepOf(t);
      if (k !== undefined) out.add(k);
    }
    return [...out].sort((a, b) => a - b);
  };
  const byCluster = obs.dcgmPresentByCluster ?? [{ cluster: '', tsMs: obs.dcgmPresentTsMs }];
  return {
    ...shard,
    dayFirst: window.dayFirst,
    dayLast: window.dayLast,
    dcgmPresence: byCluster.map(({ cluster, tsMs }) => ({ cluster, intervals: intervalsOf(tsMs) })),
    hourlyUnits,
  };
}

/**
 * Each node's cloud instance (kube_node_info{provider_id}), when the source read it. A node name that
 * names two instances in one window (a node replaced under the same name) keeps the last one in code-unit
 * order, warned: its invoice lines are then matched to one of them only.
 */
function withProviderIds(
  rows: NodeUsage[],
  providerIds: readonly NodeProviderId[] | undefined,
  warnings: Set<string>,
): NodeUsage[] {
  if (!providerIds || providerIds.length === 0) return rows;
  const byNode = new Map<string, string>();
  for (const p of [...providerIds].sort((a, b) => compareStrings(a.providerId, b.providerId))) {
    const id = `${p.cluster}\u0000${p.node}`;
    const previous = byNode.get(id);
    if (previous !== undefined && previous !== p.providerId)
      warnings.add(
        warningText('nodeTwoInstances', {
          node: `${p.cluster ? `${p.cluster}/` : ''}${p.node}`,
          previous,
          providerId: p.providerId,
        }),
      );
    byNode.set(id, p.providerId);
  }
  return rows.map((row) => {
    const providerId = byNode.get(`${row.cluster}\u0000${row.node}`);
    return providerId === undefined ? row : { ...row, providerId };
  });
}
