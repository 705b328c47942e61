import { InputError } from '../errors.ts';
import { billingPeriod, dayOf, isDate, isMonth, localDateOf, nextDate, previousDate } from './period.ts';

/** The longest range one backfill accepts; longer ranges are almost always a typo. */
export const MAX_BACKFILL_DAYS = 400;

export interface BackfillPlan {
  /** Local days to (re)meter, YYYY-MM-DD. */
  days: string[];
  /** Closed months to re-run afterwards, YYYY-MM. */
  months: string[];
  /** Months touched by the range that have not ended yet (their days are metered, the report is not run). */
  openMonths: string[];
}

/** The first (`from`) or last (`to`) date a bound names: a date, or the first/last day of a month. */
function parseBound(text: string, zone: string, edge: 'from' | 'to'): string {
  if (isDate(text)) return text;
  if (isMonth(text)) {
    if (edge === 'from') return `${text}-01`;
    return billingPeriod(text, zone).days.at(-1)!.date;
  }
  throw new InputError(`--${edge} "${text}" is not a month (YYYY-MM) or a date (YYYY-MM-DD)`);
}

/**
 * Expands `from`..`to` (YYYY-MM or YYYY-MM-DD, inclusive, in `zone`) into the days to meter and the
 * months to re-run. Pure: the caller passes the current time. Only days that have ended are metered; a
 * range that reaches into today stops at yesterday. Rejects reversed, future and oversized ranges with an
 * InputError.
 */
export function planBackfill(from: string, to: string, zone: string, nowMs: number): BackfillPlan {
  const start = parseBound(from, zone, 'from');
  const end = parseBound(to, zone, 'to');
  if (end < start) throw new InputError(`--from ${from} is after --to ${to}`);
  // The last local day that has ended: the day before the one `nowMs` falls in.
  const today = localDateOf(nowMs, zone);
  if (start >= today || dayOf(start, zone).endMs > nowMs) {
    throw new InputError(
      `--from ${from} is in the future or today in ${zone}; only days that have ended can be metered`,
    );
  }
  const last = end < today ? end : previousDate(today);
  const count = (Date.parse(last) - Date.parse(start)) / 86_400_000 + 1;
  if (count > MAX_BACKFILL_DAYS) {
    throw new InputError(
      `the range ${from}..${to} covers ${count} days; at most ${MAX_BACKFILL_DAYS} per backfill`,
    );
  }
  const days: string[] = [];
  for (let d = start; d <= last; d = nextDate(d)) days.push(d);
  const touched = [...new Set(days.map((d) => d.slice(0, 7)))];
  const months = touched.filter((m) => billingPeriod(m, zone).endMs <= nowMs);
  const openMonths = touched.filter((m) => !months.includes(m));
  return { days, months, openMonths };
}
