import { describe, expect, it } from 'vitest';
import { coverageOf } from '../../../src/core/metering/index.ts';
import { HOUR, pointsBetween, seoulDay, windowOf } from './fixtures.ts';

const day = seoulDay();

describe('coverageOf', () => {
  it('gives the share of the day with kube-state-metrics and dcgm-exporter samples, and the gaps', () => {
    const w = windowOf(day);
    const grid = { startMs: w.startMs, endMs: w.startMs + w.intervals * w.stepMs, stepMs: w.stepMs };
    const ksm = [
      ...pointsBetween(grid, grid.startMs, day.startMs + 6 * HOUR),
      ...pointsBetween(grid, day.startMs + 12 * HOUR, grid.endMs),
    ];
    const dcgm = pointsBetween(grid, day.startMs, day.startMs + 6 * HOUR);
    const coverage = coverageOf({ ksmPresentTsMs: ksm, dcgmPresentTsMs: dcgm }, w);
    expect(coverage).toEqual({
      date: day.date,
      kubeStateMetrics: 0.75,
      dcgm: 0.25,
      gaps: [{ startMs: day.startMs + 6 * HOUR, endMs: day.startMs + 12 * HOUR }],
    });
  });

  describe('edge cases', () => {
    it('reports dcgm coverage null when the window has no dcgm-exporter sample at all', () => {
      const coverage = coverageOf({ ksmPresentTsMs: [], dcgmPresentTsMs: [] }, windowOf(day));
      expect([coverage.kubeStateMetrics, coverage.dcgm, coverage.gaps]).toEqual([
        0,
        null,
        [{ startMs: day.startMs, endMs: day.endMs }],
      ]);
    });
  });
});
