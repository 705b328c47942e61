import type { TimeRange } from '../core/types.ts';
import { deriveNodeResources } from './gpu.ts';
import {
  DEFAULT_SCRAPE,
  type ExplicitSimulateOptions,
  type SimNode,
  type SimPod,
  type SimulateOptions,
  type Simulation,
} from './model.ts';
import { hashString } from './prng.ts';
import { buildRealShapesScenario } from './realShapes.ts';
import { buildDemoScenario, buildEdgeCaseScenario } from './scenarios.ts';

/**
 * Builds a simulated cluster, either from a preset (`demo`, `edge-cases`, `real-shapes`) or from explicit nodes and
 * pods. Deterministic: the same options give the same simulation. Validates the model (lifecycles in
 * order, pods inside their node's lifetime, no GPU unit held by two pods at once) and throws a
 * RangeError naming the offending pod or node otherwise.
 */
export function simulate(options: SimulateOptions): Simulation {
  const spec: ExplicitSimulateOptions =
    options.preset === 'demo'
      ? buildDemoScenario(options)
      : options.preset === 'edge-cases'
        ? buildEdgeCaseScenario(options)
        : options.preset === 'real-shapes'
          ? buildRealShapesScenario(options)
          : (options as ExplicitSimulateOptions);
  if (!(spec.range.endMs > spec.range.startMs)) throw new RangeError('simulation range must not be empty');
  const scrape = {
    ksmSeconds: spec.scrape?.ksmSeconds ?? DEFAULT_SCRAPE.ksmSeconds,
    dcgmSeconds: spec.scrape?.dcgmSeconds ?? DEFAULT_SCRAPE.dcgmSeconds,
    ksmOffsetMs: spec.scrape?.ksmOffsetMs ?? DEFAULT_SCRAPE.ksmOffsetMs,
  };
  for (const [name, s] of [
    ['ksmSeconds', scrape.ksmSeconds],
    ['dcgmSeconds', scrape.dcgmSeconds],
  ] as const) {
    if (!(Number.isInteger(s) && s > 0))
      throw new RangeError(`scrape.${name} must be a positive integer, got ${s}`);
  }
  const nodes: SimNode[] = spec.nodes.map((n) => ({
    ...n,
    lifetimes: normalizeRanges(n.lifetimes),
    dcgmOffsetMs: n.dcgmOffsetMs ?? (hashString(n.name) % scrape.dcgmSeconds) * 1000,
    ...deriveNodeResources(n),
  }));
  const sim: Simulation = {
    name: spec.name ?? 'custom',
    seed: spec.seed,
    zone: spec.zone,
    range: { startMs: spec.range.startMs, endMs: spec.range.endMs },
    scrape,
    outages: normalizeRanges(spec.outages ?? []),
    nodes,
    namespaces: spec.namespaces,
    pods: [...spec.pods].sort((a, b) => a.createdMs - b.createdMs || (a.uid < b.uid ? -1 : 1)),
    cases: spec.cases ?? {},
  };
  if (spec.cluster !== undefined) sim.cluster = spec.cluster;
  if (spec.shape !== undefined) sim.shape = spec.shape;
  validateSimulation(sim);
  return sim;
}

function normalizeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges
    .map((r) => ({ startMs: r.startMs, endMs: r.endMs }))
    .sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.startMs < sorted[i - 1]!.endMs) throw new RangeError('time ranges must not overlap');
  }
  return sorted.filter((r) => r.endMs > r.startMs);
}

/** Throws a RangeError describing the first inconsistency of the model. */
export function validateSimulation(sim: Simulation): void {
  const nodes = new Map<string, SimNode>();
  for (const n of sim.nodes) {
    if (nodes.has(n.name)) throw new RangeError(`duplicate node ${n.name}`);
    nodes.set(n.name, n);
  }
  const namespaces = new Set(sim.namespaces.map((n) => n.name));
  const uids = new Set<string>();
  const unitUse = new Map<string, { range: TimeRange; uid: string }[]>();
  for (const pod of sim.pods) {
    const where = `pod ${pod.namespace}/${pod.name} (uid ${pod.uid})`;
    if (uids.has(pod.uid)) throw new RangeError(`duplicate uid in ${where}`);
    uids.add(pod.uid);
    if (!namespaces.has(pod.namespace)) throw new RangeError(`${where}: unknown namespace`);
    const times = [pod.createdMs, pod.scheduledMs, pod.runningMs, pod.endMs, pod.deletedMs].filter(
      (t): t is number => t !== null,
    );
    for (let i = 1; i < times.length; i++) {
      if (times[i]! < times[i - 1]!) throw new RangeError(`${where}: lifecycle times out of order`);
    }
    if (pod.runningMs !== null && pod.scheduledMs === null)
      throw new RangeError(`${where}: running but never scheduled`);
    if ((pod.scheduledMs === null) !== (pod.node === null)) {
      throw new RangeError(`${where}: node must be set exactly when scheduledMs is`);
    }
    if (pod.node === null) {
      if ([...pod.containers, ...(pod.initContainers ?? [])].some((c) => c.units.length > 0))
        throw new RangeError(`${where}: unbound pod holds units`);
      continue;
    }
    const node = nodes.get(pod.node);
    if (!node) throw new RangeError(`${where}: unknown node ${pod.node}`);
    const held: TimeRange = {
      startMs: pod.scheduledMs!,
      endMs: Math.min(pod.endMs ?? Number.POSITIVE_INFINITY, pod.deletedMs ?? Number.POSITIVE_INFINITY),
    };
    if (!node.lifetimes.some((l) => l.startMs <= held.startMs && held.endMs <= l.endMs)) {
      throw new RangeError(`${where}: holds GPUs outside a lifetime of node ${node.name}`);
    }
    const podUnits = new Set<number>();
    for (const c of pod.containers) {
      for (const u of c.draUnits ?? []) {
        if (!node.units[u])
          throw new RangeError(`${where}: container ${c.name} claims unit ${u} missing on ${node.name}`);
        podUnits.add(u);
      }
    }
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      if (!c.gpuResource) {
        if (c.units.length > 0 || c.gpuCount !== 0)
          throw new RangeError(`${where}: container ${c.name} has units but no GPU resource`);
        continue;
      }
      if (c.units.length !== c.gpuCount) {
        throw new RangeError(
          `${where}: container ${c.name} requests ${c.gpuCount} but holds ${c.units.length} units`,
        );
      }
      for (const u of c.units) {
        const unit = node.units[u];
        if (!unit || unit.resource !== c.gpuResource) {
          throw new RangeError(
            `${where}: container ${c.name} holds unit ${u} that is not ${c.gpuResource} on ${node.name}`,
          );
        }
        podUnits.add(u);
      }
    }
    // An init container reuses its pod's units: each unit counts once per pod.
    for (const u of podUnits) {
      const key = `${node.name}#${u}`;
      const list = unitUse.get(key) ?? [];
      list.push({ range: held, uid: pod.uid });
      unitUse.set(key, list);
    }
  }
  for (const [key, list] of unitUse) {
    list.sort((a, b) => a.range.startMs - b.range.startMs);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.range.startMs < list[i - 1]!.range.endMs) {
        throw new RangeError(`GPU unit ${key} held by pods ${list[i - 1]!.uid} and ${list[i]!.uid} at once`);
      }
    }
  }
}

/** The pod with `uid`, or a RangeError. */
export function podByUid(sim: Simulation, uid: string): SimPod {
  const pod = sim.pods.find((p) => p.uid === uid);
  if (!pod) throw new RangeError(`no pod with uid ${uid} in simulation ${sim.name}`);
  return pod;
}
