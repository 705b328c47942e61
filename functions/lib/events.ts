import { DateTime } from 'luxon';
import { z } from 'zod';
import { MAX_SHARDS } from '../../src/core/metering/index.ts';
import { isDate, isMonth, localDateOf, previousDate } from '../../src/core/period.ts';
import { InputError } from '../../src/errors.ts';

const date = z.string().refine(isDate, { message: 'must be a date written YYYY-MM-DD' });
const month = z.string().refine(isMonth, { message: 'must be a month written YYYY-MM' });
const dayOrMonth = z
  .string()
  .refine((s) => isDate(s) || isMonth(s), { message: 'must be YYYY-MM or YYYY-MM-DD' });

/**
 * Overriding the publish guard (config `guard`): `force` needs a `reason`, which is recorded in the
 * manifest (or the partial). `null` is accepted for both, as the state machine passes them through.
 */
const override = {
  force: z.boolean().nullable().optional(),
  reason: z.string().min(1).max(500).nullable().optional(),
};
const needsReason = (e: { force?: boolean | null; reason?: string | null }) =>
  !e.force || Boolean(e.reason?.trim());
const reasonMessage = { message: 'force needs a reason (recorded in the manifest)', path: ['reason'] };

/** Scheduled daily run; `date` only for a manual re-run of one day. */
export const dailyMeterEvent = z
  .object({ date: date.optional(), ...override })
  .strict()
  .refine(needsReason, reasonMessage);
/**
 * Scheduled monthly run; `month` only for a manual re-run; `monthToDate: true` (without `month`) publishes
 * the current month as a provisional version through its last ended day.
 */
export const monthlyReportEvent = z
  .object({
    month: month.optional(),
    monthToDate: z.boolean().optional(),
    remeter: z.boolean().optional(),
    ...override,
  })
  .strict()
  .refine(needsReason, reasonMessage)
  .refine((e) => !(e.monthToDate && e.month !== undefined), {
    message: 'give either month or monthToDate: true (the current month), not both',
    path: ['monthToDate'],
  });
/** Start of a backfill execution (Step Functions input). */
export const backfillPlanEvent = z
  .object({ from: dayOrMonth, to: dayOrMonth, ...override })
  .strict()
  .refine(needsReason, reasonMessage);
/** One shard of a day (src/core/metering/shards.ts): index 0..count-1 of count. */
const shard = z
  .object({ index: z.number().int().min(0), count: z.number().int().min(1).max(MAX_SHARDS) })
  .strict()
  .refine((s) => s.index < s.count, { message: 'index must be below count', path: ['index'] });
/** One Map iteration over days: plan the day's shards (backfillShards). */
export const backfillShardsEvent = z
  .object({ date, ...override })
  .strict()
  .refine(needsReason, reasonMessage);
/**
 * One Map iteration over a day's shards (or, without `shard`, the whole day in its planned shards, one
 * after the other), built by the state machine's Parameters.
 */
export const backfillDayEvent = z
  .object({ date, shard: shard.optional(), ...override })
  .strict()
  .refine(needsReason, reasonMessage);
export const backfillMonthEvent = z
  .object({ month, ...override })
  .strict()
  .refine(needsReason, reasonMessage);

/** The guard override of an event, without the nulls the state machine passes through. */
export function overrideOf(
  force: boolean | null | undefined,
  reason: string | null | undefined,
): { force?: boolean; reason?: string } {
  return { ...(force ? { force: true } : {}), ...(reason ? { reason } : {}) };
}

/** Validates a Lambda event; InputError listing every problem with its path (Lambda errorType "InputError"). */
export function parseEvent<S extends z.ZodType>(schema: S, event: unknown, handler: string): z.infer<S> {
  const result = schema.safeParse(event ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
  throw new InputError(
    `${handler}: invalid event (${problems.join('; ')}); got ${JSON.stringify(event)?.slice(0, 300)}`,
  );
}

/** The local day before `nowMs` in `zone` (the last day that has fully ended), YYYY-MM-DD. */
export function yesterdayIn(zone: string, nowMs: number): string {
  return previousDate(localDateOf(nowMs, zone));
}

/** The month containing `nowMs` in `zone` (the running month), YYYY-MM. */
export function currentMonthIn(zone: string, nowMs: number): string {
  return DateTime.fromMillis(nowMs, { zone }).toFormat('yyyy-MM');
}

/** The month before the one containing `nowMs` in `zone` (the last closed month), YYYY-MM. */
export function previousMonthIn(zone: string, nowMs: number): string {
  return DateTime.fromMillis(nowMs, { zone }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}
