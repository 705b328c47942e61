/**
 * The samples of one Prometheus series, compactly: times (epoch ms) and values in two Float64Arrays
 * (16 bytes a sample, instead of a [t, "v"] array of two boxed values and a string per sample as a
 * parsed JSON answer holds them). Read them by index (`tAt`, `vAt`) in loops over many samples, or
 * iterate them as [t, v] pairs where there are few.
 */
export class SamplePoints implements Iterable<[number, number]> {
  constructor(
    readonly tsMs: Float64Array,
    readonly values: Float64Array,
  ) {
    if (tsMs.length !== values.length) throw new RangeError('times and values differ in length');
  }

  /** The points of `pairs` ([t ms, value]), in the order given. */
  static of(pairs: readonly (readonly [number, number])[]): SamplePoints {
    const ts = new Float64Array(pairs.length);
    const values = new Float64Array(pairs.length);
    pairs.forEach(([t, v], i) => {
      ts[i] = t;
      values[i] = v;
    });
    return new SamplePoints(ts, values);
  }

  static readonly EMPTY = new SamplePoints(new Float64Array(0), new Float64Array(0));

  get length(): number {
    return this.tsMs.length;
  }

  tAt(i: number): number {
    return this.tsMs[i]!;
  }

  vAt(i: number): number {
    return this.values[i]!;
  }

  /** Bytes of the two arrays. */
  get bytes(): number {
    return this.tsMs.byteLength + this.values.byteLength;
  }

  *[Symbol.iterator](): Iterator<[number, number]> {
    for (let i = 0; i < this.tsMs.length; i++) yield [this.tsMs[i]!, this.values[i]!];
  }

  /** Maps every [t, v] pair (for code that handles few samples). */
  map<U>(f: (point: [number, number], index: number) => U): U[] {
    const out = new Array<U>(this.tsMs.length);
    for (let i = 0; i < this.tsMs.length; i++) out[i] = f([this.tsMs[i]!, this.values[i]!], i);
    return out;
  }

  /** For assertions and logs: the pairs as plain arrays. */
  toJSON(): [number, number][] {
    return this.map((p) => p);
  }
}

/** Growable arrays of times and values, for building SamplePoints of an unknown number of samples. */
export class SampleBuilder {
  private ts: Float64Array;
  private values: Float64Array;
  // The samples being built are [start, n) of the arrays: `take` leaves the ones before `start` to the
  // points it returned, as views.
  private start = 0;
  private n = 0;

  constructor(capacity = 16) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.n - this.start;
  }

  push(tMs: number, value: number): void {
    if (this.n === this.ts.length) this.grow();
    this.ts[this.n] = tMs;
    this.values[this.n] = value;
    this.n++;
  }

  /**
   * New arrays for the samples being built and as many again (at least 16); after `take`, at least
   * twice the old arrays' length (up to SLAB_MAX) too: the old arrays are left to the points taken.
   */
  private grow(): void {
    const length = this.n - this.start;
    const capacity = Math.max(16, length * 2, this.start > 0 ? Math.min(this.ts.length * 2, SLAB_MAX) : 0);
    const ts = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    ts.set(this.ts.subarray(this.start, this.n));
    values.set(this.values.subarray(this.start, this.n));
    this.ts = ts;
    this.values = values;
    this.start = 0;
    this.n = length;
  }

  /**
   * The samples pushed, in arrays of exactly their length: the builder's own arrays when it is full
   * (a later push grows into new arrays, so the points never change), else copies.
   */
  build(): SamplePoints {
    if (this.n === this.start) return SamplePoints.EMPTY;
    if (this.start === 0 && this.n === this.ts.length) return new SamplePoints(this.ts, this.values);
    return new SamplePoints(this.ts.slice(this.start, this.n), this.values.slice(this.start, this.n));
  }

  /**
   * The samples pushed, in exactly their length: copies (one allocation), whatever room is left. For a
   * builder reused for result after result (`reset`).
   */
  copy(): SamplePoints {
    if (this.n === this.start) return SamplePoints.EMPTY;
    return new SamplePoints(this.ts.slice(this.start, this.n), this.values.slice(this.start, this.n));
  }

  /**
   * The samples pushed, as views of the builder's own arrays (no copy): valid only until the next
   * `push` or `reset`. For samples that are read once and let go (a raw series a parser's transform
   * reduces), so that one builder serves series after series without allocating.
   */
  view(): SamplePoints {
    if (this.n === this.start) return SamplePoints.EMPTY;
    return new SamplePoints(this.ts.subarray(this.start, this.n), this.values.subarray(this.start, this.n));
  }

  /**
   * The samples pushed, as views of the builder's arrays that no later push changes: the next samples
   * are built after them (a slab: the series of one answer share a few arrays instead of two each, which
   * then live as long as any of them). For samples that live and die together (a raw answer's).
   */
  take(): SamplePoints {
    const points = this.view();
    this.start = this.n;
    return points;
  }

  /** Empties the builder, keeping its arrays (see `view`; not the part `take` gave away). */
  reset(): void {
    this.n = this.start;
  }

  /** Whether `points` are (views of) this builder's arrays, i.e. would change with its next pushes. */
  owns(points: SamplePoints): boolean {
    return points.tsMs.buffer === this.ts.buffer || points.values.buffer === this.values.buffer;
  }
}

/** Samples of a slab's arrays (SampleBuilder.take) at most: 512 KiB each. */
const SLAB_MAX = 65_536;

/**
 * The distinct times of `times` (each a series' times), ascending: what sorting a Set of them gives,
 * merged list after list into one sorted array (a series whose times are all in it already, as the steps
 * of one grid mostly are, costs one pass and no allocation) instead of a Set of boxed numbers.
 */
export function unionOfTimes(times: Iterable<Float64Array>): Float64Array {
  let union: Float64Array = new Float64Array(0);
  for (const list of times) union = mergeTimes(union, ascendingDistinct(list));
  return union;
}

/** `list` if its times ascend strictly, else a sorted copy without repeats. */
function ascendingDistinct(list: Float64Array): Float64Array {
  let ascending = true;
  for (let i = 1; i < list.length && ascending; i++) ascending = list[i - 1]! < list[i]!;
  if (ascending) return list;
  const sorted = Float64Array.from(list).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/** The union of two strictly ascending lists (never changed): `a` itself when `b` adds nothing to it. */
function mergeTimes(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length === 0) return b;
  let i = 0;
  let j = 0;
  // Most lists add nothing: look for a time of b that a lacks before allocating.
  while (j < b.length) {
    while (i < a.length && a[i]! < b[j]!) i++;
    if (i === a.length || a[i] !== b[j]) break;
    j++;
  }
  if (j === b.length) return a;
  const out = new Float64Array(a.length + b.length);
  let n = 0;
  i = 0;
  j = 0;
  while (i < a.length || j < b.length) {
    if (j === b.length || (i < a.length && a[i]! < b[j]!)) out[n++] = a[i++]!;
    else if (i === a.length || b[j]! < a[i]!) out[n++] = b[j++]!;
    else {
      out[n++] = a[i++]!;
      j++;
    }
  }
  return out.subarray(0, n);
}
