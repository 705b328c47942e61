/**
 * Days metered in shards (issue #18): a month billed from days split into shards is the month billed from
 * whole days, byte for byte; each shard is its own partial, guarded on its own; a day with a shard missing
 * or stale is never taken for the day; the plan follows the fleet's size or the configured count.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { type AppContext, keys } from '../../../src/app/context.ts';
import { meterAndStoreDay, meteringKey, planDayShards, readDayPartial } from '../../../src/app/meterDay.ts';
import { backfill } from '../../../src/app/backfill.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { dayOf } from '../../../src/core/period.ts';
import { RefusedError } from '../../../src/errors.ts';
import type { BlobStore, ObservationSource } from '../../../src/ports.ts';
import type { Simulation } from '../../../src/sim/index.ts';
import { losingSource, smallClusterConfig, smallClusterSimulation } from '../../support/smallCluster.ts';
import {
  keyHashes,
  SMALL_CLUSTER_MONTH,
  SMALL_CLUSTER_NOW,
  smallClusterContext,
  tempStores,
} from '../../support/smallClusterContext.ts';

const MONTH = SMALL_CLUSTER_MONTH;
const NOW = SMALL_CLUSTER_NOW;
const freshStore = tempStores('shards-');

let sim: Simulation;
beforeAll(() => {
  sim = smallClusterSimulation(MONTH);
});

/** The small cluster (nodes p4d-a and g5-b: shards 1 and 0 of 2; 2 and 1 of 3, shard 0 empty). */
function context(
  store: BlobStore,
  options: { shards?: number | 'auto'; source?: ObservationSource; config?: Partial<ConfigInput> } = {},
): AppContext {
  return smallClusterContext(store, sim, {
    source: options.source,
    config: { sharding: { shards: options.shards ?? 1, memoryBudgetMb: 3008 }, ...options.config },
  });
}

/** The month's published files (not the manifest, which names the run) with the SHA-256 of each. */
async function outputs(store: BlobStore): Promise<Record<string, string>> {
  return keyHashes(
    store,
    `${MONTH}/`,
    (key) => !key.endsWith('manifest.json') && !key.includes('/versions/'),
  );
}

describe('a month billed from days metered in shards', () => {
  it('publishes exactly the files of the month billed from whole days, for 2 and 3 shards', async () => {
    const whole = await freshStore();
    await runMonthlyReport(context(whole), MONTH);
    const expected = await outputs(whole);
    expect(Object.keys(expected)).toContain(`${MONTH}/chargeback.csv`);
    for (const shards of [2, 3]) {
      const store = await freshStore();
      const result = await runMonthlyReport(context(store, { shards }), MONTH);
      expect(await outputs(store)).toEqual(expected);
      expect(result.summary.totals.cost).not.toBe('0.00');
      // Each day is stored as its shards, never whole.
      const stored = await store.list('usage/');
      expect(stored).toContain(`usage/${MONTH}-05/shard-${shards}-of-${shards}.json`);
      expect(stored).not.toContain(`usage/${MONTH}-05.json`);
      expect(stored.filter((k) => k.startsWith(`usage/${MONTH}-05/`))).toHaveLength(shards);
    }
  });

  it('re-runs the month from the shard partials without metering anything', async () => {
    const store = await freshStore();
    const first = await runMonthlyReport(context(store, { shards: 2 }), MONTH);
    const source = losingSource(createDemoSource(sim), 'UTC', () => false);
    const again = await runMonthlyReport(context(store, { shards: 2, source }), MONTH, {
      onlyStoredPartials: true,
    });
    expect(source.observed).toEqual([]);
    expect(again).toMatchObject({ unchanged: true, versionId: first.versionId });
  });

  it('never takes a day with a shard partial missing for the day: a backfill refuses naming it, a report re-meters it', async () => {
    const store = await freshStore();
    const first = await runMonthlyReport(context(store, { shards: 2 }), MONTH);
    await store.delete(keys.shardPartial(`${MONTH}-10`, 1, 2));

    const refusal = await runMonthlyReport(context(store, { shards: 2 }), MONTH, {
      onlyStoredPartials: true,
    }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as Error).message).toContain(
      `1 other day of the month has no usable stored partial (${MONTH}-10`,
    );
    expect((refusal as Error).message).toContain('metered in 2 shards, shard 2 of 2 missing');

    const source = losingSource(createDemoSource(sim), 'UTC', () => false);
    const rerun = await runMonthlyReport(context(store, { shards: 2, source }), MONTH);
    expect(source.observed).toEqual([`${MONTH}-10`, `${MONTH}-10`]);
    expect(rerun).toMatchObject({ unchanged: true, versionId: first.versionId });
    expect(await store.list(`usage/${MONTH}-10/`)).toHaveLength(2);
  });

  it('guards each shard on its own: an emptier shard is refused and nothing is written, unless forced with a reason', async () => {
    const store = await freshStore();
    await runMonthlyReport(context(store, { shards: 2 }), MONTH);
    const date = `${MONTH}-12`;
    const before = await store.get(keys.shardPartial(date, 0, 2));
    // The source lost the day: shard 1 (g5-b) would lose its GPU-hours.
    const source = losingSource(createDemoSource(sim), 'UTC', (d) => d === date);

    const failure = await meterAndStoreDay(context(store, { shards: 2, source }), date).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toMatch(
      new RegExp(`${date} \\(shard 1 of 2\\): coverage 100 % -> 0 %`),
    );
    expect(await store.get(keys.shardPartial(date, 0, 2))).toEqual(before);

    const forced = await meterAndStoreDay(context(store, { shards: 2, source }), date, {
      force: true,
      reason: 'retention test',
    });
    expect(forced.pods).toEqual([]);
    const stored = JSON.parse(
      Buffer.from((await store.get(keys.shardPartial(date, 1, 2)))!).toString('utf8'),
    );
    expect(stored.forced).toMatchObject({ reason: 'retention test' });
  });
});

describe('plans of a day', () => {
  it('takes the newest complete set of partials: shards replace a whole day only once all are stored', async () => {
    const store = await freshStore();
    const date = `${MONTH}-07`;
    await meterAndStoreDay(context(store), date);
    const wholeDay = (await readDayPartial(context(store), date))!;
    expect(wholeDay.staleReason).toBeUndefined();

    // One shard of a 2-shard plan (a backfill's shard step that ran while the other failed).
    const later = { ...context(store, { shards: 2 }), clock: { nowMs: () => NOW + 60_000 } };
    await meterAndStoreDay(later, date, {}, { index: 0, count: 2 });
    const stillWhole = (await readDayPartial(later, date))!;
    expect(stillWhole.day).toEqual(wholeDay.day);

    await meterAndStoreDay(later, date, {}, { index: 1, count: 2 });
    const merged = (await readDayPartial(later, date))!;
    expect(merged.staleReason).toBeUndefined();
    expect(merged.day).not.toBe(undefined);
    expect(merged.day!.pods).toEqual(wholeDay.day!.pods);
    expect(merged.day!.nodes).toEqual(wholeDay.day!.nodes);
  });

  it('keys a shard by its index and count, and a whole day as before shards existed', () => {
    const config = parseConfig(smallClusterConfig());
    const day = dayOf(`${MONTH}-03`, 'UTC');
    const whole = meteringKey(config, day, [], 'demo');
    expect(meteringKey(config, day, [], 'demo', { index: 0, count: 1 })).toBe(whole);
    const keysOf = [
      { index: 0, count: 2 },
      { index: 1, count: 2 },
      { index: 0, count: 3 },
    ].map((shard) => meteringKey(config, day, [], 'demo', shard));
    expect(new Set([whole, ...keysOf]).size).toBe(4);
  });

  it('plans the shards from the fleet the source measures and the memory budget, or the configured count', async () => {
    const store = await freshStore();
    const measuring = (gpuUnits: number): ObservationSource => ({
      ...createDemoSource(sim),
      measureFleet: async () => ({ gpuUnits }),
    });
    const auto = (gpuUnits: number, memoryBudgetMb = 3008) =>
      planDayShards(
        {
          ...context(store, { source: measuring(gpuUnits) }),
          config: parseConfig(smallClusterConfig({ sharding: { shards: 'auto', memoryBudgetMb } })),
        },
        `${MONTH}-03`,
      );
    expect(await auto(0)).toBe(1);
    expect(await auto(64)).toBe(1);
    const big = await auto(20_000);
    expect(big).toBeGreaterThan(1);
    expect(await auto(20_000, 10_240)).toBeLessThan(big);
    expect(await planDayShards(context(store, { shards: 5, source: measuring(4096) }), `${MONTH}-03`)).toBe(
      5,
    );
    // A source that cannot measure its fleet meters whole days.
    expect(await planDayShards(context(store, { shards: 'auto' }), `${MONTH}-03`)).toBe(1);
  });

  it("meters a month's days at once only as far as their shards' memory fits the process'", async () => {
    const whole = await freshStore();
    await runMonthlyReport(context(whole), MONTH);
    const expected = await outputs(whole);
    // A source whose fleet is as large as asked, and which notes how many days it observes at once.
    const counting = (gpuUnits: number) => {
      let inFlight = 0;
      const seen = { most: 0 };
      const demo = createDemoSource(sim);
      const source: ObservationSource = {
        ...demo,
        measureFleet: async () => ({ gpuUnits }),
        observe: async (...args) => {
          seen.most = Math.max(seen.most, ++inFlight);
          try {
            await new Promise((resolve) => setTimeout(resolve, 2));
            return await demo.observe(...args);
          } finally {
            inFlight--;
          }
        },
      };
      return { source, seen };
    };
    const run = async (
      gpuUnits: number,
      memoryMb: number | undefined,
      how: 'report' | 'backfill' = 'report',
    ) => {
      const store = await freshStore();
      const { source, seen } = counting(gpuUnits);
      const ctx = {
        ...context(store, { source }),
        config: parseConfig(smallClusterConfig({ sharding: { shards: 'auto', memoryBudgetMb: 1769 } })),
        ...(memoryMb === undefined ? {} : { memoryMb }),
      };
      if (how === 'report') await runMonthlyReport(ctx, MONTH);
      else await backfill(ctx, MONTH, MONTH);
      expect(await outputs(store)).toEqual(expected);
      return seen.most;
    };
    // The monthly Lambda (4,096 MB; shards planned for the metering Lambdas' 1,769 MB): 1,024 GPUs' days
    // (one shard of 323 MB each) 4 at a time, 10,000 GPUs' (5 shards of 630 MB) 2 at a time.
    expect(await run(1_292, 4096)).toBe(4);
    expect(await run(12_600, 4096)).toBe(2);
    // Without the process' memory, the budget one metering invocation may use: one 10,000-GPU day at a time.
    expect(await run(12_600, undefined)).toBe(1);
    // A backfill meters its days the same way.
    expect(await run(12_600, 4096, 'backfill')).toBe(2);
  }, 120_000);
});
