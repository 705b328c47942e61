/**
 * A day metered in shards against a real Prometheus (issue #18): for the GPU shapes real exporters
 * produce (MIG with shared and +me profiles, unpartitioned MIG, on-prem with GFD labels, DRA, GPU
 * sidecars, time-slicing, GKE/AKS Spot) and for a platform of two clusters with colliding names, scrape
 * target labels, mid-day label changes, KSM replicas and an HA Prometheus pair at offset instants, a day
 * split into 2, 3 or 5 shards — each shard asking Prometheus only for its own nodes and pods — merges to
 * exactly the day metered whole, and the month priced from the shards bills what the month priced from
 * whole days bills, to the cent (every row). A month reported by the CLI's use case in 3 shards per day
 * publishes byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import type { AppContext } from '../../src/app/context.ts';
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterOptions.ts';
import { priceMonthOptionsFor } from '../../src/app/priceOptions.ts';
import { runMonthlyReport } from '../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import {
  gridForDay,
  mergeShardDays,
  meterWindow,
  restrictObservations,
} from '../../src/core/metering/index.ts';
import { priceMonth } from '../../src/core/month/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { BillingPeriod, Day, MeteredDay } from '../../src/core/types.ts';
import type { BlobStore, Logger } from '../../src/ports.ts';
import { type SeriesShape, simulatePlatform, writeOpenMetrics } from '../../src/sim/index.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { realShapesConfig, startRealShapesPrometheus } from '../support/realShapes.ts';

const quiet: Logger = { info() {}, warn() {}, error() {}, progress() {} };
const hint = prometheusInstallHint();
const COUNTS = [2, 3, 5];

/** Everything but the order of the warnings (a merged day lists them shard by shard). */
function comparable(day: MeteredDay) {
  const { warnings, ...rest } = day;
  return { ...rest, warnings: [...warnings].sort() };
}

/** A day metered whole, and in `count` shards (each observed on its own), from Prometheus. */
async function meterBoth(config: Config, day: Day, counts: readonly number[]) {
  const source = createPrometheusSource({ config, logger: quiet });
  const scrape = await scrapeIntervalsFor({ config, source }, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const options = meterOptionsFor(config, day);
  const wholeObs = await source.observe(grid, scrape);
  const whole = meterWindow(wholeObs, options);
  const sharded = new Map<number, { merged: MeteredDay; runningPods: number[]; narrowed: boolean }>();
  for (const count of counts) {
    const parts: MeteredDay[] = [];
    const runningPods: number[] = [];
    let narrowed = true;
    for (let index = 0; index < count; index++) {
      const shard = { index, count };
      const obs = await source.observe(grid, scrape, shard);
      // Prometheus answered only for the shard's pods: metering drops none of what was asked.
      const own = restrictObservations(obs, shard);
      if (own.running.length !== obs.running.length || own.utilization.length < obs.utilization.length / 2) {
        narrowed = false;
      }
      runningPods.push(obs.running.length);
      parts.push(meterWindow(obs, { ...options, shard }));
    }
    sharded.set(count, { merged: mergeShardDays(parts), runningPods, narrowed });
  }
  return { whole, wholeRunning: wholeObs.running.length, sharded };
}

/** The rows of a priced month as comparable text (every column, every cent). */
function pricedRows(config: Config, period: BillingPeriod, days: MeteredDay[]) {
  const priced = priceMonth(
    days,
    priceMonthOptionsFor(
      config,
      period,
      { kind: 'prometheus', description: 'shards' },
      { budgets: new Map() },
    ),
  );
  return { total: priced.summary.totals.cost, rows: [...priced.rows].map((r) => JSON.stringify(r)) };
}

describe.skipIf(hint !== null)('a day metered in shards against a real Prometheus', () => {
  describe('the real GPU shapes', () => {
    const MONTH = '2026-03';
    const ZONE = 'Asia/Seoul';
    let prometheus: PrometheusHandle | undefined;
    let dir: string | undefined;
    let config: Config;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-shards-'));
      prometheus = await startRealShapesPrometheus(dir);
      config = realShapesConfig(prometheus.url, dir);
    }, 300_000);

    afterAll(async () => {
      await prometheus?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('merges 2, 3 and 5 shards to exactly the day metered whole, each shard reading only its own pods', async () => {
      const period = billingPeriod(MONTH, ZONE);
      const day = period.days[0]!;
      const { whole, wholeRunning, sharded } = await meterBoth(config, day, COUNTS);
      expect(whole.pods.length).toBeGreaterThan(5);
      expect(new Set(whole.pods.map((p) => p.gpuResource)).size).toBeGreaterThan(3);
      for (const [count, { merged, runningPods, narrowed }] of sharded) {
        expect(comparable(merged), `${count} shards`).toEqual(comparable(whole));
        expect(narrowed, `${count} shards`).toBe(true);
        expect(
          runningPods.reduce((a, b) => a + b, 0),
          `${count} shards`,
        ).toBe(wholeRunning);
        const onePeriod = { ...period, endMs: day.endMs, days: [day], hours: 24 };
        expect(pricedRows(config, onePeriod, [merged])).toEqual(pricedRows(config, onePeriod, [whole]));
      }
    });

    it(
      'publishes byte-identical files for a month reported with every day in 3 shards',
      { timeout: 300_000 },
      async () => {
        const outputs = async (store: BlobStore) => {
          const out: Record<string, string> = {};
          for (const key of await store.list(`${MONTH}/`)) {
            if (key.endsWith('manifest.json') || key.includes('/versions/')) continue;
            out[key] = createHash('sha256')
              .update((await store.get(key))!)
              .digest('hex');
          }
          return out;
        };
        const report = async (shards: number) => {
          const out = await mkdtemp(join(dir!, 'out-'));
          const store = createFsStore(out);
          const ctx: AppContext = {
            config: { ...config, sharding: { memoryBudgetMb: 3008, shards } },
            source: createPrometheusSource({ config, logger: quiet }),
            store,
            metrics: { publish: async () => {} },
            logger: quiet,
            clock: { nowMs: () => Date.parse('2026-04-20T00:00:00Z') },
          };
          const result = await runMonthlyReport(ctx, MONTH, { concurrency: 8 });
          return { result, files: await outputs(store), usage: await store.list('usage/') };
        };
        const whole = await report(1);
        const inShards = await report(3);
        expect(Number(whole.result.summary.totals.cost)).toBeGreaterThan(0);
        expect(inShards.files).toEqual(whole.files);
        expect(inShards.result.summary.totals.cost).toBe(whole.result.summary.totals.cost);
        expect(inShards.usage).toContain(`usage/${MONTH}-01/shard-3-of-3.json`);
      },
    );
  });

  describe('a platform of two clusters with replicas and label changes', () => {
    const MONTH = '2026-03';
    const ZONE = 'America/New_York';
    const DAYS = 2;
    const H = 3_600_000;
    const period = billingPeriod(MONTH, ZONE);
    const CHANGES: SeriesShape['changes'] = [
      { atMs: period.startMs + 9 * H + 20_007, kind: 'ksm-rescheduled' },
      { atMs: period.startMs + 20 * H + 41_500, kind: 'driver-upgraded' },
      { atMs: period.startMs + 31 * H + 13_250, kind: 'dcgm-exporter-restarted' },
    ];
    const HA = { label: 'prometheus_replica', values: ['prometheus-0', 'prometheus-1'] };
    const SHAPES: Record<string, SeriesShape> = {
      clean: {},
      offsetLabels: {
        targetLabels: true,
        changes: CHANGES,
        ksmReplicas: { count: 2, offsetMs: 29_000 },
        haReplicas: { ...HA, offsetMs: 13_000 },
      },
    };
    let stop: (() => Promise<void>) | undefined;
    let url = '';

    beforeAll(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-shards-platform-'));
      try {
        const files: string[] = [];
        for (const [variant, shape] of Object.entries(SHAPES)) {
          const sims = simulatePlatform({
            month: MONTH,
            zone: ZONE,
            days: DAYS,
            boundaryInstants: CHANGES!.map((c) => c.atMs),
            clusters: ['prod-use1', 'prod-euw1'].map((cluster) => ({
              cluster,
              seed: 7,
              shape: { ...shape, externalLabels: { variant } },
            })),
          });
          files.push(...(await writeOpenMetrics(sims, join(dir, variant))));
        }
        const prom = await startPrometheusWithData(files);
        stop = prom.stop;
        url = prom.url;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 600_000);

    afterAll(async () => {
      await stop?.();
    });

    const configFor = (variant: string, extra: Partial<ConfigInput> = {}) =>
      parseConfig({
        timezone: ZONE,
        source: { url, maxRetries: 1, selector: `variant="${variant}"`, clusterLabel: 'cluster' },
        pricing: {
          instanceTypes: {
            'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672 },
            'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.526, spot: 0.2104 },
            'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726 },
          },
        },
        allocation: { utilization: { mode: 'floor', floor: 0.25 } },
        ...extra,
      });

    for (const variant of Object.keys(SHAPES)) {
      it(
        `merges the shards of each day of the ${variant} platform to exactly the day metered whole`,
        { timeout: 300_000 },
        async () => {
          const config = configFor(variant);
          const wholeDays: MeteredDay[] = [];
          const mergedDays = new Map<number, MeteredDay[]>(COUNTS.map((c) => [c, []]));
          for (const day of period.days.slice(0, DAYS)) {
            const { whole, wholeRunning, sharded } = await meterBoth(config, day, COUNTS);
            expect(whole.pods.length).toBeGreaterThan(10);
            wholeDays.push(whole);
            for (const [count, { merged, runningPods, narrowed }] of sharded) {
              expect(comparable(merged), `${variant}, ${day.date}, ${count} shards`).toEqual(
                comparable(whole),
              );
              expect(narrowed, `${variant}, ${count} shards`).toBe(true);
              expect(runningPods.reduce((a, b) => a + b, 0)).toBe(wholeRunning);
              mergedDays.get(count)!.push(merged);
            }
          }
          const twoDays = {
            ...period,
            endMs: period.days[DAYS - 1]!.endMs,
            days: period.days.slice(0, DAYS),
            hours: 48,
          };
          const expected = pricedRows(config, twoDays, wholeDays);
          expect(Number(expected.total)).toBeGreaterThan(0);
          for (const count of COUNTS)
            expect(pricedRows(config, twoDays, mergedDays.get(count)!)).toEqual(expected);
        },
      );
    }
  });
});
