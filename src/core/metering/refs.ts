import { compareStrings } from '../compare.ts';
import { compositeKey } from '../records.ts';
import type { PodRef } from '../types.ts';

/** A map key made of identity parts (cluster, uid, node...): injective whatever they hold ({@link compositeKey}). */
export const key = compositeKey;

/**
 * The identity of a pod: cluster, namespace, name and uid. A uid names one Kubernetes object, but a copy
 * of an object restored elsewhere (another namespace, a Velero restore, an etcd snapshot in another
 * cluster without a cluster label) can carry the same uid; keyed by all four, the two are metered apart
 * (each with its own labels, node and time) and the month warns with the money of each.
 */
export function podKey(pod: PodRef): string {
  return key(pod.cluster, pod.namespace, pod.pod, pod.uid);
}

/** A pod as warnings name it: [cluster/]namespace/pod (uid ...). */
export function describePod(pod: PodRef): string {
  return `${pod.cluster ? `${pod.cluster}/` : ''}${pod.namespace}/${pod.pod} (uid ${pod.uid})`;
}

/** A node as warnings name it: [cluster/]node, or "(none)" for pods bound to no known node. */
export function describeNode(node: { cluster: string; node: string }): string {
  return `${node.cluster ? `${node.cluster}/` : ''}${node.node || '(none)'}`;
}

/** Orders pods by cluster, namespace, name, then uid (code-unit order). */
export function comparePods(a: PodRef, b: PodRef): number {
  return (
    compareStrings(a.cluster, b.cluster) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.pod, b.pod) ||
    compareStrings(a.uid, b.uid)
  );
}
