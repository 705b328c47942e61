import type { PodState } from './indexObservations.ts';

/** Units of one GPU resource a pod holds while it is charged. */
export interface EffectiveRequest {
  resource: string;
  requested: number;
}

/**
 * The GPU units a pod holds, per resource: the sum over its containers of each container's request
 * (its largest value in the window), in the order the resources were first seen.
 */
export function effectiveRequests(state: Pick<PodState, 'requests'>): EffectiveRequest[] {
  return [...state.requests].map(([resource, byContainer]) => ({
    resource,
    requested: [...byContainer.values()].reduce((a, b) => a + b, 0),
  }));
}
