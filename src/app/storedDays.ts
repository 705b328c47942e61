import type { BillingPeriod, MeteredDay } from '../core/types.ts';
import { mapLimit } from '../concurrency.ts';
import type { AppContext } from './context.ts';
import { readDayPartial, type StoredPartial } from './meterDay.ts';
import { PartialStrings } from './partialStrings.ts';

/** The days of a month read from their stored partials: those to reuse, and the others with what was read. */
export interface StoredDays {
  /** Fresh stored partials that `reuse` accepted, by date. */
  reused: Map<string, MeteredDay>;
  /** Every other day of the period, by date: its stored partial (stale or not accepted), undefined if none. */
  stale: Map<string, StoredPartial | undefined>;
}

/**
 * Partials read at once: one is parsed while the next is fetched. Parsing is the cost (≈ 0.35 s of CPU
 * for a day of 10,000 GPUs, 18 MB of JSON; one at a time anyway), and every partial in flight holds its
 * bytes, then its text until the next major collection. With 8 at once (and a copy of each partial's
 * bytes before decoding) loading that month peaked 0.25–0.3 GB higher (docs/performance.md, "The month
 * step's memory at 10,000 GPUs").
 */
export const PARTIALS_IN_FLIGHT = 2;

/**
 * Reads the stored partial of every day of `period` (one listing of the month's shard partials) and keeps
 * the fresh ones `reuse(date)` accepts; the strings of the reused days share one copy each (a parsed
 * partial has its own copy of every one). The month step of the monthly report (and bench/core.ts
 * --from-partials, which measures it) loads its days through here.
 */
export async function loadStoredDays(
  ctx: AppContext,
  period: BillingPeriod,
  reuse: (date: string) => boolean,
): Promise<StoredDays> {
  const reused = new Map<string, MeteredDay>();
  const stale = new Map<string, StoredPartial | undefined>();
  // One listing for the month's shard partials (usage/<date>/shard-<i>-of-<n>.json) instead of one per day.
  const listing = await ctx.store.list(`usage/${period.month}-`);
  const strings = new PartialStrings();
  await mapLimit(period.days, PARTIALS_IN_FLIGHT, async (day) => {
    const stored = await readDayPartial(ctx, day.date, listing);
    if (reuse(day.date) && stored?.day && stored.staleReason === undefined) {
      strings.shareDay(stored.day);
      reused.set(day.date, stored.day);
    } else {
      stale.set(day.date, stored);
    }
  });
  return { reused, stale };
}
