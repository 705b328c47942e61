/**
 * What dcgm-exporter reports: which pod holds each DCGM entity when, and the sampled values. A pod's
 * labels are attached to an entity only while the pod is Running on it (the kubelet pod-resources
 * mapping); before that, after it finishes, and on an unallocated GPU the series carries no pod labels.
 */
import type { TimeRange } from '../core/types.ts';
import type { SimContainer, SimDevice, SimNode, SimPod, Simulation } from './model.ts';
import { hashString, noise01 } from './prng.ts';
import { intersect, runningRange } from './timeline.ts';

/** One pod container holding a DCGM entity during `range` (its Running time). */
export interface DeviceHolder {
  pod: SimPod;
  container: SimContainer;
  range: TimeRange;
  /** Holders of the same entity whose ranges overlap this one (time-slicing), including itself. */
  sharers: DeviceHolder[];
  /** Held through a DRA claim (dcgm-exporter --kubernetes-enable-dra adds the dra_* labels). */
  dra?: boolean;
}

/** One DCGM entity of a node and who held it. */
export interface DevicePlan {
  node: SimNode;
  deviceIndex: number;
  device: SimDevice;
  holders: DeviceHolder[];
  /** Parts of the node's lifetimes in which no pod holds the entity. */
  idle: TimeRange[];
  /** Stable integer key of this entity, mixed into its noise. */
  key: number;
}

const plans = new WeakMap<Simulation, DevicePlan[]>();

/** Every DCGM entity of the simulation with its holders (cached per simulation). */
export function dcgmPlan(sim: Simulation): DevicePlan[] {
  const cached = plans.get(sim);
  if (cached) return cached;
  const out: DevicePlan[] = [];
  const byNode = new Map<string, DevicePlan[]>();
  for (const node of sim.nodes) {
    const list = node.devices.map((device, deviceIndex) => ({
      node,
      deviceIndex,
      device,
      holders: [] as DeviceHolder[],
      idle: [] as TimeRange[],
      key: hashString(`${node.name}/${deviceIndex}`),
    }));
    byNode.set(node.name, list);
    out.push(...list);
  }
  for (const pod of sim.pods) {
    const running = runningRange(pod);
    if (!running || !pod.node) continue;
    const node = sim.nodes.find((n) => n.name === pod.node)!;
    const list = byNode.get(pod.node)!;
    // App containers and native sidecars hold their devices while the pod runs (init containers have
    // finished by then).
    const sidecars = (pod.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
    for (const container of [...pod.containers, ...sidecars]) {
      const devices = new Set(container.units.map((u) => node.units[u]!.device));
      for (const d of devices) list[d]!.holders.push({ pod, container, range: running, sharers: [] });
      const claimed = new Set((container.draUnits ?? []).map((u) => node.units[u]!.device));
      for (const d of claimed)
        list[d]!.holders.push({ pod, container, range: running, sharers: [], dra: true });
    }
  }
  for (const plan of out) {
    plan.holders.sort((a, b) => a.range.startMs - b.range.startMs || (a.pod.uid < b.pod.uid ? -1 : 1));
    for (const h of plan.holders) {
      h.sharers = plan.holders.filter((o) => intersect(o.range, h.range) !== null);
    }
    for (const life of plan.node.lifetimes) {
      let cursor = life.startMs;
      const inLife = plan.holders
        .map((h) => intersect(h.range, life))
        .filter((r): r is TimeRange => r !== null)
        .sort((a, b) => a.startMs - b.startMs);
      for (const r of inLife) {
        if (r.startMs > cursor) plan.idle.push({ startMs: cursor, endMs: r.startMs });
        cursor = Math.max(cursor, r.endMs);
      }
      if (life.endMs > cursor) plan.idle.push({ startMs: cursor, endMs: life.endMs });
    }
  }
  plans.set(sim, out);
  return out;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

const uidHashes = new WeakMap<SimPod, number>();

function uidHash(sim: Simulation, pod: SimPod): number {
  let h = uidHashes.get(pod);
  if (h === undefined) {
    h = hashString(pod.uid, sim.seed);
    uidHashes.set(pod, h);
  }
  return h;
}

/** A pod's own graphics-engine activity on an entity at `tMs`, 0..1 with 6 decimals. */
export function podActivity(sim: Simulation, pod: SimPod, plan: DevicePlan, tMs: number): number {
  const n = noise01(uidHash(sim, pod), plan.key, Math.floor(tMs / 1000));
  const { mean, jitter } = pod.utilization;
  return round6(Math.min(1, Math.max(0, mean + jitter * (2 * n - 1))));
}

/**
 * DCGM_FI_PROF_GR_ENGINE_ACTIVE of the entity as seen by `holder` at `tMs` (0..1). Under time-slicing
 * every sharing pod sees the whole device's activity (the sum of the sharers', capped at 1).
 */
export function grEngineActive(sim: Simulation, plan: DevicePlan, holder: DeviceHolder, tMs: number): number {
  if (holder.sharers.length === 1) return podActivity(sim, holder.pod, plan, tMs);
  let sum = 0;
  for (const s of holder.sharers) {
    if (tMs >= s.range.startMs && tMs < s.range.endMs) sum += podActivity(sim, s.pod, plan, tMs);
  }
  return round6(Math.min(1, sum));
}

/** DCGM_FI_DEV_GPU_UTIL (integer percent 0..100) for the same instant. */
export function gpuUtilPercent(sim: Simulation, plan: DevicePlan, holder: DeviceHolder, tMs: number): number {
  return Math.round(grEngineActive(sim, plan, holder, tMs) * 100);
}

/** Frame-buffer size of an entity in MiB. */
export function frameBufferMiB(node: SimNode, device: SimDevice): number {
  if (device.migProfile) {
    const m = /\.(\d+)gb/.exec(device.migProfile);
    return m ? Number(m[1]) * 1024 - 256 : 4864;
  }
  const sizes: Record<string, number> = { T4: 15360, A10G: 23028, A100: 40960, H100: 81559, L4: 23034 };
  return sizes[node.gpuModel] ?? 16384;
}

/** DCGM_FI_DEV_FB_USED (MiB) of a held entity at `tMs`. */
export function frameBufferUsedMiB(
  sim: Simulation,
  plan: DevicePlan,
  holder: DeviceHolder,
  tMs: number,
): number {
  const total = frameBufferMiB(plan.node, plan.device);
  const n = noise01(uidHash(sim, holder.pod) ^ 0x5bd1e995, plan.key, Math.floor(tMs / 60_000));
  const share = Math.min(0.97, 0.15 + 0.7 * holder.pod.utilization.mean + 0.05 * n);
  return Math.round(total * share);
}

/** Whether an entity exports DCGM_FI_DEV_GPU_UTIL (not for MIG instances). */
export function hasGpuUtil(plan: DevicePlan): boolean {
  return plan.device.migProfile === undefined;
}

/** Whether an entity exports DCGM_FI_PROF_GR_ENGINE_ACTIVE (data-center GPUs with profiling; per MIG instance). */
export function hasGrEngineActive(plan: DevicePlan): boolean {
  return plan.node.profilingMetrics;
}
