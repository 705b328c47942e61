import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { gridForDay, meterWindow } from '../core/metering/index.ts';
import { dayOf } from '../core/period.ts';
import { priceCutInstants } from '../core/pricing/index.ts';
import { compareStrings } from '../core/compare.ts';
import type { MeteredDay } from '../core/types.ts';
import { type AppContext, keys } from './context.ts';
import { clusterGpusKey, meterOptionsFor, scrapeIntervalsFor } from './meterOptions.ts';

/**
 * Version of the daily partial format; bump when MeteredDay changes shape or meaning (3: capacity from
 * the machine's physical GPUs, idle by reason).
 */
export const PARTIAL_SCHEMA_VERSION = 3;

/** What `usage/<date>.json` holds. */
export interface DayPartial {
  schemaVersion: typeof PARTIAL_SCHEMA_VERSION;
  /** Hash of every setting that changes metering; a partial with another key is re-metered. */
  meteringKey: string;
  source: string;
  day: MeteredDay;
}

/**
 * A hash of the settings a metered day depends on (metering rules, label sources, catalog GPU counts and
 * models, the price-change instants that split the day). Partials made under other settings are stale.
 */
export function meteringKey(config: Config, cutsMs: readonly number[]): string {
  const relevant = {
    v: PARTIAL_SCHEMA_VERSION,
    metering: config.metering,
    source: {
      clusterLabel: config.source.clusterLabel ?? null,
      dedupeLabels: config.source.dedupeLabels,
      selector: config.source.selector ?? null,
    },
    gpus: Object.fromEntries(
      Object.entries(config.pricing.instanceTypes)
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([k, v]) => [k, [v.gpus, v.gpuModel]]),
    ),
    ...clusterGpusKey(config),
    cutsMs,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

export { meterOptionsFor, scrapeIntervalsFor } from './meterOptions.ts';

/** Meters one local day from the source (no storage). */
export async function meterDay(ctx: AppContext, date: string): Promise<{ day: MeteredDay; key: string }> {
  const { config } = ctx;
  const day = dayOf(date, config.timezone);
  const cuts = priceCutInstants(config.pricing, day);
  const scrape = await scrapeIntervalsFor(ctx, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const observations = await ctx.source.observe(grid, scrape);
  const metered = meterWindow(observations, meterOptionsFor(config, day, cuts));
  return { day: metered, key: meteringKey(config, cuts) };
}

/** Meters one local day (YYYY-MM-DD) from the source and stores it as the daily partial `usage/<date>.json`. */
export async function meterAndStoreDay(ctx: AppContext, date: string): Promise<MeteredDay> {
  const { day, key } = await meterDay(ctx, date);
  const partial: DayPartial = {
    schemaVersion: PARTIAL_SCHEMA_VERSION,
    meteringKey: key,
    source: ctx.source.description,
    day,
  };
  await ctx.store.put(keys.dayPartial(date), JSON.stringify(partial), 'application/json');
  ctx.logger.info('metered day', {
    date,
    pods: day.pods.length,
    nodes: day.nodes.length,
    coveragePct: Math.round(day.coverage.kubeStateMetrics * 10_000) / 100,
  });
  for (const warning of day.warnings) ctx.logger.warn(warning, { date });
  return day;
}

/**
 * Loads a stored partial for `date` when it was made with the current metering settings and source;
 * returns undefined (so the day is re-metered) when absent, stale or unreadable.
 */
export async function loadDayPartial(ctx: AppContext, date: string): Promise<MeteredDay | undefined> {
  const bytes = await ctx.store.get(keys.dayPartial(date));
  if (!bytes) return undefined;
  try {
    const partial = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<DayPartial>;
    const day = dayOf(date, ctx.config.timezone);
    const expected = meteringKey(ctx.config, priceCutInstants(ctx.config.pricing, day));
    if (
      partial.schemaVersion !== PARTIAL_SCHEMA_VERSION ||
      partial.meteringKey !== expected ||
      partial.source !== ctx.source.description ||
      partial.day?.day?.date !== date ||
      !Array.isArray(partial.day.pods) ||
      !Array.isArray(partial.day.nodes)
    ) {
      ctx.logger.info('stored partial is stale; re-metering', { date });
      return undefined;
    }
    return partial.day;
  } catch (error) {
    ctx.logger.warn('stored partial is unreadable; re-metering', { date, error: (error as Error).message });
    return undefined;
  }
}
