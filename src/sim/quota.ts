/**
 * GPU ResourceQuotas as kube-state-metrics exports them. kube-state-metrics internal/store/resourcequota.go
 * (family `kube_resourcequota`, STABLE): one gauge per entry of the quota's `status.hard` with
 * `type="hard"` and one per entry of `status.used` with `type="used"`, labelled `namespace`,
 * `resourcequota` (the object's name), `resource` — the quota resource name exactly as Kubernetes spells
 * it (`string(res)`: NOT sanitized, unlike the pod request series: `requests.nvidia.com/gpu`,
 * `requests.nvidia.com/mig-1g.5gb`) — and `type`, in that order; the value is the quantity as a float.
 * Kubernetes only allows quotas on extended resources with the `requests.` prefix.
 *
 * `used` is what the quota controller counts: the requests of the namespace's pods that are not terminal
 * (from creation until Succeeded/Failed or deletion, Pending included); a pod's request is its
 * effective one, max(sum of app containers, largest init container).
 */
import type { TimeRange } from '../core/types.ts';
import type { SimContainer, SimNamespace, SimPod, Simulation } from './model.ts';

/** One kube_resourcequota series of the simulation: hard (constant) or used (over time). */
export interface QuotaSeries {
  namespace: string;
  quota: string;
  /** The quota resource name as Kubernetes spells it (`requests.nvidia.com/gpu`). */
  resource: string;
  type: 'hard' | 'used';
  value: number | ((tMs: number) => number);
}

/** The pod request resource (KSM's sanitized spelling, e.g. nvidia_com_mig_1g_5gb) a quota resource counts. */
export function requestResourceOf(quotaResource: string): string {
  return quotaResource.replace(/^requests\./, '').replace(/[^A-Za-z0-9_]/g, '_');
}

/** The time a pod counts toward its namespace's quota: [created, min(end, deleted)). */
export function quotaRangeOf(pod: SimPod): TimeRange {
  const end = Math.min(pod.endMs ?? Number.POSITIVE_INFINITY, pod.deletedMs ?? Number.POSITIVE_INFINITY);
  return { startMs: pod.createdMs, endMs: end };
}

function effectiveRequest(pod: SimPod, resource: string): number {
  const units = (cs: readonly SimContainer[]) =>
    cs.filter((c) => c.gpuResource === resource).map((c) => c.gpuCount);
  const app = units(pod.containers).reduce((a, b) => a + b, 0);
  return Math.max(app, ...units(pod.initContainers ?? []));
}

/** The kube_resourcequota series of every namespace with a GPU quota, hard before used per resource. */
export function quotaSeries(sim: Simulation): QuotaSeries[] {
  const out: QuotaSeries[] = [];
  for (const ns of sim.namespaces) {
    if (!ns.gpuQuota) continue;
    for (const resource of Object.keys(ns.gpuQuota.hard).sort()) {
      const base = { namespace: ns.name, quota: ns.gpuQuota.name, resource };
      out.push({ ...base, type: 'hard', value: ns.gpuQuota.hard[resource]! });
      out.push({ ...base, type: 'used', value: usedOver(sim, ns, resource) });
    }
  }
  return out;
}

/** status.used of `resource` at time t: the effective requests of the namespace's non-terminal pods. */
function usedOver(sim: Simulation, ns: SimNamespace, quotaResource: string): (tMs: number) => number {
  const resource = requestResourceOf(quotaResource);
  const holders = sim.pods
    .filter((p) => p.namespace === ns.name)
    .map((p) => ({ range: quotaRangeOf(p), units: effectiveRequest(p, resource) }))
    .filter((h) => h.units > 0);
  return (tMs) => {
    let used = 0;
    for (const h of holders) if (tMs >= h.range.startMs && tMs < h.range.endMs) used += h.units;
    return used;
  };
}
