import { ctx } from './lib/context.ts';
import { monthlyReportHandler } from './lib/reportHandlers.ts';

/** Lambda entry point: the context is built once per container, at cold start. */
export const handler = monthlyReportHandler(ctx);
