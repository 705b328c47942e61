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
  const { points } = raw;
  forEachWindowPerStep(raw, over, windowMs, (k, _from, to) => f(k, points.vAt(to - 1)));
}

/**
 * `raw` reduced to its last sample in each step's window [t_k − windowMs, t_k], placed at t_k: what
 * last_over_time (and so count by, max by of it) sees of it on `over`, at most one point a step; undefined
 * when no step has a sample. Applied to raw series as they are read (parseResponse.ts `transform`).
 */
export function lastPerStep(raw: PromSeries, over: RangeWindow, windowMs: number): PromSeries | undefined {
  const b = new SampleBuilder();
  forEachLastPerStep(raw, over, windowMs, (k, v) => b.push(over.startMs + k * over.stepMs, v));
  return b.length === 0 ? undefined : { metric: raw.metric, points: b.build() };
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

/** One group of a `max by`: its labels, and per step k its value (where `has[k]` is 1). */
interface MaxGroup {
  metric: Record<string, string>;
  values: Float64Array;
  has: Uint8Array;
}

/**
 * The max by `by` of each series' last sample per step (max by of last_over_time): per group key, its
 * labels and its values by step, in typed arrays of the grid's steps (9 bytes a step and group).
 */
function maxByLastPerStep(
  raw: readonly PromSeries[],
  by: readonly string[],
  over: RangeWindow,
  windowMs: number,
): Map<string, MaxGroup> {
  const n = stepCount(over);
  const groups = new Map<string, MaxGroup>();
  for (const series of raw) {
    const key = keyOf(series.metric, by);
    let group = groups.get(key);
    if (!group) {
      group = { metric: byLabels(series.metric, by), values: new Float64Array(n), has: new Uint8Array(n) };
      groups.set(key, group);
    }
    const { values, has } = group;
    forEachLastPerStep(series, over, windowMs, (k, v) => {
      if (has[k] === 0) {
        has[k] = 1;
        values[k] = v;
      } else values[k] = maxOf(values[k]!, v);
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
  const n = stepCount(over);
  // Per (cluster, uid): the steps where the pod holds a GPU (a request > 0 or a claim).
  const gpu = new Map<string, Uint8Array>();
  const stepsOf = (key: string) => {
    let steps = gpu.get(key);
    if (!steps) gpu.set(key, (steps = new Uint8Array(n)));
    return steps;
  };
  for (const [key, group] of maxByLastPerStep(input.requests, on, over, windowMs)) {
    const steps = stepsOf(key);
    for (let k = 0; k < n; k++) if (group.has[k] === 1 && group.values[k]! > 0) steps[k] = 1;
  }
  for (const [key, group] of maxByLastPerStep(input.claims, on, over, windowMs)) {
    const steps = stepsOf(key);
    for (let k = 0; k < n; k++) if (group.has[k] === 1) steps[k] = 1;
  }
  const out: PromSeries[] = [];
  for (const group of left.values()) {
    const steps = gpu.get(keyOf(group.metric, on));
    if (!steps) continue;
    const b = new SampleBuilder();
    for (let k = 0; k < n; k++) {
      if (group.has[k] === 1 && group.values[k] === 1 && steps[k] === 1)
        b.push(over.startMs + k * over.stepMs, 1);
    }
    if (b.length > 0) out.push({ metric: group.metric, points: b.build() });
  }
  return out;
}

/**
 * Prometheus 2.42's avg_over_time of `values[from, to)` (prometheus/prometheus v2.42.0
 * promql/functions.go funcAvgOverTime): an incremental mean with Kahan–Neumaier compensation
 * (kahanSumInc), infinities kept as they are. The same operations in the same order, so the same
 * float64 bit for bit (Go does not fuse these divisions and subtractions).
 */
export function avgOverTime(values: Float64Array, from: number, to: number): number {
  let mean = 0;
  let count = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    count++;
    if (mean === Infinity || mean === -Infinity) {
      // Inf of the same sign: the mean is already right; a finite value cannot move an infinite mean.
      if ((v === Infinity || v === -Infinity) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    const inc = v / count - mean / count;
    const t = mean + inc;
    if (Math.abs(mean) >= Math.abs(inc)) c += mean - t + inc;
    else c += inc - t + mean;
    mean = t;
  }
  if (mean === Infinity || mean === -Infinity) return mean;
  return mean + c;
}

/**
 * One raw series' avg_over_time (avgOverTime) at every step of `over` whose window holds its samples,
 * divided by `divisor`, every value kept (NaN, infinite, negative), labels unchanged (`__name__` too);
 * undefined when no step has a sample. The first half of utilizationFromRaw for one series: the adapter
 * applies it to each series of a raw answer as it is read (parseResponse.ts `transform`), so a span's raw
 * samples are never all held at once.
 */
export function meansPerStep(
  series: PromSeries,
  over: RangeWindow,
  windowMs: number,
  divisor: number,
): PromSeries | undefined {
  const b = new SampleBuilder();
  const values = series.points.values;
  forEachWindowPerStep(series, over, windowMs, (k, from, to) =>
    b.push(over.startMs + k * over.stepMs, avgOverTime(values, from, to) / divisor),
  );
  return b.length === 0 ? undefined : { metric: series.metric, points: b.build() };
}

/**
 * The second half: `means` (meansPerStep) without `__name__` (avg_over_time drops it) and without the
 * means the client's parser would have dropped from a range answer (NaN, infinite, negative: counted in
 * `dropped`); undefined when none is left.
 */
export function validMeans(means: PromSeries, dropped: DroppedValues): PromSeries | undefined {
  const { __name__: _name, ...metric } = means.metric;
  const { points } = means;
  const valid = (v: number) => v >= 0 && v !== Infinity;
  let i = 0;
  while (i < points.length && valid(points.vAt(i))) i++;
  // Nothing to drop (nearly always): the same points, not a copy.
  if (i === points.length) return { metric, points };
  const b = new SampleBuilder(points.length);
  for (let j = 0; j < points.length; j++) {
    const v = points.vAt(j);
    if (Number.isNaN(v)) dropped.NaN++;
    else if (!Number.isFinite(v)) dropped.infinite++;
    else if (v < 0) dropped.negative++;
    else b.push(points.tAt(j), v);
  }
  return b.length === 0 ? undefined : { metric, points: b.build() };
}

/**
 * Calls `f(k, from, to)` for every step k whose window [t_k − windowMs, t_k] holds raw samples of
 * `series`: they are its points from..to−1 (consecutive, the series being sorted by time).
 */
export function forEachWindowPerStep(
  raw: PromSeries,
  over: RangeWindow,
  windowMs: number,
  f: (k: number, from: number, to: number) => void,
): void {
  if (!(windowMs < over.stepMs)) throw new RangeError('the window must be shorter than the step');
  const n = stepCount(over);
  const { points } = raw;
  let k = -1;
  let from = 0;
  let last = -1;
  for (let i = 0; i < points.length; i++) {
    const t = points.tAt(i);
    // The only step whose window [t_j − windowMs, t_j] can hold t: the first t_j >= t.
    const j = Math.max(0, Math.ceil((t - over.startMs) / over.stepMs));
    if (j >= n || over.startMs + j * over.stepMs - t > windowMs) continue;
    if (j !== k) {
      if (k >= 0) f(k, from, last + 1);
      k = j;
      from = i;
    }
    last = i;
  }
  if (k >= 0) f(k, from, last + 1);
}

/** What utilization_prof / utilization_util ask, in raw answers (queries/utilization_raw_*.promql). */
export interface UtilizationRaw {
  /** Samples of the series with a pod label (the exported_pod and the pod branch). */
  pods: readonly PromSeries[];
  /** Series with a pod label already through meansPerStep with this `divisor` (as they were read). */
  means?: readonly PromSeries[];
  /** Samples of the idle devices' series (the presence branch). */
  idle: readonly PromSeries[];
  /** What each step's mean is divided by: 100 for DCGM_FI_DEV_GPU_UTIL (percent), 1 for the PROF ratio. */
  divisor: number;
  /** The labels the presence rows are counted by: the cluster label and the DCGM replica labels. */
  presenceBy: readonly string[];
  /** The presence rows' marker label (utilization.ts PRESENCE_LABEL). */
  presenceLabel: string;
}

/** What the client's parser drops from an answer (parseResponse.ts): how many of each kind. */
export interface DroppedValues {
  NaN: number;
  infinite: number;
  negative: number;
}

/** Prometheus' label order (labels.Compare): by name then value, in bytes (UTF-8 = code point order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order is code point order except surrogates (U+10000 and up) against U+E000–U+FFFF.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (x >= 0xe000 || y >= 0xe000)) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** A label set as Prometheus holds it: [name, value] pairs sorted by name. */
function sortedPairs(metric: Record<string, string>): [string, string][] {
  return Object.entries(metric).sort(([a], [b]) => compareCodePoints(a, b));
}

/** labels.Compare (prometheus/prometheus model/labels/labels.go) of two sorted label sets. */
function compareLabelPairs(a: [string, string][], b: [string, string][]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const byName = compareCodePoints(a[i]![0], b[i]![0]);
    if (byName !== 0) return byName;
    const byValue = compareCodePoints(a[i]![1], b[i]![1]);
    if (byValue !== 0) return byValue;
  }
  return a.length - b.length;
}

/** Series in the order of a range query's answer (engine.go sorts the result matrix by labels.Compare). */
export function sortLikePrometheus(series: readonly PromSeries[]): PromSeries[] {
  return series
    .map((s) => ({ s, pairs: sortedPairs(s.metric) }))
    .sort((a, b) => compareLabelPairs(a.pairs, b.pairs))
    .map(({ s }) => s);
}

/**
 * utilization_prof.promql / utilization_util.promql evaluated on `over` from raw samples, as Prometheus
 * 2.42 answers the range query: per raw series with a pod label (its labels without `__name__`, as
 * avg_over_time drops it), at each step whose window holds samples, avg_over_time of them divided by
 * `divisor`; per presence group (count by of last_over_time), the number of idle series with a sample in
 * the step's window, labelled `presenceLabel="1"`; the `or` of the branches (their label sets never
 * meet: exported_pod set, exported_pod empty with pod set, presence label), in no particular order
 * (sortLikePrometheus orders them as a range query's answer). Means the client's parser would drop (NaN, infinite, negative) are dropped and
 * counted in `dropped`, as it counts them.
 */
export function utilizationFromRaw(
  input: UtilizationRaw,
  over: RangeWindow,
  windowMs: number,
  dropped: DroppedValues,
): PromSeries[] {
  const out: PromSeries[] = [];
  for (const series of input.pods) {
    const means = meansPerStep(series, over, windowMs, input.divisor);
    const kept = means && validMeans(means, dropped);
    if (kept) out.push(kept);
  }
  for (const means of input.means ?? []) {
    const kept = validMeans(means, dropped);
    if (kept) out.push(kept);
  }
  // The presence branch: count by of last_over_time of the idle series, marked with the presence label.
  for (const { metric, points } of countByFromRaw(input.idle, input.presenceBy, over, windowMs))
    out.push({ metric: { ...metric, [input.presenceLabel]: '1' }, points });
  return out;
}

/**
 * max by (by) of last_over_time over a window, on `over`, from the selector's raw samples (node_capacity,
 * node_presence): per group, at each step where one of its series has a sample in the window, the max
 * (Prometheus' MAX: NaN only when every value is NaN) of the series' last samples. Values the client's
 * parser would drop from a range answer (NaN, infinite, negative) are dropped and counted in `dropped`.
 * Groups are in no particular order (sortLikePrometheus).
 */
export function maxByFromRaw(
  raw: readonly PromSeries[],
  by: readonly string[],
  over: RangeWindow,
  windowMs: number,
  dropped: DroppedValues,
): PromSeries[] {
  const n = stepCount(over);
  const out: PromSeries[] = [];
  for (const { metric, values, has } of maxByLastPerStep(raw, by, over, windowMs).values()) {
    const b = new SampleBuilder();
    for (let k = 0; k < n; k++) {
      if (has[k] === 0) continue;
      const v = values[k]!;
      if (Number.isNaN(v)) dropped.NaN++;
      else if (!Number.isFinite(v)) dropped.infinite++;
      else if (v < 0) dropped.negative++;
      else b.push(over.startMs + k * over.stepMs, v);
    }
    if (b.length > 0) out.push({ metric, points: b.build() });
  }
  return out;
}

/**
 * count by (by) of last_over_time over a window, on `over`, from the selector's raw samples
 * (ksm_presence): per group, at each step, how many of its series have a sample in the window.
 */
export function countByFromRaw(
  raw: readonly PromSeries[],
  by: readonly string[],
  over: RangeWindow,
  windowMs: number,
): PromSeries[] {
  const n = stepCount(over);
  const groups = new Map<string, { metric: Record<string, string>; counts: Float64Array }>();
  for (const series of raw) {
    const key = keyOf(series.metric, by);
    let group = groups.get(key);
    if (!group)
      groups.set(key, (group = { metric: byLabels(series.metric, by), counts: new Float64Array(n) }));
    const counts = group.counts;
    forEachLastPerStep(series, over, windowMs, (k) => {
      counts[k] = counts[k]! + 1;
    });
  }
  const out: PromSeries[] = [];
  for (const { metric, counts } of groups.values()) {
    const b = new SampleBuilder();
    for (let k = 0; k < n; k++) if (counts[k]! > 0) b.push(over.startMs + k * over.stepMs, counts[k]!);
    if (b.length > 0) out.push({ metric, points: b.build() });
  }
  return out;
}
