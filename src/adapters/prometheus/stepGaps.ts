import type { RangeWindow } from './client.ts';
import type { PromSeries } from './parseResponse.ts';
import { stepCount } from './rawSteps.ts';

/**
 * The steps of a grid at which what was read cannot tell a presence, so that only those are asked of
 * Prometheus: kube-state-metrics presence for a shard that read its own nodes only (shardQueries.ts
 * shardKsmPresence), dcgm-exporter presence for a day that left DCGM_FI_DEV_GPU_UTIL's pod series unread
 * (gpuUtilOnDemand.ts).
 */

/** Most range queries asked for such steps; with more runs of them, one range from the first to the last. */
export const MAX_GAP_REQUESTS = 4;

/** Which steps of `over` each group has a point at, and the steps at which some group of the index has none. */
export interface StepGaps {
  /** The step of a grid point of `over`. */
  stepOf(tMs: number): number;
  /** Per group key: 1 at each step where one of the group's series read has a point. */
  seen: Map<string, Uint8Array>;
  /** 1 at each step where some group of the index has no point in `seen`. */
  gap: Uint8Array;
  /** How many steps `gap` marks. */
  count: number;
}

/**
 * The gaps of `read` (series on the grid `over`, grouped by `keyOf`) against the groups `index` names
 * (every group that could have a point: from Prometheus' series endpoint).
 */
export function stepGaps(
  read: readonly PromSeries[],
  index: readonly Record<string, string>[],
  keyOf: (metric: Record<string, string>) => string,
  over: RangeWindow,
): StepGaps {
  const n = stepCount(over);
  const stepOf = (tMs: number) => Math.round((tMs - over.startMs) / over.stepMs);
  const seen = new Map<string, Uint8Array>();
  for (const s of read) {
    const key = keyOf(s.metric);
    let at = seen.get(key);
    if (!at) seen.set(key, (at = new Uint8Array(n)));
    for (let i = 0; i < s.points.length; i++) at[stepOf(s.points.tAt(i))] = 1;
  }
  const gap = new Uint8Array(n);
  let count = 0;
  for (const key of new Set(index.map(keyOf))) {
    const at = seen.get(key);
    for (let k = 0; k < n; k++)
      if (!at?.[k] && !gap[k]) {
        gap[k] = 1;
        count++;
      }
  }
  return { stepOf, seen, gap, count };
}

/**
 * The ranges to ask for the marked steps of `gap` on `over`: each run of consecutive steps, or, with more
 * than MAX_GAP_REQUESTS runs, one range from the first to the last.
 */
export function gapRanges(gap: Uint8Array, over: RangeWindow): RangeWindow[] {
  const runs: [number, number][] = [];
  for (let k = 0; k < gap.length; k++) {
    if (!gap[k]) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === k - 1) last[1] = k;
    else runs.push([k, k]);
  }
  if (runs.length === 0) return [];
  const asked = runs.length <= MAX_GAP_REQUESTS ? runs : [[runs[0]![0], runs[runs.length - 1]![1]] as const];
  return asked.map(([from, to]) => ({
    startMs: over.startMs + from * over.stepMs,
    endMs: over.startMs + to * over.stepMs,
    stepMs: over.stepMs,
  }));
}
