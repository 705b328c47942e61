/**
 * Signatures of the use cases, shared by the CLI and the Lambda handlers. Implementations live in the
 * files named below; this module re-exports them so callers import from one place.
 */
export { backfill, planBackfill } from './backfill.ts';
export { meterAndStoreDay } from './meterDay.ts';
export { runMonthlyReport } from './runMonthlyReport.ts';
