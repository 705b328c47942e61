import { describe, expect, it } from 'vitest';
import { detectScrapeIntervalSeconds, gridForDay, stepSecondsFor } from '../../../src/core/metering/index.ts';
import { dayOf } from '../../../src/core/period.ts';

const scrape = (s: number) => ({
  kubeStateMetricsSeconds: s,
  dcgmSeconds: null,
  source: 'detected' as const,
});

describe('stepSecondsFor', () => {
  it.each([
    [60, 60],
    [30, 30],
    [15, 15],
    [70, 60],
    [59.5, 50],
    [7200, 3600],
    [0.5, 1],
  ])('uses a step of %s s -> %s s', (interval, step) => {
    expect(stepSecondsFor(interval)).toBe(step);
  });

  describe('edge cases', () => {
    it('rejects a non-positive interval', () => {
      expect(() => stepSecondsFor(0)).toThrow(RangeError);
    });
  });
});

describe('gridForDay', () => {
  it('widens the day by maxBridgeSeconds rounded up to whole steps on both sides, focused on the day', () => {
    const day = dayOf('2026-03-10', 'Asia/Seoul');
    expect(gridForDay(day, scrape(60), 3630)).toEqual({
      startMs: day.startMs - 3_660_000,
      endMs: day.endMs + 3_660_000,
      stepMs: 60_000,
      focus: { startMs: day.startMs, endMs: day.endMs },
    });
  });

  describe('edge cases', () => {
    it('keeps the grid aligned to local midnight in a zone with a 45-minute offset', () => {
      const day = dayOf('2026-03-10', 'Asia/Kathmandu');
      const grid = gridForDay(day, scrape(60), 0);
      expect([grid.startMs, grid.endMs]).toEqual([day.startMs, day.endMs]);
    });

    it('builds a 23-hour grid on the spring-forward day', () => {
      const day = dayOf('2026-03-08', 'America/New_York');
      const grid = gridForDay(day, scrape(30), 0);
      expect((grid.endMs - grid.startMs) / grid.stepMs).toBe(23 * 120);
    });
  });
});

describe('detectScrapeIntervalSeconds', () => {
  it('returns the median spacing of raw samples over all series', () => {
    const series = [
      [0, 60_000, 120_000, 180_000],
      [5_000, 65_000, 200_000],
    ];
    expect(detectScrapeIntervalSeconds(series)).toBe(60);
  });

  it('rounds away scrape jitter of a few milliseconds', () => {
    expect(detectScrapeIntervalSeconds([[0, 29_998, 60_003, 90_001]])).toBe(30);
  });

  describe('edge cases', () => {
    it('returns null when no series has two distinct samples', () => {
      expect(detectScrapeIntervalSeconds([[1000], [], [5, 5]])).toBeNull();
    });

    it('ignores HA duplicates that repeat a timestamp', () => {
      expect(detectScrapeIntervalSeconds([[0, 0, 15_000, 15_000, 30_000]])).toBe(15);
    });
  });
});
