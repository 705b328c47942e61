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
 * One series' points per step as they are computed (lastPerStep, meansPerStep), reused series after
 * series: each result is then copied out in arrays of its exact length, one allocation, no growth.
 */
const perStep = new SampleBuilder(2048);

/**
 * `raw` reduced to its last sample in each step's window [t_k − windowMs, t_k], placed at t_k: what
 * last_over_time (and so count by, max by of it) sees of it on `over`, at most one point a step; undefined
 * when no step has a sample. Applied to raw series as they are read (parseResponse.ts `transform`).
 */
export function lastPerStep(raw: PromSeries, over: RangeWindow, windowMs: number): PromSeries | undefined {
  const b = perStep;
  b.reset();
  forEachLastPerStep(raw, over, windowMs, (k, v) => b.push(over.startMs + k * over.stepMs, v));
  return b.length === 0 ? undefined : { metric: raw.metric, points: b.copy() };
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

/**
 * `max by (by)` of an instant answer (one point a series), each group where its first series comes, as
 * Prometheus 2.42's aggregation orders its groups: the groups of a coarser `by` from an answer grouped
 * by a finer one keep the order the coarser query would answer them in (pod_nodes_labels.promql).
 */
export function maxByInOrder(series: readonly PromSeries[], by: readonly string[]): PromSeries[] {
  const groups = new Map<string, { metric: Record<string, string>; tMs: number; value: number }>();
  for (const s of series) {
    if (s.points.length === 0) continue;
    const key = keyOf(s.metric, by);
    const value = s.points.vAt(0);
    const group = groups.get(key);
    if (!group) groups.set(key, { metric: byLabels(s.metric, by), tMs: s.points.tAt(0), value });
    else group.value = maxOf(group.value, value);
  }
  return [...groups.values()].map(({ metric, tMs, value }) => {
    const b = new SampleBuilder(1);
    b.push(tMs, value);
    return { metric, points: b.build() };
  });
}

/** The group key of `metric` under `by`: its values of `by`, joined by NUL (what `by.map(…).join` gives). */
function keyOf(metric: Record<string, string>, by: readonly string[]): string {
  let key = '';
  for (let i = 0; i < by.length; i++) {
    if (i > 0) key += '\u0000';
    key += metric[by[i]!] ?? '';
  }
  return key;
}

/** How many steps `has` marks. */
function countMarked(has: Uint8Array): number {
  let count = 0;
  for (let k = 0; k < has.length; k++) count += has[k]!;
  return count;
}

/**
 * One group of a `max by`: its labels, and per step k its value (where `has[k − lo]` is 1), for the steps
 * from `lo` on that its series have samples in (a pod's few hours of a day, not every step of it).
 */
interface MaxGroup {
  metric: Record<string, string>;
  lo: number;
  values: Float64Array;
  has: Uint8Array;
}

const NO_VALUES = new Float64Array(0);
const NO_MARKS = new Uint8Array(0);

/** Makes `group` hold steps [from, to) as well, keeping what it holds (its values too, unless it has none). */
function widen(
  group: { lo: number; values: Float64Array; has: Uint8Array },
  from: number,
  to: number,
  withValues = true,
): void {
  const length = group.has.length;
  const end = group.lo + length;
  if (length > 0 && from >= group.lo && to <= end) return;
  const lo = length === 0 ? from : Math.min(from, group.lo);
  const hi = length === 0 ? to : Math.max(to, end);
  const has = new Uint8Array(hi - lo);
  if (length > 0) has.set(group.has, group.lo - lo);
  if (withValues) {
    const values = new Float64Array(hi - lo);
    if (length > 0) values.set(group.values, group.lo - lo);
    group.values = values;
  }
  group.lo = lo;
  group.has = has;
}

// One series' last sample per step (maxByLastPerStep): its steps and values, reused series after series.
let lastSteps = new Int32Array(256);
let lastValues = new Float64Array(256);

/**
 * The max by `by` of each series' last sample per step (max by of last_over_time): per group key, its
 * labels and its values by step, in typed arrays of the steps its series have samples in (9 bytes a step
 * and group). Series are added one at a time (`add`), so that a raw answer's series can be folded in as
 * they are read instead of being held; adding a series again leaves the groups as they were (a retried
 * request reads series again): MAX keeps the value it holds on a tie, and the same series brings only
 * values already taken in.
 */
export class MaxByLastPerStep {
  readonly groups = new Map<string, MaxGroup>();
  constructor(
    private readonly by: readonly string[],
    private readonly over: RangeWindow,
    private readonly windowMs: number,
  ) {}

  add(series: PromSeries): void {
    const key = keyOf(series.metric, this.by);
    let group = this.groups.get(key);
    if (!group) {
      group = { metric: byLabels(series.metric, this.by), lo: 0, values: NO_VALUES, has: NO_MARKS };
      this.groups.set(key, group);
    }
    const points = series.points.values;
    let m = 0;
    forEachWindowPerStep(series, this.over, this.windowMs, (k, _from, to) => {
      if (m === lastSteps.length) {
        const steps = new Int32Array(2 * m);
        const values = new Float64Array(2 * m);
        steps.set(lastSteps);
        values.set(lastValues);
        lastSteps = steps;
        lastValues = values;
      }
      lastSteps[m] = k;
      lastValues[m] = points[to - 1]!;
      m++;
    });
    if (m === 0) return;
    widen(group, lastSteps[0]!, lastSteps[m - 1]! + 1);
    const { lo, values, has } = group;
    for (let i = 0; i < m; i++) {
      const at = lastSteps[i]! - lo;
      const v = lastValues[i]!;
      if (has[at] === 0) {
        has[at] = 1;
        values[at] = v;
      } else values[at] = maxOf(values[at]!, v);
    }
  }
}

function maxByLastPerStep(
  raw: readonly PromSeries[],
  by: readonly string[],
  over: RangeWindow,
  windowMs: number,
): Map<string, MaxGroup> {
  const max = new MaxByLastPerStep(by, over, windowMs);
  for (const series of raw) max.add(series);
  return max.groups;
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
  const running = new RunningFromRaw(input.cluster, input.replica, over, windowMs);
  for (const series of input.phase) running.phase.add(series);
  for (const series of input.requests) running.requests.add(series);
  for (const series of input.claims) running.claims.add(series);
  return running.result();
}

/**
 * runningFromRaw with its raw series added one at a time, as they are read (the adapter folds a span's
 * raw answers in this way, parseResponse.ts `transform`, instead of holding their samples): `phase`,
 * `requests` and `claims` take the series RunningRaw lists, `result` evaluates.
 */
export class RunningFromRaw {
  readonly phase: MaxByLastPerStep;
  readonly requests: MaxByLastPerStep;
  readonly claims: MaxByLastPerStep;
  private readonly on: readonly string[];
  constructor(
    cluster: readonly string[],
    replica: readonly string[],
    private readonly over: RangeWindow,
    windowMs: number,
  ) {
    this.phase = new MaxByLastPerStep([...cluster, ...replica, 'namespace', 'pod', 'uid'], over, windowMs);
    this.on = [...cluster, 'uid'];
    this.requests = new MaxByLastPerStep(this.on, over, windowMs);
    this.claims = new MaxByLastPerStep(this.on, over, windowMs);
  }

  /** A series of running_pods_raw's answer: a phase sample's or a GPU request's, by its name. */
  addPodSeries(series: PromSeries): void {
    if (series.metric.__name__ === 'kube_pod_status_phase') this.phase.add(series);
    else this.requests.add(series);
  }

  result(): PromSeries[] {
    const { over, on } = this;
    const left = this.phase.groups;
    // Per (cluster, uid): the steps from `lo` on where the pod holds a GPU (a request > 0 or a claim).
    const gpu = new Map<string, { lo: number; values: Float64Array; has: Uint8Array }>();
    const mark = (key: string, group: MaxGroup, holds: (value: number) => boolean) => {
      let steps = gpu.get(key);
      if (!steps) gpu.set(key, (steps = { lo: 0, values: NO_VALUES, has: NO_MARKS }));
      if (group.has.length === 0) return;
      widen(steps, group.lo, group.lo + group.has.length, false);
      const offset = group.lo - steps.lo;
      const marks = steps.has;
      for (let i = 0; i < group.has.length; i++)
        if (group.has[i] === 1 && holds(group.values[i]!)) marks[offset + i] = 1;
    };
    for (const [key, group] of this.requests.groups) mark(key, group, (v) => v > 0);
    for (const [key, group] of this.claims.groups) mark(key, group, () => true);
    const out: PromSeries[] = [];
    for (const group of left.values()) {
      const steps = gpu.get(keyOf(group.metric, on));
      if (!steps) continue;
      const { lo, has, values } = group;
      // The pod's steps held (1) where both are: k − lo here, k − steps.lo there.
      const from = Math.max(lo, steps.lo);
      const to = Math.min(lo + has.length, steps.lo + steps.has.length);
      const marks = steps.has;
      let count = 0;
      for (let k = from; k < to; k++)
        if (has[k - lo] === 1 && values[k - lo] === 1 && marks[k - steps.lo] === 1) count++;
      if (count === 0) continue;
      // Exactly as many points as steps kept: built in arrays of their length.
      const b = new SampleBuilder(count);
      for (let k = from; k < to; k++) {
        if (has[k - lo] === 1 && values[k - lo] === 1 && marks[k - steps.lo] === 1)
          b.push(over.startMs + k * over.stepMs, 1);
      }
      out.push({ metric: group.metric, points: b.build() });
    }
    return out;
  }
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
  const b = perStep;
  b.reset();
  const values = series.points.values;
  forEachWindowPerStep(series, over, windowMs, (k, from, to) =>
    b.push(over.startMs + k * over.stepMs, avgOverTime(values, from, to) / divisor),
  );
  return b.length === 0 ? undefined : { metric: series.metric, points: b.copy() };
}

/**
 * The second half: `means` (meansPerStep) without `__name__` (avg_over_time drops it) and without the
 * means the client's parser would have dropped from a range answer (NaN, infinite, negative: counted in
 * `dropped`); undefined when none is left.
 */
export function validMeans(means: PromSeries, dropped: DroppedValues): PromSeries | undefined {
  const metric = withoutName(means.metric);
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
 * `metric` without `__name__`: what `const { __name__, ...rest } = metric` makes (a plain object, the same
 * keys in the same order, a label named `__proto__` kept as a label), without the spread's cost.
 */
function withoutName(metric: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in metric) {
    if (name === '__name__' || !Object.hasOwn(metric, name)) continue;
    if (name === '__proto__')
      Object.defineProperty(out, name, {
        value: metric[name],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[name] = metric[name]!;
  }
  return out;
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
  const { startMs, stepMs } = over;
  const ts = raw.points.tsMs;
  let k = -1;
  let from = 0;
  let last = -1;
  // The step of the previous sample, and the times (lo, hi] whose step it is: consecutive samples mostly
  // share a step or fall in the next, found without dividing (times and steps are integers of ms, so the
  // division below is exact up to its ceiling and both ways give the same step).
  let j = 0;
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (!(t > lo && t <= hi)) {
      if (t > hi && t <= hi + stepMs) j++;
      // The only step whose window [t_j − windowMs, t_j] can hold t: the first t_j >= t.
      else j = Math.max(0, Math.ceil((t - startMs) / stepMs));
      hi = startMs + j * stepMs;
      lo = j === 0 ? Number.NEGATIVE_INFINITY : hi - stepMs;
    }
    if (j >= n || hi - t > windowMs) continue;
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

/**
 * An instant query of a max by (by) of max_over_time over a selector's range — or, without `by`, of that
 * max_over_time alone: each series under its labels without `__name__` — at `toMs` with
 * `range = toMs − fromMs`, evaluated from the selector's raw samples as Prometheus 2.42 evaluates it
 * (prometheus/prometheus v2.42.0 promql/engine.go and functions.go):
 * - a series counts with its samples in [fromMs, toMs], both ends (matrixIterSlice), and only with one;
 * - max_over_time is the largest of them, NaN only when every one is (funcMaxOverTime: `v > max ||
 *   isNaN(max)`, which gives the same whatever the order, up to the sign of a zero);
 * - `max by` (aggregation MAX) groups the series in the order of the selector's, sorted by labels.Compare,
 *   and keeps its first value unless a later one is greater or it is NaN (maxOf);
 * - the answer's point is at `toMs`; NaN, infinite and negative results are what the client's parser
 *   drops from an instant answer, counted in `dropped`.
 * Series may be added in parts and in any order (a day read in spans, a retried request's series again):
 * each series' maximum is kept under its full label set until `result`.
 */
export class MaxOverWindow {
  private readonly series = new Map<
    string,
    { metric: Record<string, string>; pairs: [string, string][]; value: number }
  >();
  constructor(
    private readonly by: readonly string[] | undefined,
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  add(series: PromSeries): void {
    const { tsMs, values } = series.points;
    const { fromMs, toMs } = this;
    let max = Number.NaN;
    let seen = false;
    for (let i = 0; i < tsMs.length; i++) {
      const t = tsMs[i]!;
      if (t < fromMs) continue;
      if (t > toMs) break;
      const v = values[i]!;
      if (!seen || v > max || Number.isNaN(max)) max = v;
      seen = true;
    }
    if (!seen) return;
    const pairs = labelPairsOf(series.metric);
    const key = pairsKey(pairs);
    const known = this.series.get(key);
    if (!known) this.series.set(key, { metric: series.metric, pairs, value: max });
    else if (max > known.value || Number.isNaN(known.value)) known.value = max;
  }

  result(dropped: DroppedValues): PromSeries[] {
    const sorted = [...this.series.values()].sort((a, b) => compareLabelPairs(a.pairs, b.pairs));
    const groups = new Map<string, { metric: Record<string, string>; value: number }>();
    for (const { metric, value } of sorted) {
      if (!this.by) {
        // A selector's series differ in a label other than the name: each is its own group.
        const { __name__: _name, ...labels } = metric;
        groups.set(String(groups.size), { metric: labels, value });
        continue;
      }
      const key = keyOf(metric, this.by);
      const group = groups.get(key);
      if (!group) groups.set(key, { metric: byLabels(metric, this.by), value });
      else group.value = maxOf(group.value, value);
    }
    const out: PromSeries[] = [];
    for (const { metric, value } of groups.values()) {
      if (Number.isNaN(value)) dropped.NaN++;
      else if (!Number.isFinite(value)) dropped.infinite++;
      else if (value < 0) dropped.negative++;
      else {
        const b = new SampleBuilder(1);
        b.push(this.toMs, value);
        out.push({ metric, points: b.build() });
      }
    }
    return out;
  }
}

/** A label set's pairs sorted by name: as they come (Prometheus writes labels sorted) or sorted here. */
function labelPairsOf(metric: Record<string, string>): [string, string][] {
  const pairs = Object.entries(metric);
  for (let i = 1; i < pairs.length; i++)
    if (compareCodePoints(pairs[i - 1]![0], pairs[i]![0]) > 0)
      return pairs.sort(([a], [b]) => compareCodePoints(a, b));
  return pairs;
}

/** A key of sorted label pairs, each string prefixed by its length (no separator can be mistaken). */
function pairsKey(pairs: readonly [string, string][]): string {
  let key = '';
  for (const [name, value] of pairs) key += `${name.length}:${name}${value.length}:${value}`;
  return key;
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
  const out: PromSeries[] = [];
  for (const { metric, lo, values, has } of maxByLastPerStep(raw, by, over, windowMs).values()) {
    const b = new SampleBuilder(Math.max(1, countMarked(has)));
    for (let i = 0; i < has.length; i++) {
      if (has[i] === 0) continue;
      const v = values[i]!;
      if (Number.isNaN(v)) dropped.NaN++;
      else if (!Number.isFinite(v)) dropped.infinite++;
      else if (v < 0) dropped.negative++;
      else b.push(over.startMs + (lo + i) * over.stepMs, v);
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
    let count = 0;
    for (let k = 0; k < n; k++) if (counts[k]! > 0) count++;
    if (count === 0) continue;
    const b = new SampleBuilder(count);
    for (let k = 0; k < n; k++) if (counts[k]! > 0) b.push(over.startMs + k * over.stepMs, counts[k]!);
    out.push({ metric, points: b.build() });
  }
  return out;
}
