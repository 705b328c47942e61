import type { AppContext } from './context.ts';

export interface BackfillPlan {
  /** Local days to (re)meter, YYYY-MM-DD. */
  days: string[];
  /** Months to re-run afterwards, YYYY-MM. */
  months: string[];
}

/** Expands `from`..`to` (YYYY-MM or YYYY-MM-DD, inclusive) into days and affected months. Pure. */
export function planBackfill(_from: string, _to: string, _zone: string, _nowMs: number): BackfillPlan {
  throw new Error('not implemented yet');
}

/** Re-meters every day of the range, then re-runs each affected month (a restatement if already published). */
export async function backfill(_ctx: AppContext, _from: string, _to: string): Promise<BackfillPlan> {
  throw new Error('not implemented yet');
}
