import type { Day, ScrapeIntervals, StepGrid } from '../types.ts';

const HOUR_SECONDS = 3600;

/**
 * The grid step (whole seconds) for a scrape interval: the interval itself when it divides an hour
 * (and so every 23, 24 or 25 h day), else the largest divisor of 3600 s not above it, so no raw sample
 * is skipped; the empty steps this leaves are filled by bridging. Intervals over an hour use 3600 s.
 */
export function stepSecondsFor(scrapeIntervalSeconds: number): number {
  if (!(scrapeIntervalSeconds > 0) || !Number.isFinite(scrapeIntervalSeconds)) {
    throw new RangeError(
      `scrape interval must be a positive number of seconds, got ${scrapeIntervalSeconds}`,
    );
  }
  const limit = Math.min(HOUR_SECONDS, Math.floor(scrapeIntervalSeconds));
  for (let s = limit; s > 1; s--) if (HOUR_SECONDS % s === 0) return s;
  return 1;
}

/**
 * The observation grid of `day`: the day widened by `maxBridgeSeconds` (rounded up to whole steps) on
 * both sides, so a gap across midnight is seen, and bridged, identically from both days. Points sit
 * at start + k*step and are aligned to the day's local midnight.
 */
export function gridForDay(day: Day, scrape: ScrapeIntervals, maxBridgeSeconds: number): StepGrid {
  const stepMs = stepSecondsFor(scrape.kubeStateMetricsSeconds) * 1000;
  if ((day.endMs - day.startMs) % stepMs !== 0) {
    throw new RangeError(
      `day ${day.date} (${day.endMs - day.startMs} ms) is not a whole number of ${stepMs} ms steps`,
    );
  }
  const marginMs = Math.ceil((Math.max(0, maxBridgeSeconds) * 1000) / stepMs) * stepMs;
  return {
    startMs: day.startMs - marginMs,
    endMs: day.endMs + marginMs,
    stepMs,
    focus: { startMs: day.startMs, endMs: day.endMs },
  };
}

/**
 * The scrape interval (seconds) of a set of series: the median spacing of consecutive raw samples over
 * all series, rounded to whole seconds when at least 1 s (scrape jitter of a few ms must not turn
 * 60 s into 59 s). Duplicate timestamps are ignored; returns null when no series has two samples.
 */
export function detectScrapeIntervalSeconds(timestampsMsPerSeries: number[][]): number | null {
  const spacings: number[] = [];
  for (const series of timestampsMsPerSeries) {
    const sorted = [...new Set(series)].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) spacings.push(sorted[i]! - sorted[i - 1]!);
  }
  if (spacings.length === 0) return null;
  spacings.sort((a, b) => a - b);
  const mid = Math.floor(spacings.length / 2);
  const medianMs = spacings.length % 2 === 1 ? spacings[mid]! : (spacings[mid - 1]! + spacings[mid]!) / 2;
  const seconds = medianMs / 1000;
  return seconds >= 1 ? Math.round(seconds) : Math.round(seconds * 1000) / 1000;
}
