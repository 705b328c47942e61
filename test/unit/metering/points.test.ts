import { describe, expect, it } from 'vitest';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';
import { knownGpusOf, weighNode } from '../../../src/core/metering/index.ts';
import { columnsOf, GridSums, maxOf } from '../../../src/core/metering/points.ts';
import type { NodeCapacityPoints } from '../../../src/core/types.ts';
import { mulberry32 } from '../../../src/sim/prng.ts';

describe('columnsOf', () => {
  it("hands a source's compact arrays over as they are, and copies any other points once", () => {
    const compact = SamplePoints.of([
      [60_000, 1],
      [120_000, 2],
    ]);
    const columns = columnsOf(compact);
    expect(columns.tsMs).toBe(compact.tsMs);
    expect(columns.values).toBe(compact.values);
    const plain = columnsOf([
      [60_000, 1],
      [120_000, Number.NaN],
    ]);
    expect([...Array.from(plain.tsMs), ...Array.from(plain.values)]).toEqual([
      60_000,
      120_000,
      1,
      Number.NaN,
    ]);
  });
});

describe('GridSums', () => {
  /** Per time: the sum of every series' values at it, as a Map keyed by time (the reference). */
  function reference(series: readonly (readonly [number, number])[][]): Map<number, number> {
    const sums = new Map<number, number>();
    for (const points of series) for (const [t, v] of points) sums.set(t, (sums.get(t) ?? 0) + v);
    return sums;
  }

  /** The same through GridSums, reading each series with the slot-after-the-previous guess. */
  function gridSums(series: readonly (readonly [number, number])[][]): Map<number, number> {
    const slots = new GridSums(1);
    const [column] = slots.columns as [number[]];
    const seen = new Map<number, number>();
    for (const points of series) {
      let next = 0;
      for (const [t, v] of points) {
        const s = slots.of(t, next);
        next = s + 1;
        column[s]! += v;
        const before = seen.get(t);
        if (before !== undefined) expect(s).toBe(before); // one slot per time, whatever the order
        seen.set(t, s);
      }
    }
    expect(column).toHaveLength(seen.size);
    return new Map([...seen].map(([t, s]) => [t, column[s]!]));
  }

  it('sums per time exactly as a Map by time does, for series in any order, subset and repetition', () => {
    const random = mulberry32(18);
    const grid = Array.from({ length: 40 }, (_, i) => (i + 1) * 30_000);
    for (let round = 0; round < 300; round++) {
      const series = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const shape = random();
        let times = grid.filter(() => random() < 0.7);
        if (shape < 0.25)
          times = [...grid]; // the common case: every series on every grid point
        else if (shape < 0.5)
          times = times.sort(() => random() - 0.5); // out of order
        else if (shape < 0.6)
          times = [...times, ...times.slice(0, 3)]; // repeated times
        else if (shape < 0.7) times = times.reverse(); // descending
        return times.map((t) => [t, Math.floor(random() * 8) / 7] as [number, number]);
      });
      expect(gridSums(series)).toEqual(reference(series));
    }
  });

  it('takes the largest sum, and 0 when every sum is negative or there is none', () => {
    expect([maxOf([1, 3.5, 2]), maxOf([]), maxOf([-1])]).toEqual([3.5, 0, 0]);
  });
});

describe('weighNode reads compact capacity points as it reads arrays', () => {
  /** Two whole-GPU resources at the same grid points (4 + 4 at t = 60 s, 4 + 0 at t = 120 s). */
  function capacity(compact: boolean, order: 'ascending' | 'descending'): NodeCapacityPoints[] {
    const series: [string, [number, number][]][] = [
      [
        'nvidia_com_gpu',
        [
          [60_000, 4],
          [120_000, 4],
        ],
      ],
      [
        'nvidia_com_gpu_shared',
        [
          [60_000, 4],
          [120_000, 0],
        ],
      ],
    ];
    return series.map(([resource, pairs]) => {
      const points = order === 'ascending' ? pairs : [...pairs].reverse();
      return { cluster: '', node: 'n1', resource, points: compact ? SamplePoints.of(points) : points };
    });
  }

  it('sums the units advertised at one grid point across series (8 units of 4 GPUs: 1/2 each)', () => {
    const node = {
      cluster: '',
      node: 'n1',
      instanceType: 'x',
      capacityType: 'on-demand' as const,
      catalog: undefined,
    };
    const known = {
      ...knownGpusOf({ catalog: undefined }, {}, {}),
      gpus: 4,
      gpuModel: 'A10G',
      source: 'gfd' as const,
    };
    const weights = [true, false].flatMap((compact) =>
      (['ascending', 'descending'] as const).map((order) =>
        weighNode(
          node,
          capacity(compact, order),
          ['nvidia_com_gpu', 'nvidia_com_gpu_shared'],
          new Map(),
          new Set(),
          known,
        ),
      ),
    );
    for (const w of weights) expect(w.wholeWeight).toEqual({ numerator: 1, denominator: 2 });
  });
});
