import { ctx } from './lib/context.ts';
import { backfillShardsHandler } from './lib/meterHandlers.ts';

/** Lambda entry point: the context is built once per container, at cold start. */
export const handler = backfillShardsHandler(ctx);
