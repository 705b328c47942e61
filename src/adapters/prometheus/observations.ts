import type { Config } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import { GFD_LABELS } from '../../core/metering/index.ts';
import type {
  DraDevice,
  GpuQuotaPoints,
  NodeCapacityPoints,
  NodeLabels,
  NodePresencePoints,
  PodPhasePoints,
  PodRef,
  PodRequest,
  PodUtilizationPoints,
  ScrapeIntervals,
  StepGrid,
  WindowObservations,
} from '../../core/types.ts';
import { ExporterVersionError } from '../../errors.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries } from './parseResponse.ts';
import type { ExactUtilization, WindowAnswers } from './queries.ts';
import {
  chooseReplicaPoints,
  compareReplicas,
  type ReplicaPresence,
  type ReplicaSeries,
} from './replicas.ts';
import { SampleBuilder, SamplePoints, unionOfTimes } from './samplePoints.ts';
import { dcgmPresenceSeries, splitPresence } from './utilization.ts';
import { type LabelSetsSeen, NO_LABEL_CHANGES } from './labelSetsSeen.ts';

/**
 * Turning a window's Prometheus answers into WindowObservations: pure, no I/O. Series are keyed by
 * their identity (cluster, uid / node / namespace / GPU and pod) and each object's point at each step
 * is taken from one replica (replicas.ts).
 */

/** What observations are made of: the answers, the exact utilization means, and how to read labels. */
export interface ObservationInput {
  grid: StepGrid;
  scrape: ScrapeIntervals;
  answers: WindowAnswers;
  utilization: ExactUtilization;
  identity: SeriesIdentity;
  labels: Pick<Config['metering'], 'team' | 'project' | 'nodeLabels' | 'physicalGpus'>;
  /**
   * When dcgm-exporter was scraped (dcgm_presence.promql), for a shard of a day whose replica choice
   * needs it whole; absent = learned from the utilization answers (a whole day reads every series).
   */
  dcgmPresence?: PromSeries[];
  /** When each label set was last seen, where a pod or namespace has several (labelSetsSeen.ts). */
  labelSetsSeen?: LabelSetsSeen;
}

/** The WindowObservations of one window. */
export function observationsOf(input: ObservationInput): WindowObservations {
  const { grid, scrape, answers, identity, labels } = input;
  const { clusterOf, podOf } = identity;
  const seen = input.labelSetsSeen ?? NO_LABEL_CHANGES;
  assertPodUids(answers.podRequests);
  // pod_nodes and pod_labels answer for every pod; only pods that request an NVIDIA resource matter.
  const gpuPods = new Set(
    [...answers.podRequests, ...answers.podInitRequests].map(
      (s) => `${clusterOf(s.metric)}\u0000${s.metric.uid ?? ''}`,
    ),
  );
  // Pods holding GPUs through DRA claims have no request: dcgm-exporter names them (no uid).
  const draDevices = draDevicesOf(answers.draDevices, clusterOf);
  const draPods = new Set(draDevices.map((d) => [d.cluster, d.namespace, d.pod].join('\u0000')));
  const isGpuPod = (s: PromSeries) =>
    gpuPods.has(`${clusterOf(s.metric)}\u0000${s.metric.uid ?? ''}`) ||
    draPods.has([clusterOf(s.metric), s.metric.namespace ?? '', s.metric.pod ?? ''].join('\u0000'));
  const podNodes = answers.podNodes.filter(isGpuPod);
  const prof = splitPresence(answers.utilizationProf);
  const util = splitPresence(answers.utilizationUtil);
  const dcgm = dcgmPresenceSeries(
    input.dcgmPresence ?? [...prof.means, ...prof.presence, ...util.means, ...util.presence],
    identity.clusterLabel,
    identity.dedupeLabels,
  );
  const ksmPresence = replicaPresence(answers.ksmPresence, clusterOf, identity.ksmReplicaOf);
  const phasePoints = phasePointsOf(identity, podNodes, ksmPresence);
  const dcgmReplicas = {
    replicaOf: identity.dcgmReplicaOf,
    presence: replicaPresence(dcgm, clusterOf, identity.dcgmReplicaOf),
  };
  const { utilization } = input;
  return {
    grid,
    running: phasePoints(answers.running.filter(isGpuPod)),
    pendingOnNode: phasePoints(answers.pendingOnNode.filter(isGpuPod)),
    requests: requestsOf(answers.podRequests, identity),
    initRequests: requestsOf(answers.podInitRequests, identity),
    sidecars: uniqueBy(
      answers.podSidecars.map((s) => ({ pod: podOf(s.metric), container: s.metric.container ?? '' })),
      (s) => [s.pod.cluster, s.pod.uid, s.container].join('\u0000'),
    ),
    draDevices,
    podNodes: uniqueBy(
      podNodes.map((s) => ({ pod: podOf(s.metric), node: s.metric.node ?? '' })),
      (p) => [p.pod.cluster, p.pod.namespace, p.pod.pod, p.pod.uid, p.node].join('\u0000'),
    ),
    podLabels: answers.podLabels.filter(isGpuPod).map((s) => {
      const lastSeenMs = seen.pod(s.metric);
      return {
        pod: podOf(s.metric),
        labels: pickLabels(s.metric, [...labels.team.podLabels, ...labels.project.podLabels]),
        ...(lastSeenMs === undefined ? {} : { lastSeenMs }),
      };
    }),
    namespaceLabels: answers.namespaceLabels.map((s) => {
      const lastSeenMs = seen.namespace(s.metric);
      return {
        cluster: clusterOf(s.metric),
        namespace: s.metric.namespace ?? '',
        labels: pickLabels(s.metric, [...labels.team.namespaceLabels, ...labels.project.namespaceLabels]),
        ...(lastSeenMs === undefined ? {} : { lastSeenMs }),
      };
    }),
    nodeLabels: nodeLabelsOf(answers.nodeLabels, clusterOf, [
      ...labels.nodeLabels.instanceType,
      ...labels.nodeLabels.capacityType,
      ...labels.physicalGpus.map((r) => r.nodeLabel),
    ]),
    nodeCapacity: nodeCapacityPoints(answers.nodeCapacity, clusterOf, identity.ksmReplicaOf, ksmPresence),
    nodePresence: nodePresencePoints(answers.nodePresence, clusterOf, identity.ksmReplicaOf, ksmPresence),
    utilization: [
      ...utilizationPoints(utilization.prof, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', clusterOf, dcgmReplicas),
      ...utilizationPoints(utilization.util, 'DCGM_FI_DEV_GPU_UTIL', clusterOf, dcgmReplicas),
    ],
    nodeProviderIds: answers.nodeInfo
      .filter((s) => s.metric.node && s.metric.provider_id)
      .map((s) => ({
        cluster: clusterOf(s.metric),
        node: s.metric.node!,
        providerId: s.metric.provider_id!,
      })),
    gpuQuotas: gpuQuotasOf(answers.gpuQuotas, clusterOf),
    ksmPresentTsMs: presentInEveryCluster(answers.ksmPresence, clusterOf),
    dcgmPresentTsMs: presentInEveryCluster(dcgm, clusterOf),
    dcgmPresentByCluster: presenceByCluster(dcgm, clusterOf),
    scrape,
  };
}

/**
 * The utilization points of one DCGM family's exact means (askExactUtilization), each GPU's replica chosen
 * by when dcgm-exporter was scraped (`dcgm`, as dcgmPresenceSeries gives it): what observationsOf makes of
 * that family.
 */
export function familyUtilizationPoints(
  means: PromSeries[],
  source: PodUtilizationPoints['source'],
  identity: SeriesIdentity,
  dcgm: PromSeries[],
): PodUtilizationPoints[] {
  const { clusterOf, dcgmReplicaOf } = identity;
  return utilizationPoints(means, source, clusterOf, {
    replicaOf: dcgmReplicaOf,
    presence: replicaPresence(dcgm, clusterOf, dcgmReplicaOf),
  });
}

/**
 * Phase points (Running, Pending on a node) per pod, one kube-state-metrics replica per step. Replicas
 * that saw a pod bound in the window (`podNodes`) speak for it even at steps without its sample.
 */
function phasePointsOf(
  identity: SeriesIdentity,
  podNodes: PromSeries[],
  ksmPresence: ReplicaPresence[],
): (series: PromSeries[]) => PodPhasePoints[] {
  const podView = (s: PromSeries, points: SamplePoints): SampleView => {
    const pod = identity.podOf(s.metric);
    const object = [pod.cluster, pod.namespace, pod.pod, pod.uid].join('\u0000');
    return { object, scope: pod.cluster, replica: identity.ksmReplicaOf(s.metric), points };
  };
  const podKnown = podNodes.map((s) => podView(s, SamplePoints.EMPTY));
  return (series) => {
    const refs = new Map<string, PodRef>();
    const views = series.map((s) => {
      const view = podView(s, s.points);
      if (!refs.has(view.object)) refs.set(view.object, identity.podOf(s.metric));
      return view;
    });
    return [...chooseSamples([...podKnown, ...views], ksmPresence)]
      .filter(([object]) => refs.has(object))
      .filter(([, points]) => points.length > 0)
      .map(([object, points]) => ({ pod: refs.get(object)!, tsMs: numbersOf(points.tsMs) }));
  };
}

/** One replica's view of one object, its samples compact (see {@link chooseSamples}). */
interface SampleView {
  object: string;
  scope: string;
  replica: readonly string[];
  points: SamplePoints;
}

/**
 * The replica rule of replicas.ts (chooseReplicaPoints) on compact samples: an object seen by one
 * replica through one series keeps that series' samples as they are (the common case, no copy); any
 * other object is decided by chooseReplicaPoints itself. `merge` combines points of one object,
 * replica and step given twice (series split by other labels).
 */
export function chooseSamples(
  views: readonly SampleView[],
  presence: readonly ReplicaPresence[],
  merge?: (a: number, b: number) => number,
): Map<string, SamplePoints> {
  const byObject = new Map<string, SampleView[]>();
  for (const v of views) {
    const list = byObject.get(v.object);
    if (list) list.push(v);
    else byObject.set(v.object, [v]);
  }
  const out = new Map<string, SamplePoints>();
  for (const [object, list] of byObject) {
    const withPoints = list.filter((v) => v.points.length > 0);
    const single =
      withPoints.length === 1 && list.every((v) => compareReplicas(v.replica, withPoints[0]!.replica) === 0);
    if (single || withPoints.length === 0) {
      out.set(object, withPoints[0]?.points ?? SamplePoints.EMPTY);
      continue;
    }
    const chosen = chooseReplicaPoints(
      list.map((v): ReplicaSeries<number> => ({ ...v, points: v.points.map((p) => p) })),
      presence,
      merge,
    ).get(object)!;
    const points = new SampleBuilder(chosen.length);
    for (const [t, v] of chosen) points.push(t, v);
    out.set(object, points.build());
  }
  return out;
}

/**
 * kube-state-metrics before 2.1 puts `uid` only on kube_pod_info: every other pod series would then
 * belong to one pod with uid "", silently merging all pods. Refuse instead.
 */
function assertPodUids(requests: readonly PromSeries[]): void {
  const without = requests.filter((s) => !s.metric.uid);
  if (without.length === 0) return;
  const example = without[0]!.metric;
  throw new ExporterVersionError(
    `kube_pod_container_resource_requests has ${without.length} series without a uid label ` +
      `(e.g. ${example.namespace ?? '?'}/${example.pod ?? '?'}): kube-state-metrics is older than 2.1, ` +
      'where only kube_pod_info carries uid, so pods cannot be told apart. Upgrade kube-state-metrics to 2.1 or later ' +
      '(or check that no relabeling drops the uid label).',
  );
}

/**
 * Node labels per (cluster, node): the `names` asked for and every GPU feature discovery label
 * (label_nvidia_com_*). Series of one node (other target labels, KSM replicas, a value that changed in
 * the window) are merged in a fixed order, later values winning, except the GFD GPU count: its largest
 * value (a GPU that falls off the bus does not make the machine cheaper).
 */
function nodeLabelsOf(
  series: readonly PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  names: readonly string[],
): NodeLabels[] {
  const wanted = new Set(names);
  const picked = series
    .map((s) => ({
      cluster: clusterOf(s.metric),
      node: s.metric.node ?? '',
      labels: Object.fromEntries(
        Object.entries(s.metric)
          .filter(([k, v]) => v !== '' && (wanted.has(k) || k.startsWith('label_nvidia_com_')))
          .sort(([a], [b]) => compareStrings(a, b)),
      ),
    }))
    .sort((a, b) =>
      compareStrings(
        JSON.stringify([a.cluster, a.node, a.labels]),
        JSON.stringify([b.cluster, b.node, b.labels]),
      ),
    );
  const byNode = new Map<string, NodeLabels>();
  for (const p of picked) {
    const id = `${p.cluster}\u0000${p.node}`;
    const entry = byNode.get(id);
    if (!entry) {
      byNode.set(id, p);
      continue;
    }
    const count = Math.max(
      Number(entry.labels[GFD_LABELS.count] ?? 0) || 0,
      Number(p.labels[GFD_LABELS.count] ?? 0) || 0,
    );
    Object.assign(entry.labels, p.labels);
    if (count > 0) entry.labels[GFD_LABELS.count] = String(count);
  }
  return [...byNode.values()];
}

/**
 * DRA devices per pod (dra_devices.promql): the pod as dcgm-exporter labels it (exported_* when
 * Prometheus renamed its labels), the claim, the device (UUID, and GPU_I_ID under MIG) and its MIG
 * profile (GPU_I_PROFILE, else dra_mig_profile); one entry per pod, claim and device.
 */
function draDevicesOf(
  series: readonly PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): DraDevice[] {
  const out: DraDevice[] = [];
  const seen = new Set<string>();
  for (const { metric: m } of series) {
    const exported = !!m.exported_pod;
    const pod = (exported ? m.exported_pod : m.pod) ?? '';
    if (!pod || !m.dra_claim_name || !m.UUID) continue;
    const device: DraDevice = {
      cluster: clusterOf(m),
      namespace: (exported ? m.exported_namespace : m.namespace) ?? '',
      pod,
      claim: m.dra_claim_name,
      device: m.GPU_I_ID ? `${m.UUID}/${m.GPU_I_ID}` : m.UUID,
    };
    const profile = m.GPU_I_PROFILE || m.dra_mig_profile;
    if (profile) device.migProfile = profile;
    const key = [device.cluster, device.namespace, device.pod, device.claim, device.device].join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(device);
  }
  return out;
}

/** One request per container, resource and value seen in the window. */
function requestsOf(series: PromSeries[], identity: SeriesIdentity): PodRequest[] {
  return series.flatMap((s) =>
    Array.from(s.points.values, (value) => ({
      pod: identity.podOf(s.metric),
      container: s.metric.container ?? '',
      resource: s.metric.resource ?? '',
      value,
    })),
  );
}

/** How to tell replicas of a series apart, and when each replica was scraped (see replicas.ts). */
export interface ReplicaChoice {
  replicaOf: (metric: Record<string, string>) => string[];
  presence: ReplicaPresence[];
}

/** Presence series (one per cluster and replica) as {@link ReplicaPresence}. */
export function replicaPresence(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
): ReplicaPresence[] {
  return series.map((s) => ({
    scope: clusterOf(s.metric),
    replica: replicaOf(s.metric),
    tsMs: numbersOf(s.points.tsMs),
  }));
}

/** Node presence series (one per cluster, replica and node), one replica per step. */
export function nodePresencePoints(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
  presence: ReplicaPresence[],
): NodePresencePoints[] {
  const refs = new Map<string, { cluster: string; node: string }>();
  const views = series.map((s): SampleView => {
    const ref = { cluster: clusterOf(s.metric), node: s.metric.node ?? '' };
    const object = `${ref.cluster}\u0000${ref.node}`;
    if (!refs.has(object)) refs.set(object, ref);
    return { object, scope: ref.cluster, replica: replicaOf(s.metric), points: s.points };
  });
  return [...chooseSamples(views, presence, Math.max)]
    .filter(([, points]) => points.length > 0)
    .map(([object, points]) => ({ ...refs.get(object)!, tsMs: numbersOf(points.tsMs) }));
}

/** Node capacity series (one per cluster, replica, node and resource), one replica per step. */
export function nodeCapacityPoints(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
  presence: ReplicaPresence[],
): NodeCapacityPoints[] {
  const refs = new Map<string, Omit<NodeCapacityPoints, 'points'>>();
  const views = series.map((s): SampleView => {
    const ref = {
      cluster: clusterOf(s.metric),
      node: s.metric.node ?? '',
      resource: s.metric.resource ?? '',
    };
    const object = [ref.cluster, ref.node, ref.resource].join('\u0000');
    if (!refs.has(object)) refs.set(object, ref);
    return { object, scope: ref.cluster, replica: replicaOf(s.metric), points: s.points };
  });
  return [...chooseSamples(views, presence, Math.max)]
    .filter(([, points]) => points.length > 0)
    .map(([object, points]) => ({ ...refs.get(object)!, points }));
}

/**
 * Per-GPU utilization series -> per-pod [t, sum, count]. The workload's pod is `exported_pod` /
 * `exported_namespace` when set (Prometheus renamed dcgm-exporter's labels because the target has its
 * own `pod`), else `pod` / `namespace` (honor_labels). With `replicas`, each GPU and pod's point at a
 * step comes from one replica only (HA Prometheus pairs scrape dcgm-exporter at other instants).
 */
export function utilizationPoints(
  series: PromSeries[],
  source: PodUtilizationPoints['source'],
  clusterOf: (metric: Record<string, string>) => string,
  replicas?: ReplicaChoice,
): PodUtilizationPoints[] {
  const byPod = new Map<string, { cluster: string; namespace: string; pod: string; views: SampleView[] }>();
  for (const s of series) {
    const exported = !!s.metric.exported_pod;
    const namespace = (exported ? s.metric.exported_namespace : s.metric.namespace) ?? '';
    const pod = (exported ? s.metric.exported_pod : s.metric.pod) ?? '';
    if (!pod) continue;
    const cluster = clusterOf(s.metric);
    const id = `${cluster}\u0000${namespace}\u0000${pod}`;
    const entry = byPod.get(id) ?? { cluster, namespace, pod, views: [] };
    // One object per GPU (or MIG instance) of the pod; the same GPU under exported_* and plain pod
    // labels (honor_labels changed) adds up, as two series of one step always did.
    const gpu = [s.metric.UUID ?? '', s.metric.GPU_I_ID ?? '', exported ? 'exported' : 'direct'].join(
      '\u0000',
    );
    entry.views.push({
      object: gpu,
      scope: cluster,
      replica: replicas ? replicas.replicaOf(s.metric) : [],
      points: s.points,
    });
    byPod.set(id, entry);
  }
  return [...byPod.values()].map((e) => {
    const presence = replicas?.presence ?? [];
    // Per step: the sum of the chosen replica's means over the pod's GPUs, and how many means they are.
    const sums = chooseSamples(e.views, presence, (a, b) => a + b);
    const counts = chooseSamples(
      e.views.map((v) => ({ ...v, points: new SamplePoints(v.points.tsMs, ones(v.points.length)) })),
      presence,
      (a, b) => a + b,
    );
    return {
      cluster: e.cluster,
      namespace: e.namespace,
      pod: e.pod,
      source,
      points: UtilizationSamples.add(sums, counts),
    };
  });
}

const ONES = new Float64Array(4096).fill(1);
function ones(n: number): Float64Array {
  return n <= ONES.length ? ONES.subarray(0, n) : new Float64Array(n).fill(1);
}

/**
 * A pod's utilization per grid step, compactly: [t, sum of means, number of means] (see
 * PodUtilizationPoints), in three typed arrays, iterated as triples.
 */
export class UtilizationSamples implements Iterable<[number, number, number]> {
  constructor(
    readonly tsMs: Float64Array,
    readonly sums: Float64Array,
    readonly counts: Float64Array,
  ) {}

  get length(): number {
    return this.tsMs.length;
  }

  *[Symbol.iterator](): Iterator<[number, number, number]> {
    for (let i = 0; i < this.tsMs.length; i++) yield [this.tsMs[i]!, this.sums[i]!, this.counts[i]!];
  }

  toJSON(): [number, number, number][] {
    return [...this];
  }

  /** The pod's steps from its GPUs' chosen sums and counts (one entry per GPU, equal keys). */
  static add(sums: Map<string, SamplePoints>, counts: Map<string, SamplePoints>): UtilizationSamples {
    const gpus = [...sums.keys()];
    if (gpus.length === 1) {
      const s = sums.get(gpus[0]!)!;
      const c = counts.get(gpus[0]!)!;
      return new UtilizationSamples(s.tsMs, s.values, c.values);
    }
    const at = new Map<number, number>();
    const ts: number[] = [];
    const sum: number[] = [];
    const count: number[] = [];
    for (const gpu of gpus) {
      const s = sums.get(gpu)!;
      const c = counts.get(gpu)!;
      for (let i = 0; i < s.length; i++) {
        const t = s.tAt(i);
        const slot = at.get(t);
        if (slot === undefined) {
          at.set(t, ts.length);
          ts.push(t);
          sum.push(s.vAt(i));
          count.push(c.vAt(i));
        } else {
          sum[slot]! += s.vAt(i);
          count[slot]! += c.vAt(i);
        }
      }
    }
    const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
    return new UtilizationSamples(
      Float64Array.from(order, (i) => ts[i]!),
      Float64Array.from(order, (i) => sum[i]!),
      Float64Array.from(order, (i) => count[i]!),
    );
  }
}

/**
 * Grid points at which every cluster that reported in the window reported (presence series are one per
 * cluster): with several clusters, one cluster's missing exporter must show as a coverage gap instead of
 * being hidden by the others. One cluster (or no cluster label) = the points of its series.
 */
export function presentInEveryCluster(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): number[] {
  const sets = [...timesByCluster(series, clusterOf).values()];
  if (sets.length === 0) return [];
  // Sorted and distinct: a time is in every cluster's when each one's next time is it.
  let common = sets[0]!;
  for (const other of sets.slice(1)) common = intersectSorted(common, other);
  return numbersOf(common);
}

/** Grid points with any presence, per cluster (the union of its replicas), clusters in code-unit order. */
export function presenceByCluster(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): { cluster: string; tsMs: number[] }[] {
  return [...timesByCluster(series, clusterOf)]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([cluster, times]) => ({ cluster, tsMs: numbersOf(times) }));
}

/**
 * Per cluster (in the order clusters first appear), the distinct times of its series' points, ascending
 * (unionOfTimes: a Set of times costs a boxed number and a hash entry a point).
 */
function timesByCluster(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): Map<string, Float64Array> {
  const byCluster = new Map<string, PromSeries[]>();
  for (const s of series) {
    const cluster = clusterOf(s.metric);
    const list = byCluster.get(cluster);
    if (list) list.push(s);
    else byCluster.set(cluster, [s]);
  }
  const out = new Map<string, Float64Array>();
  for (const [cluster, list] of byCluster) out.set(cluster, unionOfTimes(list.map((s) => s.points.tsMs)));
  return out;
}

/** The times in both of two ascending, distinct lists. */
function intersectSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(Math.min(a.length, b.length));
  let n = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      out[n++] = a[i]!;
      i++;
      j++;
    }
  }
  return out.subarray(0, n);
}

/**
 * The numbers of `values` in a plain array of exactly their length, filled by index: Array.from of a
 * typed array iterates it and grows its array as it goes (6 × slower for a day's 1,440 steps, and up to
 * half again as long as needed). Very long ones through Array.from all the same: V8 makes `new Array(n)`
 * a dictionary beyond ~100,000 elements.
 */
function numbersOf(values: Float64Array): number[] {
  if (values.length > 50_000) return Array.from(values);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

function pickLabels(metric: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => metric[n]).map((n) => [n, metric[n]!]));
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * GPU quota entries (gpu_quota.promql) per cluster, namespace, quota object and resource, with their
 * hard and used points (the query already took one value per step over replicas).
 */
export function gpuQuotasOf(
  series: readonly PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): GpuQuotaPoints[] {
  const out = new Map<string, GpuQuotaPoints>();
  for (const s of series) {
    const type = s.metric.type;
    if (type !== 'hard' && type !== 'used') continue;
    const ref = {
      cluster: clusterOf(s.metric),
      namespace: s.metric.namespace ?? '',
      quota: s.metric.resourcequota ?? '',
      resource: s.metric.resource ?? '',
    };
    const id = [ref.cluster, ref.namespace, ref.quota, ref.resource].join('\u0000');
    const entry = out.get(id) ?? { ...ref, hard: [], used: [] };
    out.set(id, entry);
    entry[type].push(...s.points.map(([t, v]): [number, number] => [t, v]));
  }
  for (const entry of out.values()) {
    entry.hard.sort((a, b) => a[0] - b[0]);
    entry.used.sort((a, b) => a[0] - b[0]);
  }
  return [...out.values()];
}
