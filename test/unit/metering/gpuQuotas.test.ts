import { describe, expect, it } from 'vitest';
import { summarizeGpuQuotas } from '../../../src/core/aggregate/gpuQuotas.ts';
import { meterGpuQuotas, meterWindow } from '../../../src/core/metering/index.ts';
import type { GpuQuotaPoints, MeteredDay } from '../../../src/core/types.ts';
import { optionsFor, pointOf, seoulDay, windowFor, windowOf } from './fixtures.ts';

const day = seoulDay();
const w = windowOf(day);
const ref = { cluster: '', namespace: 'ml', quota: 'gpu-quota', resource: 'requests.nvidia.com/gpu' };

describe('meterGpuQuotas', () => {
  it('keeps the last hard value, the peak of used and used × time over the observed intervals of the day', () => {
    const k = w.dayFirst;
    const quota: GpuQuotaPoints = {
      ...ref,
      hard: [
        [pointOf(w, k), 8],
        [pointOf(w, k + 10), 6],
      ],
      used: [
        [pointOf(w, k), 2],
        [pointOf(w, k + 1), 4],
        [pointOf(w, k + 3), 6],
      ],
    };
    expect(meterGpuQuotas([quota], w)).toEqual([
      { ...ref, hard: 6, peakUsed: 6, usedUnitSeconds: (2 + 4 + 6) * 60, observedSeconds: 3 * 60 },
    ]);
  });

  describe('edge cases', () => {
    it('ignores points of the margins around the day and drops entries never seen in it', () => {
      const before = pointOf(w, w.dayFirst - 1);
      const after = pointOf(w, w.dayLast);
      const quota: GpuQuotaPoints = {
        ...ref,
        hard: [
          [before, 8],
          [after, 8],
        ],
        used: [
          [before, 9],
          [after, 9],
        ],
      };
      expect(meterGpuQuotas([quota], w)).toEqual([]);
    });

    it('reports a quota whose used was never seen with hard only (average unknown, not zero)', () => {
      const quota: GpuQuotaPoints = { ...ref, hard: [[pointOf(w, w.dayFirst), 4]], used: [] };
      expect(meterGpuQuotas([quota], w)).toEqual([
        { ...ref, hard: 4, peakUsed: 0, usedUnitSeconds: 0, observedSeconds: 0 },
      ]);
    });
  });
});

describe('meterWindow: GPU quotas', () => {
  it('meters the quotas of the observations into the day, and only in shard 0 of a sharded day', () => {
    const base = windowFor(day, [], [{ name: 'n1', instanceType: 'g5.12xlarge', capacityType: 'spot' }]);
    const t = day.startMs + base.grid.stepMs;
    const obs = {
      ...base,
      gpuQuotas: [{ ...ref, hard: [[t, 8]] as [number, number][], used: [[t, 3]] as [number, number][] }],
    };
    expect(meterWindow(obs, optionsFor(day)).gpuQuotas).toEqual([
      { ...ref, hard: 8, peakUsed: 3, usedUnitSeconds: 180, observedSeconds: 60 },
    ]);
    expect(meterWindow(obs, optionsFor(day, { shard: { index: 1, count: 2 } })).gpuQuotas).toEqual([]);
    expect(meterWindow(base, optionsFor(day)).gpuQuotas).toBeUndefined();
  });
});

describe('summarizeGpuQuotas', () => {
  const dayWith = (date: string, startMs: number, quotas: MeteredDay['gpuQuotas']) =>
    ({ day: { date, startMs, endMs: startMs + 1 }, gpuQuotas: quotas }) as MeteredDay;

  it('gives per quota entry the last hard limit, the month peak and the average over observed time', () => {
    const days = [
      dayWith('2026-03-02', 2, [
        { ...ref, hard: 6, peakUsed: 5, usedUnitSeconds: 3600 * 2, observedSeconds: 3600 },
      ]),
      dayWith('2026-03-01', 1, [
        { ...ref, hard: 8, peakUsed: 7, usedUnitSeconds: 3600 * 4 * 3, observedSeconds: 3600 * 3 },
      ]),
    ];
    expect(summarizeGpuQuotas(days)).toEqual([
      { ...ref, hard: 6, peakUsed: 7, averageUsed: 3.5, peakUsedPct: 116.67, observedHours: 4 },
    ]);
  });

  it('is empty when no day carries quotas, and has no average for a quota never observed in use', () => {
    expect(summarizeGpuQuotas([dayWith('2026-03-01', 1, undefined)])).toEqual([]);
    expect(
      summarizeGpuQuotas([
        dayWith('2026-03-01', 1, [{ ...ref, hard: 0, peakUsed: 0, usedUnitSeconds: 0, observedSeconds: 0 }]),
      ]),
    ).toEqual([{ ...ref, hard: 0, peakUsed: 0, averageUsed: null, peakUsedPct: null, observedHours: 0 }]);
  });
});
