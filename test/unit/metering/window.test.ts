import { describe, expect, it } from 'vitest';
import { gridForDay, periodsOfDay, windowGridOf } from '../../../src/core/metering/index.ts';
import { chargePeriods } from '../../../src/core/period.ts';
import { HOUR, MIN, optionsFor, pointOf, SCRAPE, seoulDay, windowOf } from './fixtures.ts';

describe('windowGridOf', () => {
  const day = seoulDay();

  it('places the day between bridging margins of whole steps', () => {
    const window = windowOf(day);
    expect([window.intervals, window.dayFirst, window.dayLast]).toEqual([1440 + 120, 60, 1500]);
    expect(window.startMs).toBe(day.startMs - HOUR);
  });

  it('maps the grid point at t to the interval that ends at t, and counts points off the grid', () => {
    const window = windowOf(day);
    expect(window.indexOf(day.startMs + MIN)).toBe(60);
    expect(window.indexOf(pointOf(window, 0))).toBe(0);
    expect([window.indexOf(window.startMs), window.indexOf(day.startMs + 30_000)]).toEqual([
      undefined,
      undefined,
    ]);
    expect(window.misaligned).toBe(2);
  });

  it('splits each interval of the day at the charge periods it overlaps', () => {
    const cut = day.startMs + 12 * HOUR + 30_000;
    const window = windowOf(day, { chargePeriods: chargePeriods([day], [cut]) });
    expect(window.periods.map((p) => p.startMs)).toEqual([day.startMs, cut]);
    expect(window.slices[12 * 60]).toEqual([
      [0, 30_000],
      [1, 30_000],
    ]);
    expect(window.slices[0]).toEqual([[0, MIN]]);
  });

  describe('edge cases', () => {
    it('rejects a grid that is not a whole number of steps', () => {
      const grid = { ...gridForDay(day, SCRAPE, 3600), endMs: day.endMs + HOUR + 1 };
      expect(() => windowGridOf(grid, optionsFor(day))).toThrow(/whole number of 60000 ms steps/);
    });

    it('rejects a day that is not aligned to the grid', () => {
      const grid = { ...gridForDay(day, SCRAPE, 3600), startMs: day.startMs - HOUR + 1 };
      expect(() => windowGridOf({ ...grid, endMs: grid.endMs + 1 }, optionsFor(day))).toThrow(
        /not inside, or not aligned to/,
      );
    });
  });
});

describe('periodsOfDay', () => {
  const day = seoulDay();

  it('clips the charge periods to the day', () => {
    const periods = [
      { date: '2026-03-09', startMs: day.startMs - HOUR, endMs: day.startMs + HOUR },
      { date: day.date, startMs: day.startMs + HOUR, endMs: day.endMs + HOUR },
    ];
    expect(periodsOfDay(day, periods)).toEqual([
      { date: day.date, startMs: day.startMs, endMs: day.startMs + HOUR },
      { date: day.date, startMs: day.startMs + HOUR, endMs: day.endMs },
    ]);
  });

  describe('edge cases', () => {
    it('is the whole day when no charge period falls in it', () => {
      expect(periodsOfDay(day, [])).toEqual([{ date: day.date, startMs: day.startMs, endMs: day.endMs }]);
    });

    it('rejects charge periods with a hole', () => {
      const holes = [
        { date: day.date, startMs: day.startMs, endMs: day.startMs + HOUR },
        { date: day.date, startMs: day.startMs + 2 * HOUR, endMs: day.endMs },
      ];
      expect(() => periodsOfDay(day, holes)).toThrow(/hole or overlap/);
    });
  });
});
