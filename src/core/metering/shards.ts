import { compareStrings } from '../compare.ts';
import type {
  DayCoverage,
  MeteredDay,
  NodeUsage,
  PodUsage,
  Shard,
  ShardFacts,
  WindowObservations,
} from '../types.ts';
import { addHourlyUnits, emptyHourlyUnits, hourlyFromUnits } from './hourlyProfile.ts';
import { comparePods, key } from './refs.ts';
import { warningText } from '../warningText.ts';

/**
 * Shards of a day. A day whose observations would not fit one invocation's memory is metered in
 * `count` shards: shard i holds the nodes whose name hashes to i (FNV-1a of the node name, modulo count)
 * and the pods metered on them (a pod follows the node kube_pod_info binds it to; a pod bound to no node
 * goes to shard 0). So a shard boundary never splits a pod, a node or a node's pods, and every replica
 * choice (made per object and grid step) stays inside one shard; what all pods and nodes share — the
 * day, its grid, the namespace labels, kube-state-metrics presence — every shard reads whole.
 * mergeShardDays adds the shards' days up to exactly the day metered in one piece.
 */

/** The whole day as one shard. */
export const WHOLE_DAY: Shard = Object.freeze({ index: 0, count: 1 });

/** Most shards one day may be split into. */
export const MAX_SHARDS = 256;

/** The shard (0..count-1) of a node: FNV-1a (32 bit) of its name's UTF-16 code units, modulo count; "" -> 0. */
export function shardOfNode(node: string, count: number): number {
  if (count <= 1 || node === '') return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < node.length; i++) {
    hash ^= node.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** "shard 2 of 4" (1-based, for people); the whole day as "the whole day". */
export function describeShard(shard: Shard): string {
  return shard.count <= 1 ? 'the whole day' : `shard ${shard.index + 1} of ${shard.count}`;
}

/** Throws a RangeError unless `shard` is a valid index of a valid count. */
export function assertShard(shard: Shard): void {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new RangeError(`a day is split into 1..${MAX_SHARDS} shards, not ${count}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`shard index ${index} is not in 0..${count - 1}`);
  }
}

/**
 * The node each pod is metered on, by (cluster, uid): the first by name of the nodes kube_pod_info binds
 * it to ("" when none), as indexPods decides.
 */
export function meteredNodeOfPods(podNodes: WindowObservations['podNodes']): Map<string, string> {
  const out = new Map<string, string>();
  for (const { pod, node } of podNodes) {
    if (!node) continue;
    const id = key(pod.cluster, pod.uid);
    const current = out.get(id);
    if (current === undefined || compareStrings(node, current) < 0) out.set(id, node);
  }
  return out;
}

/**
 * The observations of one shard of a window: its nodes' series, its pods' series (and their DRA
 * devices and utilization, matched by pod name as metering matches them), and everything shared whole.
 * `obs` may hold more than the shard (a source narrows its queries as far as it can): the result is
 * exactly the shard's part of the whole window's observations as long as `obs` holds every series of
 * the shard's pods and nodes.
 */
export function restrictObservations(obs: WindowObservations, shard: Shard): WindowObservations {
  if (shard.count <= 1) return obs;
  const inShard = (node: string) => shardOfNode(node, shard.count) === shard.index;
  const boundTo = meteredNodeOfPods(obs.podNodes);
  const podIn = new Map<string, boolean>();
  const keepPod = (pod: { cluster: string; uid: string }) => {
    const id = key(pod.cluster, pod.uid);
    let kept = podIn.get(id);
    if (kept === undefined) {
      kept = inShard(boundTo.get(id) ?? '');
      podIn.set(id, kept);
    }
    return kept;
  };
  const running = obs.running.filter((r) => keepPod(r.pod));
  const pendingOnNode = obs.pendingOnNode.filter((r) => keepPod(r.pod));
  const requests = obs.requests.filter((r) => keepPod(r.pod));
  const initRequests = obs.initRequests.filter((r) => keepPod(r.pod));
  const podNodes = obs.podNodes.filter((r) => keepPod(r.pod));
  // Pods are matched to DRA devices and utilization by name: keep the names of the shard's pods.
  const names = new Set<string>();
  for (const list of [running, pendingOnNode, requests, initRequests, podNodes]) {
    for (const { pod } of list) names.add(key(pod.cluster, pod.namespace, pod.pod));
  }
  return {
    ...obs,
    running,
    pendingOnNode,
    requests,
    initRequests,
    podNodes,
    sidecars: obs.sidecars.filter((s) => keepPod(s.pod)),
    podLabels: obs.podLabels.filter((l) => keepPod(l.pod)),
    draDevices: obs.draDevices.filter((d) => names.has(key(d.cluster, d.namespace, d.pod))),
    utilization: obs.utilization.filter((u) => names.has(key(u.cluster, u.namespace, u.pod))),
    nodeLabels: obs.nodeLabels.filter((n) => inShard(n.node)),
    nodeCapacity: obs.nodeCapacity.filter((n) => inShard(n.node)),
    nodePresence: obs.nodePresence.filter((n) => inShard(n.node)),
  };
}

/** The part of a metered day (merged or not) that belongs to `shard`: its nodes and the pods on them. */
export function restrictDay(day: MeteredDay, shard: Shard): MeteredDay {
  if (shard.count <= 1) return day;
  const inShard = (node: string) => shardOfNode(node, shard.count) === shard.index;
  return {
    ...day,
    pods: day.pods.filter((p) => inShard(p.node)),
    nodes: day.nodes.filter((n) => inShard(n.node)),
  };
}

/** Orders pod rows as meterPods does: charge period, pod, resource, phase. */
export function comparePodRows(a: PodUsage, b: PodUsage): number {
  return (
    a.chargePeriod.startMs - b.chargePeriod.startMs ||
    comparePods(a.pod, b.pod) ||
    compareStrings(a.gpuResource, b.gpuResource) ||
    compareStrings(a.phase, b.phase)
  );
}

/** Orders node rows as meterNodeUsage does: charge period, cluster, node. */
export function compareNodeRows(a: NodeUsage, b: NodeUsage): number {
  return (
    a.chargePeriod.startMs - b.chargePeriod.startMs ||
    compareStrings(a.cluster, b.cluster) ||
    compareStrings(a.node, b.node)
  );
}

/**
 * Why the shards of one day cannot be merged (missing or repeated shards, other days or plans), or
 * undefined when they can.
 */
export function shardSetProblem(parts: readonly MeteredDay[]): string | undefined {
  const first = parts[0];
  if (!first?.shard) return 'no shard';
  const { count } = first.shard;
  const seen = new Set<number>();
  for (const part of parts) {
    if (!part.shard) return `${part.day.date}: a whole day among shards`;
    if (
      part.day.date !== first.day.date ||
      part.day.startMs !== first.day.startMs ||
      part.day.endMs !== first.day.endMs
    ) {
      return `shards of different days (${first.day.date}, ${part.day.date})`;
    }
    if (part.shard.count !== count) return `shards of ${count} and of ${part.shard.count}`;
    if (seen.has(part.shard.index)) return `${describeShard(part.shard)} twice`;
    seen.add(part.shard.index);
  }
  const missing = [...Array(count).keys()].filter((i) => !seen.has(i));
  if (missing.length > 0) {
    return `missing ${missing.map((index) => describeShard({ index, count })).join(', ')}`;
  }
  return undefined;
}

/**
 * The day metered in one piece, from all its shards: rows concatenated in meterWindow's order (each
 * pod and node is in exactly one shard), hourly means from the shards' exact units, dcgm-exporter
 * coverage from the union of what the shards saw (per cluster, then the points at which every cluster
 * was seen), kube-state-metrics coverage from the shard that saw least (all shards read it whole, so
 * they agree unless metered from different data), warnings in shard order, each once. Throws a
 * RangeError when the parts are not one complete set (shardSetProblem).
 */
export function mergeShardDays(parts: readonly MeteredDay[]): MeteredDay {
  const problem = shardSetProblem(parts);
  if (problem) throw new RangeError(`cannot merge the shards of a day: ${problem}`);
  const sorted = [...parts].sort((a, b) => a.shard!.index - b.shard!.index);
  const first = sorted[0]!;
  const facts = sorted.map((p) => p.shard!);
  const hourlyUnits = emptyHourlyUnits();
  for (const f of facts) addHourlyUnits(hourlyUnits, f.hourlyUnits);
  const warnings = new Set<string>();
  for (const part of sorted) for (const w of part.warnings) warnings.add(w);
  const ksm = sorted.reduce((least, p) =>
    p.coverage.kubeStateMetrics < least.coverage.kubeStateMetrics ? p : least,
  );
  const ksmValues = new Set(sorted.map((p) => p.coverage.kubeStateMetrics));
  if (ksmValues.size > 1) {
    warnings.add(
      warningText('shardCoverageDiffers', {
        date: first.day.date,
        coverages: [...ksmValues].map((v) => `${Math.round(v * 10_000) / 100} %`).join(', '),
      }),
    );
  }
  const coverage: DayCoverage = {
    ...ksm.coverage,
    dcgm: dcgmCoverageOf(facts),
  };
  return {
    day: first.day,
    pods: sorted.flatMap((p) => p.pods).sort(comparePodRows),
    nodes: sorted.flatMap((p) => p.nodes).sort(compareNodeRows),
    coverage,
    scrape: first.scrape,
    hourlyAllocatedGpus: hourlyFromUnits(hourlyUnits),
    warnings: [...warnings],
    // Quotas belong to no node: shard 0 meters them (meterWindow), the others carry none.
    ...(sorted.some((p) => p.gpuQuotas) ? { gpuQuotas: sorted.flatMap((p) => p.gpuQuotas ?? []) } : {}),
  };
}

/**
 * coverageOf's dcgm share from the shards' presence: the intervals at which every cluster that any shard
 * saw was seen by some shard; null when there are none.
 */
function dcgmCoverageOf(facts: readonly ShardFacts[]): number | null {
  const byCluster = new Map<string, Set<number>>();
  for (const f of facts) {
    for (const { cluster, intervals } of f.dcgmPresence) {
      const set = byCluster.get(cluster) ?? new Set<number>();
      for (const k of intervals) set.add(k);
      byCluster.set(cluster, set);
    }
  }
  const sets = [...byCluster.values()];
  if (sets.length === 0) return null;
  const every = [...sets[0]!].filter((k) => sets.every((s) => s.has(k)));
  if (every.length === 0) return null;
  const { dayFirst, dayLast } = facts[0]!;
  const total = dayLast - dayFirst;
  if (total <= 0) return 0;
  return every.filter((k) => k >= dayFirst && k < dayLast).length / total;
}

/** How big a day's fleet is, as a source measures it cheaply before metering: the shard plan's input. */
export interface FleetSize {
  /** Most GPU units (whole GPUs, MIG devices, time-slicing replicas) the nodes advertised in the day. */
  gpuUnits: number;
}

/** The sharding settings (config `sharding`). */
export interface ShardingOptions {
  /** Memory (MB) one metering invocation may use (a Lambda's memory size). */
  memoryBudgetMb: number;
  /** "auto": from the fleet's size and the budget; a number: always that many shards. */
  shards: 'auto' | number;
}

/**
 * Peak memory of metering one day, per GPU unit of the fleet and for the process itself. Measured by
 * `npm run bench` (bench/day.ts, docs/performance.md "Shards"), peak RSS of a day metered whole: 214 MiB
 * at 325 GPU units, 349 MiB at 1,292, 816 MiB at 5,170 — about 190 MiB plus 0.12 MiB a unit. The
 * estimate doubles that slope (a day busier than the bench's: more, shorter pods per GPU) and keeps the
 * process base of 250 MB; the plan then keeps each shard's estimate within half the budget, so V8's
 * collection timing fits too. (Before the compact parse and compact utilization it was 1.8 MB a unit,
 * which split a 4,096-GPU day into 8 shards that re-read the fleet's shared series 8 times: 2.35 x the
 * raw samples against 1.27 x whole.)
 */
export const METERING_MB_PER_GPU_UNIT = 0.25;
export const METERING_BASE_MB = 250;

/**
 * The number of shards for a day: the configured count, else the fewest whose estimated peak memory
 * (METERING_BASE_MB + units × METERING_MB_PER_GPU_UNIT / count) fits half of `memoryBudgetMb`; 1 when the
 * fleet is unknown (the source cannot measure it) or empty.
 */
export function planShardCount(fleet: FleetSize | undefined, options: ShardingOptions): number {
  if (options.shards !== 'auto') return options.shards;
  if (!fleet || !(fleet.gpuUnits > 0)) return 1;
  return Math.min(
    MAX_SHARDS,
    Math.max(1, Math.ceil(shardDataMb(fleet, 1) / meteringCapacityMb(options.memoryBudgetMb))),
  );
}

/**
 * The memory (MB) one shard of a day of `fleet` in `count` shards is estimated to add to its process
 * beyond METERING_BASE_MB (the estimate planShardCount plans with); 0 when the fleet is unknown.
 */
export function shardDataMb(fleet: FleetSize | undefined, count: number): number {
  if (!fleet || !(fleet.gpuUnits > 0)) return 0;
  return (fleet.gpuUnits * METERING_MB_PER_GPU_UNIT) / Math.max(1, count);
}

/**
 * How much shard data (MB, {@link shardDataMb}) a process of `memoryMb` may hold at once: half its
 * memory, less the process base. planShardCount keeps one shard within it; a run that meters several
 * days at once keeps the sum of its shards in flight within it.
 */
export function meteringCapacityMb(memoryMb: number): number {
  return Math.max(1, memoryMb / 2 - METERING_BASE_MB);
}
