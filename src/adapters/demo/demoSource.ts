/**
 * The embedded demo cluster as an ObservationSource: it answers observe() from a simulation exactly
 * as the Prometheus adapter answers from the same data backfilled into Prometheus, following the grid
 * rule of src/core/types.ts (a point at t means "a raw sample exists in (t − step, t]").
 */
import type {
  DraDevice,
  GpuQuotaPoints,
  NamespaceLabels,
  NodeCapacityPoints,
  NodeLabels,
  NodePresencePoints,
  NodeProviderId,
  PodNode,
  PodPhasePoints,
  PodRef,
  PodRequest,
  PodSidecar,
  PodUtilizationPoints,
  ScrapeIntervals,
  StepGrid,
  TimeRange,
  WindowObservations,
} from '../../core/types.ts';
import type { Exporter, ObservationSource } from '../../ports.ts';
import { dcgmPlan, grEngineActive, hasGpuUtil, hasGrEngineActive } from '../../sim/dcgm.ts';
import { providerIdOf } from '../../sim/cloud.ts';
import { isGpuResource, nodeCapacity } from '../../sim/gpu.ts';
import type { Simulation } from '../../sim/model.ts';
import { quotaSeries } from '../../sim/quota.ts';
import { draClaimName, ksmLabelName, nodeLabelPairs, podLabelPairs } from '../../sim/series.ts';
import {
  dcgmSchedule,
  forEachSampleTime,
  ksmSchedule,
  pendingOnNodeRange,
  podSegments,
  runningRange,
} from '../../sim/timeline.ts';

/**
 * Creates the demo source over a simulation, or over the clusters of one platform (simulations with
 * distinct `cluster` names sharing one scrape schedule), observed together as one Prometheus would.
 */
export function createDemoSource(sims: Simulation | readonly Simulation[]): ObservationSource {
  const list: readonly Simulation[] = Array.isArray(sims) ? sims : [sims as Simulation];
  const first = list[0];
  if (!first) throw new RangeError('the demo source needs at least one simulation');
  const clusters = new Set(list.map((s) => s.cluster ?? ''));
  if (clusters.size !== list.length) throw new RangeError('platform simulations need distinct cluster names');
  if (
    list.some(
      (s) =>
        s.scrape.ksmSeconds !== first.scrape.ksmSeconds || s.scrape.dcgmSeconds !== first.scrape.dcgmSeconds,
    )
  ) {
    throw new RangeError('platform simulations must share their scrape intervals');
  }
  const name =
    list.length === 1
      ? `"${first.name}" (seed ${first.seed})`
      : `of ${list.length} clusters (${[...clusters].join(', ')})`;
  return {
    kind: 'demo',
    description: `demo: seeded synthetic demo cluster ${name}, not real usage`,
    async detectScrapeInterval(exporter: Exporter, _range: TimeRange): Promise<number | null> {
      if (exporter === 'kubeStateMetrics') return first.scrape.ksmSeconds;
      return list.some((s) => s.nodes.some((n) => n.devices.length > 0)) ? first.scrape.dcgmSeconds : null;
    },
    async observe(grid: StepGrid, scrape: ScrapeIntervals): Promise<WindowObservations> {
      return list.length === 1
        ? observeSimulation(first, grid, scrape)
        : observeSimulations(list, grid, scrape);
    },
  };
}

/**
 * The observations of several clusters on one grid: each cluster's, concatenated; coverage points are
 * those at which every cluster that reported in the window reported (as the Prometheus source does).
 */
export function observeSimulations(
  sims: readonly Simulation[],
  grid: StepGrid,
  scrape: ScrapeIntervals,
): WindowObservations {
  const parts = sims.map((sim) => observeSimulation(sim, grid, scrape));
  const common = (lists: number[][]) => {
    const present = lists.filter((l) => l.length > 0).map((l) => new Set(l));
    if (present.length === 0) return [];
    return [...present[0]!].filter((t) => present.every((set) => set.has(t))).sort((a, b) => a - b);
  };
  return {
    grid: { startMs: grid.startMs, endMs: grid.endMs, stepMs: grid.stepMs },
    running: parts.flatMap((p) => p.running),
    pendingOnNode: parts.flatMap((p) => p.pendingOnNode),
    requests: parts.flatMap((p) => p.requests),
    podNodes: parts.flatMap((p) => p.podNodes),
    podLabels: parts.flatMap((p) => p.podLabels),
    namespaceLabels: parts.flatMap((p) => p.namespaceLabels),
    nodeLabels: parts.flatMap((p) => p.nodeLabels),
    nodeCapacity: parts.flatMap((p) => p.nodeCapacity),
    nodePresence: parts.flatMap((p) => p.nodePresence),
    initRequests: parts.flatMap((p) => p.initRequests),
    sidecars: parts.flatMap((p) => p.sidecars),
    draDevices: parts.flatMap((p) => p.draDevices),
    utilization: parts.flatMap((p) => p.utilization),
    nodeProviderIds: parts.flatMap((p) => p.nodeProviderIds ?? []),
    gpuQuotas: parts.flatMap((p) => p.gpuQuotas ?? []),
    ksmPresentTsMs: common(parts.map((p) => p.ksmPresentTsMs)),
    dcgmPresentTsMs: common(parts.map((p) => p.dcgmPresentTsMs)),
    scrape,
  };
}

/** The observations of `sim` on `grid` (pure; exported for tests and benchmarks). */
export function observeSimulation(
  sim: Simulation,
  grid: StepGrid,
  scrape: ScrapeIntervals,
): WindowObservations {
  const { startMs, stepMs } = grid;
  if (!(Number.isInteger(stepMs) && stepMs > 0))
    throw new RangeError(`grid step must be a positive integer ms, got ${stepMs}`);
  const n = Math.max(0, Math.floor((grid.endMs - startMs) / stepMs));
  const lastMs = startMs + n * stepMs;
  // Samples in (startMs, lastMs] map to grid points; forEachSampleTime takes [from, to).
  const from = startMs + 1;
  const to = lastMs + 1;
  const pointOf = (t: number) => startMs + Math.ceil((t - startMs) / stepMs) * stepMs;
  const ksm = ksmSchedule(sim);
  const cluster = sim.cluster ?? '';

  /** Grid points with a KSM sample inside `range` (sorted, deduplicated). */
  const ksmPoints = (range: TimeRange | null): number[] => {
    const out: number[] = [];
    if (!range) return out;
    forEachSampleTime(sim, ksm, Math.max(from, range.startMs), Math.min(to, range.endMs), (t) => {
      const p = pointOf(t);
      if (out[out.length - 1] !== p) out.push(p);
    });
    return out;
  };
  const anyKsmSample = (range: TimeRange): boolean => {
    let found = false;
    forEachSampleTime(sim, ksm, Math.max(from, range.startMs), Math.min(to, range.endMs), () => {
      found = true;
    });
    return found;
  };

  const running: PodPhasePoints[] = [];
  const pendingOnNode: PodPhasePoints[] = [];
  const requests: PodRequest[] = [];
  const initRequests: PodRequest[] = [];
  const sidecars: PodSidecar[] = [];
  const draDevices: DraDevice[] = [];
  const podNodes: PodNode[] = [];
  const podLabels: WindowObservations['podLabels'] = [];
  if (n > 0) {
    for (const pod of sim.pods) {
      const life: TimeRange = { startMs: pod.createdMs, endMs: pod.deletedMs ?? Number.POSITIVE_INFINITY };
      if (life.endMs <= from || life.startMs >= to) continue;
      if (!anyKsmSample(life)) continue;
      const ref: PodRef = { cluster, namespace: pod.namespace, pod: pod.name, uid: pod.uid };
      const r = ksmPoints(runningRange(pod));
      if (r.length > 0) running.push({ pod: ref, tsMs: r });
      const p = ksmPoints(pendingOnNodeRange(pod));
      if (p.length > 0) pendingOnNode.push({ pod: ref, tsMs: p });
      for (const c of pod.containers) {
        if (c.gpuResource)
          requests.push({ pod: ref, container: c.name, resource: c.gpuResource, value: c.gpuCount });
      }
      if (pod.node && runningRange(pod) && (r.length > 0 || p.length > 0)) {
        const node = sim.nodes.find((n) => n.name === pod.node)!;
        for (const c of pod.containers) {
          for (const u of c.draUnits ?? []) {
            const device = node.devices[node.units[u]!.device]!;
            draDevices.push({
              cluster,
              namespace: pod.namespace,
              pod: pod.name,
              claim: `${pod.name}-${draClaimName(c)}`,
              device:
                device.migInstanceId === undefined ? device.uuid : `${device.uuid}/${device.migInstanceId}`,
              ...(device.migProfile ? { migProfile: device.migProfile } : {}),
            });
          }
        }
      }
      for (const c of pod.initContainers ?? []) {
        if (!c.gpuResource) continue;
        initRequests.push({ pod: ref, container: c.name, resource: c.gpuResource, value: c.gpuCount });
        if (c.restartPolicy === 'Always') sidecars.push({ pod: ref, container: c.name });
      }
      const bound = podSegments(pod).find((s) => s.node !== '');
      if (bound && pod.node && anyKsmSample({ startMs: bound.startMs, endMs: life.endMs })) {
        podNodes.push({ pod: ref, node: pod.node });
      }
      podLabels.push({ pod: ref, labels: Object.fromEntries(podLabelPairs(pod)) });
    }
  }

  const always: TimeRange = { startMs: Number.NEGATIVE_INFINITY, endMs: Number.POSITIVE_INFINITY };
  const namespaceLabels: NamespaceLabels[] =
    n > 0 && anyKsmSample(always)
      ? sim.namespaces.map((ns) => ({
          cluster,
          namespace: ns.name,
          labels: Object.fromEntries(Object.keys(ns.labels).map((k) => [ksmLabelName(k), ns.labels[k]!])),
        }))
      : [];

  const nodeLabels: NodeLabels[] = [];
  const nodeCapacityPoints: NodeCapacityPoints[] = [];
  const nodePresence: NodePresencePoints[] = [];
  const nodeProviderIds: NodeProviderId[] = [];
  const ksmPresent = new Set<number>();
  const dcgmPresent = new Set<number>();
  for (const node of sim.nodes) {
    const points = node.lifetimes.flatMap((l) => ksmPoints(l));
    if (points.length > 0) {
      nodePresence.push({ cluster, node: node.name, tsMs: points });
      const providerId = providerIdOf(node, cluster);
      if (providerId !== null) nodeProviderIds.push({ cluster, node: node.name, providerId });
      nodeLabels.push({ cluster, node: node.name, labels: Object.fromEntries(nodeLabelPairs(node)) });
      for (const [resource, units] of nodeCapacity(node)) {
        if (!isGpuResource(resource)) continue;
        nodeCapacityPoints.push({
          cluster,
          node: node.name,
          resource,
          points: points.map((t) => [t, units]),
        });
        for (const t of points) ksmPresent.add(t);
      }
    }
    if (node.devices.length > 0) {
      const schedule = dcgmSchedule(sim, node.dcgmOffsetMs);
      for (const l of node.lifetimes) {
        forEachSampleTime(sim, schedule, Math.max(from, l.startMs), Math.min(to, l.endMs), (t) => {
          dcgmPresent.add(pointOf(t));
        });
      }
    }
  }

  // GPU quotas over the day only (the Prometheus source asks for them on the day's steps): at each grid
  // point, the value of the last kube-state-metrics sample in (t − step, t].
  const focus = grid.focus ?? grid;
  const gpuQuotas = new Map<string, GpuQuotaPoints>();
  if (n > 0) {
    for (const q of quotaSeries(sim)) {
      const id = `${q.namespace}\u0000${q.quota}\u0000${q.resource}`;
      const entry = gpuQuotas.get(id) ?? {
        cluster,
        namespace: q.namespace,
        quota: q.quota,
        resource: q.resource,
        hard: [],
        used: [],
      };
      gpuQuotas.set(id, entry);
      const points = q.type === 'hard' ? entry.hard : entry.used;
      forEachSampleTime(sim, ksm, Math.max(from, focus.startMs + 1), Math.min(to, focus.endMs + 1), (t) => {
        const p = pointOf(t);
        const value = typeof q.value === 'number' ? q.value : q.value(t);
        if (points[points.length - 1]?.[0] === p) points[points.length - 1]![1] = value;
        else points.push([p, value]);
      });
    }
  }

  type UtilAccumulator = Omit<PodUtilizationPoints, 'points'> & {
    points: [number, number, number][];
    byPoint: Map<number, [number, number, number]>;
  };
  const utilization = new Map<string, UtilAccumulator>();
  const accumulator = (
    namespace: string,
    pod: string,
    source: PodUtilizationPoints['source'],
  ): UtilAccumulator => {
    const key = `${namespace}\u0000${pod}\u0000${source}`;
    let u = utilization.get(key);
    if (!u) {
      u = { cluster, namespace, pod, source, points: [], byPoint: new Map() };
      utilization.set(key, u);
    }
    return u;
  };
  const add = (u: UtilAccumulator, p: number, value: number) => {
    const point = u.byPoint.get(p);
    if (point) {
      point[1] += value;
      point[2] += 1;
    } else {
      const fresh: [number, number, number] = [p, value, 1];
      u.byPoint.set(p, fresh);
      u.points.push(fresh);
    }
  };
  if (n > 0) {
    for (const plan of dcgmPlan(sim)) {
      const schedule = dcgmSchedule(sim, plan.node.dcgmOffsetMs);
      for (const holder of plan.holders) {
        if (holder.range.endMs <= from || holder.range.startMs >= to) continue;
        const { namespace, name } = holder.pod;
        const gr = hasGrEngineActive(plan)
          ? accumulator(namespace, name, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE')
          : null;
        const util = hasGpuUtil(plan) ? accumulator(namespace, name, 'DCGM_FI_DEV_GPU_UTIL') : null;
        forEachSampleTime(
          sim,
          schedule,
          Math.max(from, holder.range.startMs),
          Math.min(to, holder.range.endMs),
          (t) => {
            const active = grEngineActive(sim, plan, holder, t);
            const p = pointOf(t);
            if (gr) add(gr, p, active);
            // Same value as gpuUtilPercent() / 100: GPU_UTIL is the integer percent of the same activity.
            if (util) add(util, p, Math.round(active * 100) / 100);
          },
        );
      }
    }
  }

  return {
    grid: { startMs: grid.startMs, endMs: grid.endMs, stepMs },
    running,
    pendingOnNode,
    requests,
    podNodes,
    podLabels,
    namespaceLabels,
    nodeLabels,
    nodeCapacity: nodeCapacityPoints,
    nodePresence,
    initRequests,
    sidecars,
    draDevices,
    utilization: [...utilization.values()].map(({ byPoint: _, points, ...rest }) => ({
      ...rest,
      points: points.sort((a, b) => a[0] - b[0]),
    })),
    nodeProviderIds,
    gpuQuotas: [...gpuQuotas.values()],
    ksmPresentTsMs: [...ksmPresent].sort((a, b) => a - b),
    dcgmPresentTsMs: [...dcgmPresent].sort((a, b) => a - b),
    scrape,
  };
}
