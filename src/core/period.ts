import { DateTime } from 'luxon';
import type { BillingPeriod, ChargePeriod, Day } from './types.ts';

const MONTH_RE = /^(\d{4})-(\d{2})$/;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Returns true when `text` is a real calendar month written YYYY-MM. */
export function isMonth(text: string): boolean {
  const m = MONTH_RE.exec(text);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** Returns true when `text` is a real calendar date written YYYY-MM-DD. */
export function isDate(text: string): boolean {
  return DAY_RE.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
}

/** The local day [00:00, next 00:00) of `date` (YYYY-MM-DD) in `zone`; 23, 24 or 25 hours long. */
export function dayOf(date: string, zone: string): Day {
  const start = DateTime.fromISO(date, { zone }).startOf('day');
  if (!start.isValid) throw new RangeError(`invalid date ${date} in ${zone}`);
  const end = start.plus({ days: 1 });
  return { date: start.toISODate()!, startMs: start.toMillis(), endMs: end.toMillis() };
}

/** The billing month `month` (YYYY-MM) in `zone`, with its local days. */
export function billingPeriod(month: string, zone: string): BillingPeriod {
  if (!isMonth(month)) throw new RangeError(`invalid month ${month}: expected YYYY-MM`);
  const start = DateTime.fromISO(`${month}-01`, { zone }).startOf('day');
  const end = start.plus({ months: 1 });
  const days: Day[] = [];
  for (let d = start; d < end; d = d.plus({ days: 1 })) days.push(dayOf(d.toISODate()!, zone));
  return {
    month,
    zone,
    startMs: start.toMillis(),
    endMs: end.toMillis(),
    hours: Math.round(end.diff(start, 'hours').hours),
    days,
  };
}

/** The month before `month`. */
export function previousMonth(month: string): string {
  return DateTime.fromISO(`${month}-01`, { zone: 'UTC' }).minus({ months: 1 }).toFormat('yyyy-MM');
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

