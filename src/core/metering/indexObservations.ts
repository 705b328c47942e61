import { compareStrings } from '../compare.ts';
import type { NodeCapacityPoints, PodRef, WindowObservations } from '../types.ts';
import { describePod, key, podKey } from './refs.ts';
import { DRA_GPU } from './weights.ts';
import { warningText } from '../warningText.ts';

/** What the window says about one pod (by cluster, namespace, name and uid: see {@link podKey}). */
export interface PodState {
  pod: PodRef;
  /** resource -> container -> units (each container's largest request in the window) */
  requests: Map<string, Map<string, number>>;
  /** The same for init containers. */
  initRequests: Map<string, Map<string, number>>;
  /** Init containers that are restartable sidecars. */
  sidecars: Set<string>;
  /** Grid points at which the pod was Running, and Pending while bound to a node. */
  running: number[];
  pending: number[];
  /** The node it is metered on ("" when kube_pod_info never named one). */
  node: string;
}

/**
 * Gathers the pod series of the window by pod identity (cluster, namespace, name, uid: {@link podKey}),
 * in order of first appearance, so two objects that share a uid (a copy restored in another namespace)
 * stay two pods. A pod bound to several nodes (it never moves; the data is inconsistent) is metered on
 * the first by name, warned.
 */
export function indexPods(obs: WindowObservations, warnings: Set<string>): Map<string, PodState> {
  const pods = new Map<string, PodState>();
  const nodes = new Map<string, Set<string>>();
  const podState = (pod: PodRef): PodState => {
    const id = podKey(pod);
    let state = pods.get(id);
    if (!state) {
      state = {
        pod,
        requests: new Map(),
        initRequests: new Map(),
        sidecars: new Set(),
        running: [],
        pending: [],
        node: '',
      };
      pods.set(id, state);
      nodes.set(id, new Set());
    }
    return state;
  };
  for (const r of obs.running) podState(r.pod).running.push(...r.tsMs);
  for (const p of obs.pendingOnNode) podState(p.pod).pending.push(...p.tsMs);
  for (const [list, of] of [
    [obs.requests, (s: PodState) => s.requests],
    [obs.initRequests, (s: PodState) => s.initRequests],
  ] as const) {
    for (const req of list) {
      if (!(req.value > 0)) continue;
      const requests = of(podState(req.pod));
      const byContainer = requests.get(req.resource) ?? new Map<string, number>();
      byContainer.set(req.container, Math.max(byContainer.get(req.container) ?? 0, req.value));
      requests.set(req.resource, byContainer);
    }
  }
  for (const s of obs.sidecars) pods.get(podKey(s.pod))?.sidecars.add(s.container);
  for (const pn of obs.podNodes) {
    if (!pn.node) continue;
    podState(pn.pod);
    nodes.get(podKey(pn.pod))!.add(pn.node);
  }
  attachDraDevices(obs.draDevices, pods, warnings);
  for (const [id, state] of pods) {
    const names = [...nodes.get(id)!].sort(compareStrings);
    if (names.length > 1) {
      warnings.add(
        warningText('podSeveralNodes', {
          pod: describePod(state.pod),
          nodes: names.join(', '),
          node: String(names[0]),
        }),
      );
    }
    state.node = names[0] ?? '';
  }
  return pods;
}

/**
 * Pods holding GPUs through DRA claims have no GPU request: each device dcgm-exporter attributes to a
 * pod becomes one unit of `dra_gpu` (a whole GPU) or `dra_mig_<profile>` (a MIG device) requested by
 * the "container" <claim>/<device>. dcgm-exporter names pods, not uids: a device goes to the pod of
 * that name seen Running in the window (the first by uid if several were, warned).
 */
function attachDraDevices(
  devices: WindowObservations['draDevices'],
  pods: Map<string, PodState>,
  warnings: Set<string>,
): void {
  if (devices.length === 0) return;
  const byName = new Map<string, PodState[]>();
  for (const state of pods.values()) {
    const name = key(state.pod.cluster, state.pod.namespace, state.pod.pod);
    byName.set(name, [...(byName.get(name) ?? []), state]);
  }
  for (const d of devices) {
    const candidates = (byName.get(key(d.cluster, d.namespace, d.pod)) ?? []).filter(
      (s) => s.running.length > 0,
    );
    const pod = `${d.cluster ? `${d.cluster}/` : ''}${d.namespace}/${d.pod}`;
    if (candidates.length === 0) {
      warnings.add(warningText('draClaimWithoutPod', { device: d.device, pod, claim: d.claim }));
      continue;
    }
    const sorted = [...candidates].sort((a, b) => compareStrings(a.pod.uid, b.pod.uid));
    if (sorted.length > 1)
      warnings.add(warningText('draClaimSeveralPods', { pod, claim: d.claim, uid: sorted[0]!.pod.uid }));
    const resource = d.migProfile ? `dra_mig_${d.migProfile.replace(/[^A-Za-z0-9]/g, '_')}` : DRA_GPU;
    const byContainer = sorted[0]!.requests.get(resource) ?? new Map<string, number>();
    byContainer.set(`${d.claim}/${d.device}`, 1);
    sorted[0]!.requests.set(resource, byContainer);
  }
}

/**
 * The nodes of the window: every node that existed (presence), had capacity series or metered pods, by
 * (cluster, node).
 */
export interface NodeIndex {
  /** Node keys (cluster, node) in code-unit order. */
  ids: string[];
  labels: Map<string, Record<string, string>>;
  capacity: Map<string, NodeCapacityPoints[]>;
  /** Grid points at which the node existed (a node's one series as the source gave it: no copy). */
  presence: Map<string, readonly number[]>;
  /**
   * The GPU resources each node advertises (in series order), then those its pods request (in pod
   * order): the resources whose weights the node must define.
   */
  resources: Map<string, Set<string>>;
}

/** Indexes the node series of the window and the nodes its pods are metered on. */
export function indexNodes(obs: WindowObservations, pods: ReadonlyMap<string, PodState>): NodeIndex {
  const labels = new Map(obs.nodeLabels.map((l) => [key(l.cluster, l.node), l.labels]));
  const capacity = new Map<string, NodeCapacityPoints[]>();
  const resources = new Map<string, Set<string>>();
  const resourcesOf = (id: string) => {
    const set = resources.get(id) ?? new Set<string>();
    resources.set(id, set);
    return set;
  };
  const presence = new Map<string, readonly number[]>();
  for (const p of obs.nodePresence) {
    const id = key(p.cluster, p.node);
    const before = presence.get(id);
    presence.set(id, before ? [...before, ...p.tsMs] : p.tsMs);
    resourcesOf(id);
  }
  for (const c of obs.nodeCapacity) {
    const id = key(c.cluster, c.node);
    const series = capacity.get(id);
    if (series) series.push(c);
    else capacity.set(id, [c]);
    resourcesOf(id).add(c.resource);
  }
  for (const state of pods.values()) {
    const set = resourcesOf(key(state.pod.cluster, state.node));
    for (const r of state.requests.keys()) set.add(r);
    for (const r of state.initRequests.keys()) set.add(r);
  }
  return { ids: [...resources.keys()].sort(compareStrings), labels, capacity, presence, resources };
}
