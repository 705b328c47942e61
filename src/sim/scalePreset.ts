/**
 * A scenario builder for scale tests and benchmarks: a GPU fleet of (about) `gpus` GPUs laid out as
 * repeated 64-GPU "blocks" that mix what the demo cluster has (A100 p4d nodes with and without MIG,
 * A10G g5 nodes, T4 g4dn nodes scraped without honor_labels, Spot pools that are reclaimed and
 * replaced), with a steady stream of jobs on every GPU lane. Deterministic for a given seed.
 *
 * Block (64 GPUs): 3 × p4d.24xlarge whole-GPU (24) + 1 × p4d.24xlarge MIG mixed (8) + 4 × g5.12xlarge
 * (16) + 2 × g4dn.12xlarge T4, exported labels (8) + 8 × g5.xlarge, half of them Spot chains (8).
 * A size that is not a multiple of 64 is topped up with g5.xlarge nodes. Teams: one per 16 GPUs
 * (at least 4), each with a namespace labelled team/project; a third of the pods carry their own
 * project label.
 */
import type { TimeRange } from '../core/types.ts';
import { ScenarioBuilder } from './builder.ts';
import { deriveNodeResources, migResourceName } from './gpu.ts';
import type { ExplicitSimulateOptions, PresetOptions, SimNodeSpec, SimPod } from './model.ts';
import { createRng } from './prng.ts';
import { PRESET_INSTANCE_TYPES, presetRange } from './scenarios.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Options of the scale scenario: a preset's options plus the fleet size. */
export interface ScaleScenarioOptions extends PresetOptions {
  /** Physical GPUs in the fleet at any time (Spot replacements keep the count). */
  gpus: number;
  /** Median running time of a job (default 3 h). */
  jobMedianMs?: number;
  /**
   * Pods without a GPU on every node for its whole lifetime (default 0): the DaemonSets a real node runs
   * (kube-proxy, the CNI, node-exporter, dcgm-exporter, the NVIDIA device plugin and GPU feature
   * discovery, log shippers), in namespace kube-system, each one CPU-only container. kube-state-metrics
   * exports them as every pod (internal/store/pod.go: kube_pod_info, kube_pod_labels,
   * kube_pod_status_phase, kube_pod_container_resource_requests{resource="cpu"}): what metering reads of
   * a cluster besides its GPU pods.
   */
  daemonPodsPerNode?: number;
}

type Kind = 'training' | 'batch' | 'inference' | 'notebook';

const PROFILE: Record<Kind, { medianFactor: number; util: [number, number]; jitter: number; gapMs: number }> =
  {
    training: { medianFactor: 2.5, util: [0.55, 0.92], jitter: 0.12, gapMs: 45 * M },
    batch: { medianFactor: 0.3, util: [0.6, 0.95], jitter: 0.1, gapMs: 15 * M },
    inference: { medianFactor: 8, util: [0.12, 0.5], jitter: 0.2, gapMs: 5 * M },
    notebook: { medianFactor: 1, util: [0.01, 0.12], jitter: 0.05, gapMs: 90 * M },
  };

interface Team {
  namespace: string;
  team: string;
  projects: string[];
}

interface Lane {
  node: SimNodeSpec;
  resource: string;
  units: number[];
  kinds: Kind[];
}

/**
 * The scale scenario as explicit simulate() options (`simulate(buildScaleScenario({...}))`).
 * `days` limits the range to the first days of the month, as for the presets.
 */
export function buildScaleScenario(options: ScaleScenarioOptions): ExplicitSimulateOptions {
  if (!(Number.isInteger(options.gpus) && options.gpus >= 1)) {
    throw new RangeError(`gpus must be a positive integer, got ${options.gpus}`);
  }
  const range = presetRange(options);
  const rng = createRng(options.seed);
  const b = new ScenarioBuilder(rng);
  const jobMedianMs = options.jobMedianMs ?? 3 * H;
  const window: TimeRange = { startMs: range.startMs - 2 * D, endMs: range.endMs + D };

  const teamCount = Math.max(4, Math.round(options.gpus / 16));
  const teams: Team[] = Array.from({ length: teamCount }, (_, i) => {
    const team = `team-${String(i + 1).padStart(3, '0')}`;
    return { namespace: `ns-${team}`, team, projects: [`${team}-a`, `${team}-b`, `${team}-c`] };
  });
  for (const t of teams) b.addNamespace(t.namespace, { team: t.team, project: t.projects[0]! });

  const lanes: Lane[] = [];
  const nodeName = () => `ip-10-${rng.int(0, 255)}-${rng.int(0, 255)}-${rng.int(1, 254)}.ec2.internal`;
  const addNode = (
    instanceType: string,
    capacityType: 'spot' | 'on-demand',
    lifetimes: TimeRange[],
    extra: Partial<SimNodeSpec> = {},
  ): SimNodeSpec => {
    const info = PRESET_INSTANCE_TYPES[instanceType]!;
    let name = nodeName();
    while (b.nodes.some((n) => n.name === name)) name = nodeName();
    const ip = name.slice(3, name.indexOf('.')).replaceAll('-', '.');
    return b.addNode({
      name,
      ip,
      instanceType,
      capacityType,
      labelStyle: extra.labelStyle ?? 'karpenter',
      gpuModel: info.gpuModel,
      modelName: info.modelName,
      gpus: info.gpus,
      profilingMetrics: info.profilingMetrics,
      dcgmLabels: extra.dcgmLabels ?? 'direct',
      lifetimes,
      ...(extra.migProfiles ? { migProfiles: extra.migProfiles } : {}),
    });
  };
  /** Lanes over a whole-GPU node: the GPUs split into groups of 8, 4, 2 or 1. */
  const wholeGpuLanes = (node: SimNodeSpec, kinds: Kind[]) => {
    let next = 0;
    while (next < node.gpus) {
      const left = node.gpus - next;
      const size = rng.pick([8, 4, 2, 1, 1].filter((s) => s <= left));
      lanes.push({
        node,
        resource: 'nvidia_com_gpu',
        units: Array.from({ length: size }, (_, i) => next + i),
        kinds,
      });
      next += size;
    }
  };
  const spotChain = (instanceType: string, kinds: Kind[]) => {
    let t = window.startMs;
    while (t < window.endMs) {
      const end = Math.round((t + rng.logNormal(4 * D, 0.5)) / S) * S;
      wholeGpuLanes(addNode(instanceType, 'spot', [{ startMs: t, endMs: end }]), kinds);
      t = end + rng.int(90, 480) * S;
    }
  };
  const whole = [window];
  const balanced = ['1g.5gb', '1g.5gb', '2g.10gb', '3g.20gb'];
  const halves = ['4g.20gb', '3g.20gb'];

  let gpus = 0;
  while (options.gpus - gpus >= 64) {
    for (let i = 0; i < 3; i++)
      wholeGpuLanes(addNode('p4d.24xlarge', 'on-demand', whole), ['training', 'batch']);
    const mig = addNode('p4d.24xlarge', 'on-demand', whole, {
      migProfiles: [balanced, balanced, balanced, balanced, halves, halves, halves, halves],
    });
    deriveNodeResources(mig).units.forEach((unit, i) => {
      const kinds: Kind[] =
        unit.resource === migResourceName('1g.5gb') ? ['notebook'] : ['inference', 'batch'];
      lanes.push({ node: mig, resource: unit.resource, units: [i], kinds });
    });
    for (let i = 0; i < 4; i++)
      wholeGpuLanes(addNode('g5.12xlarge', 'on-demand', whole), ['training', 'inference', 'notebook']);
    for (let i = 0; i < 2; i++)
      wholeGpuLanes(
        addNode('g4dn.12xlarge', 'on-demand', whole, { labelStyle: 'eks', dcgmLabels: 'exported' }),
        ['inference', 'batch'],
      );
    for (let i = 0; i < 4; i++)
      wholeGpuLanes(addNode('g5.xlarge', 'on-demand', whole), ['notebook', 'batch']);
    for (let i = 0; i < 4; i++) spotChain('g5.xlarge', ['batch', 'inference']);
    gpus += 64;
  }
  for (; gpus < options.gpus; gpus++) wholeGpuLanes(addNode('g5.xlarge', 'on-demand', whole), ['batch']);

  for (const lane of lanes) {
    for (const life of lane.node.lifetimes) fillLane(b, lane, life, teams, jobMedianMs);
  }
  const daemons = options.daemonPodsPerNode ?? 0;
  if (daemons > 0) {
    b.addNamespace('kube-system', {});
    for (const node of b.nodes)
      for (const life of node.lifetimes)
        for (let i = 0; i < daemons; i++) {
          const owner = `daemon-${i + 1}`;
          const created = life.startMs + rng.int(5, 60) * S;
          b.addPod({
            namespace: 'kube-system',
            name: `${owner}-${b.suffix()}`,
            createdByKind: 'DaemonSet',
            createdByName: owner,
            node: node.name,
            createdMs: created,
            scheduledMs: created,
            runningMs: created + rng.int(2, 30) * S,
            endMs: life.endMs,
            endPhase: 'Succeeded',
            deletedMs: life.endMs,
            containers: [{ name: 'main', cpuCores: 0.1 }],
          });
        }
  }

  const inRange = (p: SimPod) =>
    p.createdMs < range.endMs && (p.deletedMs === null || p.deletedMs > range.startMs);
  const pods = b.pods.filter(inRange);
  const used = new Set(pods.map((p) => p.node));
  const out: ExplicitSimulateOptions = {
    name: `scale-${options.gpus}`,
    seed: options.seed,
    zone: options.zone,
    range,
    outages: [],
    nodes: b.nodes.filter(
      (n) => n.lifetimes.some((l) => l.startMs < range.endMs && l.endMs > range.startMs) || used.has(n.name),
    ),
    namespaces: b.namespaces.map((ns) => ({
      name: ns.name,
      labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
    })),
    pods,
    cases: {},
  };
  if (options.scrape)
    out.scrape = { ksmSeconds: options.scrape.ksmSeconds, dcgmSeconds: options.scrape.dcgmSeconds };
  if (options.cluster !== undefined) out.cluster = options.cluster;
  return out;
}

/** Back-to-back pods on one lane for the node's lifetime; a pod cut by the node's end fails (evicted). */
function fillLane(b: ScenarioBuilder, lane: Lane, life: TimeRange, teams: Team[], jobMedianMs: number): void {
  const rng = b.rng;
  let t = life.startMs + rng.exponential(20 * M);
  while (t < life.endMs) {
    const kind = rng.pick(lane.kinds);
    const profile = PROFILE[kind];
    const team = rng.pick(teams);
    const created = Math.round(t / S) * S;
    const scheduled = created + rng.int(1, 20) * S;
    const running = scheduled + rng.int(3, 90) * S;
    const drainAt = life.endMs - rng.int(60, 110) * S;
    if (running >= drainAt) break;
    const duration = Math.max(
      60 * S,
      Math.round(rng.logNormal(jobMedianMs * profile.medianFactor, 0.8) / S) * S,
    );
    const evicted = running + duration > drainAt;
    const endMs = evicted ? drainAt : running + duration;
    const deletedMs = Math.min(endMs + rng.int(5, 600) * S, life.endMs + 40 * S);
    const labels: Record<string, string> = rng.chance(0.33) ? { project: rng.pick(team.projects) } : {};
    const owner = `${team.team}-${kind}-${b.suffix(6)}`;
    b.addPod({
      namespace: team.namespace,
      name: `${owner}-${b.suffix()}`,
      createdByKind: kind === 'inference' ? 'ReplicaSet' : 'Job',
      createdByName: owner,
      labels,
      node: lane.node.name,
      createdMs: created,
      scheduledMs: scheduled,
      runningMs: running,
      endMs,
      endPhase: evicted ? 'Failed' : 'Succeeded',
      deletedMs,
      containers: [
        {
          name: 'main',
          cpuCores: 4 * lane.units.length,
          gpuResource: lane.resource,
          gpuCount: lane.units.length,
        },
      ],
      units: { main: lane.units },
      utilization: { mean: rng.between(profile.util[0], profile.util[1]), jitter: profile.jitter },
    });
    if (evicted) break;
    t = deletedMs + rng.exponential(profile.gapMs);
  }
}
