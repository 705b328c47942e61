import { describe, expect, it } from 'vitest';
import {
  avgOverTime,
  forEachWindowPerStep,
  sortLikePrometheus,
  utilizationFromRaw,
} from '../../../src/adapters/prometheus/rawSteps.ts';
import { mergeSeries } from '../../../src/adapters/prometheus/client.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

const P = SamplePoints.of;
const f64 = (values: number[]) => Float64Array.from(values);

describe('avgOverTime (Prometheus 2.42 funcAvgOverTime)', () => {
  it('is the compensated incremental mean, not the naive sum over count', () => {
    // Naive (0.1 + 0.2 + 0.3) / 3 is 0.20000000000000004; Prometheus 2.42 answers avg_over_time of these
    // three samples with 0.19999999999999998 (test/integration/rawSteps.test.ts asks the real one).
    expect((0.1 + 0.2 + 0.3) / 3).toBe(0.20000000000000004);
    expect(avgOverTime(f64([0.1, 0.2, 0.3]), 0, 3)).toBe(0.19999999999999998);
  });

  it('averages only values[from, to)', () => {
    expect(avgOverTime(f64([100, 1, 3, 100]), 1, 3)).toBe(2);
    expect(avgOverTime(f64([7]), 0, 1)).toBe(7);
  });

  it('keeps infinities as Prometheus does, and NaN poisons the mean', () => {
    expect(avgOverTime(f64([1, Infinity, 3]), 0, 3)).toBe(Infinity);
    expect(avgOverTime(f64([Infinity, Infinity]), 0, 2)).toBe(Infinity);
    expect(avgOverTime(f64([Infinity, -Infinity]), 0, 2)).toBeNaN();
    expect(avgOverTime(f64([-Infinity, 5]), 0, 2)).toBe(-Infinity);
    expect(avgOverTime(f64([1, NaN, 3]), 0, 3)).toBeNaN();
  });
});

describe('forEachWindowPerStep', () => {
  const over = { startMs: 60_000, endMs: 240_000, stepMs: 60_000 };
  it('hands each step the consecutive samples of its window [t − w, t], nothing outside', () => {
    const calls: [number, number, number][] = [];
    const series = {
      metric: {},
      // 0: before the grid's first window; 1, 2: step 0 (its window [1 ms, 60 s]); 3 exactly t − w of
      // step 1 and 4 exactly its t; 5: step 3 (none at step 2); 6: after the grid's last step.
      points: P([
        [0, 1],
        [1, 2],
        [60_000, 3],
        [60_001, 4],
        [120_000, 5],
        [240_000, 6],
        [240_001, 7],
      ]),
    };
    forEachWindowPerStep(series, over, 59_999, (k, from, to) => calls.push([k, from, to]));
    expect(calls).toEqual([
      [0, 1, 3],
      [1, 3, 5],
      [3, 5, 6],
    ]);
  });
  it('refuses a window as long as the step (a sample would belong to two steps)', () => {
    expect(() => forEachWindowPerStep({ metric: {}, points: P([]) }, over, 60_000, () => {})).toThrow(
      RangeError,
    );
  });
});

describe('utilizationFromRaw', () => {
  const over = { startMs: 60_000, endMs: 180_000, stepMs: 60_000 };
  const dropped = () => ({ NaN: 0, infinite: 0, negative: 0 });

  it('means per raw series and step, divided, without __name__; presence counted per cluster and replica', () => {
    const d = dropped();
    const out = utilizationFromRaw(
      {
        pods: [
          {
            metric: { __name__: 'DCGM_FI_DEV_GPU_UTIL', cluster: 'a', UUID: 'g1', pod: 'p' },
            points: P([
              [30_000, 10],
              [60_000, 20],
              [90_000, 50],
              [180_000, -1],
            ]),
          },
        ],
        idle: [
          { metric: { __name__: 'x', cluster: 'a', UUID: 'g2', replica: 'r1' }, points: P([[60_000, 0]]) },
          {
            metric: { __name__: 'x', cluster: 'a', UUID: 'g3', replica: 'r1' },
            points: P([
              [59_000, 0],
              [61_000, 0],
            ]),
          },
          { metric: { __name__: 'x', cluster: 'b', UUID: 'g4' }, points: P([[200_000, 0]]) },
        ],
        divisor: 100,
        presenceBy: ['cluster', 'replica'],
        presenceLabel: 'gpu_chargeback_presence',
      },
      over,
      59_999,
      d,
    );
    expect(out.map((s) => [s.metric, s.points.toJSON()])).toEqual([
      [
        { cluster: 'a', UUID: 'g1', pod: 'p' },
        [
          [60_000, 0.15],
          [120_000, 0.5],
        ],
      ],
      [
        { cluster: 'a', replica: 'r1', gpu_chargeback_presence: '1' },
        [
          [60_000, 2],
          [120_000, 1],
        ],
      ],
    ]);
    // The −1 % mean at 180 s is dropped and counted, as the client's parser drops a negative answer.
    expect(d).toEqual({ NaN: 0, infinite: 0, negative: 1 });
  });
});

describe('sortLikePrometheus and mergeSeries (concat)', () => {
  it('orders label sets as labels.Compare does (name, then value, then fewer labels first)', () => {
    const s = (metric: Record<string, string>) => ({ metric, points: P([]) });
    const sorted = sortLikePrometheus([
      s({ pod: 'b' }),
      s({ b: '1' }),
      s({ pod: 'a', x: '1' }),
      s({ pod: 'a' }),
      s({ a: '\u{1F600}' }),
      s({ a: '\uFF01' }),
    ]).map((x) => x.metric);
    // U+FF01 (bytes EF BC 81) sorts before U+1F600 (F0 9F 98 80) in UTF-8, unlike UTF-16 code units.
    expect(sorted).toEqual([
      { a: '\uFF01' },
      { a: '\u{1F600}' },
      { b: '1' },
      { pod: 'a' },
      { pod: 'a', x: '1' },
      { pod: 'b' },
    ]);
  });
  it('joins one series per label set across spans, points in span order', () => {
    const out = mergeSeries(
      [
        { metric: { a: '1' }, points: P([[1, 1]]) },
        { metric: { a: '2' }, points: P([[1, 5]]) },
        {
          metric: { a: '1' },
          points: P([
            [2, 2],
            [3, 3],
          ]),
        },
      ],
      'concat',
    );
    expect(out.map((s) => [s.metric, s.points.toJSON()])).toEqual([
      [
        { a: '1' },
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      ],
      [{ a: '2' }, [[1, 5]]],
    ]);
  });
  it('sorts and de-duplicates chunks that overlap or come out of order', () => {
    const out = mergeSeries(
      [
        {
          metric: { a: '1' },
          points: P([
            [2, 2],
            [3, 3],
          ]),
        },
        {
          metric: { a: '1' },
          points: P([
            [1, 1],
            [2, 9],
          ]),
        },
      ],
      'concat',
    );
    expect(out.map((s) => s.points.toJSON())).toEqual([
      [
        [1, 1],
        [2, 9],
        [3, 3],
      ],
    ]);
  });
});
