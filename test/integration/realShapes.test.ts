import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterOptions.ts';
import { priceMonthOptionsFor } from '../../src/app/priceOptions.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import { gridForDay, meterWindow } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import { type PricedMonth, priceMonth } from '../../src/core/month/index.ts';
import type { BillingPeriod, MeteredDay, NodeUsage } from '../../src/core/types.ts';
import { ExporterVersionError } from '../../src/errors.ts';
import type { Logger } from '../../src/ports.ts';
import {
  type GroundTruth,
  groundTruth,
  REAL_SHAPES_PRICING,
  type Simulation,
  simulate,
  writeOpenMetrics,
} from '../../src/sim/index.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';

/**
 * The rows of issue #14, each against a real Prometheus filled with the `real-shapes` preset (series
 * written in the shapes of kube-state-metrics, dcgm-exporter, the NVIDIA device plugin and GPU feature
 * discovery): every node's rows add up to its machine cost for the time it existed (within one scrape
 * interval per boundary), every pod pays its share of the physical GPUs, and the month's total equals
 * Σ instance-hours × price to the cent.
 */
const MONTH = '2026-03';
const ZONE = 'Asia/Seoul';
const SEED = 42;
const KSM_SECONDS = 60;
const quiet: Logger = { info() {}, warn() {}, error() {}, progress() {} };
const hint = prometheusInstallHint();

function configFor(url: string, pricing: ConfigInput['pricing'] = REAL_SHAPES_PRICING): Config {
  // The preset's nodes exist for 4 hours only: no samples where the scrape interval is detected.
  const scrapeIntervalSeconds = { kubeStateMetrics: KSM_SECONDS, dcgm: 30 };
  return parseConfig({
    timezone: ZONE,
    source: { url, maxRetries: 1 },
    metering: { scrapeIntervalSeconds },
    pricing,
  });
}

/** The first local day of the month as its own billing period (the preset lives in it). */
function firstDay(): BillingPeriod {
  const month = billingPeriod(MONTH, ZONE);
  const day = month.days[0]!;
  return { ...month, endMs: day.endMs, days: [day], hours: 24 };
}

async function meterAndPrice(
  config: Config,
  period: BillingPeriod,
): Promise<{ day: MeteredDay; priced: PricedMonth }> {
  const source = createPrometheusSource({ config, logger: quiet });
  const dayRange = period.days[0]!;
  const scrape = await scrapeIntervalsFor({ config, source }, dayRange);
  const obs = await source.observe(gridForDay(dayRange, scrape, config.metering.maxBridgeSeconds), scrape);
  const day = meterWindow(obs, meterOptionsFor(config, dayRange));
  const priced = priceMonth(
    [day],
    priceMonthOptionsFor(config, period, { kind: 'prometheus', description: 'test' }, { budgets: new Map() }),
  );
  return { day, priced };
}

describe.skipIf(hint !== null)('the real GPU shapes of issue #14 against a real Prometheus', () => {
  const period = firstDay();
  let sim: Simulation;
  let truth: GroundTruth;
  let prometheus: PrometheusHandle | undefined;
  let dir: string | undefined;
  let day: MeteredDay;
  let priced: PricedMonth;

  beforeAll(async () => {
    sim = simulate({ preset: 'real-shapes', month: MONTH, zone: ZONE, seed: SEED, days: 1 });
    truth = groundTruth(sim, period);
    dir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-real-shapes-'));
    const files = await writeOpenMetrics(sim, dir);
    prometheus = await startPrometheusWithData(files, {
      cacheKey: `real-shapes-${MONTH}-${ZONE.replace('/', '_')}-${SEED}-v2`,
    });
    ({ day, priced } = await meterAndPrice(configFor(prometheus.url), period));
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const node = (name: string): NodeUsage => {
    const rows = day.nodes.filter((n) => n.node === name);
    expect(rows, name).toHaveLength(1);
    return rows[0]!;
  };
  const truthNode = (name: string) => truth.nodes.find((n) => n.node === name)!.days[0]!;
  /** Each node exists once: two boundaries, each worth at most one scrape interval of its GPUs. */
  const boundaryGpuSeconds = (gpus: number) => 2 * KSM_SECONDS * gpus;
  const rowsOf = (name: string) => [...priced.rows].filter((r) => r.node === name);
  const costOf = (name: string) => rowsOf(name).reduce((s, r) => s + Number(r.effectiveCost), 0);
  /** Per-GPU-hour effective rate of a node, as priced. */
  const rateOf = (name: string) => Number(rowsOf(name)[0]!.unitPrice);

  it('bills every node its physical GPUs for the time it existed (within one scrape interval per boundary)', () => {
    for (const t of truth.nodes) {
      const metered = node(t.node);
      expect(metered.gpus, t.node).toBe(t.gpus);
      expect(
        Math.abs(metered.capacityGpuSeconds - t.days[0]!.capacityGpuSeconds),
        t.node,
      ).toBeLessThanOrEqual(boundaryGpuSeconds(t.gpus));
    }
  });

  it("makes each node's rows add up to its machine cost for the time it existed", () => {
    for (const t of truth.nodes) {
      const machine = (node(t.node).presentSeconds / 3600) * t.gpus * rateOf(t.node);
      const truthMachine = (t.days[0]!.presentSeconds / 3600) * t.gpus * rateOf(t.node);
      expect(Math.abs(costOf(t.node) - machine), t.node).toBeLessThanOrEqual(0.01 * rowsOf(t.node).length);
      expect(Math.abs(costOf(t.node) - truthMachine), t.node).toBeLessThanOrEqual(
        (boundaryGpuSeconds(t.gpus) / 3600) * rateOf(t.node) + 0.01 * rowsOf(t.node).length,
      );
    }
  });

  it('charges every pod its share of the physical GPUs (within one scrape interval per boundary)', () => {
    const failures: string[] = [];
    for (const t of truth.pods) {
      const rows = day.pods.filter((p) => p.pod.uid === t.uid && p.gpuResource === t.gpuResource);
      const gpuSeconds = rows.reduce((s, p) => s + p.gpuSeconds, 0);
      if (
        rows[0]?.requested !== t.requested ||
        rows[0]?.weight.numerator !== t.weight.numerator ||
        rows[0]?.weight.denominator !== t.weight.denominator
      )
        failures.push(
          `${t.role}: ${JSON.stringify(rows[0] && [rows[0].requested, rows[0].weight])} vs ${t.requested} × ${JSON.stringify(t.weight)}`,
        );
      if (Math.abs(gpuSeconds - t.gpuSeconds) > 2 * KSM_SECONDS * t.gpuEquivalents + 1e-9)
        failures.push(`${t.role}: ${gpuSeconds} GPU-s, truth ${t.gpuSeconds}`);
    }
    expect(failures).toEqual([]);
    expect(truth.pods.length).toBe(13);
  });

  it("makes the month's total Σ instance-hours × price to the cent", () => {
    const { reconciliation, totals } = priced.summary;
    expect(reconciliation.machines!.cost).toBe(totals.cost);
    expect([reconciliation.difference, reconciliation.machines!.difference]).toEqual(['0.00', '0.00']);
    const truthCost = truth.nodes.reduce(
      (s, t) => s + (t.days[0]!.presentSeconds / 3600) * t.gpus * rateOf(t.node),
      0,
    );
    const tolerance = truth.nodes.reduce(
      (s, t) => s + (boundaryGpuSeconds(t.gpus) / 3600) * rateOf(t.node),
      0,
    );
    expect(Math.abs(Number(totals.cost) - truthCost)).toBeLessThanOrEqual(tolerance);
    console.info(`real-shapes: billed ${totals.cost} USD; machines (truth) ${truthCost.toFixed(2)} USD`);
  });

  describe('each row of the table', () => {
    it('MIG mixed + renamed time-slicing and new profile names: the p4d is whole capacity, its pods weigh 1/14 and 1/7', () => {
      const p4d = node('rs-p4d-mig-shared');
      expect([p4d.gpus, p4d.gpuSource, p4d.idleByReason!['unknown-resource']]).toEqual([8, 'catalog', 0]);
      const weights = Object.fromEntries(
        day.pods.filter((p) => p.node === p4d.node).map((p) => [p.pod.pod, p.weight]),
      );
      expect(weights).toEqual({
        'mig-shared-a': { numerator: 1, denominator: 14 },
        'mig-shared-b': { numerator: 1, denominator: 14 },
        'mig-me': { numerator: 1, denominator: 7 },
        'mig-3g': { numerator: 3, denominator: 7 },
      });
    });

    it('MIG layout with unpartitioned slices: they are capacity, idle "mig-unpartitioned"', () => {
      const gaps = node('rs-p4d-mig-gaps');
      const t = truthNode('rs-p4d-mig-gaps');
      expect(
        Math.abs(gaps.idleByReason!['mig-unpartitioned'] - t.idleByReason['mig-unpartitioned']),
      ).toBeLessThanOrEqual(boundaryGpuSeconds(8 / 7));
      expect(gaps.idleByReason!['mig-unpartitioned']).toBeGreaterThan(0);
    });

    it('on-prem node without instance type, time-sliced ×4: 1 GPU from GFD, the pod ¼, priced by pricing.fallback', () => {
      const onPrem = node('rs-onprem-ts4');
      expect([onPrem.gpus, onPrem.gpuSource, onPrem.gpuModel]).toEqual([1, 'gfd', 'A100-SXM4-40GB']);
      expect(day.pods.find((p) => p.pod.pod === 'onprem-quarter')!.weight).toEqual({
        numerator: 1,
        denominator: 4,
      });
      expect(new Set(rowsOf('rs-onprem-ts4').map((r) => [r.unitPrice, r.priceFallback].join()))).toEqual(
        new Set(['2,true']),
      );
    });

    it('GPUs managed by DRA: the pod pays for the GPUs dcgm-exporter attributes to it while Running', () => {
      const rows = day.pods.filter((p) => p.pod.pod === 'dra-2-gpus');
      expect(rows.map((p) => [p.gpuResource, p.requested, p.weight, p.phase])).toEqual([
        ['dra_gpu', 2, { numerator: 1, denominator: 1 }, 'Running'],
      ]);
      expect(node('rs-dra').allocatedGpuSeconds).toBeCloseTo(rows[0]!.gpuSeconds, 6);
    });

    it('GPUs managed by DRA (nothing advertised): the node is whole capacity, unclaimed GPUs idle "not-advertised"', () => {
      const dra = node('rs-dra');
      expect(
        Math.abs(dra.idleByReason!['not-advertised'] - truthNode('rs-dra').idleByReason['not-advertised']),
      ).toBeLessThanOrEqual(boundaryGpuSeconds(4));
      expect(dra.idleByReason!['not-advertised']).toBeGreaterThan(0);
      // Its pods claim GPUs through DRA: unclaimed GPUs are its ordinary idle, not a warning.
      expect(priced.summary.warnings.filter((w) => w.startsWith('node rs-dra:'))).toEqual([]);
    });

    it('GPUs requested by a native sidecar and an init container: the effective request is billed', () => {
      const requested = Object.fromEntries(
        day.pods.filter((p) => p.node === 'rs-sidecar').map((p) => [p.pod.pod, p.requested]),
      );
      expect(requested).toEqual({ 'sidecar-gpu': 2, 'init-gpu': 2 });
    });

    it('GKE and AKS Spot labels: billed at the Spot price', () => {
      for (const [name, spot] of [
        ['rs-gke-spot', '1.1019'],
        ['rs-aks-spot', '1.4692'],
      ] as const) {
        expect([node(name).capacityType, rateOf(name).toString(), rowsOf(name)[0]!.pricingCategory]).toEqual([
          'spot',
          spot,
          'Dynamic',
        ]);
      }
    });

    it('whole-GPU time-slicing renamed to nvidia_com_gpu_shared: each unit ¼', () => {
      expect(day.pods.filter((p) => p.node === 'rs-gpu-shared').map((p) => p.weight)).toEqual([
        { numerator: 1, denominator: 4 },
        { numerator: 1, denominator: 4 },
      ]);
    });

    it('prices the on-prem node by GPU model when pricing.gpuModels has it, in the same run as the cloud nodes', async () => {
      const { priced: byModel } = await meterAndPrice(
        configFor(prometheus!.url, { ...REAL_SHAPES_PRICING, gpuModels: { A100: { perGpuHour: 1.5 } } }),
        period,
      );
      const rows = [...byModel.rows].filter((r) => r.node === 'rs-onprem-ts4');
      expect(new Set(rows.map((r) => [r.unitPrice, r.priceFallback].join()))).toEqual(new Set(['1.5,false']));
      expect(byModel.summary.reconciliation.machines!.difference).toBe('0.00');
    });
  });
});

describe.skipIf(hint !== null)('kube-state-metrics 2.0 (uid only on kube_pod_info)', () => {
  let prometheus: PrometheusHandle | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    const sim = simulate({
      preset: 'real-shapes',
      month: MONTH,
      zone: ZONE,
      seed: SEED,
      days: 1,
      shape: { ksmUidOnPodInfoOnly: true },
    });
    dir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-ksm20-'));
    const files = await writeOpenMetrics(sim, dir);
    prometheus = await startPrometheusWithData(files, {
      cacheKey: `real-shapes-ksm20-${MONTH}-${ZONE.replace('/', '_')}-${SEED}-v2`,
    });
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses with a clear error naming the minimum version instead of collapsing pods', async () => {
    const attempt = meterAndPrice(configFor(prometheus!.url), firstDay());
    await expect(attempt).rejects.toBeInstanceOf(ExporterVersionError);
    await expect(attempt).rejects.toThrow(/kube-state-metrics is older than 2\.1/);
  });
});
