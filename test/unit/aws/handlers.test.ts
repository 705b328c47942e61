import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  backfillPlanEvent,
  parseEvent,
  previousMonthIn,
  yesterdayIn,
} from '../../../functions/lib/events.ts';
import {
  backfillDayHandler,
  backfillShardsHandler,
  dailyMeterHandler,
} from '../../../functions/lib/meterHandlers.ts';
import { backfillPlanHandler } from '../../../functions/lib/planHandler.ts';
import { monthlyReportHandler } from '../../../functions/lib/reportHandlers.ts';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { StepGrid, WindowObservations } from '../../../src/core/types.ts';
import { InputError } from '../../../src/errors.ts';
import type { Logger, MetricDatum, ObservationSource } from '../../../src/ports.ts';
import { emptyObservations } from '../../support/smallCluster.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const silent: Logger = { info() {}, warn() {}, error() {}, progress() {} };

/** A source with no pods at all (an empty cluster), or one that fails like an unreachable Prometheus. */
function fakeSource(fail?: Error): ObservationSource {
  return {
    kind: 'prometheus',
    description: 'fake',
    async detectScrapeInterval(exporter) {
      if (fail) throw fail;
      return exporter === 'kubeStateMetrics' ? 30 : null;
    },
    async observe(grid: StepGrid, scrape): Promise<WindowObservations> {
      if (fail) throw fail;
      return emptyObservations(grid, scrape);
    },
  };
}

async function fakeContext(nowIso: string, fail?: Error, shards: number | 'auto' = 'auto') {
  const dir = await mkdtemp(join(tmpdir(), 'handlers-'));
  dirs.push(dir);
  const published: MetricDatum[][] = [];
  const ctx: AppContext = {
    config: parseConfig({ timezone: 'Asia/Seoul', output: { location: dir }, sharding: { shards } }),
    source: fakeSource(fail),
    store: createFsStore(dir),
    metrics: { publish: async (data) => void published.push(data) },
    logger: silent,
    clock: { nowMs: () => Date.parse(nowIso) },
  };
  return { ctx, published };
}

describe('time zone defaults', () => {
  it('takes yesterday in the billing zone, not in UTC', () => {
    // 2026-03-15T16:30Z is 01:30 on the 16th in Seoul.
    expect(yesterdayIn('Asia/Seoul', Date.parse('2026-03-15T16:30:00Z'))).toBe('2026-03-15');
    expect(yesterdayIn('UTC', Date.parse('2026-03-15T16:30:00Z'))).toBe('2026-03-14');
  });

  it('takes the previous month in the billing zone, across a year boundary', () => {
    // 2025-12-31T21:00Z is already 1 January 2026 06:00 in Seoul.
    expect(previousMonthIn('Asia/Seoul', Date.parse('2025-12-31T21:00:00Z'))).toBe('2025-12');
    expect(previousMonthIn('UTC', Date.parse('2025-12-31T21:00:00Z'))).toBe('2025-11');
  });
});

describe('parseEvent', () => {
  it('names every problem of a bad event', () => {
    expect(() => parseEvent(backfillPlanEvent, { from: '2026-3', extra: true }, 'backfillPlan')).toThrow(
      /backfillPlan: invalid event \(from: must be YYYY-MM or YYYY-MM-DD; to: .*Unrecognized key: "extra"/,
    );
  });
});

describe('dailyMeterHandler', () => {
  it('meters yesterday in the billing zone, stores the partial and reports success', async () => {
    const { ctx, published } = await fakeContext('2026-03-15T16:30:00Z');

    const result = await dailyMeterHandler(ctx)({});

    expect(result).toEqual({ date: '2026-03-15', pods: 0, coveragePct: 0, warnings: expect.any(Number) });
    expect(await ctx.store.list('usage/')).toEqual(['usage/2026-03-15.json']);
    expect(published[0]?.slice(0, 1)).toEqual([
      { name: 'RunSuccess', value: 1, unit: 'Count', dimensions: { Job: 'daily-meter' } },
    ]);
    expect(published[0]?.[2]).toEqual({
      name: 'DataCoveragePct',
      value: 0,
      unit: 'Percent',
      dimensions: { Job: 'daily-meter' },
    });
  });

  it('meters the date of a manual event', async () => {
    const { ctx } = await fakeContext('2026-03-15T16:30:00Z');
    expect((await dailyMeterHandler(ctx)({ date: '2026-03-01' })).date).toBe('2026-03-01');
  });

  it('reports RunSuccess 0 and rethrows when the source fails', async () => {
    const { ctx, published } = await fakeContext('2026-03-15T16:30:00Z', new Error('prometheus unreachable'));

    await expect(dailyMeterHandler(ctx)({})).rejects.toThrow('prometheus unreachable');
    expect(published).toEqual([
      [
        { name: 'RunSuccess', value: 0, unit: 'Count', dimensions: { Job: 'daily-meter' } },
        { name: 'RunDurationSeconds', value: 0, unit: 'Seconds', dimensions: { Job: 'daily-meter' } },
      ],
    ]);
  });

  it('refuses a day that has not ended (today, or a future date) and stores nothing', async () => {
    // 2026-03-15T16:30Z is 01:30 on the 16th in Seoul: the 16th and the 17th have not ended.
    const { ctx, published } = await fakeContext('2026-03-15T16:30:00Z');
    for (const date of ['2026-03-16', '2026-03-17']) {
      await expect(dailyMeterHandler(ctx)({ date })).rejects.toThrow(
        new RegExp(`${date} has not ended yet in Asia/Seoul`),
      );
      await expect(backfillDayHandler(ctx)({ date })).rejects.toThrow(InputError);
    }
    expect(await ctx.store.list('usage/')).toEqual([]);
    expect(published.every((data) => data[0]?.value === 0)).toBe(true);
  });

  it('records when the day was metered in its partial', async () => {
    const { ctx } = await fakeContext('2026-03-15T16:30:00Z');
    await dailyMeterHandler(ctx)({});
    const partial = JSON.parse(Buffer.from((await ctx.store.get('usage/2026-03-15.json'))!).toString());
    expect([partial.meteredAt, partial.zone]).toEqual(['2026-03-15T16:30:00.000Z', 'Asia/Seoul']);
  });

  it('needs a reason to force', async () => {
    const { ctx, published } = await fakeContext('2026-03-15T16:30:00Z');
    await expect(dailyMeterHandler(ctx)({ force: true })).rejects.toThrow(/reason: force needs a reason/);
    expect(published).toEqual([]);
  });

  it('rejects an invalid event before doing any work', async () => {
    const { ctx, published } = await fakeContext('2026-03-15T16:30:00Z');
    await expect(dailyMeterHandler(ctx)({ date: '2026-02-30' })).rejects.toThrow(InputError);
    expect(published).toEqual([]);
  });
});

describe('monthlyReportHandler', () => {
  it('reports a failed monthly run as RunSuccess 0 for the monthly-report job', async () => {
    const { ctx, published } = await fakeContext('2026-04-01T00:00:00Z', new Error('prometheus unreachable'));

    await expect(monthlyReportHandler(ctx)({})).rejects.toThrow('prometheus unreachable');
    expect(published[0]?.[0]).toEqual({
      name: 'RunSuccess',
      value: 0,
      unit: 'Count',
      dimensions: { Job: 'monthly-report' },
    });
  });

  it('publishes the current month to date on an explicit monthToDate request, through the last ended day', async () => {
    // 2026-04-10 09:00 in Seoul: 1–9 April have ended (and are past guard.ingestionDelaySeconds).
    const { ctx } = await fakeContext('2026-04-10T00:00:00Z');
    // The empty cluster has no sample: the coverage floor refuses it, naming what it would have published.
    await expect(monthlyReportHandler(ctx)({ monthToDate: true })).rejects.toThrow(
      /refusing to publish the provisional version of 2026-04 through 2026-04-09: .*coverage 0 %/,
    );
    await expect(monthlyReportHandler(ctx)({ monthToDate: true, month: '2026-04' })).rejects.toThrow(
      /monthToDate: give either month or monthToDate: true/,
    );
  });

  it('rejects a month that is not YYYY-MM', async () => {
    const { ctx } = await fakeContext('2026-04-01T00:00:00Z');
    await expect(monthlyReportHandler(ctx)({ month: '2026-3' })).rejects.toThrow(
      'month: must be a month written YYYY-MM',
    );
  });
});

describe('backfill handlers', () => {
  it('plans the days and closed months of a range in the billing zone', async () => {
    const { ctx } = await fakeContext('2026-04-10T00:00:00Z');

    const plan = await backfillPlanHandler(ctx)({ from: '2026-03-30', to: '2026-04-02' });

    expect(plan).toEqual({
      from: '2026-03-30',
      to: '2026-04-02',
      force: false,
      reason: null,
      days: ['2026-03-30', '2026-03-31', '2026-04-01', '2026-04-02'],
      months: ['2026-03'],
      openMonths: ['2026-04'],
    });
  });

  it('plans the shards of a day as the items of the Map over shards, passing the override on', async () => {
    const { ctx } = await fakeContext('2026-04-10T00:00:00Z', undefined, 3);
    expect(await backfillShardsHandler(ctx)({ date: '2026-03-30', force: true, reason: 'why' })).toEqual({
      date: '2026-03-30',
      force: true,
      reason: 'why',
      shards: [
        { index: 0, count: 3 },
        { index: 1, count: 3 },
        { index: 2, count: 3 },
      ],
    });
    await expect(backfillShardsHandler(ctx)({ date: '2026-04-10' })).rejects.toThrow(InputError);
  });

  it('re-meters one shard of a day, storing only that shard', async () => {
    const { ctx } = await fakeContext('2026-04-10T00:00:00Z', undefined, 3);
    expect(
      await backfillDayHandler(ctx)({
        date: '2026-03-30',
        shard: { index: 1, count: 3 },
        force: null,
        reason: null,
      }),
    ).toEqual({
      date: '2026-03-30',
      shard: { index: 1, count: 3 },
      coveragePct: 0,
    });
    expect(await ctx.store.list('usage/')).toEqual(['usage/2026-03-30/shard-2-of-3.json']);
    await expect(
      backfillDayHandler(ctx)({ date: '2026-03-30', shard: { index: 3, count: 3 } }),
    ).rejects.toThrow(/shard.index: index must be below count/);
  });

  it('meters every shard of the planned day when no shard is named (the daily run)', async () => {
    const { ctx } = await fakeContext('2026-03-15T16:30:00Z', undefined, 2);
    await dailyMeterHandler(ctx)({});
    expect(await ctx.store.list('usage/')).toEqual([
      'usage/2026-03-15/shard-1-of-2.json',
      'usage/2026-03-15/shard-2-of-2.json',
    ]);
  });

  it('re-meters one day of a Map iteration', async () => {
    const { ctx, published } = await fakeContext('2026-04-10T00:00:00Z');
    expect(await backfillDayHandler(ctx)({ date: '2026-03-30' })).toEqual({
      date: '2026-03-30',
      coveragePct: 0,
    });
    expect(published[0]?.[0]?.dimensions).toEqual({ Job: 'backfill-day' });
  });
});
