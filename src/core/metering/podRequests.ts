import type { PodState } from './indexObservations.ts';

/** Units of one GPU resource a pod holds while it is charged. */
export interface EffectiveRequest {
  resource: string;
  requested: number;
}

/**
 * The GPU units a pod holds, per resource, by Kubernetes' effective-request rule: the larger of its
 * largest (non-restartable) init container request and the sum of its app containers plus its
 * restartable init containers (native sidecars, restartPolicy Always) — each container at its largest
 * value in the window. kube-state-metrics does not say in which order init containers run, so a
 * sidecar declared before an init container is not added to that init container's request (the
 * scheduler would add it). Resources in the order first seen (app containers first).
 */
export function effectiveRequests(
  state: Pick<PodState, 'requests'> & Partial<Pick<PodState, 'initRequests' | 'sidecars'>>,
): EffectiveRequest[] {
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
  const sidecars = state.sidecars ?? new Set<string>();
  const resources = [...new Set([...state.requests.keys(), ...(state.initRequests?.keys() ?? [])])];
  return resources.map((resource) => {
    let running = sum(state.requests.get(resource)?.values() ?? []);
    let largestInit = 0;
    for (const [container, units] of state.initRequests?.get(resource) ?? []) {
      if (sidecars.has(container)) running += units;
      else largestInit = Math.max(largestInit, units);
    }
    return { resource, requested: Math.max(largestInit, running) };
  });
}
