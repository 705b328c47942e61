import type { Summary } from '../core/types.ts';
import type { AppContext } from './context.ts';

export interface MonthlyReportOptions {
  /** Re-meter every day even when a stored daily partial exists. */
  remeter?: boolean;
  /** Set by backfill when the month was already published: rows get ChargeClass=Correction. */
  restatement?: boolean;
}

export interface MonthlyReportResult {
  month: string;
  summary: Summary;
  /** Keys written, relative to the store. */
  keys: string[];
  restated: boolean;
}

/** Meters (or reuses daily partials for) every day of `month`, prices, allocates, renders and publishes. */
export async function runMonthlyReport(
  _ctx: AppContext,
  _month: string,
  _options: MonthlyReportOptions = {},
): Promise<MonthlyReportResult> {
  throw new Error('not implemented yet');
}
