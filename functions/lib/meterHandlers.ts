import { dayRunMetrics } from '../../src/adapters/cloudwatch/runMetrics.ts';
import type { AppContext } from '../../src/app/context.ts';
import { meterAndStoreDay } from '../../src/app/meterDay.ts';
import { runJob } from '../../src/app/runJob.ts';
import { backfillDayEvent, dailyMeterEvent, parseEvent, yesterdayIn } from './events.ts';

/** Scheduled daily run: meters one day (default: yesterday in the billing time zone) into usage/<date>.json. */
export const dailyMeterHandler = (ctx: AppContext) => async (event: unknown) => {
  const input = parseEvent(dailyMeterEvent, event, 'dailyMeter');
  const date = input.date ?? yesterdayIn(ctx.config.timezone, ctx.clock.nowMs());
  const day = await runJob(ctx, 'daily-meter', () => meterAndStoreDay(ctx, date), dayRunMetrics);
  return {
    date,
    pods: day.pods.length,
    coveragePct: day.coverage.kubeStateMetrics * 100,
    warnings: day.warnings.length,
  };
};

/** Step Functions, Map over days: re-meters one day. */
export const backfillDayHandler = (ctx: AppContext) => async (event: unknown) => {
  const { date } = parseEvent(backfillDayEvent, event, 'backfillDay');
  const day = await runJob(ctx, 'backfill-day', () => meterAndStoreDay(ctx, date), dayRunMetrics);
  return { date, coveragePct: day.coverage.kubeStateMetrics * 100 };
};
