import { compositeKey, partsOf } from '../records.ts';

/** Money (units), list money, GPU-hours and GPU-hour-weighted utilization of a group of rows. */
export class Accumulator {
  units = 0;
  listUnits = 0;
  gpuHours = 0;
  utilizationHours = 0;
  utilizationWeighted = 0;

  add(units: number, listUnits: number, hours: number, direct: boolean, utilizationPct: number | null): void {
    this.units += units;
    this.listUnits += listUnits;
    this.gpuHours += hours;
    if (direct && utilizationPct !== null) {
      this.utilizationHours += hours;
      this.utilizationWeighted += hours * utilizationPct;
    }
  }

  utilizationPct(): number | null {
    return this.utilizationHours > 0 ? round2(this.utilizationWeighted / this.utilizationHours) : null;
  }
}

/** Accumulators by key, remembering the last key (rows come sorted, so consecutive rows share keys). */
export class Accumulators<K = string> extends Map<K, Accumulator> {
  #lastKey: K | undefined;
  #last: Accumulator | undefined;

  of(key: K): Accumulator {
    if (this.#last !== undefined && key === this.#lastKey) return this.#last;
    let acc = this.get(key);
    if (!acc) {
      acc = new Accumulator();
      this.set(key, acc);
    }
    this.#lastKey = key;
    this.#last = acc;
    return acc;
  }
}

/** Two-level accumulators (e.g. team → project) without building key strings per row. */
export class Accumulators2 {
  readonly outer = new Map<string, Accumulators>();
  #lastKey: string | undefined;
  #last: Accumulators | undefined;

  of(a: string, b: string): Accumulator {
    let inner = a === this.#lastKey ? this.#last : undefined;
    if (!inner) {
      inner = this.outer.get(a);
      if (!inner) {
        inner = new Accumulators();
        this.outer.set(a, inner);
      }
      this.#lastKey = a;
      this.#last = inner;
    }
    return inner.of(b);
  }

  /** Entries keyed by the composite key of (a, b), in insertion order of a then b. */
  entries2(): [string, Accumulator][] {
    const out: [string, Accumulator][] = [];
    for (const [a, inner] of this.outer) for (const [b, acc] of inner) out.push([key2(a, b), acc]);
    return out;
  }
}

/** The composite key of two parts. */
export function key2(a: string, b: string): string {
  return compositeKey(a, b);
}

/** The two parts of a {@link key2} key. */
export function split2(key: string): [string, string] {
  return partsOf(key) as [string, string];
}

/** Rounds to 2 decimals (percentages). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Rounds to 6 decimals (GPU-hours). */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
