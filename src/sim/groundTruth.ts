/**
 * The exact answer a correct metering pipeline should approach for a simulation, computed from the
 * model (continuous time), not from samples. See {@link GroundTruth} for the semantics of each field.
 */
import type { BillingPeriod, Fraction, TimeRange } from '../core/types.ts';
import { dcgmPlan, gpuUtilPercent, grEngineActive, hasGpuUtil, hasGrEngineActive } from './dcgm.ts';
import { byIdleReason, type ByIdleReason } from '../core/idleReasons.ts';
import {
  commonDenominator,
  fraction,
  nodeCapacity,
  nodeCapacityGpuEquivalents,
  unpartitionedMigGpus,
} from './gpu.ts';
import type { NodeLabelStyle, SimContainer, SimNode, SimPod, SimUnit, Simulation } from './model.ts';
import {
  coveredMs,
  dcgmSchedule,
  forEachSampleTime,
  intersect,
  pendingOnNodeRange,
  runningRange,
} from './timeline.ts';

/** Mean of DCGM samples: sum and count of the values (scaled to 0..1) and their mean, or null without samples. */
export interface SampleMean {
  sum: number;
  count: number;
  mean: number;
}

/** One pod (uid) × GPU resource. */
export interface GroundTruthPod {
  uid: string;
  cluster: string;
  namespace: string;
  pod: string;
  /** Node the pod was bound to, or null when it never was (it is then charged nothing). */
  node: string | null;
  /** Edge case this pod demonstrates, when the scenario names one. */
  role: string | null;
  gpuResource: string;
  /**
   * Units of gpuResource the pod holds: Kubernetes' effective request, max(largest init container,
   * app containers + restartable init containers).
   */
  requested: number;
  /** GPU equivalents per unit: 1, MIG g/7 (A100/H100/H200) or g/4 (A30), time-sliced physical GPUs / advertised units. */
  weight: Fraction;
  /** requested × weight. */
  gpuEquivalents: number;
  team: string;
  project: string;
  teamSource: 'pod-label' | 'namespace-label' | 'default';
  projectSource: 'pod-label' | 'namespace-label' | 'default';
  /** Lifecycle of the pod (epoch ms, null = never / after the simulated range). */
  createdMs: number;
  runningMs: number | null;
  endMs: number | null;
  deletedMs: number | null;
  /**
   * Seconds the pod was Running on its node within each local day of the period (continuous time:
   * [runningMs, endMs ∧ deletedMs) ∩ day). Every day of the period is present, 0 when not Running.
   */
  heldSecondsByDay: Record<string, number>;
  /** Seconds Pending while bound to its node (pulling images, GPUs already reserved), per local day. */
  pendingOnNodeSecondsByDay: Record<string, number>;
  /** Sum of heldSecondsByDay. */
  heldSeconds: number;
  pendingOnNodeSeconds: number;
  /** Of heldSeconds, seconds inside a Prometheus outage (no sample can show them). */
  heldInOutageSeconds: number;
  /** heldSeconds × gpuEquivalents. */
  gpuSeconds: number;
  /**
   * Means of the DCGM samples labelled with this pod (namespace/pod, or exported_*) within the period
   * while it held the GPU: GR_ENGINE_ACTIVE as-is, GPU_UTIL / 100. `mean` is GR_ENGINE_ACTIVE when the
   * entity has it, else GPU_UTIL; null when no sample exists (never Running, or Running only in an outage).
   */
  utilization: {
    grEngineActive: SampleMean | null;
    gpuUtil: SampleMean | null;
    mean: number | null;
    source: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' | 'DCGM_FI_DEV_GPU_UTIL' | 'none';
  };
}

/**
 * Capacity and allocation of one node in one local day. Exact values are integers in units of
 * 1/denominator GPU-millisecond (denominator = GroundTruth.exactDenominator), so that
 * idle + allocated = capacity holds exactly; the float seconds are for display.
 */
export interface GroundTruthNodeDay {
  date: string;
  /** Seconds the node existed within the day. */
  presentSeconds: number;
  /** presentSeconds × the node's physical GPUs: what the machine costs, whatever it advertises. */
  capacityGpuSeconds: number;
  /** Σ over pods Running on the node of held seconds × GPU equivalents. */
  allocatedGpuSeconds: number;
  /** capacity − allocated. */
  idleGpuSeconds: number;
  /** Σ over pods Pending on the node of pending seconds × GPU equivalents (not part of allocated). */
  pendingOnNodeGpuSeconds: number;
  /**
   * Of idle, per reason (src/core/idleReasons.ts): MIG slices no device covers, GPUs the device plugin
   * does not advertise (less what DRA claims hold), and the advertised rest not held.
   */
  idleByReason: ByIdleReason;
  exact: {
    capacity: number;
    allocated: number;
    idle: number;
    pendingOnNode: number;
    idleByReason: ByIdleReason;
  };
}

export interface GroundTruthNode {
  cluster: string;
  node: string;
  instanceType: string;
  capacityType: 'spot' | 'on-demand';
  labelStyle: NodeLabelStyle;
  gpuModel: string;
  /** Physical GPUs. */
  gpus: number;
  /** Advertised units per GPU resource (kube_node_status_capacity). */
  capacity: Record<string, number>;
  /** GPU equivalents of the whole advertised capacity. */
  capacityGpuEquivalents: Fraction;
  lifetimes: TimeRange[];
  /** Every local day of the period. */
  days: GroundTruthNodeDay[];
}

export interface GroundTruthTotals {
  capacityGpuSeconds: number;
  allocatedGpuSeconds: number;
  idleGpuSeconds: number;
  pendingOnNodeGpuSeconds: number;
  exact: { capacity: number; allocated: number; idle: number; pendingOnNode: number };
}

/** Ground truth of a simulation over a billing period (JSON-serializable). */
export interface GroundTruth {
  schemaVersion: 1;
  simulation: {
    name: string;
    seed: number;
    cluster: string;
    scrape: { ksmSeconds: number; dcgmSeconds: number; ksmOffsetMs: number };
    outages: TimeRange[];
    cases: Record<string, string>;
  };
  period: { month: string; zone: string; startMs: number; endMs: number; hours: number; days: string[] };
  /** Exact values are in 1/exactDenominator GPU-milliseconds. */
  exactDenominator: number;
  pods: GroundTruthPod[];
  nodes: GroundTruthNode[];
  /** Per local day, over all nodes. */
  byDay: (GroundTruthTotals & { date: string })[];
  totals: GroundTruthTotals;
}

/** Options of {@link groundTruth}. */
export interface GroundTruthOptions {
  /** Team/project for pods without a team/project label (default "unallocated", like the config). */
  defaultTeam?: string;
  defaultProject?: string;
}

const emptyTotals = (): GroundTruthTotals => ({
  capacityGpuSeconds: 0,
  allocatedGpuSeconds: 0,
  idleGpuSeconds: 0,
  pendingOnNodeGpuSeconds: 0,
  exact: { capacity: 0, allocated: 0, idle: 0, pendingOnNode: 0 },
});

function addExact(t: GroundTruthTotals, e: GroundTruthNodeDay['exact'], d: number): void {
  t.exact.capacity += e.capacity;
  t.exact.allocated += e.allocated;
  t.exact.idle += e.idle;
  t.exact.pendingOnNode += e.pendingOnNode;
  const toSeconds = (x: number) => x / d / 1000;
  t.capacityGpuSeconds = toSeconds(t.exact.capacity);
  t.allocatedGpuSeconds = toSeconds(t.exact.allocated);
  t.idleGpuSeconds = toSeconds(t.exact.idle);
  t.pendingOnNodeGpuSeconds = toSeconds(t.exact.pendingOnNode);
}

function attribution(
  sim: Simulation,
  pod: SimPod,
  key: 'team' | 'project',
  fallback: string,
): [string, 'pod-label' | 'namespace-label' | 'default'] {
  const fromPod = pod.labels[key];
  if (fromPod !== undefined) return [fromPod, 'pod-label'];
  const fromNs = sim.namespaces.find((n) => n.name === pod.namespace)?.labels[key];
  if (fromNs !== undefined) return [fromNs, 'namespace-label'];
  return [fallback, 'default'];
}

/**
 * Computes the ground truth of `sim` over `period` (its days must lie in the simulated range for the
 * numbers to mean anything; time outside sim.range counts as it happened in the model, but no samples
 * exist there).
 */
export function groundTruth(
  sim: Simulation,
  period: BillingPeriod,
  options: GroundTruthOptions = {},
): GroundTruth {
  const cluster = sim.cluster ?? '';
  const nodesByName = new Map(sim.nodes.map((n) => [n.name, n]));
  const d = commonDenominator(
    sim.nodes.flatMap((n) => [...n.units.map((u) => u.weight), unpartitionedMigGpus(n)]),
  );
  const periodRange: TimeRange = { startMs: period.startMs, endMs: period.endMs };
  const overlap = (r: TimeRange | null, w: TimeRange) => {
    const x = r ? intersect(r, w) : null;
    return x ? x.endMs - x.startMs : 0;
  };

  const utilization = new Map<string, { gr: SampleMean | null; util: SampleMean | null }>();
  for (const plan of dcgmPlan(sim)) {
    const schedule = dcgmSchedule(sim, plan.node.dcgmOffsetMs);
    for (const holder of plan.holders) {
      const r = intersect(holder.range, periodRange);
      if (!r) continue;
      const key = `${holder.pod.uid}`;
      const acc = utilization.get(key) ?? { gr: null, util: null };
      const addTo = (m: SampleMean | null, v: number): SampleMean => {
        const out = m ?? { sum: 0, count: 0, mean: 0 };
        out.sum += v;
        out.count += 1;
        return out;
      };
      forEachSampleTime(sim, schedule, r.startMs, r.endMs, (t) => {
        if (hasGrEngineActive(plan)) acc.gr = addTo(acc.gr, grEngineActive(sim, plan, holder, t));
        if (hasGpuUtil(plan)) acc.util = addTo(acc.util, gpuUtilPercent(sim, plan, holder, t) / 100);
      });
      utilization.set(key, acc);
    }
  }

  const pods: GroundTruthPod[] = [];
  const nodeDayExact = new Map<string, { allocated: number; pendingOnNode: number }>();
  for (const pod of sim.pods) {
    const node = pod.node ? nodesByName.get(pod.node)! : null;
    const resources = effectiveRequests(pod, node ?? undefined);
    const lifeInPeriod = overlap(
      { startMs: pod.createdMs, endMs: pod.deletedMs ?? Number.POSITIVE_INFINITY },
      periodRange,
    );
    if (resources.size === 0 || lifeInPeriod === 0) continue;
    const running = runningRange(pod);
    const pending = pendingOnNodeRange(pod);
    const [team, teamSource] = attribution(sim, pod, 'team', options.defaultTeam ?? 'unallocated');
    const [project, projectSource] = attribution(
      sim,
      pod,
      'project',
      options.defaultProject ?? 'unallocated',
    );
    const u = utilization.get(pod.uid) ?? { gr: null, util: null };
    for (const s of [u.gr, u.util]) if (s) s.mean = s.sum / s.count;
    for (const [gpuResource, requested] of resources) {
      const weight = node ? podWeight(node, pod, gpuResource) : fraction(1, 1);
      const heldSecondsByDay: Record<string, number> = {};
      const pendingOnNodeSecondsByDay: Record<string, number> = {};
      let heldMs = 0;
      let pendingMs = 0;
      for (const day of period.days) {
        const h = node ? overlap(running, day) : 0;
        const p = node ? overlap(pending, day) : 0;
        heldSecondsByDay[day.date] = h / 1000;
        pendingOnNodeSecondsByDay[day.date] = p / 1000;
        heldMs += h;
        pendingMs += p;
        if (node) {
          const key = `${node.name}|${day.date}`;
          const acc = nodeDayExact.get(key) ?? { allocated: 0, pendingOnNode: 0 };
          const perMs = (requested * weight.numerator * d) / weight.denominator;
          acc.allocated += h * perMs;
          acc.pendingOnNode += p * perMs;
          nodeDayExact.set(key, acc);
        }
      }
      const heldRange = running ? intersect(running, periodRange) : null;
      const gpuEquivalents = (requested * weight.numerator) / weight.denominator;
      const source = u.gr ? 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' : u.util ? 'DCGM_FI_DEV_GPU_UTIL' : 'none';
      pods.push({
        uid: pod.uid,
        cluster,
        namespace: pod.namespace,
        pod: pod.name,
        node: pod.node,
        role: pod.role ?? null,
        gpuResource,
        requested,
        weight,
        gpuEquivalents,
        team,
        project,
        teamSource,
        projectSource,
        createdMs: pod.createdMs,
        runningMs: pod.runningMs,
        endMs: pod.endMs,
        deletedMs: pod.deletedMs,
        heldSecondsByDay,
        pendingOnNodeSecondsByDay,
        heldSeconds: heldMs / 1000,
        pendingOnNodeSeconds: pendingMs / 1000,
        heldInOutageSeconds: node && heldRange ? coveredMs(heldRange, sim.outages) / 1000 : 0,
        gpuSeconds: (heldMs / 1000) * gpuEquivalents,
        utilization: {
          grEngineActive: u.gr,
          gpuUtil: u.util,
          mean: u.gr ? u.gr.mean : u.util ? u.util.mean : null,
          source,
        },
      });
    }
  }

  const totals = emptyTotals();
  const byDay = period.days.map((day) => ({ date: day.date, ...emptyTotals() }));
  const nodes: GroundTruthNode[] = sim.nodes.map((node) => {
    const cap = nodeCapacityGpuEquivalents(node);
    const capPerMs = node.gpus * d;
    const advertisedPerMs = node.devicePlugin === 'absent' ? 0 : (cap.numerator * d) / cap.denominator;
    const gap = unpartitionedMigGpus(node);
    const gapPerMs = (gap.numerator * d) / gap.denominator;
    const days = period.days.map((day, i): GroundTruthNodeDay => {
      const presentMs = coveredMs(day, node.lifetimes);
      const acc = nodeDayExact.get(`${node.name}|${day.date}`) ?? { allocated: 0, pendingOnNode: 0 };
      // Pods the device plugin placed hold advertised units; DRA claims hold GPUs it does not advertise.
      const notAdvertised = presentMs * (capPerMs - advertisedPerMs - gapPerMs);
      const byReason = {
        unallocated: node.devicePlugin === 'absent' ? 0 : presentMs * advertisedPerMs - acc.allocated,
        'mig-unpartitioned': presentMs * gapPerMs,
        'not-advertised': node.devicePlugin === 'absent' ? notAdvertised - acc.allocated : notAdvertised,
        'unknown-resource': 0,
      };
      const exact = {
        capacity: presentMs * capPerMs,
        allocated: acc.allocated,
        idle: presentMs * capPerMs - acc.allocated,
        pendingOnNode: acc.pendingOnNode,
        idleByReason: byReason,
      };
      addExact(totals, exact, d);
      addExact(byDay[i]!, exact, d);
      return {
        date: day.date,
        presentSeconds: presentMs / 1000,
        capacityGpuSeconds: exact.capacity / d / 1000,
        allocatedGpuSeconds: exact.allocated / d / 1000,
        idleGpuSeconds: exact.idle / d / 1000,
        pendingOnNodeGpuSeconds: exact.pendingOnNode / d / 1000,
        idleByReason: byIdleReason((r) => byReason[r] / d / 1000),
        exact,
      };
    });
    return {
      cluster,
      node: node.name,
      instanceType: node.instanceType,
      capacityType: node.capacityType,
      labelStyle: node.labelStyle,
      gpuModel: node.gpuModel,
      gpus: node.gpus,
      capacity: Object.fromEntries(nodeCapacity(node)),
      capacityGpuEquivalents: cap,
      lifetimes: node.lifetimes,
      days,
    };
  });

  return {
    schemaVersion: 1,
    simulation: {
      name: sim.name,
      seed: sim.seed,
      cluster,
      scrape: { ...sim.scrape },
      outages: sim.outages,
      cases: sim.cases,
    },
    period: {
      month: period.month,
      zone: period.zone,
      startMs: period.startMs,
      endMs: period.endMs,
      hours: period.hours,
      days: period.days.map((x) => x.date),
    },
    exactDenominator: d,
    pods,
    nodes,
    byDay,
    totals,
  };
}

/**
 * The GPU units a pod holds per resource, by Kubernetes' effective-request rule: max(largest
 * non-restartable init container, Σ app containers + Σ restartable init containers).
 */
export function effectiveRequests(
  pod: Pick<SimPod, 'containers' | 'initContainers'>,
  node?: Pick<SimNode, 'units'>,
): Map<string, number> {
  const out = new Map<string, number>();
  const add = (c: SimContainer, running: boolean) => {
    if (!c.gpuResource) return;
    const prev = out.get(c.gpuResource) ?? 0;
    out.set(c.gpuResource, running ? prev + c.gpuCount : prev);
  };
  for (const c of pod.containers) add(c, true);
  for (const c of pod.initContainers ?? []) add(c, c.restartPolicy === 'Always');
  for (const [resource, count] of draRequests(pod, node)) out.set(resource, (out.get(resource) ?? 0) + count);
  for (const c of pod.initContainers ?? []) {
    if (c.gpuResource && c.restartPolicy !== 'Always')
      out.set(c.gpuResource, Math.max(out.get(c.gpuResource)!, c.gpuCount));
  }
  return out;
}

/** The resource metering bills a DRA-claimed unit as: dra_gpu for a whole GPU, dra_mig_<profile> for a MIG device. */
export function draResourceOf(unit: Pick<SimUnit, 'resource'>): string {
  return unit.resource.startsWith('nvidia_com_mig_')
    ? `dra_mig_${unit.resource.slice('nvidia_com_mig_'.length)}`
    : 'dra_gpu';
}

/** Devices a pod claims through DRA, per billed resource. */
function draRequests(
  pod: Pick<SimPod, 'containers'>,
  node: Pick<SimNode, 'units'> | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of pod.containers) {
    for (const u of c.draUnits ?? []) {
      const resource = draResourceOf(node!.units[u]!);
      out.set(resource, (out.get(resource) ?? 0) + 1);
    }
  }
  return out;
}

/** GPU equivalents per unit of `resource` held by `pod` on `node` (all its units of a resource weigh the same). */
function podWeight(node: SimNode, pod: SimPod, resource: string): Fraction {
  const claimed = pod.containers
    .flatMap((c) => c.draUnits ?? [])
    .find((u) => draResourceOf(node.units[u]!) === resource);
  if (claimed !== undefined) return node.units[claimed]!.weight;
  const c = [...pod.containers, ...(pod.initContainers ?? [])].find(
    (x) => x.gpuResource === resource && x.units.length > 0,
  );
  const unit = c ? node.units[c.units[0]!] : node.units.find((u) => u.resource === resource);
  return unit ? unit.weight : fraction(1, 1);
}
