import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { gridForDay, METERING_RULES_VERSION, meterWindow } from '../core/metering/index.ts';
import { dayOf, isoInZone } from '../core/period.ts';
import { priceCutInstants } from '../core/pricing/index.ts';
import { compareStrings } from '../core/compare.ts';
import { dayFiguresOf, dayViolations, emptierDaysViolation } from '../core/restatement.ts';
import type { Day, MeteredDay } from '../core/types.ts';
import { InputError } from '../errors.ts';
import { type AppContext, keys } from './context.ts';
import { assertPlausibleMonth, checkOverride, type GuardOverride, refuseUnlessForced } from './guard.ts';
import { clusterGpusKey, meterOptionsFor, scrapeIntervalsFor } from './meterOptions.ts';

/**
 * Version of the daily partial format; bump when MeteredDay or DayPartial changes shape or meaning (3: the
 * key of everything that defines a day, `meteredAt`, and capacity from the machine's physical GPUs with idle
 * by reason).
 */
export const PARTIAL_SCHEMA_VERSION = 3;

/** What `usage/<date>.json` holds. */
export interface DayPartial {
  schemaVersion: typeof PARTIAL_SCHEMA_VERSION;
  /** Hash of everything that defines the day (see meteringKey); a partial with another key is re-metered. */
  meteringKey: string;
  /** The source's description (for people; its identity is in the key). */
  source: string;
  /** The billing zone the day was metered in (its exact instants are `day.day`). */
  zone: string;
  /** ISO 8601 instant the day was metered: before its end plus guard.ingestionDelaySeconds it is re-metered. */
  meteredAt: string;
  /**
   * The metering rules the day was metered under (src/core/metering/rules.ts); a partial without it, or
   * under other rules, is re-metered.
   */
  meteringRules?: number;
  /** Set when the guard was overridden to store this partial over a fuller one. */
  forced?: { reason: string | null; overridden: string[] };
  /**
   * True when metered by a version that reads each node's cloud instance (kube_node_info provider_id):
   * with a billing export, a partial without it is re-metered (its nodes could match no invoice line).
   */
  nodeProviderIds?: true;
  day: MeteredDay;
}

/** Header names whose values are credentials: only their presence defines a source, never their value. */
const SECRET_HEADER = /auth|token|secret|key|cookie|password|credential|signature/i;

/** The identity of the configured source: where samples come from and which of them are read. */
function sourceIdentity(config: Config, description: string): unknown {
  const { source } = config;
  return {
    description,
    kind: source.kind,
    url: source.url ?? null,
    tenant: source.tenant ?? null,
    headers: Object.keys(source.headers)
      .sort(compareStrings)
      .map((name) => [name.toLowerCase(), SECRET_HEADER.test(name) ? '(secret)' : source.headers[name]]),
    clusterLabel: source.clusterLabel ?? null,
    dedupeLabels: source.dedupeLabels,
    selector: source.selector ?? null,
  };
}

/**
 * A hash of everything a metered day depends on: the zone and the day's exact instants, the source's
 * identity (URL, tenant, selector, cluster and replica labels), the metering rules (grid step through the
 * configured scrape intervals, bridging, label sources), the catalog's GPU counts and models, and the
 * price-change instants that split the day. A partial made under anything else is stale and re-metered.
 */
export function meteringKey(
  config: Config,
  day: Day,
  cutsMs: readonly number[],
  sourceDescription: string,
): string {
  const relevant = {
    v: PARTIAL_SCHEMA_VERSION,
    zone: config.timezone,
    day: [day.date, day.startMs, day.endMs],
    source: sourceIdentity(config, sourceDescription),
    metering: config.metering,
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

/**
 * Meters one local day from the source (no storage). Refuses (InputError) a day that has not ended: its
 * samples are not all there yet, and a month must never trust it.
 */
export async function meterDay(ctx: AppContext, date: string): Promise<{ day: MeteredDay; key: string }> {
  const { config } = ctx;
  assertPlausibleMonth(date.slice(0, 7), config, 'date');
  const day = dayOf(date, config.timezone);
  const nowMs = ctx.clock.nowMs();
  if (day.endMs > nowMs) {
    throw new InputError(
      `${date} has not ended yet in ${config.timezone} (it ends ${isoInZone(day.endMs, config.timezone)}); only finished days are metered`,
    );
  }
  const cuts = priceCutInstants(config.pricing, day);
  const scrape = await scrapeIntervalsFor(ctx, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const observations = await ctx.source.observe(grid, scrape);
  const metered = meterWindow(observations, meterOptionsFor(config, day, cuts));
  return { day: metered, key: meteringKey(config, day, cuts, ctx.source.description) };
}

/** The partial that stores a freshly metered day. */
export function partialOf(ctx: AppContext, metered: { day: MeteredDay; key: string }): DayPartial {
  return {
    schemaVersion: PARTIAL_SCHEMA_VERSION,
    meteringKey: metered.key,
    source: ctx.source.description,
    zone: ctx.config.timezone,
    meteredAt: new Date(ctx.clock.nowMs()).toISOString(),
    meteringRules: METERING_RULES_VERSION,
    nodeProviderIds: true,
    day: metered.day,
  };
}

/** Writes a partial to `usage/<date>.json` and logs the day. */
export async function storeDayPartial(ctx: AppContext, partial: DayPartial): Promise<void> {
  const { day } = partial;
  await ctx.store.put(keys.dayPartial(day.day.date), JSON.stringify(partial), 'application/json');
  ctx.logger.info('metered day', {
    date: day.day.date,
    pods: day.pods.length,
    nodes: day.nodes.length,
    coveragePct: Math.round(day.coverage.kubeStateMetrics * 10_000) / 100,
  });
  for (const warning of day.warnings) ctx.logger.warn(warning, { date: day.day.date });
}

/** The guard's verdict on replacing a stored partial with a newly metered day ([] = allowed). */
export function replacementViolations(ctx: AppContext, next: MeteredDay, stored: StoredPartial | undefined): string[] {
  if (!stored?.day) return [];
  return dayViolations(next.day.date, dayFiguresOf(next), dayFiguresOf(stored.day), ctx.config.guard);
}

/**
 * Meters one local day (YYYY-MM-DD) and stores it as the daily partial `usage/<date>.json` (the daily and
 * backfill Lambdas). A stored partial is never replaced by an emptier one (less coverage, fewer
 * GPU-seconds; config `guard`) unless `override.force` with a reason: RefusedError, nothing written.
 */
export async function meterAndStoreDay(
  ctx: AppContext,
  date: string,
  override: GuardOverride = {},
): Promise<MeteredDay> {
  checkOverride(override);
  const metered = await meterDay(ctx, date);
  const stored = await readDayPartial(ctx, date);
  const record = refuseUnlessForced(
    `store ${date}`,
    emptierDaysViolation(replacementViolations(ctx, metered.day, stored), ctx.config.guard),
    override,
    ctx.logger,
  );
  const partial = partialOf(ctx, metered);
  if (record.forced) partial.forced = { reason: record.reason, overridden: record.overridden };
  await storeDayPartial(ctx, partial);
  return metered.day;
}

/** A stored partial as read back: the day when it parses, and why it cannot be reused (undefined: it can). */
export interface StoredPartial {
  day: MeteredDay | undefined;
  staleReason: string | undefined;
}

/**
 * Reads `usage/<date>.json`: undefined when absent. The day is reusable (`staleReason` undefined) only when
 * it was metered with the current key (zone, instants, source, settings) after its data was complete
 * (day end + guard.ingestionDelaySeconds).
 */
export async function readDayPartial(ctx: AppContext, date: string): Promise<StoredPartial | undefined> {
  const bytes = await ctx.store.get(keys.dayPartial(date));
  if (!bytes) return undefined;
  let partial: Partial<DayPartial>;
  try {
    partial = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<DayPartial>;
  } catch (error) {
    return { day: undefined, staleReason: `unreadable (${(error as Error).message})` };
  }
  const day = partial.day;
  const shaped =
    day?.day?.date === date && Array.isArray(day.pods) && Array.isArray(day.nodes) && day.coverage !== undefined;
  if (!shaped) return { day: undefined, staleReason: 'not a metered day of this date' };
  const expectedDay = dayOf(date, ctx.config.timezone);
  const expected = meteringKey(
    ctx.config,
    expectedDay,
    priceCutInstants(ctx.config.pricing, expectedDay),
    ctx.source.description,
  );
  const meteredAtMs = typeof partial.meteredAt === 'string' ? Date.parse(partial.meteredAt) : Number.NaN;
  const completeMs = expectedDay.endMs + ctx.config.guard.ingestionDelaySeconds * 1000;
  let staleReason: string | undefined;
  if (partial.schemaVersion !== PARTIAL_SCHEMA_VERSION) staleReason = `an older partial format (${partial.schemaVersion})`;
  else if (partial.meteringKey !== expected || partial.source !== ctx.source.description) {
    staleReason = 'metered under other settings (zone, source or metering options)';
  } else if (partial.meteringRules !== METERING_RULES_VERSION) {
    staleReason = `metered under other metering rules (${partial.meteringRules ?? 'before they were versioned'}, now ${METERING_RULES_VERSION})`;
  } else if (day.day.startMs !== expectedDay.startMs || day.day.endMs !== expectedDay.endMs) {
    staleReason = 'metered over other instants';
  } else if (ctx.config.billing && partial.nodeProviderIds !== true) {
    staleReason = 'metered before node provider ids were read (kube_node_info provider_id), which billing needs';
  } else if (!(meteredAtMs >= completeMs)) {
    staleReason = `metered at ${partial.meteredAt ?? '(unknown)'}, before its data was complete (day end + guard.ingestionDelaySeconds)`;
  }
  return { day, staleReason };
}

/**
 * Loads a stored partial for `date` when it can be reused (see readDayPartial); undefined (so the day is
 * re-metered) when absent, stale or unreadable.
 */
export async function loadDayPartial(ctx: AppContext, date: string): Promise<MeteredDay | undefined> {
  const stored = await readDayPartial(ctx, date);
  if (!stored) return undefined;
  if (stored.staleReason !== undefined) {
    ctx.logger.info('stored partial is stale; re-metering', { date, why: stored.staleReason });
    return undefined;
  }
  return stored.day;
}
