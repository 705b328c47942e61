import type {
  MeterOptions,
  NodeCapacity,
  NodeGpus,
  NodeIdentity,
  NodeWeights,
  WindowGrid,
} from '../../../src/core/metering/index.ts';
import { fraction, gridForDay, windowGridOf } from '../../../src/core/metering/index.ts';
import { dayOf } from '../../../src/core/period.ts';
import type { Day, PodRef, ScrapeIntervals, StepGrid, WindowObservations } from '../../../src/core/types.ts';
import type { StepSamples } from '../../../src/core/metering/podUtilization.ts';

export const ZONE = 'Asia/Seoul';
export const SCRAPE: ScrapeIntervals = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' };
export const HOUR = 3_600_000;
export const MIN = 60_000;

export const CATALOG = new Map([
  ['g5.12xlarge', { gpus: 4, gpuModel: 'A10G' }],
  ['p4d.24xlarge', { gpus: 8, gpuModel: 'A100' }],
  ['a30.box', { gpus: 1, gpuModel: 'A30' }],
  ['g4dn.xlarge', { gpus: 1, gpuModel: 'T4' }],
]);

export function optionsFor(day: Day, overrides: Partial<MeterOptions> = {}): MeterOptions {
  return {
    day,
    chargePeriods: [{ date: day.date, startMs: day.startMs, endMs: day.endMs }],
    pendingOnNode: 'not-charged',
    maxBridgeSeconds: 3600,
    team: { podLabels: ['label_team'], namespaceLabels: ['label_team'], default: 'unallocated' },
    project: { podLabels: ['label_project'], namespaceLabels: ['label_project'], default: 'unallocated' },
    nodeLabels: {
      instanceType: ['label_node_kubernetes_io_instance_type'],
      capacityType: ['label_karpenter_sh_capacity_type', 'label_eks_amazonaws_com_capacity_type'],
    },
    migSlicesPerGpu: new Map([
      ['A100', 7],
      ['H100', 7],
      ['A30', 4],
    ]),
    instanceTypes: CATALOG,
    instanceTypesByCluster: new Map(),
    ...overrides,
  };
}

/** Grid points t (ms) whose credited interval [t - step, t) lies within [fromMs, toMs). */
export function pointsBetween(grid: StepGrid, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let t = grid.startMs + grid.stepMs; t <= grid.endMs; t += grid.stepMs) {
    if (t - grid.stepMs >= fromMs && t <= toMs) out.push(t);
  }
  return out;
}

export interface FakePod {
  name: string;
  uid?: string;
  namespace?: string;
  node?: string;
  /** resource -> units per container */
  containers?: Record<string, number>[];
  /** resource -> units per init container (named i0, i1, ...) */
  initContainers?: Record<string, number>[];
  /** Names of init containers that are restartable sidecars. */
  sidecars?: string[];
  running?: [number, number][];
  pending?: [number, number][];
  labels?: Record<string, string>;
}

export function podRef(p: FakePod): PodRef {
  return { cluster: '', namespace: p.namespace ?? 'ml', pod: p.name, uid: p.uid ?? `uid-${p.name}` };
}

export interface FakeNode {
  name: string;
  instanceType?: string;
  capacityType?: string;
  /** resource -> units */
  capacity?: Record<string, number>;
  /** present ranges; default the whole grid */
  present?: [number, number][];
  /** When the node advertises, if not whenever it is present (e.g. a device plugin that is down). */
  advertised?: [number, number][];
  noLabels?: boolean;
  /** Further kube_node_labels (GFD labels, capacity-type labels of other clouds). */
  labels?: Record<string, string>;
}

/** A window of observations for `day` built from fake pods and nodes; KSM present everywhere unless `ksmGaps`. */
export function windowFor(
  day: Day,
  pods: FakePod[],
  nodes: FakeNode[],
  extra: Partial<WindowObservations> & {
    ksmGaps?: [number, number][];
    maxBridgeSeconds?: number;
    scrape?: ScrapeIntervals;
  } = {},
): WindowObservations {
  const scrape = extra.scrape ?? SCRAPE;
  const grid = extra.grid ?? gridForDay(day, scrape, extra.maxBridgeSeconds ?? 3600);
  const all = pointsBetween(grid, grid.startMs, grid.endMs);
  const inRanges = (ranges: [number, number][]) =>
    ranges.flatMap(([a, b]) => pointsBetween(grid, a, b)).filter((t, i, arr) => arr.indexOf(t) === i);
  const gaps = extra.ksmGaps ?? [];
  const ksm = all.filter((t) => !gaps.some(([a, b]) => t - grid.stepMs >= a && t <= b));
  const keep = (ts: number[]) => ts.filter((t) => ksm.includes(t));
  const obs: WindowObservations = {
    grid,
    running: pods.filter((p) => p.running).map((p) => ({ pod: podRef(p), tsMs: keep(inRanges(p.running!)) })),
    pendingOnNode: pods
      .filter((p) => p.pending && p.node)
      .map((p) => ({ pod: podRef(p), tsMs: keep(inRanges(p.pending!)) })),
    requests: pods.flatMap((p) =>
      (p.containers ?? [{ nvidia_com_gpu: 1 }]).flatMap((c, i) =>
        Object.entries(c).map(([resource, value]) => ({
          pod: podRef(p),
          container: `c${i}`,
          resource,
          value,
        })),
      ),
    ),
    podNodes: pods.filter((p) => p.node).map((p) => ({ pod: podRef(p), node: p.node! })),
    podLabels: pods.filter((p) => p.labels).map((p) => ({ pod: podRef(p), labels: p.labels! })),
    namespaceLabels: [],
    nodeLabels: nodes
      .filter((n) => !n.noLabels)
      .map((n) => ({
        cluster: '',
        node: n.name,
        labels: {
          ...(n.instanceType ? { label_node_kubernetes_io_instance_type: n.instanceType } : {}),
          ...(n.capacityType ? { label_karpenter_sh_capacity_type: n.capacityType } : {}),
          ...n.labels,
        },
      })),
    nodeCapacity: nodes.flatMap((n) =>
      Object.entries(n.capacity ?? { nvidia_com_gpu: 4 }).map(([resource, units]) => ({
        cluster: '',
        node: n.name,
        resource,
        points: keep(inRanges(n.advertised ?? n.present ?? [[grid.startMs, grid.endMs]])).map(
          (t) => [t, units] as [number, number],
        ),
      })),
    ),
    nodePresence: nodes.map((n) => ({
      cluster: '',
      node: n.name,
      tsMs: keep(n.present ? inRanges(n.present) : all),
    })),
    initRequests: pods.flatMap((p) =>
      (p.initContainers ?? []).flatMap((c, i) =>
        Object.entries(c).map(([resource, value]) => ({
          pod: podRef(p),
          container: `i${i}`,
          resource,
          value,
        })),
      ),
    ),
    sidecars: pods.flatMap((p) => (p.sidecars ?? []).map((container) => ({ pod: podRef(p), container }))),
    draDevices: [],
    utilization: [],
    ksmPresentTsMs: ksm,
    dcgmPresentTsMs: [],
    scrape,
  };
  const { ksmGaps: _g, maxBridgeSeconds: _m, scrape: _s, ...rest } = extra;
  return { ...obs, ...rest };
}

export function seoulDay(date = '2026-03-10'): Day {
  return dayOf(date, ZONE);
}

/** The window grid of `day` (60 s steps, a bridging margin of `maxBridgeSeconds` on both sides). */
export function windowOf(day: Day, overrides: Partial<MeterOptions> = {}): WindowGrid {
  const options = optionsFor(day, overrides);
  return windowGridOf(gridForDay(day, SCRAPE, options.maxBridgeSeconds), options);
}

/** The grid point that credits interval `k` of `window`. */
export function pointOf(window: Pick<WindowGrid, 'startMs' | 'stepMs'>, k: number): number {
  return window.startMs + (k + 1) * window.stepMs;
}

/** The identity, weights and GPUs of an On-Demand p4d.24xlarge node (8 A100s, MIG weights in 1/7). */
export function p4dNode(
  cluster: string,
  node: string,
): NodeIdentity & { weights: NodeWeights; gpus: NodeGpus } {
  return {
    cluster,
    node,
    instanceType: 'p4d.24xlarge',
    capacityType: 'on-demand',
    catalog: { gpus: 8, gpuModel: 'A100' },
    weights: { migSlices: 7, wholeWeight: fraction(1, 1), denominator: 7 },
    gpus: { physicalGpus: 8, gpuModel: 'A100', source: 'catalog' },
  };
}

/**
 * A node capacity over `window`: present where `present` says (OBSERVED), `gpus` physical GPUs in
 * 1/`denominator` units, everything advertised unless `advertisedUnits` says otherwise (the rest not
 * advertised).
 */
export function capacityOf(
  present: Uint8Array,
  gpus: number,
  denominator = 1,
  advertisedUnits?: number,
): NodeCapacity {
  const n = present.length;
  const capacityUnits = new Float64Array(n);
  const advertised = new Float64Array(n);
  const notAdvertised = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (present[k] === 0) continue;
    capacityUnits[k] = gpus * denominator;
    advertised[k] = Math.min(advertisedUnits ?? gpus * denominator, gpus * denominator);
    notAdvertised[k] = capacityUnits[k]! - advertised[k]!;
  }
  return {
    present,
    capacityUnits,
    advertisedUnits: advertised,
    migUnpartitionedUnits: new Float64Array(n),
    unknownResourceUnits: new Float64Array(n),
    notAdvertisedUnits: notAdvertised,
    physicalGpus: gpus,
    unknownResources: [],
  };
}

/** StepSamples over a Map of [sum, count] per interval, as metering reads them. */
export function stepSamplesOf(sums: ReadonlyMap<number, readonly [number, number]>): StepSamples {
  return {
    size: sums.size,
    keys: () => sums.keys(),
    get: (k) => sums.get(k),
    meanAt: (k) => {
      const [sum, count] = sums.get(k) ?? [0, 0];
      return count > 0 ? sum / count : undefined;
    },
  };
}
