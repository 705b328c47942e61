/**
 * Scenario presets. `demo` is a realistic month of a mid-size EKS GPU cluster; `edge-cases` is a small
 * cluster in which every situation that breaks naive GPU metering happens once, on purpose, and is
 * named in `Simulation.cases` (case name → pod uid or node name).
 */
import { DateTime } from 'luxon';
import { billingPeriod } from '../core/period.ts';
import type { TimeRange } from '../core/types.ts';
import { ScenarioBuilder } from './builder.ts';
import type { ContainerDraft } from './builder.ts';
import { deriveNodeResources, migResourceName } from './gpu.ts';
import {
  DEFAULT_SCRAPE,
  type ExplicitSimulateOptions,
  type PresetOptions,
  type SimNodeSpec,
  type SimPod,
} from './model.ts';
import { createRng, type Rng } from './prng.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

interface InstanceTypeInfo {
  gpus: number;
  gpuModel: string;
  modelName: string;
  profilingMetrics: boolean;
}

/** GPU instance types the presets use. */
export const PRESET_INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  'g5.xlarge': { gpus: 1, gpuModel: 'A10G', modelName: 'NVIDIA A10G', profilingMetrics: true },
  'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', modelName: 'NVIDIA A10G', profilingMetrics: true },
  'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', modelName: 'Tesla T4', profilingMetrics: false },
  'g4dn.12xlarge': { gpus: 4, gpuModel: 'T4', modelName: 'Tesla T4', profilingMetrics: false },
  'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', modelName: 'NVIDIA A100-SXM4-40GB', profilingMetrics: true },
  // An on-prem DGX A100 (no cloud instance type; the demo's catalog prices it per GPU-hour by model).
  'dgx-a100': { gpus: 8, gpuModel: 'A100', modelName: 'NVIDIA A100-SXM4-40GB', profilingMetrics: true },
};

/** The simulated range of a preset: the billing month in its zone, or its first `days` local days. */
export function presetRange(options: PresetOptions): TimeRange {
  const period = billingPeriod(options.month, options.zone);
  if (options.days === undefined) return { startMs: period.startMs, endMs: period.endMs };
  if (!(Number.isInteger(options.days) && options.days >= 1 && options.days <= period.days.length)) {
    throw new RangeError(`days must be an integer in 1..${period.days.length}, got ${options.days}`);
  }
  return { startMs: period.startMs, endMs: period.days[options.days - 1]!.endMs };
}

interface NodeDraft {
  name?: string;
  instanceType: string;
  capacityType: 'spot' | 'on-demand';
  labelStyle: SimNodeSpec['labelStyle'];
  lifetimes: TimeRange[];
  dcgmLabels?: 'direct' | 'exported';
  migProfiles?: string[][];
  timeSlicingReplicas?: number;
  sharing?: SimNodeSpec['sharing'];
  devicePlugin?: SimNodeSpec['devicePlugin'];
  instanceTypeLabel?: boolean;
  gfd?: boolean;
}

function makeNode(b: ScenarioBuilder, draft: NodeDraft): SimNodeSpec {
  const info = PRESET_INSTANCE_TYPES[draft.instanceType];
  if (!info) throw new RangeError(`unknown preset instance type ${draft.instanceType}`);
  const x = b.rng.int(0, 255);
  const y = b.rng.int(1, 254);
  const spec: SimNodeSpec = {
    name: draft.name ?? `ip-10-0-${x}-${y}.ec2.internal`,
    ip: `10.0.${x}.${y}`,
    instanceType: draft.instanceType,
    capacityType: draft.capacityType,
    labelStyle: draft.labelStyle,
    gpuModel: info.gpuModel,
    modelName: info.modelName,
    gpus: info.gpus,
    profilingMetrics: info.profilingMetrics,
    dcgmLabels: draft.dcgmLabels ?? 'direct',
    lifetimes: draft.lifetimes,
  };
  if (draft.migProfiles) spec.migProfiles = draft.migProfiles;
  if (draft.timeSlicingReplicas) spec.timeSlicingReplicas = draft.timeSlicingReplicas;
  if (draft.sharing) spec.sharing = draft.sharing;
  if (draft.devicePlugin) spec.devicePlugin = draft.devicePlugin;
  if (draft.instanceTypeLabel === false) spec.instanceTypeLabel = false;
  if (draft.gfd) spec.gfd = true;
  return b.addNode(spec);
}

// ---------------------------------------------------------------------------------------------
// demo
// ---------------------------------------------------------------------------------------------

type WorkloadKind = 'training' | 'inference' | 'notebook' | 'batch';

interface Tenant {
  namespace: string;
  /** Pod labels to use (team/project on the pod), possibly empty. */
  podLabels: (rng: Rng) => Record<string, string>;
  projects: string[];
}

interface Lane {
  node: SimNodeSpec;
  /** The GPU resource its pods request, or "dra" for pods that claim `units.length` GPUs through DRA. */
  resource: string;
  units: number[];
  /** Its pods also run a native sidecar (restartable init container) holding one more GPU. */
  sidecarGpu?: boolean;
  kinds: WorkloadKind[];
  tenants: Tenant[];
  /** Stable per-lane names (notebook user, inference deployment). */
  user: string;
}

const DEMO_NAMESPACES: [string, Record<string, string>][] = [
  ['ml-research', { team: 'ml-research', project: 'foundation-models' }],
  ['search', {}],
  ['vision', { team: 'vision' }],
  ['speech-asr', { team: 'speech', project: 'asr' }],
  ['recsys', { team: 'recsys', project: 'feed-ranking' }],
  ['inference', {}],
  ['sandbox', {}],
];

/** GPU ResourceQuotas of two demo namespaces (the platform's standard: namespaces have GPU quotas). */
const DEMO_GPU_QUOTAS = new Map<string, { name: string; hard: Record<string, number> }>([
  [
    'ml-research',
    { name: 'gpu-quota', hard: { 'requests.nvidia.com/gpu': 12, 'requests.nvidia.com/mig-3g.20gb': 16 } },
  ],
  [
    'vision',
    { name: 'gpu-quota', hard: { 'requests.nvidia.com/gpu': 8, 'requests.nvidia.com/mig-1g.5gb': 8 } },
  ],
]);

const TENANTS: Record<string, Tenant> = {
  'ml-research': { namespace: 'ml-research', podLabels: () => ({}), projects: ['foundation-models'] },
  search: {
    namespace: 'search',
    podLabels: (rng) => ({ team: 'search-ranking', project: rng.pick(['ranker-v2', 'query-understanding']) }),
    projects: ['ranker-v2', 'query-understanding'],
  },
  vision: {
    namespace: 'vision',
    podLabels: (rng) => ({ project: rng.pick(['detector', 'segmentation']) }),
    projects: ['detector', 'segmentation'],
  },
  speech: {
    namespace: 'speech-asr',
    podLabels: (rng): Record<string, string> => (rng.chance(0.3) ? { project: 'tts' } : {}),
    projects: ['asr', 'tts'],
  },
  recsys: { namespace: 'recsys', podLabels: () => ({}), projects: ['feed-ranking'] },
  inference: {
    namespace: 'inference',
    podLabels: (rng) =>
      rng.pick([
        { team: 'genai-apps', project: 'chat-assistant' },
        { team: 'genai-apps', project: 'summarizer' },
        { team: 'search-ranking', project: 'ranker-v2' },
      ]),
    projects: ['chat-assistant', 'summarizer', 'ranker-v2'],
  },
  sandbox: { namespace: 'sandbox', podLabels: () => ({}), projects: ['scratch'] },
};

const KIND_PROFILE: Record<
  WorkloadKind,
  { util: [number, number]; jitter: number; medianMs: number; sigma: number; gapMs: number }
> = {
  training: { util: [0.55, 0.92], jitter: 0.12, medianMs: 7 * H, sigma: 0.9, gapMs: 90 * M },
  inference: { util: [0.12, 0.5], jitter: 0.2, medianMs: 3 * D, sigma: 0.6, gapMs: 5 * M },
  notebook: { util: [0.01, 0.12], jitter: 0.05, medianMs: 4 * H, sigma: 0.6, gapMs: 3 * H },
  batch: { util: [0.6, 0.95], jitter: 0.1, medianMs: 35 * M, sigma: 0.9, gapMs: 25 * M },
};

function nextBusinessTime(t: number, zone: string, rng: Rng): number {
  let dt = DateTime.fromMillis(t, { zone });
  for (let i = 0; i < 10; i++) {
    if (dt.weekday <= 5 && dt.hour >= 8 && dt.hour < 18) return dt.toMillis();
    dt = dt.plus({ days: dt.hour >= 8 ? 1 : 0 }).set({ hour: 8, minute: 0, second: 0, millisecond: 0 });
    dt = dt.plus({ minutes: rng.int(0, 90) });
  }
  return dt.toMillis();
}

function fillLane(b: ScenarioBuilder, lane: Lane, life: TimeRange, until: number, zone: string): void {
  const rng = b.rng;
  let t = life.startMs + rng.exponential(30 * M);
  let deployment = `${lane.user}-${b.suffix(9)}`;
  while (t < Math.min(life.endMs, until)) {
    const kind = rng.pick(lane.kinds);
    const profile = KIND_PROFILE[kind];
    if (kind === 'notebook') t = nextBusinessTime(t, zone, rng);
    const tenant = rng.pick(lane.tenants);
    const labels = tenant.podLabels(rng);
    const created = Math.round(t / S) * S;
    const scheduled = created + (rng.chance(0.1) ? rng.int(60, 900) : rng.int(1, 12)) * S;
    const running = scheduled + (rng.chance(0.3) ? rng.int(60, 360) : rng.int(3, 40)) * S;
    const duration = Math.max(30 * S, Math.round(rng.logNormal(profile.medianMs, profile.sigma) / S) * S);
    const drainAt = life.endMs - rng.int(60, 110) * S;
    if (running >= drainAt) break;
    const evicted = running + duration > drainAt;
    const stopAt = evicted ? drainAt : running + duration;
    const isJob = kind === 'training' || kind === 'batch';
    let endMs: number | null = null;
    let deletedMs: number;
    let endPhase: 'Succeeded' | 'Failed' = 'Succeeded';
    if (isJob) {
      endMs = stopAt;
      endPhase = evicted || rng.chance(0.07) ? 'Failed' : 'Succeeded';
      const linger = evicted
        ? rng.int(5, 30) * S
        : rng.chance(0.2)
          ? rng.int(6, 30) * H
          : rng.int(0, 3600) * S;
      // The pod garbage collector deletes pods of a node that is gone within about a minute.
      deletedMs = Math.min(endMs + linger, life.endMs + 40 * S);
    } else {
      deletedMs = stopAt + rng.int(1, 30) * S;
    }
    const gpuCount = lane.units.length;
    const containers: ContainerDraft[] = [];
    const main = { training: 'trainer', inference: 'server', notebook: 'notebook', batch: 'worker' }[kind];
    if (lane.resource === 'dra') containers.push({ name: main, cpuCores: 4 * gpuCount, draGpus: gpuCount });
    else containers.push({ name: main, cpuCores: 4 * gpuCount, gpuResource: lane.resource, gpuCount });
    if (kind === 'inference') containers.push({ name: 'istio-proxy', cpuCores: 0.5 });
    else if (rng.chance(0.4)) containers.push({ name: 'log-shipper', cpuCores: 0.25 });
    const project = labels.project ?? rng.pick(tenant.projects);
    let name: string;
    let createdByKind: string;
    let createdByName: string;
    if (kind === 'notebook') {
      createdByKind = 'StatefulSet';
      createdByName = `jupyter-${lane.user}`;
      name = `${createdByName}-0`;
    } else if (kind === 'inference') {
      if (rng.chance(0.3)) deployment = `${lane.user}-${b.suffix(9)}`;
      createdByKind = 'ReplicaSet';
      createdByName = deployment;
      name = `${deployment}-${b.suffix()}`;
    } else if (rng.chance(0.05)) {
      createdByKind = '<none>';
      createdByName = '<none>';
      name = `debug-${lane.user}-${b.suffix()}`;
    } else {
      createdByKind = 'Job';
      createdByName = `${project}-${kind === 'training' ? 'train' : 'batch'}-${b.suffix(6)}`;
      name = `${createdByName}-${b.suffix()}`;
    }
    b.addPod({
      namespace: tenant.namespace,
      name,
      createdByKind,
      createdByName,
      labels,
      node: lane.node.name,
      createdMs: created,
      scheduledMs: scheduled,
      runningMs: running,
      endMs,
      endPhase,
      deletedMs,
      containers,
      ...(lane.sidecarGpu
        ? {
            initContainers: [
              {
                name: 'gpu-sidecar',
                cpuCores: 1,
                gpuResource: lane.resource,
                gpuCount: 1,
                restartPolicy: 'Always' as const,
              },
            ],
          }
        : {}),
      ...(lane.resource === 'dra' ? {} : { units: { [main]: lane.units } }),
      utilization: { mean: rng.between(profile.util[0], profile.util[1]), jitter: profile.jitter },
    });
    if (evicted) break;
    t = Math.min(endMs ?? deletedMs, deletedMs) + rng.exponential(profile.gapMs);
  }
}

/** Successive nodes of a Spot pool: each is reclaimed after a few days and replaced by a new node. */
function spotChain(
  b: ScenarioBuilder,
  draft: Omit<NodeDraft, 'lifetimes'>,
  window: TimeRange,
  medianDays: number,
) {
  const out: SimNodeSpec[] = [];
  let t = window.startMs;
  while (t < window.endMs) {
    const end = Math.round((t + b.rng.logNormal(medianDays * D, 0.5)) / S) * S;
    out.push(makeNode(b, { ...draft, lifetimes: [{ startMs: t, endMs: end }] }));
    t = end + b.rng.int(90, 480) * S;
  }
  return out;
}

/**
 * The `demo` preset: ~36 GPUs over g5, g4dn and p4d (one MIG, one time-sliced node), 7 teams; plus real
 * GPU shapes (issue #14): an on-prem DGX A100 known from GPU feature discovery labels, with MIG devices
 * shared by renamed time-slicing, a `+me` profile and unpartitioned slices; a g5.12xlarge whose GPUs a
 * DRA driver manages; and inference pods whose native sidecar holds a GPU.
 */
export function buildDemoScenario(options: PresetOptions): ExplicitSimulateOptions {
  const range = presetRange(options);
  const rng = createRng(options.seed);
  const b = new ScenarioBuilder(rng);
  for (const [name, labels] of DEMO_NAMESPACES) b.addNamespace(name, labels, DEMO_GPU_QUOTAS.get(name));
  const window = { startMs: range.startMs - 3 * D, endMs: range.endMs + 2 * D };
  const whole = [window];
  const lanes: Lane[] = [];
  const t = TENANTS;
  const lane = (
    node: SimNodeSpec,
    resource: string,
    units: number[],
    kinds: WorkloadKind[],
    tenants: Tenant[],
  ) => lanes.push({ node, resource, units, kinds, tenants, user: `${tenants[0]!.namespace}-${b.suffix(4)}` });
  const gpu = 'nvidia_com_gpu';

  // g5.xlarge: two On-Demand (Karpenter), two Spot pools that get reclaimed and replaced.
  for (let i = 0; i < 2; i++) {
    const n = makeNode(b, {
      instanceType: 'g5.xlarge',
      capacityType: 'on-demand',
      labelStyle: 'karpenter',
      lifetimes: whole,
    });
    lane(n, gpu, [0], ['notebook', 'batch'], [t.vision!, t.search!, t.sandbox!]);
  }
  for (let i = 0; i < 2; i++) {
    for (const n of spotChain(
      b,
      { instanceType: 'g5.xlarge', capacityType: 'spot', labelStyle: 'karpenter' },
      window,
      4,
    )) {
      lane(n, gpu, [0], ['batch', 'inference'], [t.search!, t.recsys!, t.inference!]);
    }
  }
  // g5.12xlarge: two On-Demand (Karpenter) and one time-sliced (EKS managed node group, 4 replicas).
  const g5a = makeNode(b, {
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
  });
  lane(g5a, gpu, [0, 1], ['training'], [t.vision!, t.speech!]);
  lane(g5a, gpu, [2], ['inference'], [t.inference!]);
  lane(g5a, gpu, [3], ['batch', 'notebook'], [t.speech!, t.recsys!]);
  const g5b = makeNode(b, {
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
  });
  lane(g5b, gpu, [0, 1, 2, 3], ['training'], [t.search!, t.recsys!, t['ml-research']!]);
  const sliced = makeNode(b, {
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'eks',
    lifetimes: whole,
    timeSlicingReplicas: 4,
  });
  for (let i = 0; i < 10; i++)
    lane(sliced, gpu, [i], ['inference', 'notebook'], [t.inference!, t.sandbox!, t.speech!]);
  // g4dn.xlarge (T4, no profiling metrics), EKS spelling, scraped without honor_labels.
  for (let i = 0; i < 2; i++) {
    const n = makeNode(b, {
      instanceType: 'g4dn.xlarge',
      capacityType: 'on-demand',
      labelStyle: 'eks',
      lifetimes: whole,
      dcgmLabels: 'exported',
    });
    lane(n, gpu, [0], ['inference'], [t.inference!, t.recsys!]);
  }
  for (let i = 0; i < 2; i++) {
    for (const n of spotChain(
      b,
      { instanceType: 'g4dn.xlarge', capacityType: 'spot', labelStyle: 'eks', dcgmLabels: 'exported' },
      window,
      6,
    )) {
      lane(n, gpu, [0], ['batch'], [t.speech!, t.sandbox!]);
    }
  }
  // p4d.24xlarge: one whole-GPU training node and one MIG (mixed strategy) node.
  const p4d = makeNode(b, {
    instanceType: 'p4d.24xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
  });
  lane(p4d, gpu, [0, 1, 2, 3, 4, 5, 6, 7], ['training'], [t['ml-research']!]);
  const balanced = ['1g.5gb', '1g.5gb', '2g.10gb', '3g.20gb'];
  const halves = ['4g.20gb', '3g.20gb'];
  const mig = makeNode(b, {
    instanceType: 'p4d.24xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
    migProfiles: [balanced, balanced, balanced, balanced, halves, halves, halves, halves],
  });
  const migUnits = new Map<string, number[]>();
  const derived = (mig.migProfiles ?? []).flat();
  derived.forEach((p, i) => {
    const list = migUnits.get(p) ?? [];
    list.push(i);
    migUnits.set(p, list);
  });
  const chunk = (list: number[], size: number) =>
    Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, i * size + size));
  for (const u of chunk(migUnits.get('1g.5gb')!, 2))
    lane(mig, migResourceName('1g.5gb'), u, ['notebook'], [t.vision!, t.sandbox!, t.search!]);
  for (const u of chunk(migUnits.get('2g.10gb')!, 2))
    lane(mig, migResourceName('2g.10gb'), u, ['inference'], [t.inference!]);
  for (const u of chunk(migUnits.get('3g.20gb')!, 2))
    lane(mig, migResourceName('3g.20gb'), u, ['batch', 'inference'], [t['ml-research']!, t.recsys!]);
  for (const u of chunk(migUnits.get('4g.20gb')!, 2))
    lane(mig, migResourceName('4g.20gb'), u, ['training'], [t['ml-research']!, t.vision!]);

  for (const l of lanes) {
    for (const life of l.node.lifetimes) fillLane(b, l, life, window.endMs, options.zone);
  }
  // Real GPU shapes (issue #14), laid out after the lanes above so that their pods do not change.
  const shapes: Lane[] = [];
  const shapeLane = (
    node: SimNodeSpec,
    resource: string,
    units: number[],
    kinds: WorkloadKind[],
    tenants: Tenant[],
    extra: Partial<Lane> = {},
  ) =>
    shapes.push({
      node,
      resource,
      units,
      kinds,
      tenants,
      user: `${tenants[0]!.namespace}-${b.suffix(4)}`,
      ...extra,
    });
  // On-prem DGX A100 (no instance type; GPU feature discovery labels): MIG with renamed time-slicing
  // on 1g.5gb, a `+me` profile, and one GPU whose three 2g.10gb leave a slice unpartitioned.
  const dgx = makeNode(b, {
    name: 'dgx-a100-01',
    instanceType: 'dgx-a100',
    instanceTypeLabel: false,
    capacityType: 'on-demand',
    labelStyle: 'none',
    lifetimes: whole,
    gfd: true,
    migProfiles: [
      Array.from({ length: 7 }, () => '1g.5gb'),
      Array.from({ length: 7 }, () => '1g.5gb'),
      ['1g.5gb+me', '3g.20gb', '3g.20gb'],
      ['1g.5gb+me', '3g.20gb', '3g.20gb'],
      ['2g.10gb', '2g.10gb', '2g.10gb'],
      halves,
      halves,
      halves,
    ],
    sharing: { strategy: 'time-slicing', replicas: 2, renameByDefault: true, migProfiles: ['1g.5gb'] },
  });
  const dgxUnits = new Map<string, number[]>();
  deriveNodeResources(dgx).units.forEach((u, i) =>
    dgxUnits.set(u.resource, [...(dgxUnits.get(u.resource) ?? []), i]),
  );
  for (const u of chunk(dgxUnits.get('nvidia_com_mig_1g_5gb_shared')!, 1).slice(0, 12))
    shapeLane(dgx, 'nvidia_com_mig_1g_5gb_shared', u, ['notebook'], [t.sandbox!, t.vision!, t.search!]);
  for (const u of chunk(dgxUnits.get('nvidia_com_mig_1g_5gb_me')!, 1))
    shapeLane(dgx, 'nvidia_com_mig_1g_5gb_me', u, ['inference'], [t.inference!]);
  for (const u of chunk(dgxUnits.get('nvidia_com_mig_3g_20gb')!, 2))
    shapeLane(dgx, 'nvidia_com_mig_3g_20gb', u, ['batch', 'training'], [t['ml-research']!, t.speech!]);
  for (const u of chunk(dgxUnits.get('nvidia_com_mig_2g_10gb')!, 1))
    shapeLane(dgx, 'nvidia_com_mig_2g_10gb', u, ['inference'], [t.recsys!]);
  for (const u of chunk(dgxUnits.get('nvidia_com_mig_4g_20gb')!, 1))
    shapeLane(dgx, 'nvidia_com_mig_4g_20gb', u, ['training'], [t['ml-research']!]);
  // GPUs managed by a DRA driver: no extended resource; pods claim two GPUs each.
  const dra = makeNode(b, {
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
    devicePlugin: 'absent',
  });
  shapeLane(dra, 'dra', [0, 1], ['training', 'batch'], [t.vision!, t.recsys!]);
  shapeLane(dra, 'dra', [2, 3], ['inference'], [t.inference!]);
  // Inference with a GPU-holding native sidecar (restartable init container).
  const sidecars = makeNode(b, {
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: whole,
  });
  shapeLane(sidecars, gpu, [0], ['inference'], [t.inference!], { sidecarGpu: true });
  shapeLane(sidecars, gpu, [2], ['inference'], [t.inference!, t.speech!], { sidecarGpu: true });
  for (const l of shapes) {
    for (const life of l.node.lifetimes) fillLane(b, l, life, window.endMs, options.zone);
  }
  return finish(b, options, 'demo', range, []);
}

function finish(
  b: ScenarioBuilder,
  options: PresetOptions,
  name: string,
  range: TimeRange,
  outages: TimeRange[],
): ExplicitSimulateOptions {
  const inRange = (p: SimPod) =>
    p.createdMs < range.endMs && (p.deletedMs === null || p.deletedMs > range.startMs);
  const out: ExplicitSimulateOptions = {
    name,
    seed: options.seed,
    zone: options.zone,
    range,
    outages,
    nodes: b.nodes.filter(
      (n) =>
        n.lifetimes.some((l) => l.startMs < range.endMs && l.endMs > range.startMs) ||
        b.pods.some((p) => p.node === n.name && inRange(p)),
    ),
    namespaces: b.namespaces.map((ns) => ({
      name: ns.name,
      labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
      ...(ns.gpuQuota ? { gpuQuota: ns.gpuQuota } : {}),
    })),
    pods: b.pods.filter(inRange),
    cases: b.cases,
  };
  if (options.scrape)
    out.scrape = { ksmSeconds: options.scrape.ksmSeconds, dcgmSeconds: options.scrape.dcgmSeconds };
  if (options.cluster !== undefined) out.cluster = options.cluster;
  if (options.shape !== undefined) out.shape = options.shape;
  return out;
}

// ---------------------------------------------------------------------------------------------
// edge-cases
// ---------------------------------------------------------------------------------------------

/**
 * The `edge-cases` preset. All cases happen within the first two local days of the month (so a
 * `days: 2` run exercises every one), times counted in elapsed hours from the start of the month:
 *
 * - node `reclaimed-and-returning`: Spot g5.xlarge gone [10 h, 13 h), back under the same name;
 *   pod `spot-evicted` is Failed 90 s before the reclaim, pod `after-node-return` runs after it.
 * - node `scaled-in`: g5.xlarge present [6 h, 20 h) only (Karpenter consolidation).
 * - node `mig-node`: p4d.24xlarge with MIG mixed strategy; pods `mig-1g-x2`, `mig-3g`.
 * - node `time-sliced-node`: g5.xlarge advertising 4 replicas; pods `time-sliced-a|b|c` overlap on it.
 * - node group `exported-labels` (g4dn, T4): DCGM pod labels arrive as exported_*; no GR_ENGINE_ACTIVE;
 *   pod `t4-exported-labels` runs there.
 * - Prometheus outage [26 h, 28 h); pod `running-across-outage` is Running on both sides of it.
 * - `running-before-period` (created two days earlier), `running-after-period` (ends after the range).
 * - `statefulset-first` and `statefulset-recreated`: same name vector-db-0, new uid, another node.
 * - `short-20s`: Running 20 s, straddling exactly one kube-state-metrics sample (KSM interval ≥ 20 s).
 * - `invisible-15s`: Running 15 s centred between two kube-state-metrics samples, so no sample sees it
 *   (KSM interval > 15 s).
 * - `pending-without-node`: never scheduled, requests 2 GPUs for 6 h (KSM exports the request, node="").
 * - `image-pull-25min`: Pending on its node for 25 min before Running.
 * - `succeeded-lingering-6h`: Succeeded, still exported with its requests for 6 h.
 * - `failed-lingering-1h`: Failed after 40 min, exported for another hour.
 * - `multi-container`: containers with 2 and 1 GPUs plus a CPU-only sidecar.
 * - `labels-on-pod`, `labels-on-namespace`, `labels-none` (default bucket), `pod-label-overrides-namespace`.
 */
export function buildEdgeCaseScenario(options: PresetOptions): ExplicitSimulateOptions {
  const range = presetRange(options);
  const rng = createRng(options.seed);
  const b = new ScenarioBuilder(rng);
  const t0 = range.startMs;
  const at = (hours: number) => t0 + Math.round(hours * H);
  const beyond = { startMs: t0 - 7 * D, endMs: range.endMs + 7 * D };
  const ksmOffset = DEFAULT_SCRAPE.ksmOffsetMs;
  const ksmStep = (options.scrape?.ksmSeconds ?? 60) * S;
  /** The first kube-state-metrics sample time at or after `ms`. */
  const nextKsm = (ms: number) => ksmOffset + Math.ceil((ms - ksmOffset) / ksmStep) * ksmStep;

  b.addNamespace('team-labeled-ns', { team: 'vision', project: 'detector' });
  b.addNamespace('pod-labeled-ns', {});
  b.addNamespace('unlabeled-ns', {});
  b.addNamespace('mixed-ns', { team: 'speech', project: 'asr' });

  const onDemand = makeNode(b, {
    name: 'edge-g5-12xl-ondemand',
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: [beyond],
  });
  const spot = makeNode(b, {
    name: 'edge-g5-spot-returning',
    instanceType: 'g5.xlarge',
    capacityType: 'spot',
    labelStyle: 'karpenter',
    lifetimes: [
      { startMs: beyond.startMs, endMs: at(10) },
      { startMs: at(13), endMs: beyond.endMs },
    ],
  });
  b.cases['reclaimed-and-returning'] = spot.name;
  const scaledIn = makeNode(b, {
    name: 'edge-g5-scaled-in',
    instanceType: 'g5.xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: [{ startMs: at(6), endMs: at(20) }],
  });
  b.cases['scaled-in'] = scaledIn.name;
  const mig = makeNode(b, {
    name: 'edge-p4d-mig',
    instanceType: 'p4d.24xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    lifetimes: [beyond],
    migProfiles: Array.from({ length: 8 }, (_, i) =>
      i < 4 ? ['1g.5gb', '1g.5gb', '2g.10gb', '3g.20gb'] : ['4g.20gb', '3g.20gb'],
    ),
  });
  b.cases['mig-node'] = mig.name;
  const sliced = makeNode(b, {
    name: 'edge-g5-time-sliced',
    instanceType: 'g5.xlarge',
    capacityType: 'on-demand',
    labelStyle: 'eks',
    lifetimes: [beyond],
    timeSlicingReplicas: 4,
  });
  b.cases['time-sliced-node'] = sliced.name;
  const t4 = makeNode(b, {
    name: 'edge-g4dn-exported',
    instanceType: 'g4dn.xlarge',
    capacityType: 'spot',
    labelStyle: 'eks',
    lifetimes: [beyond],
    dcgmLabels: 'exported',
  });
  b.cases['exported-labels'] = t4.name;

  const gpu = (count: number, resource = 'nvidia_com_gpu') => [
    { name: 'main', cpuCores: 4, gpuResource: resource, gpuCount: count },
  ];
  const team = { team: 'search-ranking', project: 'ranker-v2' };
  const run = (
    role: string,
    node: SimNodeSpec | null,
    startH: number,
    endH: number | null,
    extra: Partial<Parameters<ScenarioBuilder['addPod']>[0]> = {},
  ) =>
    b.addPod({
      role,
      namespace: 'pod-labeled-ns',
      name: role,
      labels: team,
      node: node?.name ?? null,
      createdMs: at(startH) - 10 * S,
      scheduledMs: node ? at(startH) - 8 * S : null,
      runningMs: node ? at(startH) : null,
      endMs: endH === null ? null : at(endH),
      endPhase: 'Succeeded',
      deletedMs: endH === null ? null : at(endH) + 5 * S,
      containers: gpu(1),
      utilization: { mean: 0.6, jitter: 0.15 },
      ...extra,
    });

  run('running-before-period', onDemand, -48, 30, {
    createdMs: at(-48) - 30 * S,
    scheduledMs: at(-48) - 20 * S,
  });
  run('running-after-period', onDemand, 30.5, null, {
    endMs: range.endMs + 6 * H,
    deletedMs: range.endMs + 6 * H + 5 * S,
  });
  run('running-across-outage', onDemand, 20, 34, {
    containers: gpu(1),
    utilization: { mean: 0.8, jitter: 0.1 },
  });
  run('spot-evicted', spot, 2, 10 - 90 / 3600, { endPhase: 'Failed', deletedMs: at(10) + 20 * S });
  run('after-node-return', spot, 13.1, 24);
  run('on-scaled-in-node', scaledIn, 6.2, 19.5);
  const sts = {
    namespace: 'team-labeled-ns',
    name: 'vector-db-0',
    createdByKind: 'StatefulSet',
    createdByName: 'vector-db',
    labels: {},
  };
  run('statefulset-first', onDemand, 1, 8, { ...sts, endMs: null, deletedMs: at(8) });
  run('statefulset-recreated', sliced, 8 + 40 / 3600, 40, {
    ...sts,
    createdMs: at(8) + 5 * S,
    scheduledMs: at(8) + 15 * S,
    endMs: null,
    deletedMs: at(40),
  });
  // Running [s - 5 s, s + 15 s) around a KSM sample s; the 15 s pod sits strictly between two samples.
  const s20 = nextKsm(at(5));
  run('short-20s', onDemand, 5, null, {
    runningMs: s20 - 5 * S,
    endMs: s20 + 15 * S,
    deletedMs: s20 + 60 * S,
    createdMs: s20 - 20 * S,
    scheduledMs: s20 - 15 * S,
    createdByKind: 'Job',
    createdByName: 'short-job',
  });
  const s15 = nextKsm(at(5.5));
  run('invisible-15s', onDemand, 5.5, null, {
    runningMs: s15 + Math.max(3, (ksmStep - 15 * S) / 2),
    endMs: s15 + Math.max(3, (ksmStep - 15 * S) / 2) + 15 * S,
    deletedMs: s15 + Math.max(3, (ksmStep - 15 * S) / 2) + 16 * S,
    createdMs: s15 + 1,
    scheduledMs: s15 + 2,
    createdByKind: 'Job',
    createdByName: 'tiny-job',
  });
  run('pending-without-node', null, 3, null, {
    createdMs: at(3),
    deletedMs: at(9),
    containers: gpu(2),
  });
  run('image-pull-25min', onDemand, 4 + 25 / 60, 12, { scheduledMs: at(4), createdMs: at(4) - 3 * S });
  run('succeeded-lingering-6h', onDemand, 14, 18, {
    deletedMs: at(24),
    createdByKind: 'Job',
    createdByName: 'nightly-eval',
  });
  run('failed-lingering-1h', onDemand, 12.5, 12.5 + 40 / 60, {
    endPhase: 'Failed',
    deletedMs: at(12.5 + 100 / 60),
  });
  run('multi-container', onDemand, 36, 44, {
    containers: [
      { name: 'learner', cpuCores: 8, gpuResource: 'nvidia_com_gpu', gpuCount: 2 },
      { name: 'actor', cpuCores: 4, gpuResource: 'nvidia_com_gpu', gpuCount: 1 },
      { name: 'log-shipper', cpuCores: 0.25 },
    ],
  });
  run('mig-1g-x2', mig, 2, 30, {
    containers: gpu(2, migResourceName('1g.5gb')),
    utilization: { mean: 0.3, jitter: 0.1 },
  });
  run('mig-3g', mig, 4, 40, {
    containers: gpu(1, migResourceName('3g.20gb')),
    utilization: { mean: 0.7, jitter: 0.1 },
  });
  run('time-sliced-a', sliced, 1, 30, { utilization: { mean: 0.3, jitter: 0.1 } });
  run('time-sliced-b', sliced, 2, 20, { utilization: { mean: 0.2, jitter: 0.1 } });
  run('time-sliced-c', sliced, 6, 12, { utilization: { mean: 0.4, jitter: 0.1 } });
  run('t4-exported-labels', t4, 3, 27, { utilization: { mean: 0.45, jitter: 0.2 } });
  run('labels-on-pod', t4, 28, 40);
  run('labels-on-namespace', mig, 1, 20, {
    namespace: 'team-labeled-ns',
    labels: {},
    containers: gpu(1, migResourceName('4g.20gb')),
  });
  run('labels-none', mig, 3, 22, {
    namespace: 'unlabeled-ns',
    labels: {},
    containers: gpu(1, migResourceName('2g.10gb')),
  });
  run('pod-label-overrides-namespace', mig, 5, 25, {
    namespace: 'mixed-ns',
    labels: { team: 'genai-apps', project: 'summarizer' },
    containers: gpu(1, migResourceName('4g.20gb')),
  });
  return finish(b, options, 'edge-cases', range, [{ startMs: at(26), endMs: at(28) }]);
}
