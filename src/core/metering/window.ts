import type { ChargePeriod, Day, StepGrid } from '../types.ts';
import type { MeterOptions } from './options.ts';

/**
 * The observation grid of one metered day as every metering step reads it: interval k is
 * [startMs + k·step, startMs + (k+1)·step), credited by the grid point at its end.
 */
export interface WindowGrid {
  readonly day: Day;
  readonly startMs: number;
  readonly stepMs: number;
  /** Number of intervals in the window (day plus margins). */
  readonly intervals: number;
  /** The day's intervals are [dayFirst, dayLast). */
  readonly dayFirst: number;
  readonly dayLast: number;
  readonly maxBridgeMs: number;
  /** The charge periods of the day, in order; they partition it. */
  readonly periods: ChargePeriod[];
  /** For each interval of the day (index k - dayFirst): the charge periods it overlaps, as [period, ms]. */
  readonly slices: [number, number][][];
  /** The interval credited by the grid point at `tMs`; undefined (and counted) when off the grid. */
  indexOf(tMs: number): number | undefined;
  /** The same interval without counting anything: undefined when `tMs` is not a grid point of the window. */
  stepOf(tMs: number): number | undefined;
  /** How many points given to indexOf were off the grid. */
  readonly misaligned: number;
}

/**
 * The window grid of `options.day` over the source's grid. Throws when the grid is not a whole number
 * of steps, the day is not inside it or not aligned to it, or the charge periods do not partition the day.
 */
export function windowGridOf(
  grid: StepGrid,
  options: Pick<MeterOptions, 'day' | 'chargePeriods' | 'maxBridgeSeconds'>,
): WindowGrid {
  const { day } = options;
  const stepMs = grid.stepMs;
  if (stepMs <= 0 || (grid.endMs - grid.startMs) % stepMs !== 0) {
    throw new RangeError(`grid [${grid.startMs}, ${grid.endMs}) is not a whole number of ${stepMs} ms steps`);
  }
  if (day.startMs < grid.startMs || day.endMs > grid.endMs || (day.startMs - grid.startMs) % stepMs !== 0) {
    throw new RangeError(`day ${day.date} is not inside, or not aligned to, the observation grid`);
  }
  const intervals = (grid.endMs - grid.startMs) / stepMs;
  const dayFirst = (day.startMs - grid.startMs) / stepMs;
  const dayLast = (day.endMs - grid.startMs) / stepMs;
  const periods = periodsOfDay(day, options.chargePeriods);
  const slices: [number, number][][] = [];
  for (let k = dayFirst; k < dayLast; k++) {
    const start = grid.startMs + k * stepMs;
    const parts: [number, number][] = [];
    periods.forEach((p, i) => {
      const ms = Math.min(p.endMs, start + stepMs) - Math.max(p.startMs, start);
      if (ms > 0) parts.push([i, ms]);
    });
    slices.push(parts);
  }
  let misaligned = 0;
  const stepOf = (tMs: number): number | undefined => {
    const k = (tMs - grid.startMs) / stepMs - 1;
    return Number.isInteger(k) && k >= 0 && k < intervals ? k : undefined;
  };
  return {
    day,
    startMs: grid.startMs,
    stepMs,
    intervals,
    dayFirst,
    dayLast,
    maxBridgeMs: Math.max(0, options.maxBridgeSeconds) * 1000,
    periods,
    slices,
    indexOf(tMs: number): number | undefined {
      const k = stepOf(tMs);
      if (k === undefined) misaligned++;
      return k;
    },
    stepOf,
    get misaligned() {
      return misaligned;
    },
  };
}

/** The charge periods that fall in `day`, clipped to it; throws unless they partition the day. */
export function periodsOfDay(day: Day, chargePeriods: readonly ChargePeriod[]): ChargePeriod[] {
  const own = chargePeriods
    .filter((p) => p.startMs < day.endMs && p.endMs > day.startMs)
    .map((p) => ({
      date: day.date,
      startMs: Math.max(p.startMs, day.startMs),
      endMs: Math.min(p.endMs, day.endMs),
    }))
    .sort((a, b) => a.startMs - b.startMs);
  if (own.length === 0) return [{ date: day.date, startMs: day.startMs, endMs: day.endMs }];
  let cursor = day.startMs;
  for (const p of own) {
    if (p.startMs !== cursor)
      throw new RangeError(
        `charge periods of ${day.date} do not partition the day (hole or overlap at ${cursor})`,
      );
    cursor = p.endMs;
  }
  if (cursor !== day.endMs) throw new RangeError(`charge periods of ${day.date} end before the day does`);
  return own;
}
