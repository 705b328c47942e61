import { ctx } from './lib/context.ts';
import { backfillPlanHandler } from './lib/planHandler.ts';

/** Lambda entry point: the context is built once per container, at cold start. */
export const handler = backfillPlanHandler(ctx);
