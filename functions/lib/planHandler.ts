import type { AppContext } from '../../src/app/context.ts';
import { lambdaHandler } from './lambdaHandler.ts';
import { assertPlausibleMonth } from '../../src/app/guard.ts';
import { planBackfill } from '../../src/core/backfillPlan.ts';
import { backfillPlanEvent, parseEvent } from './events.ts';

/** Step Functions, step 1: expands the range into days to meter and closed months to re-run. */
export const backfillPlanHandler = (ctx: AppContext) =>
  lambdaHandler(ctx, async (event: unknown) => {
    const input = parseEvent(backfillPlanEvent, event, 'backfillPlan');
    const plan = planBackfill(input.from, input.to, ctx.config.timezone, ctx.clock.nowMs());
    for (const month of [...plan.months, ...plan.openMonths]) assertPlausibleMonth(month, ctx.config);
    // force and reason always present (null when unset): the state machine passes them to every step.
    return {
      from: input.from,
      to: input.to,
      force: input.force ?? false,
      reason: input.reason ?? null,
      ...plan,
    };
  });
