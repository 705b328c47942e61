import type { Config } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import { GFD_LABELS } from '../../core/metering/index.ts';
import type {
  DraDevice,
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
import { chooseReplicaPoints, type ReplicaPresence, type ReplicaSeries } from './replicas.ts';
import { dcgmPresenceSeries, splitPresence } from './utilization.ts';

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
}

/** The WindowObservations of one window. */
export function observationsOf(input: ObservationInput): WindowObservations {
  const { grid, scrape, answers, identity, labels } = input;
  const { clusterOf, podOf } = identity;
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
    podLabels: answers.podLabels.filter(isGpuPod).map((s) => ({
      pod: podOf(s.metric),
      labels: pickLabels(s.metric, [...labels.team.podLabels, ...labels.project.podLabels]),
    })),
    namespaceLabels: answers.namespaceLabels.map((s) => ({
      cluster: clusterOf(s.metric),
      namespace: s.metric.namespace ?? '',
      labels: pickLabels(s.metric, [...labels.team.namespaceLabels, ...labels.project.namespaceLabels]),
    })),
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
    ksmPresentTsMs: presentInEveryCluster(answers.ksmPresence, clusterOf),
    dcgmPresentTsMs: presentInEveryCluster(dcgm, clusterOf),
    dcgmPresentByCluster: presenceByCluster(dcgm, clusterOf),
    scrape,
  };
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
  const podView = (s: PromSeries, points: [number, number][]): ReplicaSeries<number> => {
    const pod = identity.podOf(s.metric);
    const object = [pod.cluster, pod.namespace, pod.pod, pod.uid].join('\u0000');
    return { object, scope: pod.cluster, replica: identity.ksmReplicaOf(s.metric), points };
  };
  const podKnown = podNodes.map((s) => podView(s, []));
  return (series) => {
    const refs = new Map<string, PodRef>();
    const views = series.map((s) => {
      const view = podView(s, s.points);
      if (!refs.has(view.object)) refs.set(view.object, identity.podOf(s.metric));
      return view;
    });
    return [...chooseReplicaPoints([...podKnown, ...views], ksmPresence)]
      .filter(([object]) => refs.has(object))
      .filter(([, points]) => points.length > 0)
      .map(([object, points]) => ({ pod: refs.get(object)!, tsMs: points.map(([t]) => t) }));
  };
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
      compareStrings(JSON.stringify([a.cluster, a.node, a.labels]), JSON.stringify([b.cluster, b.node, b.labels])),
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
    s.points.map(([, value]) => ({
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
    tsMs: s.points.map(([t]) => t),
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
  const views = series.map((s): ReplicaSeries<number> => {
    const ref = { cluster: clusterOf(s.metric), node: s.metric.node ?? '' };
    const object = `${ref.cluster}\u0000${ref.node}`;
    if (!refs.has(object)) refs.set(object, ref);
    return { object, scope: ref.cluster, replica: replicaOf(s.metric), points: s.points };
  });
  return [...chooseReplicaPoints(views, presence, Math.max)]
    .filter(([, points]) => points.length > 0)
    .map(([object, points]) => ({ ...refs.get(object)!, tsMs: points.map(([t]) => t) }));
}

/** Node capacity series (one per cluster, replica, node and resource), one replica per step. */
export function nodeCapacityPoints(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
  presence: ReplicaPresence[],
): NodeCapacityPoints[] {
  const refs = new Map<string, Omit<NodeCapacityPoints, 'points'>>();
  const views = series.map((s): ReplicaSeries<number> => {
    const ref = {
      cluster: clusterOf(s.metric),
      node: s.metric.node ?? '',
      resource: s.metric.resource ?? '',
    };
    const object = [ref.cluster, ref.node, ref.resource].join('\u0000');
    if (!refs.has(object)) refs.set(object, ref);
    return { object, scope: ref.cluster, replica: replicaOf(s.metric), points: s.points };
  });
  return [...chooseReplicaPoints(views, presence, Math.max)]
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
  const byPod = new Map<
    string,
    { cluster: string; namespace: string; pod: string; views: ReplicaSeries<[number, number]>[] }
  >();
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
      points: s.points.map(([t, v]): [number, [number, number]] => [t, [v, 1]]),
    });
    byPod.set(id, entry);
  }
  const add = (a: [number, number], b: [number, number]): [number, number] => [a[0] + b[0], a[1] + b[1]];
  return [...byPod.values()].map((e) => {
    const points = new Map<number, [number, number]>();
    for (const chosen of chooseReplicaPoints(e.views, replicas?.presence ?? [], add).values()) {
      for (const [t, v] of chosen) points.set(t, add(points.get(t) ?? [0, 0], v));
    }
    return {
      cluster: e.cluster,
      namespace: e.namespace,
      pod: e.pod,
      source,
      points: [...points]
        .sort((a, b) => a[0] - b[0])
        .map(([t, [sum, count]]) => [t, sum, count] as [number, number, number]),
    };
  });
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
  const byCluster = new Map<string, Set<number>>();
  for (const s of series) {
    const set = byCluster.get(clusterOf(s.metric)) ?? new Set<number>();
    for (const [t] of s.points) set.add(t);
    byCluster.set(clusterOf(s.metric), set);
  }
  const sets = [...byCluster.values()];
  if (sets.length === 0) return [];
  return [...sets[0]!].filter((t) => sets.every((set) => set.has(t))).sort((a, b) => a - b);
}

/** Grid points with any presence, per cluster (the union of its replicas), clusters in code-unit order. */
export function presenceByCluster(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): { cluster: string; tsMs: number[] }[] {
  const byCluster = new Map<string, Set<number>>();
  for (const s of series) {
    const set = byCluster.get(clusterOf(s.metric)) ?? new Set<number>();
    for (const [t] of s.points) set.add(t);
    byCluster.set(clusterOf(s.metric), set);
  }
  return [...byCluster]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([cluster, set]) => ({ cluster, tsMs: [...set].sort((a, b) => a - b) }));
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

