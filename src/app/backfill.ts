import { mapLimit } from '../concurrency.ts';
import { type BackfillPlan, planBackfill } from '../core/backfillPlan.ts';
import { type AppContext, keys } from './context.ts';
import { meterAndStoreDay } from './meterDay.ts';
import { runMonthlyReport } from './runMonthlyReport.ts';

export { type BackfillPlan, MAX_BACKFILL_DAYS, planBackfill } from '../core/backfillPlan.ts';

/**
 * Re-meters every day of the range (storing fresh daily partials), then re-runs each affected closed
 * month. A month that already has a manifest is a restatement: the previous version is kept and the
 * new rows carry ChargeClass=Correction.
 */
export async function backfill(
  ctx: AppContext,
  from: string,
  to: string,
  options: { concurrency?: number } = {},
): Promise<BackfillPlan & { restated: string[] }> {
  const plan = planBackfill(from, to, ctx.config.timezone, ctx.clock.nowMs());
  ctx.logger.info('backfill planned', {
    days: plan.days.length,
    months: plan.months,
    openMonths: plan.openMonths,
  });
  let done = 0;
  await mapLimit(plan.days, options.concurrency ?? 4, async (date) => {
    await meterAndStoreDay(ctx, date);
    done += 1;
    ctx.logger.progress(done, plan.days.length, `metered ${date}`);
  });
  const restated: string[] = [];
  for (const month of plan.months) {
    const published = Boolean(await ctx.store.get(keys.manifest(month)));
    const result = await runMonthlyReport(ctx, month, { restatement: published });
    if (result.restated) restated.push(month);
  }
  return { ...plan, restated };
}
