import type { AppContext } from '../../src/app/context.ts';
import { lambdaHandler } from './lambdaHandler.ts';
import { meterAndStoreDay, planDayShards } from '../../src/app/meterDay.ts';
import { runJob } from '../../src/app/runJob.ts';
import { dayRunMetrics } from '../../src/app/runMetrics.ts';
import {
  backfillDayEvent,
  backfillShardsEvent,
  dailyMeterEvent,
  overrideOf,
  parseEvent,
  yesterdayIn,
} from './events.ts';

/**
 * Scheduled daily run: meters one day (default: yesterday in the billing time zone) into usage/<date>.json,
 * or — when the day's plan splits it (config `sharding`) — each shard in turn into
 * usage/<date>/shard-<i>-of-<n>.json, so the function's memory is one shard's.
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
 * Step Functions, Map over days: the shards one day is metered in (config `sharding`: a fixed count, or
 * from the fleet Prometheus reports that day and the memory budget), as the items of the Map over shards.
 * Refuses a day that has not ended (InputError).
 */
export const backfillShardsHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const { date, force, reason } = parseEvent(backfillShardsEvent, event, 'backfillShards');
    const count = await planDayShards(ctx, date);
    const shards = [...Array(count).keys()].map((index) => ({ index, count }));
    // force and reason passed on as given (null when unset), like the plan step does.
    return { date, force: force ?? false, reason: reason ?? null, shards };
  });

/**
 * Step Functions, Map over a day's shards: re-meters one shard of one day (without `shard`: the whole day,
 * shard by shard). Like the daily run it refuses a day that has not ended (InputError) and never replaces a
 * stored partial (the shard's) with an emptier one unless forced (RefusedError).
 */
export const backfillDayHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const { date, shard, force, reason } = parseEvent(backfillDayEvent, event, 'backfillDay');
    const override = overrideOf(force, reason);
    const day = await runJob(
      ctx,
      'backfill-day',
      () => meterAndStoreDay(ctx, date, override, shard),
      dayRunMetrics,
    );
    return { date, ...(shard ? { shard } : {}), coveragePct: day.coverage.kubeStateMetrics * 100 };
  });
