import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';
import { describe, expect, it } from 'vitest';
import {
  collapseUtilization,
  dcgmPresenceSeries,
  labelSetKey,
  sampleCountsOf,
  splitPresence,
  utilizationIdentity,
} from '../../../src/adapters/prometheus/utilization.ts';
import { literalAlternation } from '../../../src/adapters/prometheus/promql.ts';

const P = SamplePoints.of;
const identity = (m: Record<string, string>) => utilizationIdentity(m, 'cluster', ['replica']);
const OLD = { cluster: 'c1', UUID: 'g1', namespace: 'ml', pod: 'p', DCGM_FI_DRIVER_VERSION: '550' };
const NEW = { ...OLD, DCGM_FI_DRIVER_VERSION: '560' };

describe('collapseUtilization', () => {
  it('passes one series per identity through with the identity labels only', () => {
    const out = collapseUtilization(
      [{ metric: { ...OLD, Hostname: 'n1' }, points: P([[1, 0.5]]) }],
      identity,
    );
    expect(out).toEqual({
      series: [{ metric: { cluster: 'c1', UUID: 'g1', namespace: 'ml', pod: 'p' }, points: P([[1, 0.5]]) }],
      splits: [],
    });
  });

  it('weighs the series of a split step by their sample counts', () => {
    const means = [
      {
        metric: OLD,
        points: P([
          [1, 0.2],
          [2, 0.4],
        ]),
      },
      {
        metric: NEW,
        points: P([
          [2, 0.8],
          [3, 1],
        ]),
      },
    ];
    const counts = sampleCountsOf([
      { metric: OLD, points: P([[2, 1]]) },
      { metric: NEW, points: P([[2, 3]]) },
    ]);
    const out = collapseUtilization(means, identity, counts);
    expect(out.splits).toEqual([]);
    expect(out.series).toHaveLength(1);
    expect([...out.series[0]!.points]).toEqual([
      [1, 0.2],
      [2, (0.4 * 1 + 0.8 * 3) / 4],
      [3, 1],
    ]);
  });

  describe('edge cases', () => {
    it('lists a split step whose counts are unknown and weighs its series equally meanwhile', () => {
      const means = [
        { metric: OLD, points: P([[2, 0.4]]) },
        { metric: NEW, points: P([[2, 0.8]]) },
      ];
      const out = collapseUtilization(
        means,
        identity,
        sampleCountsOf([{ metric: OLD, points: P([[2, 1]]) }]),
      );
      expect(out.splits).toEqual([{ uuid: 'g1', tMs: 2 }]);
      expect(out.series[0]!.points.vAt(0)).toBeCloseTo(0.6, 12);
    });

    it('keeps HA replicas, MIG instances and exported vs direct pod labels apart', () => {
      const out = collapseUtilization(
        [
          { metric: { ...OLD, replica: 'a' }, points: P([[1, 0.1]]) },
          { metric: { ...OLD, replica: 'b' }, points: P([[1, 0.2]]) },
          { metric: { ...OLD, GPU_I_ID: '1' }, points: P([[1, 0.3]]) },
          {
            metric: {
              ...OLD,
              namespace: 'gpu-operator',
              pod: 'dcgm-1',
              exported_namespace: 'ml',
              exported_pod: 'p',
            },
            points: P([[1, 0.4]]),
          },
        ],
        identity,
      );
      expect(out.splits).toEqual([]);
      expect(out.series.map((s) => s.points.vAt(0)).sort()).toEqual([0.1, 0.2, 0.3, 0.4]);
      expect(out.series[3]!.metric).toEqual({
        cluster: 'c1',
        UUID: 'g1',
        exported_namespace: 'ml',
        exported_pod: 'p',
      });
    });
  });
});

describe('presence from utilization answers', () => {
  it('separates marked presence rows and unions every series per cluster and replica', () => {
    const { means, presence } = splitPresence([
      { metric: { cluster: 'c1', UUID: 'g1', pod: 'p' }, points: P([[2, 0.5]]) },
      {
        metric: { cluster: 'c1', gpu_chargeback_presence: '1' },
        points: P([
          [1, 3],
          [2, 3],
        ]),
      },
      { metric: { cluster: 'c2', UUID: 'g9', pod: 'q' }, points: P([[3, 0.5]]) },
    ]);
    expect(means).toHaveLength(2);
    expect(presence).toHaveLength(1);
    expect(dcgmPresenceSeries([...means, ...presence], 'cluster', [])).toEqual([
      {
        metric: { cluster: 'c1' },
        points: P([
          [1, 1],
          [2, 1],
        ]),
      },
      { metric: { cluster: 'c2' }, points: P([[3, 1]]) },
    ]);
  });

  it('keys label sets independently of label order and without __name__', () => {
    expect(labelSetKey({ b: '2', a: '1', __name__: 'x' })).toBe(labelSetKey({ a: '1', b: '2' }));
  });
});

describe('literalAlternation', () => {
  it('matches the literal values only, escaped for RE2 and for a PromQL string', () => {
    expect(literalAlternation(['GPU-1', 'GPU-2', 'GPU-1'])).toBe('GPU-1|GPU-2');
    expect(literalAlternation(['a.b', 'c|d', 'e"f', 'g\\h'])).toBe('a\\\\.b|c\\\\|d|e\\"f|g\\\\\\\\h');
    expect(() => literalAlternation([])).toThrow(RangeError);
  });
});
