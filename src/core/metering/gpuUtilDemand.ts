import { compareStrings } from '../compare.ts';
import type { PodRef, WindowObservations } from '../types.ts';
import type { MeterOptions } from './options.ts';
import { isCompact } from './podUtilization.ts';
import { key } from './refs.ts';
import { windowGridOf } from './window.ts';

/** A pod as dcgm-exporter names it: utilization is matched to pods by these three (podUtilization.ts). */
export interface PodName {
  cluster: string;
  namespace: string;
  pod: string;
}

/**
 * The pods whose metering can read DCGM_FI_DEV_GPU_UTIL, judged from observations that hold every
 * DCGM_FI_PROF_GR_ENGINE_ACTIVE point (the DCGM_FI_DEV_GPU_UTIL points in `obs`, if any, are ignored),
 * so that a source may leave that family unread for every other pod (ObservationSource.observe).
 *
 * Metering meters a pod (one uid) from DCGM_FI_DEV_GPU_UTIL only when it is held in the day and
 * chooseUtilizationSource finds no DCGM_FI_PROF_GR_ENGINE_ACTIVE sample where it looks for one. A name is
 * left out only when that is certain for each of its uids:
 * - not held in the day: every point it was seen Running (or Pending on a node, when that is charged) at
 *   lies before the day, or every one after it (held intervals, bridged ones too, lie between two of
 *   them: held.ts);
 * - or seen Running at an interval of the day at which its name has a valid DCGM_FI_PROF_GR_ENGINE_ACTIVE
 *   point (an interval chooseUtilizationSource takes: held there, observed).
 * Every other name is listed: a superset of what metering reads (a pod with PROF samples only next to its
 * Running intervals, say, is listed and read for nothing), never less. Sorted by cluster, namespace and
 * pod; each once.
 *
 * Pure: everything needed is in `obs` and `options`.
 */
export function podsReadingGpuUtil(
  obs: WindowObservations,
  options: Pick<MeterOptions, 'day' | 'chargePeriods' | 'maxBridgeSeconds' | 'pendingOnNode'>,
): PodName[] {
  const window = windowGridOf(obs.grid, options);
  const { dayFirst, dayLast } = window;
  // The intervals with a valid PROF point, per (cluster, namespace, pod): the keys indexUtilization keeps.
  const prof = new Map<string, Uint8Array>();
  for (const u of obs.utilization) {
    if (u.source !== 'DCGM_FI_PROF_GR_ENGINE_ACTIVE') continue;
    const id = key(u.cluster, u.namespace, u.pod);
    let at = prof.get(id);
    if (!at) prof.set(id, (at = new Uint8Array(window.intervals)));
    const mark = (t: number, sum: number, count: number) => {
      const k = window.stepOf(t);
      if (k !== undefined && Number.isFinite(sum) && count > 0) at[k] = 1;
    };
    const points = u.points;
    // A source's compact columns are read as they are (no triple made per point).
    if (isCompact(points))
      for (let i = 0; i < points.tsMs.length; i++) mark(points.tsMs[i]!, points.sums[i]!, points.counts[i]!);
    else for (const [t, sum, count] of points) mark(t, sum, count);
  }
  interface Seen {
    name: PodName;
    first: number;
    last: number;
    profWhileRunning: boolean;
  }
  const uids = new Map<string, Seen>();
  const see = (pod: PodRef, tsMs: readonly number[], running: boolean) => {
    const id = key(pod.cluster, pod.namespace, pod.pod, pod.uid);
    let seen = uids.get(id);
    if (!seen)
      uids.set(
        id,
        (seen = {
          name: { cluster: pod.cluster, namespace: pod.namespace, pod: pod.pod },
          first: Infinity,
          last: -Infinity,
          profWhileRunning: false,
        }),
      );
    const at = running ? prof.get(key(pod.cluster, pod.namespace, pod.pod)) : undefined;
    for (const t of tsMs) {
      const k = window.stepOf(t);
      if (k === undefined) continue;
      if (k < seen.first) seen.first = k;
      if (k > seen.last) seen.last = k;
      if (at && at[k] === 1 && k >= dayFirst && k < dayLast) seen.profWhileRunning = true;
    }
  };
  for (const r of obs.running) see(r.pod, r.tsMs, true);
  if (options.pendingOnNode === 'charged') for (const p of obs.pendingOnNode) see(p.pod, p.tsMs, false);
  const out = new Map<string, PodName>();
  for (const { name, first, last, profWhileRunning } of uids.values()) {
    if (last < dayFirst || first >= dayLast || profWhileRunning) continue;
    out.set(key(name.cluster, name.namespace, name.pod), name);
  }
  return [...out.values()].sort(
    (a, b) =>
      compareStrings(a.cluster, b.cluster) ||
      compareStrings(a.namespace, b.namespace) ||
      compareStrings(a.pod, b.pod),
  );
}
