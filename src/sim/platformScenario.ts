/**
 * A GPU platform of several clusters (dev/stage/prod, regions) whose metrics meet in one Prometheus,
 * Thanos, Mimir or Amazon Managed Prometheus workspace. Each cluster is a compact simulation — whole
 * GPUs with and without honor_labels, a Spot T4 node without profiling metrics, an A100 in MIG mixed
 * strategy — with its own `cluster` label and, optionally, its own real-world {@link SeriesShape}.
 * Clusters built from the same seed hold the same namespace, pod and node names and even the same pod
 * uids: the hardest case for identity.
 */
import { billingPeriod } from '../core/period.ts';
import type { TimeRange } from '../core/types.ts';
import { ScenarioBuilder } from './builder.ts';
import { migResourceName } from './gpu.ts';
import type { ExplicitSimulateOptions, SeriesShape, SimNodeSpec, Simulation } from './model.ts';
import { createRng } from './prng.ts';
import { simulate } from './simulate.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** One cluster of a platform. */
export interface PlatformClusterOptions {
  /** Value of the `cluster` label; absent = series without a cluster label (a single-cluster setup). */
  cluster?: string;
  /** Same seed = same names and uids as another cluster. */
  seed: number;
  shape?: SeriesShape;
}

/** Options of {@link simulatePlatform}. */
export interface PlatformOptions {
  /** YYYY-MM. */
  month: string;
  zone: string;
  /** Simulate the first `days` local days of the month. */
  days: number;
  clusters: PlatformClusterOptions[];
  scrape?: { ksmSeconds: number; dcgmSeconds: number };
  /**
   * Instants around which a pod starts (5 s before) and one ends (10 s after), so a label change or a
   * replica switch placed there meets a phase change in the same scrape step.
   */
  boundaryInstants?: number[];
}

const NAMESPACES: [string, Record<string, string>][] = [
  ['ml-research', { team: 'ml-research', project: 'foundation-models' }],
  ['inference', { team: 'genai-apps' }],
  ['vision', {}],
];

/** The explicit simulation of one platform cluster (see the module comment). */
export function buildPlatformCluster(
  options: Omit<PlatformOptions, 'clusters'> & PlatformClusterOptions,
): ExplicitSimulateOptions {
  const period = billingPeriod(options.month, options.zone);
  if (!(Number.isInteger(options.days) && options.days >= 1 && options.days <= period.days.length)) {
    throw new RangeError(`days must be an integer in 1..${period.days.length}, got ${options.days}`);
  }
  const range: TimeRange = { startMs: period.startMs, endMs: period.days[options.days - 1]!.endMs };
  const b = new ScenarioBuilder(createRng(options.seed));
  for (const [name, labels] of NAMESPACES) b.addNamespace(name, labels);
  const whole = [{ startMs: range.startMs - 7 * 24 * H, endMs: range.endMs + 7 * 24 * H }];
  const node = (spec: Omit<SimNodeSpec, 'ip' | 'name' | 'lifetimes'>): SimNodeSpec => {
    const x = b.rng.int(0, 255);
    const y = b.rng.int(1, 254);
    return b.addNode({
      ...spec,
      name: `ip-10-0-${x}-${y}.ec2.internal`,
      ip: `10.0.${x}.${y}`,
      lifetimes: whole,
    });
  };
  const a10g = node({
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    gpuModel: 'A10G',
    modelName: 'NVIDIA A10G',
    gpus: 4,
    profilingMetrics: true,
    dcgmLabels: 'direct',
  });
  const t4 = node({
    instanceType: 'g4dn.xlarge',
    capacityType: 'spot',
    labelStyle: 'eks',
    gpuModel: 'T4',
    modelName: 'Tesla T4',
    gpus: 1,
    profilingMetrics: false,
    dcgmLabels: 'exported',
  });
  const a100 = node({
    instanceType: 'p4d.24xlarge',
    capacityType: 'on-demand',
    labelStyle: 'karpenter',
    gpuModel: 'A100',
    modelName: 'NVIDIA A100-SXM4-40GB',
    gpus: 8,
    profilingMetrics: true,
    dcgmLabels: 'direct',
    // Two GPUs split in two MIG instances (GPU_I_ID tells them apart), six as one 7g instance each.
    migProfiles: Array.from({ length: 8 }, (_, gpu) => (gpu < 2 ? ['4g.20gb', '3g.20gb'] : ['7g.40gb'])),
  });

  const lanes: { node: SimNodeSpec; resource: string; units: number[] }[] = [
    { node: a10g, resource: 'nvidia_com_gpu', units: [0, 1] },
    { node: a10g, resource: 'nvidia_com_gpu', units: [2] },
    { node: t4, resource: 'nvidia_com_gpu', units: [0] },
    { node: a100, resource: migResourceName('3g.20gb'), units: [1] },
    { node: a100, resource: migResourceName('4g.20gb'), units: [0, 2] },
  ];
  const rng = b.rng;
  for (const lane of lanes) {
    // Millisecond-precise instants, so phase changes fall anywhere inside a scrape step.
    let t = range.startMs - 2 * H + rng.int(0, 3600 * S);
    while (t < range.endMs - 30 * M) {
      const [namespace, nsLabels] = rng.pick(NAMESPACES);
      const created = t;
      const scheduled = created + rng.int(1 * S, 20 * S);
      const running = scheduled + rng.int(2 * S, 120 * S);
      const duration = Math.max(20 * S, Math.round(rng.logNormal(90 * M, 1)));
      // A pod still Running at the end of the range ends after it (the node outlives the range).
      const endMs = running + duration;
      const kind = lane.units.length > 1 ? 'train' : 'serve';
      b.addPod({
        namespace,
        name: `${kind}-${b.suffix(9)}-${b.suffix()}`,
        createdByKind: 'ReplicaSet',
        labels: rng.chance(0.5) ? { team: nsLabels.team ?? 'vision', project: `${namespace}-p` } : {},
        node: lane.node.name,
        createdMs: created,
        scheduledMs: scheduled,
        runningMs: running,
        endMs,
        endPhase: rng.chance(0.1) ? 'Failed' : 'Succeeded',
        deletedMs: endMs + rng.int(0, 30 * M),
        containers: [{ name: 'main', gpuResource: lane.resource, gpuCount: lane.units.length }],
        units: { main: lane.units },
        utilization: { mean: rng.between(0.1, 0.9), jitter: 0.1 },
      });
      t = endMs + Math.round(rng.exponential(20 * M));
    }
  }
  // Boundary pods: one stops Running 10 s after each instant (on the A10G's last GPU), one starts
  // Running 5 s before it (on a 7g MIG instance), each holding its GPU until the next instant.
  const instants = [...(options.boundaryInstants ?? [])].sort((x, y) => x - y);
  instants.forEach((at, i) => {
    const previous = i === 0 ? range.startMs - H : instants[i - 1]! + 10 * S + M;
    const next = instants[i + 1];
    const pod = (name: string, nodeName: string, resource: string, unit: number, from: number) => ({
      namespace: 'inference',
      name,
      node: nodeName,
      createdMs: from - 40 * S,
      scheduledMs: from - 30 * S,
      runningMs: from,
      containers: [{ name: 'main', gpuResource: resource, gpuCount: 1 }],
      units: { main: [unit] },
    });
    b.addPod({
      ...pod(`boundary-end-${i}`, a10g.name, 'nvidia_com_gpu', 3, previous),
      endMs: at + 10 * S,
      deletedMs: at + 10 * M,
    });
    b.addPod({
      ...pod(`boundary-start-${i}`, a100.name, migResourceName('7g.40gb'), 4, at - 5 * S),
      endMs: next === undefined ? range.endMs + H : next - 10 * M,
      deletedMs: next === undefined ? range.endMs + 2 * H : next - 9 * M,
    });
  });
  const out: ExplicitSimulateOptions = {
    name: 'platform',
    seed: options.seed,
    zone: options.zone,
    range,
    nodes: b.nodes,
    namespaces: b.namespaces.map((ns) => ({
      name: ns.name,
      labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
    })),
    pods: b.pods,
    cases: b.cases,
  };
  if (options.scrape) out.scrape = options.scrape;
  if (options.cluster !== undefined) out.cluster = options.cluster;
  if (options.shape !== undefined) out.shape = options.shape;
  return out;
}

/**
 * The clusters of a platform as simulations, ready to be written together with
 * `writeOpenMetrics(sims, dir)`; cluster names must be distinct (series would otherwise collide).
 */
export function simulatePlatform(options: PlatformOptions): Simulation[] {
  const names = options.clusters.map(
    (c) => `${c.cluster ?? ''}\u0000${JSON.stringify(c.shape?.externalLabels ?? {})}`,
  );
  if (new Set(names).size !== names.length) {
    throw new RangeError('platform clusters must differ in cluster name or external labels');
  }
  return options.clusters.map((c) => simulate(buildPlatformCluster({ ...options, ...c })));
}
