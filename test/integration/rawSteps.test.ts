/**
 * source.stepEvaluation "adapter" against "prometheus", on real Prometheus fixtures: running.promql
 * evaluated by Prometheus (query_range) and by the adapter from raw samples (rawSteps.ts) must give the
 * same series with the same points at every step, and the same metered day, on the reliability days
 * (one Prometheus; an HA pair with corrupt samples) and the real GPU shapes of issue #14.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPrometheus } from '../../src/adapters/prometheus/connect.ts';
import { seriesIdentityOf } from '../../src/adapters/prometheus/identity.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import type { PromSeries } from '../../src/adapters/prometheus/parseResponse.ts';
import { durationMs } from '../../src/adapters/prometheus/promql.ts';
import {
  createQueries,
  DEFAULT_QUERIES_DIR,
  loadQueryTemplates,
  rangesOf,
} from '../../src/adapters/prometheus/queries.ts';
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterOptions.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { compareStrings } from '../../src/core/compare.ts';
import { gridForDay, meterWindow } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { Day } from '../../src/core/types.ts';
import { simulate, writeOpenMetrics } from '../../src/sim/index.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import {
  REL_DAYS,
  REL_MONTH,
  REL_SEED,
  REL_ZONE,
  reliabilityConfig,
  writeReliabilityData,
} from '../support/reliabilityData.ts';

const T0 = Date.UTC(2026, 9, 1) / 1000;
const STEP = 60;

/**
 * Hand-written kube-state-metrics samples where the two evaluations could part: a pod without a GPU
 * request (the join drops it), a request of 0 (`> 0` drops it) with a DRA claim for part of the time,
 * an init-container request only, samples exactly on both ends of a step's window, two samples in one
 * window (the last one counts), NaN samples (max by ignores a NaN unless every value is one), two
 * series of one pod (changing target labels: max by merges them) and an HA replica scraped 17.5 s
 * later. (Staleness markers cannot be backfilled from OpenMetrics; Prometheus drops them from a range
 * selection, raw or per step alike.)
 */
function edgeCases(): string {
  const lines: string[] = [];
  const family = (name: string, rows: [string, [number, number | string][]][]) => {
    lines.push(`# TYPE ${name} gauge`);
    for (const [labels, samples] of rows)
      for (const [t, v] of samples) lines.push(`${name}{${labels}} ${v} ${t.toFixed(3)}`);
  };
  const steps = (from: number, to: number, offset = 0, value: number | string = 1) =>
    Array.from({ length: to - from + 1 }, (_, i): [number, number | string] => [
      T0 + (from + i) * STEP + offset,
      value,
    ]);
  const pod = (p: string, extra = 'instance="ksm-1"') =>
    `namespace="ml",pod="${p}",uid="uid-${p}",phase="Running",${extra}`;
  const req = (p: string, extra = 'instance="ksm-1"') =>
    `namespace="ml",pod="${p}",uid="uid-${p}",container="c",resource="nvidia_com_gpu",${extra}`;
  family('kube_pod_status_phase', [
    [pod('a'), steps(1, 30)],
    [pod('a', 'instance="ksm-2"'), steps(1, 29, 17.5)],
    [pod('b'), steps(1, 30)],
    [pod('c'), steps(1, 30)],
    // On the ends of the window [t − 59.999 s, t]: 59.999 s before a step is in it, 60 s is not.
    [pod('d'), [...steps(2, 6, -59.999), ...steps(10, 14, -60)]],
    // Two samples per window: the last decides (1 then 0: not Running; 0 then 1: Running).
    [
      pod('e'),
      [
        [T0 + 5 * STEP - 40, 1],
        [T0 + 5 * STEP - 10, 0],
        [T0 + 6 * STEP - 40, 0],
        [T0 + 6 * STEP - 10, 1],
      ],
    ],
    [pod('f'), [...steps(1, 3), ...steps(4, 6, 0, 'NaN'), ...steps(7, 9)]],
    [pod('f', 'instance="ksm-2"'), steps(1, 9, 5)],
    [pod('g', 'instance="ksm-1",job="old"'), steps(1, 12, 0, 0)],
    [pod('g', 'instance="ksm-1",job="new"'), steps(8, 20)],
    [pod('h'), steps(1, 10)],
    // A NaN beside a 1 in one group: max by gives 1 (NaN only when every value is NaN).
    [pod('i', 'instance="ksm-1",job="a"'), steps(1, 5, 0, 'NaN')],
    [pod('i', 'instance="ksm-1",job="b"'), steps(1, 5)],
    // 1 then NaN in one window: the last sample is the NaN (not Running); it must not be dropped.
    [
      pod('j'),
      steps(1, 6).flatMap(([t]): [number, number | string][] => [
        [t - 40, 1],
        [t - 10, 'NaN'],
      ]),
    ],
  ]);
  family('kube_pod_container_resource_requests', [
    [req('a'), steps(1, 30)],
    [req('a', 'instance="ksm-2"'), steps(1, 29, 17.5)],
    [req('c'), steps(1, 30, 0, 0)],
    [req('d'), [...steps(2, 6, -59.999), ...steps(10, 14, -60)]],
    [req('e'), steps(4, 7)],
    [req('f'), [...steps(1, 5, 0, 'NaN'), ...steps(6, 9)]],
    [req('g'), steps(1, 20)],
    [req('i'), steps(1, 5)],
    [req('j'), steps(1, 6)],
  ]);
  family('kube_pod_init_container_resource_requests', [[req('h'), steps(3, 8)]]);
  family('kube_pod_resourceclaim_info', [
    [`namespace="ml",pod="c",uid="uid-c",resourceclaim="gpu",instance="ksm-1"`, steps(20, 25)],
  ]);
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

const quiet = { info() {}, warn() {}, error() {}, progress() {} };

/** Series as comparable text: sorted label pairs and every point, in a stable order. */
function canonical(series: PromSeries[]): string[] {
  return series
    .map((s) =>
      JSON.stringify([Object.entries(s.metric).sort(([a], [b]) => compareStrings(a, b)), s.points.toJSON()]),
    )
    .sort(compareStrings);
}

/** running.promql on the day's grid, by Prometheus and by the adapter; and the day metered each way. */
async function bothWays(config: Config, day: Day) {
  const source = createPrometheusSource({ config, logger: quiet });
  const scrape = await scrapeIntervalsFor({ config, source }, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const client = connectPrometheus({ source: config.source, logger: quiet });
  const queries = createQueries(
    client,
    loadQueryTemplates(DEFAULT_QUERIES_DIR),
    seriesIdentityOf(config.source),
    config.source.selector,
  );
  const over = rangesOf(grid).window;
  const byPrometheus = await queries.range('running', { window: durationMs(grid.stepMs - 1) }, over);
  const byAdapter = await queries.runningFromRaw(over, grid.stepMs - 1);
  const meter = async (stepEvaluation: 'prometheus' | 'adapter') => {
    const c = { ...config, source: { ...config.source, stepEvaluation } };
    const obs = await createPrometheusSource({ config: c, logger: quiet }).observe(grid, scrape);
    return meterWindow(obs, meterOptionsFor(c, day));
  };
  return {
    byPrometheus,
    byAdapter,
    meteredByPrometheus: await meter('prometheus'),
    meteredByAdapter: await meter('adapter'),
  };
}

describe.skipIf(prometheusInstallHint() !== null)(
  'running evaluated by the adapter from raw samples, against Prometheus',
  () => {
    let dir: string;
    let plain: PrometheusHandle;
    let ha: PrometheusHandle;
    let shapes: PrometheusHandle;
    let edges: PrometheusHandle;
    const shapesMonth = '2026-03';
    const shapesZone = 'Asia/Seoul';

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-raw-steps-'));
      const files = await writeReliabilityData(dir);
      const key = `reliability-${REL_MONTH}-${REL_ZONE}-${REL_SEED}-d${REL_DAYS}`;
      const sim = simulate({
        preset: 'real-shapes',
        month: shapesMonth,
        zone: shapesZone,
        seed: 42,
        days: 1,
      });
      const shapeFiles = await writeOpenMetrics(sim, join(dir, 'shapes'));
      const edgeFile = join(dir, 'edges.om');
      await writeFile(edgeFile, edgeCases());
      [plain, ha, shapes, edges] = await Promise.all([
        startPrometheusWithData(files.plain, { cacheKey: `${key}-plain` }),
        startPrometheusWithData(files.ha, { cacheKey: `${key}-ha-corrupt-v2` }),
        startPrometheusWithData(shapeFiles, {
          cacheKey: `real-shapes-${shapesMonth}-${shapesZone.replace('/', '_')}-42-v2`,
        }),
        startPrometheusWithData([edgeFile]),
      ]);
    }, 300_000);

    afterAll(async () => {
      await Promise.all([plain?.stop(), ha?.stop(), shapes?.stop(), edges?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('gives the same series and steps on samples made to part them (join, window ends, NaN, replicas)', async () => {
      const config = parseConfig({ source: { kind: 'prometheus', url: edges.url } });
      const queries = createQueries(
        connectPrometheus({ source: config.source, logger: quiet }),
        loadQueryTemplates(DEFAULT_QUERIES_DIR),
        seriesIdentityOf(config.source),
        undefined,
      );
      const over = { startMs: (T0 + STEP) * 1000, endMs: (T0 + 32 * STEP) * 1000, stepMs: STEP * 1000 };
      const byPrometheus = await queries.range('running', { window: '59999ms' }, over);
      const byAdapter = await queries.runningFromRaw(over, STEP * 1000 - 1);
      expect(canonical(byAdapter)).toEqual(canonical(byPrometheus));
      // What the samples were made for, as Prometheus answers: b (no request) is out, c only with its
      // claim, d at the steps its samples' windows hold, e at step 6 only, f neither where its phase is
      // NaN on ksm-1 nor where its request is NaN (max by of NaN alone is NaN, not > 0).
      const steps = (pod: string, instance = 'ksm-1') =>
        byPrometheus
          .filter((s) => s.metric.pod === pod && s.metric.instance === instance)
          .flatMap((s) => s.points.map(([t]) => t / 1000 / STEP - T0 / STEP));
      expect(steps('b')).toEqual([]);
      expect(steps('c')).toEqual([20, 21, 22, 23, 24, 25]);
      expect(steps('d')).toEqual([2, 3, 4, 5, 6, 9, 10, 11, 12, 13]);
      expect(steps('e')).toEqual([6]);
      expect(steps('f')).toEqual([7, 8, 9]);
      expect(steps('f', 'ksm-2')).toEqual([6, 7, 8, 9]);
      expect(steps('g')).toEqual(Array.from({ length: 13 }, (_, i) => 8 + i));
      expect(steps('h')).toEqual([3, 4, 5, 6, 7, 8]);
      expect(steps('i')).toEqual([1, 2, 3, 4, 5]);
      expect(steps('j')).toEqual([]);
    }, 120_000);

    const cases = () => {
      const period = billingPeriod(REL_MONTH, REL_ZONE);
      return [
        ['one Prometheus, day 1', () => plain.url, period.days[0]!],
        ['one Prometheus, day 2', () => plain.url, period.days[1]!],
        ['an HA pair with corrupt samples, day 1', () => ha.url, period.days[0]!],
        ['an HA pair with corrupt samples, day 2', () => ha.url, period.days[1]!],
      ] as const;
    };

    for (const [name, url, day] of cases()) {
      it(`gives the same series and steps and the same metered day: ${name}`, async () => {
        const config = parseConfig(reliabilityConfig(url()));
        const r = await bothWays(config, day);
        expect(r.byPrometheus.length).toBeGreaterThan(0);
        expect(canonical(r.byAdapter)).toEqual(canonical(r.byPrometheus));
        expect(r.meteredByAdapter).toEqual(r.meteredByPrometheus);
      }, 120_000);
    }

    it('gives the same series and steps and the same metered day: the real GPU shapes', async () => {
      const config = parseConfig({
        timezone: shapesZone,
        source: { kind: 'prometheus', url: shapes.url },
        // The preset's nodes exist for 4 hours only: no samples where the scrape interval is detected.
        metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
        guard: { minCoveragePct: 0 },
      });
      const r = await bothWays(config, billingPeriod(shapesMonth, shapesZone).days[0]!);
      expect(r.byPrometheus.length).toBeGreaterThan(0);
      expect(canonical(r.byAdapter)).toEqual(canonical(r.byPrometheus));
      expect(r.meteredByAdapter).toEqual(r.meteredByPrometheus);
    }, 120_000);
  },
);
