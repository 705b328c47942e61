import type { CompactUtilizationPoints, UtilizationSource, WindowObservations } from '../types.ts';
import { OBSERVED } from './held.ts';
import { key } from './refs.ts';
import type { WindowGrid } from './window.ts';

/** A pod's samples of one source per grid interval: interval -> [sum of samples, count of samples]. */
export interface StepSamples {
  /** Interval k's [sum, count], undefined when it has no sample (what the index holds; metering reads meanAt). */
  get(k: number): readonly [number, number] | undefined;
  /**
   * The mean of interval k's samples (sum / count), undefined when it has none or a count that is not
   * positive. A number, not a [sum, count] tuple: metering asks it at every held step of every pod.
   */
  meanAt(k: number): number | undefined;
  readonly size: number;
  keys(): Iterable<number>;
}

/** The index of `x` in ascending `sorted`, or -1. */
function indexOfSorted(sorted: Int32Array | Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = sorted[mid]!;
    if (at === x) return mid;
    if (at < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * StepSamples in three typed arrays sorted by interval (20 bytes an interval where a Map of [sum, count]
 * tuples took ~100): the utilization of a day is most of what metering holds besides the source's
 * compact answers (issue #18, peak heap per shard).
 */
export class StepSums implements StepSamples {
  constructor(
    private readonly steps: Int32Array,
    private readonly sums: Float64Array,
    private readonly counts: Float64Array,
  ) {}

  get size(): number {
    return this.steps.length;
  }

  get(k: number): readonly [number, number] | undefined {
    const i = indexOfSorted(this.steps, k);
    return i < 0 ? undefined : [this.sums[i]!, this.counts[i]!];
  }

  meanAt(k: number): number | undefined {
    const i = indexOfSorted(this.steps, k);
    return i < 0 || !(this.counts[i]! > 0) ? undefined : this.sums[i]! / this.counts[i]!;
  }

  keys(): Iterable<number> {
    return this.steps.values();
  }
}

/** Collects (interval, sum, count) in arrival order; build() adds those of one interval in that order. */
class StepSumsBuilder {
  private steps = new Int32Array(64);
  private sums = new Float64Array(64);
  private counts = new Float64Array(64);
  private n = 0;
  private sorted = true;

  push(k: number, sum: number, count: number): void {
    if (this.n === this.steps.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps, new Int32Array(this.n * 2));
      this.sums = grow(this.sums, new Float64Array(this.n * 2));
      this.counts = grow(this.counts, new Float64Array(this.n * 2));
    }
    if (this.n > 0 && k <= this.steps[this.n - 1]!) this.sorted = false;
    this.steps[this.n] = k;
    this.sums[this.n] = sum;
    this.counts[this.n] = count;
    this.n++;
  }

  build(): StepSums {
    const n = this.n;
    // Each interval's sum starts from 0 and adds its samples in arrival order (as a Map of running
    // [sum, count] did): a stable order by interval keeps the floating-point result the same.
    const order = Array.from({ length: n }, (_, i) => i);
    if (!this.sorted) order.sort((a, b) => this.steps[a]! - this.steps[b]! || a - b);
    const steps = new Int32Array(n);
    const sums = new Float64Array(n);
    const counts = new Float64Array(n);
    let m = -1;
    for (const i of order) {
      const k = this.steps[i]!;
      if (m < 0 || steps[m] !== k) {
        m++;
        steps[m] = k;
        sums[m] = 0;
        counts[m] = 0;
      }
      sums[m]! += this.sums[i]!;
      counts[m]! += this.counts[i]!;
    }
    return new StepSums(steps.slice(0, m + 1), sums.slice(0, m + 1), counts.slice(0, m + 1));
  }
}

/**
 * StepSamples over a source's compact arrays, as they are (no copy): interval k is the grid point
 * startMs + (k + 1) × stepMs (WindowGrid.indexOf), found by binary search of the sorted times.
 */
class GridSums implements StepSamples {
  constructor(
    private readonly points: CompactUtilizationPoints,
    private readonly startMs: number,
    private readonly stepMs: number,
  ) {}

  get size(): number {
    return this.points.tsMs.length;
  }

  get(k: number): readonly [number, number] | undefined {
    const i = indexOfSorted(this.points.tsMs, this.startMs + (k + 1) * this.stepMs);
    return i < 0 ? undefined : [this.points.sums[i]!, this.points.counts[i]!];
  }

  meanAt(k: number): number | undefined {
    const i = indexOfSorted(this.points.tsMs, this.startMs + (k + 1) * this.stepMs);
    return i < 0 || !(this.points.counts[i]! > 0) ? undefined : this.points.sums[i]! / this.points.counts[i]!;
  }

  *keys(): Iterable<number> {
    for (const t of this.points.tsMs) yield (t - this.startMs) / this.stepMs - 1;
  }
}

/** Whether utilization points are a source's compact columns (CompactUtilizationPoints). */
export function isCompact(points: PodUtilizationPointsOf): points is CompactUtilizationPoints {
  const p = points as Partial<CompactUtilizationPoints>;
  return p.tsMs instanceof Float64Array && p.sums instanceof Float64Array && p.counts instanceof Float64Array;
}

type PodUtilizationPointsOf = WindowObservations['utilization'][number]['points'];

/**
 * True when compact points can be kept as they are: every time is a grid point of the window, strictly
 * after the one before, with a finite sum that is not −0 and a positive count — exactly the points
 * indexUtilization's general path would keep, each alone at its interval, and none it would count as off
 * the grid (so the window's misaligned count is the same without asking it).
 */
function keepsAsIs(points: CompactUtilizationPoints, window: WindowGrid): boolean {
  const { tsMs, sums, counts } = points;
  let previous = -1;
  for (let i = 0; i < tsMs.length; i++) {
    const k = window.stepOf(tsMs[i]!);
    if (k === undefined || k <= previous) return false;
    const sum = sums[i]!;
    if (!Number.isFinite(sum) || Object.is(sum, -0) || !(counts[i]! > 0)) return false;
    previous = k;
  }
  return true;
}

/** A pod's utilization per source. */
export type PodUtilization = Partial<Record<Exclude<UtilizationSource, 'none'>, StepSamples>>;

type Source = Exclude<UtilizationSource, 'none'>;

/**
 * Utilization points by (cluster, namespace, pod) and source, summed per grid interval. A pod and
 * source with one compact series on the grid (what the Prometheus source gives) keeps its arrays
 * (GridSums); anything else is summed into StepSums.
 */
export function indexUtilization(
  obs: Pick<WindowObservations, 'utilization'>,
  window: WindowGrid,
): Map<string, PodUtilization> {
  const groups = new Map<string, Partial<Record<Source, PodUtilizationPointsOf[]>>>();
  for (const u of obs.utilization) {
    const id = key(u.cluster, u.namespace, u.pod);
    let entry = groups.get(id);
    if (!entry) groups.set(id, (entry = {}));
    (entry[u.source] ??= []).push(u.points);
  }
  const out = new Map<string, PodUtilization>();
  for (const [id, entry] of groups) {
    const built: PodUtilization = {};
    for (const source of ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_DEV_GPU_UTIL'] as const) {
      const series = entry[source];
      if (series) built[source] = stepSamplesOf(series, window);
    }
    out.set(id, built);
  }
  return out;
}

function stepSamplesOf(series: PodUtilizationPointsOf[], window: WindowGrid): StepSamples {
  const only = series.length === 1 ? series[0]! : undefined;
  if (only && isCompact(only) && keepsAsIs(only, window))
    return new GridSums(only, window.startMs, window.stepMs);
  const builder = new StepSumsBuilder();
  for (const points of series)
    for (const [t, sum, count] of points) {
      const k = window.indexOf(t);
      if (k === undefined || !Number.isFinite(sum) || !(count > 0)) continue;
      builder.push(k, sum, count);
    }
  return builder.build();
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
  const has = (points: StepSamples | undefined) => {
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
