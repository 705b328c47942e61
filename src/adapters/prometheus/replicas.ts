/**
 * Replica choice: the same object (a pod, a node's capacity, a GPU's utilization) seen by several
 * replicas — kube-state-metrics replicas (told apart by `instance`), an HA Prometheus pair (told apart
 * by a dedupe label such as `prometheus_replica`), or both — is counted once by taking, at each grid
 * step, the view of exactly one replica.
 *
 * Rule ("primary replica with failover", per object and step): the replicas that ever saw the object
 * in the window (a point of it, or — passed as a series without points — any other sign of it, such
 * as the Prometheus source's kube_pod_info binding of a pod) are ranked by their label values (dedupe labels in configured order, then `instance`
 * for kube-state-metrics). At a step, walk them in rank order and stop at the first one that either has
 * a point of the object there — its value is taken — or was scraped there (it has presence in the
 * object's cluster) without a point — then the object has no point at that step. A replica that was not
 * scraped at a step (outage, not yet started, rescheduled away) is skipped, so an outage never leaves a
 * gap while another replica saw the object. Replicas that never saw the object (kube-state-metrics
 * shards own disjoint objects) are never consulted, so shards add up instead of hiding each other.
 *
 * Known limit: a replica that disappears (KSM rescheduled) before an object was ever exported, while a
 * later-scraping replica saw it in that same step, cannot speak for it there (at most one step, rare).
 *
 * Why not the union (max) of the replicas' views: replicas scraped at different instants disagree for
 * up to one step at each phase change, and the union keeps the longer span every time.
 */

/** One series of one replica's view of one object: `[tMs, value]` points at grid steps. */
export interface ReplicaSeries<V> {
  /** The object's identity (e.g. cluster + uid). Series of one object are merged. */
  object: string;
  /** The object's scope for presence (its cluster, "" without a cluster label). */
  scope: string;
  /** The replica's label values in rank order (missing labels are ""). */
  replica: readonly string[];
  points: readonly (readonly [number, V])[];
}

/** Grid steps at which one replica was scraped at all in one scope (cluster). */
export interface ReplicaPresence {
  scope: string;
  replica: readonly string[];
  tsMs: readonly number[];
}

/** Orders replicas by their label values, element by element (shorter first on a tie). */
export function compareReplicas(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return a.length - b.length;
}

const replicaKey = (replica: readonly string[]) => JSON.stringify(replica);

/**
 * Applies the replica rule (see the module comment) to every object: returns, per object key, the
 * chosen `[tMs, value]` points sorted by time. Points of one object, replica and step given twice
 * (series split by other labels) are combined with `merge` (default: the later one wins).
 */
export function chooseReplicaPoints<V>(
  series: readonly ReplicaSeries<V>[],
  presence: readonly ReplicaPresence[],
  merge: (a: V, b: V) => V = (_a, b) => b,
): Map<string, [number, V][]> {
  const present = new Map<string, Set<number>>();
  for (const p of presence) {
    const id = `${p.scope}\u0000${replicaKey(p.replica)}`;
    const set = present.get(id) ?? new Set<number>();
    for (const t of p.tsMs) set.add(t);
    present.set(id, set);
  }
  type View = { replica: readonly string[]; points: Map<number, V>; present: Set<number> | undefined };
  const objects = new Map<string, Map<string, View>>();
  for (const s of series) {
    const views = objects.get(s.object) ?? new Map<string, View>();
    objects.set(s.object, views);
    const key = replicaKey(s.replica);
    let view = views.get(key);
    if (!view) {
      view = {
        replica: s.replica,
        points: new Map(),
        present: present.get(`${s.scope}\u0000${key}`),
      };
      views.set(key, view);
    }
    for (const [t, v] of s.points) {
      const prev = view.points.get(t);
      view.points.set(t, prev === undefined ? v : merge(prev, v));
    }
  }
  const out = new Map<string, [number, V][]>();
  for (const [object, views] of objects) {
    const ranked = [...views.values()].sort((a, b) => compareReplicas(a.replica, b.replica));
    if (ranked.length === 1) {
      out.set(
        object,
        [...ranked[0]!.points].sort((a, b) => a[0] - b[0]),
      );
      continue;
    }
    const steps = new Set<number>();
    for (const view of ranked) for (const t of view.points.keys()) steps.add(t);
    const chosen: [number, V][] = [];
    for (const t of [...steps].sort((a, b) => a - b)) {
      for (const view of ranked) {
        const v = view.points.get(t);
        if (v !== undefined) {
          chosen.push([t, v]);
          break;
        }
        if (view.present?.has(t)) break;
      }
    }
    out.set(object, chosen);
  }
  return out;
}
