import type { AppContext } from '../../src/app/context.ts';
import { planBackfill } from '../../src/core/backfillPlan.ts';
import { backfillPlanEvent, parseEvent } from './events.ts';

/** Step Functions, step 1: expands the range into days to meter and closed months to re-run. */
export const backfillPlanHandler = (ctx: AppContext) => async (event: unknown) => {
  const input = parseEvent(backfillPlanEvent, event, 'backfillPlan');
  return { ...input, ...planBackfill(input.from, input.to, ctx.config.timezone, ctx.clock.nowMs()) };
};
