import { runMetrics } from '../../src/adapters/cloudwatch/runMetrics.ts';
import { type AppContext, keys } from '../../src/app/context.ts';
import { runJob } from '../../src/app/runJob.ts';
import { type MonthlyReportResult, runMonthlyReport } from '../../src/app/runMonthlyReport.ts';
import { backfillMonthEvent, monthlyReportEvent, parseEvent, previousMonthIn } from './events.ts';

/** Scheduled monthly run: publishes one month (default: the previous month in the billing time zone). */
export const monthlyReportHandler = (ctx: AppContext) => async (event: unknown) => {
  const input = parseEvent(monthlyReportEvent, event, 'monthlyReport');
  const month = input.month ?? previousMonthIn(ctx.config.timezone, ctx.clock.nowMs());
  const options = input.remeter === undefined ? {} : { remeter: input.remeter };
  const result = await runJob(
    ctx,
    'monthly-report',
    () => runMonthlyReport(ctx, month, options),
    (r, run) => runMetrics(r?.summary, run),
  );
  return monthResult(result);
};

/** Step Functions, Map over months: re-runs one month from the fresh partials; a restatement if published. */
export const backfillMonthHandler = (ctx: AppContext) => async (event: unknown) => {
  const { month } = parseEvent(backfillMonthEvent, event, 'backfillMonth');
  const published = (await ctx.store.get(keys.manifest(month))) !== undefined;
  const result = await runJob(
    ctx,
    'backfill-month',
    () => runMonthlyReport(ctx, month, { remeter: false, restatement: published }),
    (r, run) => runMetrics(r?.summary, run),
  );
  return monthResult(result);
};

function monthResult(result: MonthlyReportResult) {
  return {
    month: result.month,
    restated: result.restated,
    totalCost: result.summary.totals.cost,
    currency: result.summary.currency.code,
    coveragePct: result.summary.totals.coveragePct,
    files: result.keys.length,
  };
}
