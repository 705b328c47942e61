import { type BackfillPlan, planBackfill } from '../core/backfillPlan.ts';
import type { AppContext } from './context.ts';
import { assertPlausibleMonth, checkOverride, type GuardOverride } from './guard.ts';
import type { PublishedHead } from './manifest.ts';
import { dayOf } from '../core/period.ts';
import { meterAndStoreDay, meterDaysWithinMemory, surveyDays } from './meterDay.ts';
import { readPublishedHead } from './publishMonth.ts';
import { runMonthlyReport } from './runMonthlyReport.ts';

export { type BackfillPlan, MAX_BACKFILL_DAYS, planBackfill } from '../core/backfillPlan.ts';

/** What a backfill did: its plan, and per closed month whether it was restated, unchanged or published. */
export interface BackfillResult extends BackfillPlan {
  restated: string[];
  unchanged: string[];
  published: string[];
}

/**
 * Re-meters exactly the days of the range and re-runs each affected closed month from them and from the
 * stored partials of its other days (which must be fresh: a backfill never re-meters a day it was not
 * asked to; otherwise it refuses, naming the days). A month that was published is restated under the
 * guard (config `guard`): nothing is written when the result loses coverage or moves money by more than
 * the allowed shares, unless `override.force` with a reason. Days of months not yet ended are metered and
 * stored under the same guard for partials. The published versions are read before anything is metered,
 * and each month's commit must still find its version (ConflictError otherwise).
 */
export async function backfill(
  ctx: AppContext,
  from: string,
  to: string,
  options: GuardOverride & { concurrency?: number } = {},
): Promise<BackfillResult> {
  checkOverride(options);
  const plan = planBackfill(from, to, ctx.config.timezone, ctx.clock.nowMs());
  for (const month of [...plan.months, ...plan.openMonths]) assertPlausibleMonth(month, ctx.config);
  ctx.logger.info('backfill planned', {
    days: plan.days.length,
    months: plan.months,
    openMonths: plan.openMonths,
  });
  const startedFrom = new Map<string, PublishedHead | null>();
  for (const month of plan.months)
    startedFrom.set(month, (await readPublishedHead(ctx.store, month)) ?? null);

  const override = {
    ...(options.force ? { force: true } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  const openDays = plan.days.filter((d) => plan.openMonths.includes(d.slice(0, 7)));
  let done = 0;
  if (openDays.length > 0) ctx.logger.stage?.('metering open days');
  await surveyDays(
    ctx,
    openDays.map((date) => dayOf(date, ctx.config.timezone)),
  );
  // Several days at once, as far as their shards' estimated memory fits this process'.
  await meterDaysWithinMemory(ctx, openDays, options.concurrency ?? 4, async (date, plan) => {
    await meterAndStoreDay(ctx, date, override, undefined, plan);
    done += 1;
    ctx.logger.progress(done, openDays.length, `metered ${date}`);
  });
  ctx.logger.stage?.(null);

  const result: BackfillResult = { ...plan, restated: [], unchanged: [], published: [] };
  for (const month of plan.months) {
    const report = await runMonthlyReport(ctx, month, {
      ...override,
      remeterDays: plan.days.filter((d) => d.startsWith(`${month}-`)),
      onlyStoredPartials: true,
      startedFrom: startedFrom.get(month) ?? null,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    if (report.unchanged) result.unchanged.push(month);
    else if (report.restated) result.restated.push(month);
    else result.published.push(month);
  }
  return result;
}
