import type { UtilizationSource, WindowObservations } from '../types.ts';
import { OBSERVED } from './held.ts';
import { key } from './refs.ts';
import type { WindowGrid } from './window.ts';

/** A pod's utilization per source: interval -> [sum of samples, count of samples]. */
export type PodUtilization = Partial<
  Record<Exclude<UtilizationSource, 'none'>, Map<number, [number, number]>>
>;

/** Utilization points by (cluster, namespace, pod) and source, summed per grid interval. */
export function indexUtilization(
  obs: Pick<WindowObservations, 'utilization'>,
  window: WindowGrid,
): Map<string, PodUtilization> {
  const out = new Map<string, PodUtilization>();
  for (const u of obs.utilization) {
    const id = key(u.cluster, u.namespace, u.pod);
    const entry = out.get(id) ?? {};
    const points = entry[u.source] ?? new Map<number, [number, number]>();
    for (const [t, sum, count] of u.points) {
      const k = window.indexOf(t);
      if (k === undefined || !Number.isFinite(sum) || !(count > 0)) continue;
      const prev = points.get(k) ?? [0, 0];
      points.set(k, [prev[0] + sum, prev[1] + count]);
    }
    entry[u.source] = points;
    out.set(id, entry);
  }
  return out;
}

/**
 * DCGM_FI_PROF_GR_ENGINE_ACTIVE when the pod has any such sample at an interval of the day where it
 * was seen held (not bridged) or next to one it was seen Running at, else DCGM_FI_DEV_GPU_UTIL on the
 * same terms, else "none".
 */
export function chooseUtilizationSource(
  util: PodUtilization | undefined,
  running: Uint8Array,
  pending: Uint8Array,
  window: Pick<WindowGrid, 'dayFirst' | 'dayLast'>,
): UtilizationSource {
  const has = (points: Map<number, [number, number]> | undefined) => {
    if (!points) return false;
    for (const k of points.keys())
      if (
        k >= window.dayFirst &&
        k < window.dayLast &&
        (running[k] === OBSERVED ||
          pending[k] === OBSERVED ||
          running[k - 1] === OBSERVED ||
          running[k + 1] === OBSERVED)
      )
        return true;
    return false;
  };
  if (has(util?.DCGM_FI_PROF_GR_ENGINE_ACTIVE)) return 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
  if (has(util?.DCGM_FI_DEV_GPU_UTIL)) return 'DCGM_FI_DEV_GPU_UTIL';
  return 'none';
}
