import type { CompactPoints } from '../types.ts';

/** [t ms, value] points column by column. */
export interface PointColumns {
  readonly tsMs: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/**
 * The columns of `points`: a source's compact arrays as they are (no copy), any other iterable (tests, the
 * demo source) copied once. Loops over node series read these by index instead of iterating pairs.
 */
export function columnsOf(points: Iterable<readonly [number, number]> | CompactPoints): PointColumns {
  const compact = points as Partial<CompactPoints>;
  if (compact.tsMs instanceof Float64Array && compact.values instanceof Float64Array) {
    return { tsMs: compact.tsMs, values: compact.values };
  }
  const tsMs: number[] = [];
  const values: number[] = [];
  for (const [t, v] of points) {
    tsMs.push(t);
    values.push(v);
  }
  return { tsMs, values };
}

/**
 * Sums per distinct grid time of a node's series, one column per quantity, a slot per time in the order
 * first seen: no object per point and series. A node's series mostly share their times in the same
 * ascending order, so the slot after the previous point's is tried first, and a time after every time so
 * far is new; a Map of the times is built only when neither holds.
 */
export class GridSums {
  private readonly times: number[] = [];
  private slot: Map<number, number> | undefined;
  readonly columns: number[][];

  constructor(count: number) {
    this.columns = Array.from({ length: count }, () => []);
  }

  /** The slot of time `t` (a new one starts every column at 0); `guess`: the slot to try first. */
  of(t: number, guess: number): number {
    const times = this.times;
    if (times[guess] === t) return guess;
    if (this.slot === undefined) {
      // Until the Map exists the times ascend: one after the last is new.
      if (times.length === 0 || t > times[times.length - 1]!) return this.add(t);
      this.slot = new Map();
      for (let s = 0; s < times.length; s++) this.slot.set(times[s]!, s);
    }
    return this.slot.get(t) ?? this.add(t);
  }

  /**
   * Hands every finite, non-negative point of `points` to `add` with the slot of its time (the sums a
   * node's series are read into: a negative or non-finite value is no capacity).
   */
  addPoints(
    points: Iterable<readonly [number, number]> | CompactPoints,
    add: (slot: number, value: number) => void,
  ): void {
    const { tsMs, values } = columnsOf(points);
    let next = 0;
    for (let i = 0; i < tsMs.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || v < 0) continue;
      const s = this.of(tsMs[i]!, next);
      next = s + 1;
      add(s, v);
    }
  }

  private add(t: number): number {
    const s = this.times.length;
    this.times.push(t);
    this.slot?.set(t, s);
    for (const column of this.columns) column.push(0);
    return s;
  }
}

/** The largest of `values` and 0. */
export function maxOf(values: ArrayLike<number>): number {
  // Indexed: a for…of over a column of thousands of points, run too few times to be optimized, made an
  // iterator result per point (130 MB of garbage in a 24-GPU month).
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > max) max = v;
  }
  return max;
}
