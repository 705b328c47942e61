import { DateTime } from 'luxon';
import { InputError } from '../errors.ts';
import { billingPeriod, isDate, isMonth } from './period.ts';

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

function parseBound(text: string, zone: string, edge: 'from' | 'to'): DateTime {
  if (isDate(text)) return DateTime.fromISO(text, { zone }).startOf('day');
  if (isMonth(text)) {
    const first = DateTime.fromISO(`${text}-01`, { zone }).startOf('day');
    return edge === 'from' ? first : first.endOf('month').startOf('day');
  }
  throw new InputError(`--${edge} "${text}" is not a month (YYYY-MM) or a date (YYYY-MM-DD)`);
}

/**
 * Expands `from`..`to` (YYYY-MM or YYYY-MM-DD, inclusive, in `zone`) into the days to meter and the
 * months to re-run. Pure: the caller passes the current time. Rejects reversed, future and oversized
 * ranges with an InputError.
 */
export function planBackfill(from: string, to: string, zone: string, nowMs: number): BackfillPlan {
  const start = parseBound(from, zone, 'from');
  const end = parseBound(to, zone, 'to');
  if (end < start) throw new InputError(`--from ${from} is after --to ${to}`);
  const lastEnded = DateTime.fromMillis(nowMs, { zone }).startOf('day').minus({ days: 1 });
  if (start > lastEnded) {
    throw new InputError(
      `--from ${from} is in the future or today in ${zone}; only days that have ended can be metered`,
    );
  }
  const last = DateTime.min(end, lastEnded);
  const count = Math.round(last.diff(start, 'days').days) + 1;
  if (count > MAX_BACKFILL_DAYS) {
    throw new InputError(
      `the range ${from}..${to} covers ${count} days; at most ${MAX_BACKFILL_DAYS} per backfill`,
    );
  }
  const days: string[] = [];
  for (let d = start; d <= last; d = d.plus({ days: 1 })) days.push(d.toISODate()!);
  const touched = [...new Set(days.map((d) => d.slice(0, 7)))];
  const months = touched.filter((m) => billingPeriod(m, zone).endMs <= nowMs);
  const openMonths = touched.filter((m) => !months.includes(m));
  return { days, months, openMonths };
}
