/**
 * Helpers to lay out a scenario by hand or by generator: deterministic uids and name suffixes, and a
 * GPU unit allocator that never hands one unit to two pods at once (the scheduler's invariant).
 */
import type { TimeRange } from '../core/types.ts';
import { deriveNodeResources } from './gpu.ts';
import type { SimContainer, SimNamespace, SimNodeSpec, SimPod, SimUnit, TerminalPhase } from './model.ts';
import type { Rng } from './prng.ts';

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** Everything a scenario builder accumulates. */
export class ScenarioBuilder {
  readonly nodes: SimNodeSpec[] = [];
  readonly namespaces: SimNamespace[] = [];
  readonly pods: SimPod[] = [];
  readonly cases: Record<string, string> = {};
  private readonly units = new Map<string, SimUnit[]>();
  private readonly busy = new Map<string, TimeRange[]>();

  constructor(readonly rng: Rng) {}

  /** A random RFC 4122 version-4 uid. */
  uid(): string {
    const hex = (n: number) => Array.from({ length: n }, () => this.rng.int(0, 15).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${this.rng.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  }

  /** A Kubernetes-style random suffix of `n` characters. */
  suffix(n = 5): string {
    return Array.from({ length: n }, () => this.rng.pick([...ALNUM])).join('');
  }

  addNamespace(name: string, labels: Record<string, string> = {}, gpuQuota?: SimNamespace['gpuQuota']): void {
    this.namespaces.push(gpuQuota ? { name, labels, gpuQuota } : { name, labels });
  }

  addNode(spec: SimNodeSpec): SimNodeSpec {
    if (this.units.has(spec.name)) throw new RangeError(`duplicate node ${spec.name}`);
    this.nodes.push(spec);
    this.units.set(spec.name, deriveNodeResources(spec).units);
    return spec;
  }

  /**
   * Units of `resource` (any, for null) on `node` that are free over all of `range`, or null when fewer
   * than `count`.
   */
  findFreeUnits(node: string, resource: string | null, count: number, range: TimeRange): number[] | null {
    const units = this.units.get(node);
    if (!units) throw new RangeError(`unknown node ${node}`);
    const out: number[] = [];
    for (let i = 0; i < units.length && out.length < count; i++) {
      if (resource !== null && units[i]!.resource !== resource) continue;
      const busy = this.busy.get(`${node}#${i}`) ?? [];
      if (busy.every((b) => b.endMs <= range.startMs || b.startMs >= range.endMs)) out.push(i);
    }
    return out.length === count ? out : null;
  }

  /** Marks units busy over `range`. */
  reserve(node: string, unitIndices: readonly number[], range: TimeRange): void {
    for (const i of unitIndices) {
      const key = `${node}#${i}`;
      const list = this.busy.get(key) ?? [];
      list.push(range);
      this.busy.set(key, list);
    }
  }

  /**
   * Adds a pod. GPU containers of a bound pod get units allocated over [scheduled, end ∧ deleted);
   * throws when the node has not enough free units (a scenario bug, not a runtime condition).
   */
  addPod(pod: PodDraft): SimPod {
    const toContainer = (c: PodDraft['containers'][number]): SimContainer => ({
      name: c.name,
      cpuCores: c.cpuCores ?? 2,
      ...(c.gpuResource ? { gpuResource: c.gpuResource } : {}),
      gpuCount: c.gpuCount ?? 0,
      units: [],
      ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    });
    const containers = pod.containers.map(toContainer);
    const initContainers = (pod.initContainers ?? []).map(toContainer);
    if (pod.node !== null) {
      const held: TimeRange = {
        startMs: pod.scheduledMs!,
        endMs: Math.min(pod.endMs ?? Number.POSITIVE_INFINITY, pod.deletedMs ?? Number.POSITIVE_INFINITY),
      };
      const node = pod.node;
      const allocate = (c: SimContainer, reuse: number[]) => {
        if (!c.gpuResource || c.gpuCount === 0) return;
        const explicit = pod.units?.[c.name];
        const own = reuse.slice(0, c.gpuCount);
        const more = explicit ?? [
          ...own,
          ...(this.findFreeUnits(node, c.gpuResource, c.gpuCount - own.length, held) ?? [Number.NaN]),
        ];
        if (more.length !== c.gpuCount || more.some((u) => Number.isNaN(u))) {
          throw new RangeError(
            `no ${c.gpuCount} free ${c.gpuResource} on ${node} for pod ${pod.namespace}/${pod.name}`,
          );
        }
        this.reserve(
          node,
          more.filter((u) => !own.includes(u)),
          held,
        );
        c.units = [...more];
      };
      // App containers and sidecars hold their own units; an init container reuses the app containers'
      // units (the kubelet's device manager reuses init containers' devices) and holds more if it needs.
      for (const c of [...containers, ...initContainers.filter((c) => c.restartPolicy === 'Always')])
        allocate(c, []);
      for (const c of initContainers.filter((c) => c.restartPolicy !== 'Always')) {
        allocate(
          c,
          containers.filter((a) => a.gpuResource === c.gpuResource).flatMap((a) => a.units),
        );
      }
      // DRA: a claim for `draGpus` devices of the node, whatever the device plugin advertises.
      pod.containers.forEach((draft, i) => {
        if (!draft.draGpus) return;
        const units = this.findFreeUnits(node, null, draft.draGpus, held);
        if (!units)
          throw new RangeError(
            `no ${draft.draGpus} free GPUs on ${node} for the DRA claim of ${pod.namespace}/${pod.name}`,
          );
        this.reserve(node, units, held);
        containers[i]!.draUnits = units;
      });
    }
    const full: SimPod = {
      uid: pod.uid ?? this.uid(),
      namespace: pod.namespace,
      name: pod.name,
      createdByKind: pod.createdByKind ?? '<none>',
      createdByName: pod.createdByName ?? '<none>',
      labels: pod.labels ?? {},
      node: pod.node,
      createdMs: pod.createdMs,
      scheduledMs: pod.scheduledMs,
      runningMs: pod.runningMs,
      endMs: pod.endMs,
      endPhase: pod.endPhase ?? 'Succeeded',
      deletedMs: pod.deletedMs,
      containers,
      ...(initContainers.length > 0 ? { initContainers } : {}),
      utilization: pod.utilization ?? { mean: 0.5, jitter: 0.1 },
    };
    if (pod.role) {
      full.role = pod.role;
      this.cases[pod.role] = full.uid;
    }
    this.pods.push(full);
    return full;
  }
}

/** A container as a scenario writes it. */
export interface ContainerDraft {
  name: string;
  cpuCores?: number;
  gpuResource?: string;
  gpuCount?: number;
  restartPolicy?: 'Always';
  /** GPUs claimed through DRA (no extended-resource request). */
  draGpus?: number;
}

/** A pod as a scenario writes it; see {@link ScenarioBuilder.addPod}. */
export interface PodDraft {
  uid?: string;
  namespace: string;
  name: string;
  createdByKind?: string;
  createdByName?: string;
  labels?: Record<string, string>;
  node: string | null;
  createdMs: number;
  scheduledMs: number | null;
  runningMs: number | null;
  endMs: number | null;
  endPhase?: TerminalPhase;
  deletedMs: number | null;
  containers: ContainerDraft[];
  /** Init containers; `restartPolicy: 'Always'` makes one a native sidecar. */
  initContainers?: ContainerDraft[];
  /** Explicit unit indices per container name (otherwise first-fit). */
  units?: Record<string, number[]>;
  utilization?: { mean: number; jitter: number };
  role?: string;
}
