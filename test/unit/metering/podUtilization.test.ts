import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BRIDGED,
  chooseUtilizationSource,
  indexUtilization,
  OBSERVED,
} from '../../../src/core/metering/index.ts';
import { pointOf, seoulDay, stepSamplesOf, windowOf } from './fixtures.ts';

const day = seoulDay();

describe('indexUtilization', () => {
  it('sums the samples of a pod per interval and source, across its GPUs', () => {
    const w = windowOf(day);
    const t = pointOf(w, 70);
    const index = indexUtilization(
      {
        utilization: [
          { cluster: '', namespace: 'ml', pod: 'a', source: 'DCGM_FI_DEV_GPU_UTIL', points: [[t, 0.5, 1]] },
          { cluster: '', namespace: 'ml', pod: 'a', source: 'DCGM_FI_DEV_GPU_UTIL', points: [[t, 1.5, 2]] },
        ],
      },
      w,
    );
    expect(index.get('\u0000ml\u0000a')?.DCGM_FI_DEV_GPU_UTIL?.get(70)).toEqual([2, 3]);
  });

  describe('edge cases', () => {
    it('drops NaN sums and points without samples', () => {
      const w = windowOf(day);
      const index = indexUtilization(
        {
          utilization: [
            {
              cluster: '',
              namespace: 'ml',
              pod: 'a',
              source: 'DCGM_FI_DEV_GPU_UTIL',
              points: [
                [pointOf(w, 70), Number.NaN, 1],
                [pointOf(w, 71), 0.5, 0],
              ],
            },
          ],
        },
        w,
      );
      expect(index.get('\u0000ml\u0000a')?.DCGM_FI_DEV_GPU_UTIL?.size).toBe(0);
    });
  });
});

describe('chooseUtilizationSource', () => {
  const w = windowOf(day);
  const held = (k: number, state: number) => {
    const a = new Uint8Array(w.intervals);
    a[k] = state;
    return a;
  };
  const none = new Uint8Array(w.intervals);
  const at = (k: number) => stepSamplesOf(new Map([[k, [0.5, 1] as [number, number]]]));

  it('prefers DCGM_FI_PROF_GR_ENGINE_ACTIVE, else DCGM_FI_DEV_GPU_UTIL, else none', () => {
    const both = { DCGM_FI_PROF_GR_ENGINE_ACTIVE: at(70), DCGM_FI_DEV_GPU_UTIL: at(70) };
    expect(chooseUtilizationSource(both, held(70, OBSERVED), none, w)).toBe('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(chooseUtilizationSource({ DCGM_FI_DEV_GPU_UTIL: at(70) }, none, held(70, OBSERVED), w)).toBe(
      'DCGM_FI_DEV_GPU_UTIL',
    );
    expect(chooseUtilizationSource(undefined, held(70, OBSERVED), none, w)).toBe('none');
  });

  describe('edge cases', () => {
    it('ignores samples at bridged intervals and outside the day', () => {
      const prof = { DCGM_FI_PROF_GR_ENGINE_ACTIVE: at(70), DCGM_FI_DEV_GPU_UTIL: at(10) };
      expect(chooseUtilizationSource(prof, held(70, BRIDGED), none, w)).toBe('none');
      expect(chooseUtilizationSource(prof, held(10, OBSERVED), none, w)).toBe('none');
    });
  });
});

describe('indexUtilization keeps what a Map of running sums kept', () => {
  it('gives every interval the same sum and count, bit for bit, for samples of several series in any order', () => {
    const w = windowOf(day);
    const sample = fc.tuple(
      fc.integer({ min: w.dayFirst - 2, max: w.dayFirst + 40 }),
      fc.double({ min: 0, max: 8, noNaN: true }),
      fc.integer({ min: 1, max: 4 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(sample, { maxLength: 30 }), { minLength: 1, maxLength: 4 }), (series) => {
        const utilization = series.map((points) => ({
          cluster: '',
          namespace: 'ml',
          pod: 'a',
          source: 'DCGM_FI_DEV_GPU_UTIL' as const,
          points: points.map(([k, sum, count]) => [pointOf(w, k), sum, count] as const),
        }));
        // The reference: a Map of [sum, count] per interval, added in arrival order.
        const expected = new Map<number, [number, number]>();
        for (const points of series)
          for (const [k, sum, count] of points) {
            const prev = expected.get(k) ?? [0, 0];
            expected.set(k, [prev[0] + sum, prev[1] + count]);
          }
        const got = indexUtilization({ utilization }, w).get('\u0000ml\u0000a')!;
        const steps = got.DCGM_FI_DEV_GPU_UTIL!;
        expect(steps.size).toBe(expected.size);
        expect([...steps.keys()]).toEqual([...expected.keys()].sort((a, b) => a - b));
        for (const [k, [sum, count]] of expected) {
          const [gotSum, gotCount] = steps.get(k)!;
          expect(Object.is(gotSum, sum) && gotCount === count, `interval ${k}`).toBe(true);
        }
        expect(steps.get(w.dayFirst - 3)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('indexUtilization on a source compact arrays', () => {
  /** Points as the Prometheus source hands them: three typed arrays, iterable as triples. */
  const compact = (triples: [number, number, number][]) => ({
    tsMs: Float64Array.from(triples, (p) => p[0]),
    sums: Float64Array.from(triples, (p) => p[1]),
    counts: Float64Array.from(triples, (p) => p[2]),
    *[Symbol.iterator]() {
      yield* triples;
    },
  });
  const entry = (points: Iterable<readonly [number, number, number]>) => ({
    cluster: '',
    namespace: 'ml',
    pod: 'a',
    source: 'DCGM_FI_DEV_GPU_UTIL' as const,
    points,
  });

  it('reads the same intervals from compact arrays as from the same points as triples', () => {
    const triple = fc.tuple(
      fc.integer({ min: -3, max: 1600 }),
      fc.oneof(fc.double({ min: 0, max: 8 }), fc.constantFrom(-0, Number.NaN)),
      fc.integer({ min: 0, max: 3 }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(triple, { maxLength: 40 }), (raw) => {
        const wCompact = windowOf(day);
        const wPlain = windowOf(day);
        // Mostly sorted grid points, sometimes off the grid (half a step) or out of order.
        const triples = raw.map(
          ([k, sum, count, off]) =>
            [pointOf(wCompact, k) + (off && k % 7 === 0 ? 30_000 : 0), sum, count] as [
              number,
              number,
              number,
            ],
        );
        const a = indexUtilization({ utilization: [entry(compact(triples))] }, wCompact);
        const b = indexUtilization({ utilization: [entry(triples)] }, wPlain);
        const got = a.get('\u0000ml\u0000a')!.DCGM_FI_DEV_GPU_UTIL!;
        const want = b.get('\u0000ml\u0000a')!.DCGM_FI_DEV_GPU_UTIL!;
        expect([...got.keys()]).toEqual([...want.keys()]);
        for (const k of want.keys()) expect(got.get(k)).toEqual(want.get(k));
        expect(got.get(-1)).toBeUndefined();
        expect(wCompact.misaligned).toBe(wPlain.misaligned);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps sorted grid points without copying them', () => {
    const w = windowOf(day);
    const points = compact([
      [pointOf(w, 70), 0.5, 1],
      [pointOf(w, 71), 1.5, 2],
    ]);
    const steps = indexUtilization({ utilization: [entry(points)] }, w).get(
      '\u0000ml\u0000a',
    )!.DCGM_FI_DEV_GPU_UTIL!;
    expect([...steps.keys()]).toEqual([70, 71]);
    expect(steps.get(71)).toEqual([1.5, 2]);
    points.sums[1] = 0.25; // the same arrays: metering holds no copy
    expect(steps.get(71)).toEqual([0.25, 2]);
  });
});
