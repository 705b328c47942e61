import { ctx } from './lib/context.ts';
import { backfillMonthHandler } from './lib/reportHandlers.ts';

/** Lambda entry point: the context is built once per container, at cold start. */
export const handler = backfillMonthHandler(ctx);
