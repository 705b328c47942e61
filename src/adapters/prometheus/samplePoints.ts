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
  private n = 0;

  constructor(capacity = 16) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  push(tMs: number, value: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.ts.length * 2);
      const values = new Float64Array(this.ts.length * 2);
      ts.set(this.ts);
      values.set(this.values);
      this.ts = ts;
      this.values = values;
    }
    this.ts[this.n] = tMs;
    this.values[this.n] = value;
    this.n++;
  }

  /**
   * The samples pushed, in arrays of exactly their length: the builder's own arrays when it is full
   * (a later push grows into new arrays, so the points never change), else copies.
   */
  build(): SamplePoints {
    if (this.n === 0) return SamplePoints.EMPTY;
    if (this.n === this.ts.length) return new SamplePoints(this.ts, this.values);
    return new SamplePoints(this.ts.slice(0, this.n), this.values.slice(0, this.n));
  }
}
