import type { RangeWindow } from './client.ts';
import type { PromSeries } from './parseResponse.ts';
import { SampleBuilder } from './samplePoints.ts';

/**
 * Per-step values derived in the adapter from RAW samples (an instant query of a plain range selector),
 * exactly as Prometheus 2.x evaluates last_over_time of a selector over a window on a query_range grid and aggregates
 * it: Prometheus then only decodes and encodes the samples instead of evaluating every series at every
 * step (docs/performance.md, "Where Prometheus' CPU goes"). Semantics, from prometheus/prometheus
 * promql/engine.go (v2.42):
 * - a range selection at evaluation time t holds the samples with t - window <= ts <= t
 *   (matrixIterSlice: mint = maxt - range, points before mint dropped) and never a staleness marker
 *   (value.IsStaleNaN points are skipped), so a raw answer of `sel[range]` has none either;
 * - last_over_time (promql/functions.go funcLastOverTime) is the last of those samples, whatever its
 *   value (NaN included); a series without a sample in the window has no point at t;
 * - `max by` (engine.go aggregation, MAX) starts from the group's first value and takes a later one when
 *   it is greater or the current value is NaN: NaN only when every value is NaN.
 * The window is shorter than the step (step − 1 ms), so every raw sample belongs to at most one step.
 */

/** The steps of a range query: t_k = startMs + k · stepMs for k = 0 … while t_k <= endMs. */
export function stepCount(over: RangeWindow): number {
  return over.endMs < over.startMs ? 0 : Math.floor((over.endMs - over.startMs) / over.stepMs) + 1;
}

/**
 * Calls `f(k, value)` with the last raw sample of `series` in [t_k − windowMs, t_k] for every step k
 * that has one, in ascending k. `raw` must be sorted by time (Prometheus returns it so).
 */
export function forEachLastPerStep(
  raw: PromSeries,
  over: RangeWindow,
  windowMs: number,
  f: (k: number, value: number) => void,
): void {
  if (!(windowMs < over.stepMs)) throw new RangeError('the window must be shorter than the step');
  const n = stepCount(over);
  const { points } = raw;
  let k = -1;
  let value = 0;
  for (let i = 0; i < points.length; i++) {
    const t = points.tAt(i);
    // The only step whose window [t_j − windowMs, t_j] can hold t: the first t_j >= t.
    const j = Math.max(0, Math.ceil((t - over.startMs) / over.stepMs));
    if (j >= n || over.startMs + j * over.stepMs - t > windowMs) continue;
    if (j !== k && k >= 0) f(k, value);
    k = j;
    value = points.vAt(i);
  }
  if (k >= 0) f(k, value);
}

/** Prometheus' MAX aggregation of two values (engine.go): NaN only when both are NaN. */
function maxOf(current: number, next: number): number {
  return current < next || Number.isNaN(current) ? next : current;
}

/** The label set `by` keeps of `metric` (empty values are no labels, as in Prometheus). */
function byLabels(metric: Record<string, string>, by: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of by) {
    const value = metric[name];
    if (value) out[name] = value;
  }
  return out;
}

const keyOf = (metric: Record<string, string>, by: readonly string[]) =>
  by.map((name) => metric[name] ?? '').join('\u0000');

/** The max by `by` of each series' last sample per step (max by of last_over_time): per group key, its labels and values by step. */
export function maxByLastPerStep(
  raw: readonly PromSeries[],
  by: readonly string[],
  over: RangeWindow,
  windowMs: number,
): Map<string, { metric: Record<string, string>; values: Map<number, number> }> {
  const groups = new Map<string, { metric: Record<string, string>; values: Map<number, number> }>();
  for (const series of raw) {
    const key = keyOf(series.metric, by);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { metric: byLabels(series.metric, by), values: new Map() }));
    const values = group.values;
    forEachLastPerStep(series, over, windowMs, (k, v) => {
      const current = values.get(k);
      values.set(k, current === undefined ? v : maxOf(current, v));
    });
  }
  return groups;
}

/** What running.promql asks, in raw answers (queries/running_raw_*.promql) and label names. */
export interface RunningRaw {
  /** kube_pod_status_phase{phase="Running"} samples. */
  phase: readonly PromSeries[];
  /** GPU requests of app and init containers. */
  requests: readonly PromSeries[];
  /** kube_pod_resourceclaim_info{uid!=""} samples. */
  claims: readonly PromSeries[];
  /** The cluster label ([] without one) and the kube-state-metrics replica labels. */
  cluster: readonly string[];
  replica: readonly string[];
}

/**
 * running.promql evaluated on `over` from raw samples: per (cluster, replica, namespace, pod, uid), the
 * steps where the max of the last phase="Running" samples is 1, kept where the pod's (cluster, uid) has
 * a GPU request whose max of last samples is > 0 or a ResourceClaim sample in the same window (`and on
 * (cluster, uid)` of the right-hand `… > 0 or …`). Points carry the value 1, as the query's answer does.
 */
export function runningFromRaw(input: RunningRaw, over: RangeWindow, windowMs: number): PromSeries[] {
  const left = maxByLastPerStep(
    input.phase,
    [...input.cluster, ...input.replica, 'namespace', 'pod', 'uid'],
    over,
    windowMs,
  );
  const on = [...input.cluster, 'uid'];
  const gpu = new Map<string, Set<number>>();
  const add = (key: string, k: number) => {
    let steps = gpu.get(key);
    if (!steps) gpu.set(key, (steps = new Set()));
    steps.add(k);
  };
  for (const [key, group] of maxByLastPerStep(input.requests, on, over, windowMs))
    for (const [k, v] of group.values) if (v > 0) add(key, k);
  for (const [key, group] of maxByLastPerStep(input.claims, on, over, windowMs))
    for (const k of group.values.keys()) add(key, k);
  const out: PromSeries[] = [];
  for (const group of left.values()) {
    const steps = gpu.get(keyOf(group.metric, on));
    if (!steps) continue;
    const b = new SampleBuilder();
    for (const k of [...group.values.keys()].sort((a, c) => a - c)) {
      if (group.values.get(k) === 1 && steps.has(k)) b.push(over.startMs + k * over.stepMs, 1);
    }
    if (b.length > 0) out.push({ metric: group.metric, points: b.build() });
  }
  return out;
}
