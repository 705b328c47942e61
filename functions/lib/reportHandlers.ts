import type { AppContext } from '../../src/app/context.ts';
import { lambdaHandler } from './lambdaHandler.ts';
import { runJob } from '../../src/app/runJob.ts';
import { deliveryMetrics, runMetrics } from '../../src/app/runMetrics.ts';
import { deliverAfterPublish } from '../../src/app/deliverMonth.ts';
import { type MonthlyReportResult, runMonthlyReport } from '../../src/app/runMonthlyReport.ts';
import {
  backfillMonthEvent,
  currentMonthIn,
  monthlyReportEvent,
  overrideOf,
  parseEvent,
  previousMonthIn,
} from './events.ts';

/**
 * Scheduled monthly run: publishes one month (default: the previous month in the billing time zone, which
 * replaces its provisional version if one was published); `monthToDate: true`: the current month as a
 * provisional version through its last ended day.
 */
export const monthlyReportHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const input = parseEvent(monthlyReportEvent, event, 'monthlyReport');
    const nowMs = ctx.clock.nowMs();
    const month =
      input.month ??
      (input.monthToDate
        ? currentMonthIn(ctx.config.timezone, nowMs)
        : previousMonthIn(ctx.config.timezone, nowMs));
    const options = {
      ...(input.remeter === undefined ? {} : { remeter: input.remeter }),
      ...overrideOf(input.force, input.reason),
    };
    const result = await runJob(
      ctx,
      'monthly-report',
      async () => {
        const published = await runMonthlyReport(ctx, month, options);
        // After the commit only, and never failing it: a failed message is logged and counted.
        return { ...published, delivery: await deliverAfterPublish(ctx, published) };
      },
      (r, run) => [...runMetrics(r?.summary, run), ...deliveryMetrics(r?.delivery, run.job)],
    );
    const { delivery } = result;
    return {
      ...monthResult(result),
      ...(delivery
        ? { delivery: { sent: delivery.sent, failed: delivery.failed, skipped: delivery.skipped } }
        : {}),
    };
  });

/**
 * Step Functions, Map over months: re-runs one month from the stored partials (the day steps re-metered the
 * range; every other day must have a fresh partial, else it refuses naming them). A published month is
 * restated under the guard (ChargeClass=Correction), or left as it is when nothing changed.
 */
export const backfillMonthHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const { month, force, reason } = parseEvent(backfillMonthEvent, event, 'backfillMonth');
    const result = await runJob(
      ctx,
      'backfill-month',
      () => runMonthlyReport(ctx, month, { onlyStoredPartials: true, ...overrideOf(force, reason) }),
      (r, run) => runMetrics(r?.summary, run),
    );
    return monthResult(result);
  });

function monthResult(result: MonthlyReportResult) {
  return {
    month: result.month,
    restated: result.restated,
    unchanged: result.unchanged,
    ...(result.provisional ? { provisional: result.provisional } : {}),
    ...(result.replacedProvisional ? { replacedProvisional: result.replacedProvisional } : {}),
    versionId: result.versionId,
    totalCost: result.summary.totals.cost,
    currency: result.summary.currency.code,
    coveragePct: result.summary.totals.coveragePct,
    files: result.keys.length,
  };
}
