import { createHash } from 'node:crypto';
import { type Config, IDLE_HELD_DEFAULTS } from '../config/schema.ts';
import {
  describeShard,
  gridForDay,
  METERING_RULES_VERSION,
  mergeShardDays,
  meteringCapacityMb,
  meterWindow,
  planShardCount,
  podsReadingGpuUtil,
  shardDataMb,
  restrictDay,
  WHOLE_DAY,
} from '../core/metering/index.ts';
import { dayOf, isoInZone } from '../core/period.ts';
import { priceCutInstants } from '../core/pricing/index.ts';
import { compareStrings } from '../core/compare.ts';
import { dayFiguresOf, dayViolations, emptierDaysViolation } from '../core/restatement.ts';
import type { Day, MeteredDay, Shard, TimeRange } from '../core/types.ts';
import { mapLimit, WeightedGate } from '../concurrency.ts';
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
   * Only on one shard of a day metered in several (`usage/<date>/shard-<i>-of-<n>.json`): which one. The
   * day's partial is then the set of all its shards (see readDayPartial).
   */
  shard?: Shard;
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
 * configured scrape intervals, bridging, label sources), the catalog's GPU counts and models, the
 * price-change instants that split the day, and — for one shard of a day metered in several — the shard
 * and the number of shards. A partial made under anything else is stale and re-metered.
 */
export function meteringKey(
  config: Config,
  day: Day,
  cutsMs: readonly number[],
  sourceDescription: string,
  shard: Shard = WHOLE_DAY,
): string {
  const relevant = {
    v: PARTIAL_SCHEMA_VERSION,
    zone: config.timezone,
    day: [day.date, day.startMs, day.endMs],
    source: sourceIdentity(config, sourceDescription),
    metering: meteringOfKey(config.metering),
    gpus: Object.fromEntries(
      Object.entries(config.pricing.instanceTypes)
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([k, v]) => [k, [v.gpus, v.gpuModel]]),
    ),
    ...clusterGpusKey(config),
    cutsMs,
    // Absent for a whole day, so the keys of partials metered before days had shards do not change.
    ...(shard.count > 1 ? { shard: [shard.index, shard.count] } : {}),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/**
 * The metering settings in the key: `idleHeld` only when it is not the default, so the keys of days
 * metered under the default rule stay what they were (stale partials of older metering rules are still
 * re-metered: the partial records METERING_RULES_VERSION).
 */
function meteringOfKey(metering: Config['metering']): Partial<Config['metering']> {
  const { idleHeld, ...rest } = metering;
  const isDefault =
    idleHeld.utilizationBelowPct === IDLE_HELD_DEFAULTS.utilizationBelowPct &&
    idleHeld.forMinutes === IDLE_HELD_DEFAULTS.forMinutes;
  return isDefault ? rest : metering;
}

export { meterOptionsFor, scrapeIntervalsFor } from './meterOptions.ts';

/** Refuses (InputError) a day that has not ended: its samples are not all there yet. */
function endedDay(ctx: AppContext, date: string): Day {
  const { config } = ctx;
  assertPlausibleMonth(date.slice(0, 7), config, 'date');
  const day = dayOf(date, config.timezone);
  if (day.endMs > ctx.clock.nowMs()) {
    throw new InputError(
      `${date} has not ended yet in ${config.timezone} (it ends ${isoInZone(day.endMs, config.timezone)}); only finished days are metered`,
    );
  }
  return day;
}

/**
 * How many shards `date` is metered in: config `sharding.shards` when it is a number, else the fewest
 * whose estimated memory fits `sharding.memoryBudgetMb` for the fleet the source measures that day (1 when
 * it cannot tell). Refuses (InputError) a day that has not ended.
 */
export async function planDayShards(ctx: AppContext, date: string): Promise<number> {
  return (await planDay(ctx, date)).count;
}

/** How a day is metered: in how many shards, and the memory each is estimated to need beyond the process'. */
export interface DayPlan {
  count: number;
  /** MB (shardDataMb); 0 when the fleet was not measured (a fixed shard count, or a source that cannot). */
  shardMb: number;
}

/**
 * Runs `meter` for each of `dates`, at most `concurrency` at once and each with its plan, starting a day
 * only while the estimated memory of the shards in flight (one shard of each day at a time) fits the
 * process' (meteringCapacityMb of AppContext.memoryMb, else of sharding.memoryBudgetMb): however many
 * days run at once, a large fleet stays within the memory the plan keeps one metering invocation in.
 * Logs how many days waited for memory, if any. Stops as mapLimit does at the first failure.
 */
export async function meterDaysWithinMemory(
  ctx: AppContext,
  dates: readonly string[],
  concurrency: number,
  meter: (date: string, plan: DayPlan) => Promise<void>,
): Promise<void> {
  const memoryMb = ctx.memoryMb ?? ctx.config.sharding.memoryBudgetMb;
  const gate = new WeightedGate(meteringCapacityMb(memoryMb));
  await mapLimit(dates, concurrency, async (date) => {
    const plan = await planDay(ctx, date);
    await gate.acquire(plan.shardMb);
    try {
      await meter(date, plan);
    } finally {
      gate.release(plan.shardMb);
    }
  });
  if (gate.waited > 0)
    ctx.logger.info('days waited to be metered until their memory fit', { days: gate.waited, memoryMb });
}

/** {@link planDayShards}, with the estimated memory of each shard. */
export async function planDay(ctx: AppContext, date: string): Promise<DayPlan> {
  const day = endedDay(ctx, date);
  const { sharding } = ctx.config;
  const fleet =
    sharding.shards === 'auto' && ctx.source.measureFleet ? await ctx.source.measureFleet(day) : undefined;
  const count = planShardCount(fleet, sharding);
  if (count > 1) ctx.logger.info('day metered in shards', { date, shards: count, gpuUnits: fleet?.gpuUnits });
  return { count, shardMb: shardDataMb(fleet, count) };
}

/** The widest grid step (stepSecondsFor): a kube-state-metrics interval over an hour meters on hours. */
const MAX_STEP_MS = 3_600_000;

/**
 * Every instant metering `day` may read samples at: its grid (the day widened by
 * metering.maxBridgeSeconds in whole steps) under the configured kube-state-metrics interval, else under
 * the widest step the interval could give.
 */
export function sampleWindowOf(config: Config, day: Day): TimeRange {
  const ksmSeconds = config.metering.scrapeIntervalSeconds.kubeStateMetrics;
  if (ksmSeconds !== undefined) {
    const grid = gridForDay(
      day,
      { kubeStateMetricsSeconds: ksmSeconds, dcgmSeconds: null, source: 'config' },
      config.metering.maxBridgeSeconds,
    );
    return { startMs: grid.startMs, endMs: grid.endMs };
  }
  const marginMs = config.metering.maxBridgeSeconds * 1000 + MAX_STEP_MS;
  return { startMs: day.startMs - marginMs, endMs: day.endMs + marginMs };
}

/**
 * Before metering several days: asks the source, in one cheap request per day (see surveySamples),
 * which days have any sample at all; the source then meters a day without samples without asking it
 * any question (the same metered day, coverage and warnings as asking every query would give). A source
 * that cannot tell, or a survey that fails, changes nothing: every day is asked in full.
 */
export async function surveyDays(ctx: AppContext, days: readonly Day[]): Promise<void> {
  const { source, logger, config } = ctx;
  if (!source.surveyWindows || days.length < 2) return;
  try {
    const found = await source.surveyWindows(days.map((day) => sampleWindowOf(config, day)));
    const empty = days.filter((_, i) => !found[i]).map((d) => d.date);
    if (empty.length > 0) {
      logger.info('days without samples are metered without queries', { days: empty.length, dates: empty });
    }
  } catch (error) {
    logger.info('could not tell which days have samples; every day is asked in full', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** A freshly metered day, or one shard of it, with its metering key. */
export interface MeteredPart {
  day: MeteredDay;
  key: string;
  shard: Shard;
}

/**
 * Meters one local day, or one shard of it, from the source (no storage). Refuses (InputError) a day
 * that has not ended: its samples are not all there yet, and a month must never trust it.
 */
export async function meterDay(
  ctx: AppContext,
  date: string,
  shard: Shard = WHOLE_DAY,
): Promise<MeteredPart> {
  const { config } = ctx;
  const day = endedDay(ctx, date);
  const cuts = priceCutInstants(config.pricing, day);
  const scrape = await scrapeIntervalsFor(ctx, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const options = meterOptionsFor(config, day, cuts);
  const observations = await ctx.source.observe(grid, scrape, shard.count > 1 ? shard : undefined, (obs) =>
    podsReadingGpuUtil(obs, options),
  );
  const metered = meterWindow(observations, { ...options, ...(shard.count > 1 ? { shard } : {}) });
  return { day: metered, key: meteringKey(config, day, cuts, ctx.source.description, shard), shard };
}

/**
 * Meters every shard of `date` in turn (`plan`, else the plan of planDayShards), handing each to `onPart`
 * as soon as it is metered, and returns the whole day (the shards merged). Only one shard's observations
 * are in memory at a time.
 */
export async function meterDayInShards(
  ctx: AppContext,
  date: string,
  onPart: (part: MeteredPart) => Promise<void>,
  plan?: DayPlan,
): Promise<MeteredDay> {
  const count = plan?.count ?? (await planDayShards(ctx, date));
  const days: MeteredDay[] = [];
  for (let index = 0; index < count; index++) {
    const part = await meterDay(ctx, date, { index, count });
    await onPart(part);
    days.push(part.day);
  }
  return count === 1 ? days[0]! : mergeShardDays(days);
}

/** The partial that stores a freshly metered day or shard. */
export function partialOf(ctx: AppContext, metered: MeteredPart): DayPartial {
  return {
    schemaVersion: PARTIAL_SCHEMA_VERSION,
    meteringKey: metered.key,
    source: ctx.source.description,
    zone: ctx.config.timezone,
    meteredAt: new Date(ctx.clock.nowMs()).toISOString(),
    meteringRules: METERING_RULES_VERSION,
    nodeProviderIds: true,
    ...(metered.shard.count > 1 ? { shard: { index: metered.shard.index, count: metered.shard.count } } : {}),
    day: metered.day,
  };
}

/** Writes a partial to `usage/<date>.json` (a shard's to `usage/<date>/shard-<i>-of-<n>.json`) and logs it. */
export async function storeDayPartial(ctx: AppContext, partial: DayPartial): Promise<void> {
  const { day, shard } = partial;
  const key = shard
    ? keys.shardPartial(day.day.date, shard.index, shard.count)
    : keys.dayPartial(day.day.date);
  await ctx.store.put(key, JSON.stringify(partial), 'application/json');
  ctx.logger.info('metered day', {
    date: day.day.date,
    ...(shard ? { shard: describeShard(shard) } : {}),
    pods: day.pods.length,
    nodes: day.nodes.length,
    coveragePct: Math.round(day.coverage.kubeStateMetrics * 10_000) / 100,
  });
  for (const warning of day.warnings) ctx.logger.warn(warning, { date: day.day.date });
}

/**
 * The guard's verdict on replacing a stored partial with a newly metered day, or one shard of it, against
 * the same part of the stored day ([] = allowed): a shard is compared with the stored day's pods and
 * nodes that belong to it, whatever plan the stored day was metered under.
 */
export function replacementViolations(
  ctx: AppContext,
  next: MeteredDay,
  stored: StoredPartial | undefined,
): string[] {
  if (!stored?.day) return [];
  const shard = next.shard;
  const date = shard ? `${next.day.date} (${describeShard(shard)})` : next.day.date;
  const before = shard ? restrictDay(stored.day, shard) : stored.day;
  return dayViolations(date, dayFiguresOf(next), dayFiguresOf(before), ctx.config.guard);
}

/**
 * Meters one local day (YYYY-MM-DD) and stores it as the daily partial `usage/<date>.json` (the daily and
 * backfill Lambdas), or — when the plan splits the day — each shard as `usage/<date>/shard-<i>-of-<n>.json`,
 * one after the other; with `shard`, only that shard (a backfill fans out over them). A stored partial is
 * never replaced by an emptier one (less coverage, fewer GPU-seconds; config `guard`, per shard) unless
 * `override.force` with a reason: RefusedError, and that shard is not written. Returns the day metered
 * (the shards merged), or the one shard.
 */
export async function meterAndStoreDay(
  ctx: AppContext,
  date: string,
  override: GuardOverride = {},
  shard?: Shard,
  plan?: DayPlan,
): Promise<MeteredDay> {
  checkOverride(override);
  const stored = await readDayPartial(ctx, date);
  const store = async (metered: MeteredPart) => {
    const what =
      metered.shard.count > 1 ? `store ${date} (${describeShard(metered.shard)})` : `store ${date}`;
    const record = refuseUnlessForced(
      what,
      emptierDaysViolation(replacementViolations(ctx, metered.day, stored), ctx.config.guard),
      override,
      ctx.logger,
    );
    const partial = partialOf(ctx, metered);
    if (record.forced) partial.forced = { reason: record.reason, overridden: record.overridden };
    await storeDayPartial(ctx, partial);
  };
  if (shard) {
    const part = await meterDay(ctx, date, shard);
    await store(part);
    return part.day;
  }
  return meterDayInShards(ctx, date, store, plan);
}

/** A stored partial as read back: the day when it parses, and why it cannot be reused (undefined: it can). */
export interface StoredPartial {
  day: MeteredDay | undefined;
  staleReason: string | undefined;
}

/** One partial file as read back, with when it was metered (NaN when unknown). */
interface PartialFile extends StoredPartial {
  meteredAtMs: number;
}

const SHARD_FILE = /^shard-(\d+)-of-(\d+)\.json$/;

/**
 * Reads the stored partial of `date`: undefined when there is none. A day is stored whole
 * (`usage/<date>.json`) or as a set of shards (`usage/<date>/shard-<i>-of-<n>.json`, one set per plan). It
 * is reusable (`staleReason` undefined) only when it was metered with the current key (zone, instants,
 * source, settings; a shard's own) after its data was complete (day end + guard.ingestionDelaySeconds),
 * and — for shards — only when every shard of the set is: a set with a shard missing or stale is never
 * taken for the day. Of several reusable ones (a day re-metered under another plan), the one metered
 * last wins (a set counts from its oldest shard). `listing`: the store's keys under `usage/` if the caller
 * listed them already.
 */
export async function readDayPartial(
  ctx: AppContext,
  date: string,
  listing?: readonly string[],
): Promise<StoredPartial | undefined> {
  const whole = await readPartialFile(ctx, date, WHOLE_DAY);
  const dir = keys.dayShardsDir(date);
  const shardKeys = (listing ? listing.filter((k) => k.startsWith(dir)) : await ctx.store.list(dir)).filter(
    (k) => SHARD_FILE.test(k.slice(dir.length)),
  );
  if (shardKeys.length === 0) return whole;

  const byCount = new Map<number, Set<number>>();
  for (const k of shardKeys) {
    const [, index, count] = SHARD_FILE.exec(k.slice(dir.length))!.map(Number) as [number, number, number];
    if (!(count >= 1 && index >= 1 && index <= count)) continue;
    const set = byCount.get(count) ?? new Set<number>();
    set.add(index - 1);
    byCount.set(count, set);
  }
  type Candidate = { day: MeteredDay; meteredAtMs: number; staleReason: string | undefined };
  const candidates: Candidate[] = [];
  if (whole?.day)
    candidates.push({ day: whole.day, meteredAtMs: whole.meteredAtMs, staleReason: whole.staleReason });
  const incomplete: string[] = [];
  for (const [count, indices] of [...byCount].sort(([a], [b]) => a - b)) {
    if (indices.size < count) {
      const missing = [...Array(count).keys()]
        .filter((i) => !indices.has(i))
        .map((index) => describeShard({ index, count }));
      incomplete.push(`metered in ${count} shards, ${missing.join(', ')} missing`);
      continue;
    }
    const files = await Promise.all(
      [...Array(count).keys()].map((index) => readPartialFile(ctx, date, { index, count })),
    );
    const problem = files.find((f) => !f?.day) ?? files.find((f) => f!.staleReason !== undefined);
    let day: MeteredDay | undefined;
    try {
      day = files.every((f) => f?.day) ? mergeShardDays(files.map((f) => f!.day!)) : undefined;
    } catch (error) {
      incomplete.push(`metered in ${count} shards that do not add up (${(error as Error).message})`);
      continue;
    }
    if (!day) {
      incomplete.push(`metered in ${count} shards, one unreadable (${problem?.staleReason ?? 'absent'})`);
      continue;
    }
    candidates.push({
      day,
      meteredAtMs: Math.min(...files.map((f) => f!.meteredAtMs)),
      staleReason: problem ? `a shard of ${count} ${problem.staleReason}` : undefined,
    });
  }
  const fresh = candidates
    .filter((c) => c.staleReason === undefined)
    .sort((a, b) => b.meteredAtMs - a.meteredAtMs);
  if (fresh[0]) return { day: fresh[0].day, staleReason: undefined };
  const reasons = [
    ...(whole && !whole.day ? [whole.staleReason!] : []),
    ...candidates.map((c) => c.staleReason!),
    ...incomplete,
  ];
  return { day: candidates[0]?.day, staleReason: reasons.join('; ') || 'no usable stored partial' };
}

/** Reads one partial file (the whole day, or one shard): undefined when absent. */
async function readPartialFile(
  ctx: AppContext,
  date: string,
  shard: Shard,
): Promise<PartialFile | undefined> {
  const key = shard.count > 1 ? keys.shardPartial(date, shard.index, shard.count) : keys.dayPartial(date);
  const bytes = await ctx.store.get(key);
  if (!bytes) return undefined;
  let partial: Partial<DayPartial>;
  try {
    // The bytes decoded where they are (Buffer.from(bytes) would copy a whole day's partial first).
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    partial = JSON.parse(text) as Partial<DayPartial>;
  } catch (error) {
    return {
      day: undefined,
      staleReason: `unreadable (${(error as Error).message})`,
      meteredAtMs: Number.NaN,
    };
  }
  const day = partial.day;
  const shaped =
    day?.day?.date === date &&
    Array.isArray(day.pods) &&
    Array.isArray(day.nodes) &&
    day.coverage !== undefined;
  if (!shaped)
    return { day: undefined, staleReason: 'not a metered day of this date', meteredAtMs: Number.NaN };
  if (shard.count > 1 && (day.shard?.index !== shard.index || day.shard.count !== shard.count)) {
    return {
      day: undefined,
      staleReason: `not ${describeShard(shard)} of this date`,
      meteredAtMs: Number.NaN,
    };
  }
  const expectedDay = dayOf(date, ctx.config.timezone);
  const expected = meteringKey(
    ctx.config,
    expectedDay,
    priceCutInstants(ctx.config.pricing, expectedDay),
    ctx.source.description,
    shard,
  );
  const meteredAtMs = typeof partial.meteredAt === 'string' ? Date.parse(partial.meteredAt) : Number.NaN;
  const completeMs = expectedDay.endMs + ctx.config.guard.ingestionDelaySeconds * 1000;
  let staleReason: string | undefined;
  if (partial.schemaVersion !== PARTIAL_SCHEMA_VERSION)
    staleReason = `an older partial format (${partial.schemaVersion})`;
  else if (partial.meteringKey !== expected || partial.source !== ctx.source.description) {
    staleReason = 'metered under other settings (zone, source or metering options)';
  } else if (partial.meteringRules !== METERING_RULES_VERSION) {
    staleReason = `metered under other metering rules (${partial.meteringRules ?? 'before they were versioned'}, now ${METERING_RULES_VERSION})`;
  } else if (day.day.startMs !== expectedDay.startMs || day.day.endMs !== expectedDay.endMs) {
    staleReason = 'metered over other instants';
  } else if (ctx.config.billing && partial.nodeProviderIds !== true) {
    staleReason =
      'metered before node provider ids were read (kube_node_info provider_id), which billing needs';
  } else if (!(meteredAtMs >= completeMs)) {
    staleReason = `metered at ${partial.meteredAt ?? '(unknown)'}, before its data was complete (day end + guard.ingestionDelaySeconds)`;
  }
  return { day, staleReason, meteredAtMs };
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
