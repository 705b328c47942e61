import type { AppContext } from '../../src/app/context.ts';
import { lambdaHandler } from './lambdaHandler.ts';
import { meterAndStoreDay } from '../../src/app/meterDay.ts';
import { runJob } from '../../src/app/runJob.ts';
import { dayRunMetrics } from '../../src/app/runMetrics.ts';
import { backfillDayEvent, dailyMeterEvent, overrideOf, parseEvent, yesterdayIn } from './events.ts';

/**
 * Scheduled daily run: meters one day (default: yesterday in the billing time zone) into usage/<date>.json.
 * A day that has not ended is refused (InputError); a stored partial is never replaced by an emptier one
 * unless the event says `"force": true` with a `"reason"` (RefusedError otherwise).
 */
export const dailyMeterHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const input = parseEvent(dailyMeterEvent, event, 'dailyMeter');
    const date = input.date ?? yesterdayIn(ctx.config.timezone, ctx.clock.nowMs());
    const override = overrideOf(input.force, input.reason);
    const day = await runJob(ctx, 'daily-meter', () => meterAndStoreDay(ctx, date, override), dayRunMetrics);
    return {
      date,
      pods: day.pods.length,
      coveragePct: day.coverage.kubeStateMetrics * 100,
      warnings: day.warnings.length,
    };
  });

/**
 * Step Functions, Map over days: re-meters one day. Like the daily run it refuses a day that has not
 * ended (InputError) and never replaces a stored partial with an emptier one unless forced (RefusedError).
 */
export const backfillDayHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const { date, force, reason } = parseEvent(backfillDayEvent, event, 'backfillDay');
    const override = overrideOf(force, reason);
    const day = await runJob(ctx, 'backfill-day', () => meterAndStoreDay(ctx, date, override), dayRunMetrics);
    return { date, coveragePct: day.coverage.kubeStateMetrics * 100 };
  });
