import type { MeteredDay } from '../core/types.ts';
import type { AppContext } from './context.ts';

/** Meters one local day (YYYY-MM-DD) from the source and stores it as the daily partial `usage/<date>.json`. */
export async function meterAndStoreDay(_ctx: AppContext, _date: string): Promise<MeteredDay> {
  throw new Error('not implemented yet');
}
