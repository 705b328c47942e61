import { DateTime, IANAZone } from 'luxon';
import type { BillingPeriod, ChargePeriod, Day } from './types.ts';

const MONTH_RE = /^(\d{4})-(\d{2})$/;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Every UTC offset tzdb has ever used lies within ±15 h (the extremes are −12 h and +14 h). */
const OFFSET_BOUND_MS = 15 * 3_600_000;

/** Returns true when `text` is a real calendar month written YYYY-MM. */
export function isMonth(text: string): boolean {
  const m = MONTH_RE.exec(text);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** Returns true when `text` is a real calendar date written YYYY-MM-DD. */
export function isDate(text: string): boolean {
  return DAY_RE.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
}

/** The IANA zone `zone`, or a RangeError naming it. */
function ianaZone(zone: string): IANAZone {
  const iana = IANAZone.create(zone);
  if (!iana.isValid) throw new RangeError(`invalid time zone ${zone}`);
  return iana;
}

/** Days since 1970-01-01 of a calendar date, as a whole number (the date's wall-clock midnight as if in UTC). */
function epochDay(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** YYYY-MM-DD of an epoch day. */
function dateOfEpochDay(epochDayNumber: number): string {
  return new Date(epochDayNumber * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The first instant whose local date in `zone` is the epoch day `dayNumber` or later: where the local day
 * starts, with the UTC offset in force then. Usually local midnight; but where the clocks jump at midnight
 * (America/Havana, Asia/Beirut in March: 00:00 -> 01:00) it is the instant of the jump, and where midnight
 * repeats (Atlantic/Azores in October: 01:00 -> 00:00) it is the first of the two midnights.
 * `offsetHintMinutes` is the offset at the previous day's start: when it still holds at this midnight
 * (every day without a clock change), one offset lookup decides.
 */
function startOfEpochDay(
  zone: IANAZone,
  dayNumber: number,
  offsetHintMinutes?: number,
): { startMs: number; offsetMinutes: number } {
  const wall = dayNumber * DAY_MS;
  const localDay = (ms: number) => Math.floor((ms + zone.offset(ms) * MINUTE_MS) / DAY_MS);
  const hint = offsetHintMinutes ?? zone.offset(wall);
  const first = wall - hint * MINUTE_MS;
  // The offset of the previous day still holds at this midnight: it is the day's first instant (any
  // repeated midnight comes later, after the clocks went back).
  if (offsetHintMinutes !== undefined && zone.offset(first) === hint)
    return { startMs: first, offsetMinutes: hint };
  let offset = offsetHintMinutes === undefined ? hint : zone.offset(first);
  let candidate = wall - offset * MINUTE_MS;
  for (let i = 0; i < 3; i++) {
    const actual = zone.offset(candidate);
    if (actual === offset) {
      // It reads exactly midnight; it is the first instant of the day when the instant before is the day before.
      if (localDay(candidate - 1) < dayNumber) return { startMs: candidate, offsetMinutes: offset };
      break;
    }
    offset = actual;
    candidate = wall - offset * MINUTE_MS;
  }
  // Midnight does not exist (the clocks jump over it) or repeats: find the day's first instant exactly.
  let before = wall - OFFSET_BOUND_MS;
  let from = wall + OFFSET_BOUND_MS;
  while (from - before > 1) {
    const mid = Math.floor((before + from) / 2);
    if (localDay(mid) >= dayNumber) from = mid;
    else before = mid;
  }
  return { startMs: from, offsetMinutes: zone.offset(from) };
}

function parseDate(date: string): { year: number; month: number; day: number } {
  const m = DAY_RE.exec(date);
  if (!m || !isDate(date)) throw new RangeError(`invalid date ${date}: expected YYYY-MM-DD`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/**
 * The local day of `date` (YYYY-MM-DD) in `zone`: [its first instant, the next day's first instant), so
 * consecutive days tile time exactly. 23, 24 or 25 hours long (23.5/24.5 on Lord Howe Island), also in
 * zones whose clocks change at midnight.
 */
export function dayOf(date: string, zone: string): Day {
  const { year, month, day } = parseDate(date);
  const iana = ianaZone(zone);
  const dayNumber = epochDay(year, month, day);
  const start = startOfEpochDay(iana, dayNumber);
  const end = startOfEpochDay(iana, dayNumber + 1, start.offsetMinutes);
  return { date, startMs: start.startMs, endMs: end.startMs };
}

/**
 * The billing month `month` (YYYY-MM) in `zone`, with its local days: the days tile the month exactly
 * (each day ends where the next one starts). A date the zone skipped entirely (Pacific/Apia, 2011-12-30)
 * has no time and is left out.
 */
export function billingPeriod(month: string, zone: string): BillingPeriod {
  if (!isMonth(month)) throw new RangeError(`invalid month ${month}: expected YYYY-MM`);
  const iana = ianaZone(zone);
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const first = epochDay(year, monthNumber, 1);
  const next = epochDay(monthNumber === 12 ? year + 1 : year, monthNumber === 12 ? 1 : monthNumber + 1, 1);
  const starts: number[] = [];
  let hint: number | undefined;
  for (let d = first; d <= next; d++) {
    const start = startOfEpochDay(iana, d, hint);
    starts.push(start.startMs);
    hint = start.offsetMinutes;
  }
  const days: Day[] = [];
  for (let i = 0; i < next - first; i++) {
    if (starts[i + 1]! > starts[i]!) {
      days.push({ date: dateOfEpochDay(first + i), startMs: starts[i]!, endMs: starts[i + 1]! });
    }
  }
  const startMs = starts[0]!;
  const endMs = starts[starts.length - 1]!;
  return { month, zone, startMs, endMs, hours: Math.round((endMs - startMs) / 3_600_000), days };
}

/** The month before `month`. */
export function previousMonth(month: string): string {
  return DateTime.fromISO(`${month}-01`, { zone: 'UTC' }).minus({ months: 1 }).toFormat('yyyy-MM');
}

/** The date after `date` (YYYY-MM-DD), in the calendar (no zone involved). */
export function nextDate(date: string): string {
  const { year, month, day } = parseDate(date);
  return dateOfEpochDay(epochDay(year, month, day) + 1);
}

/** The date before `date` (YYYY-MM-DD), in the calendar (no zone involved). */
export function previousDate(date: string): string {
  const { year, month, day } = parseDate(date);
  return dateOfEpochDay(epochDay(year, month, day) - 1);
}

/** The local date (YYYY-MM-DD) of the instant `ms` in `zone`. */
export function localDateOf(ms: number, zone: string): string {
  const iana = ianaZone(zone);
  return dateOfEpochDay(Math.floor((ms + iana.offset(ms) * MINUTE_MS) / DAY_MS));
}

/** ISO 8601 with the zone's offset, e.g. 2026-03-01T00:00:00.000+09:00. */
export function isoInZone(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}

/**
 * Splits each day of `days` at every instant in `cutsMs` that falls strictly inside it, so that
 * prices that change at an instant are applied exactly from that instant. Result is sorted and
 * partitions the days exactly.
 */
export function chargePeriods(days: readonly Day[], cutsMs: readonly number[]): ChargePeriod[] {
  const cuts = [...new Set(cutsMs)].sort((a, b) => a - b);
  const out: ChargePeriod[] = [];
  for (const day of days) {
    let start = day.startMs;
    for (const cut of cuts) {
      if (cut > start && cut < day.endMs) {
        out.push({ date: day.date, startMs: start, endMs: cut });
        start = cut;
      }
    }
    out.push({ date: day.date, startMs: start, endMs: day.endMs });
  }
  return out;
}

/**
 * The month to date of `period` as of `asOfMs`: the same month cut after its last local day that has
 * ended by `asOfMs` (a day ends where the next one starts, so 23- and 25-hour days and days that start at
 * a clock change at midnight count exactly when they are over). A day that has not ended is never part of
 * it. `undefined` when no day of the month has ended yet (the first day of the month, or a later month);
 * the whole period when every day has ended. Pure: the caller passes the instant (its clock, less any
 * ingestion delay).
 */
export function monthToDate(period: BillingPeriod, asOfMs: number): BillingPeriod | undefined {
  const days = period.days.filter((d) => d.endMs <= asOfMs);
  if (days.length === 0) return undefined;
  if (days.length === period.days.length) return period;
  const endMs = days.at(-1)!.endMs;
  return { ...period, endMs, hours: Math.round((endMs - period.startMs) / 3_600_000), days };
}
