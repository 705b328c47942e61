import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { demoConfig } from '../../../src/app/demoConfig.ts';
import { meteringKey, meterOptionsFor, scrapeIntervalsFor } from '../../../src/app/meterDay.ts';
import { clusterGpusKey } from '../../../src/app/meterOptions.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { meterWindow } from '../../../src/core/metering/index.ts';
import { ConfigError } from '../../../src/errors.ts';
import type { Exporter } from '../../../src/ports.ts';
import { simulate } from '../../../src/sim/index.ts';
import { HOUR, seoulDay, windowFor } from '../metering/fixtures.ts';

const G5 = { gpus: 4, gpuModel: 'A10G', onDemand: 5.672 };
const DGX = { gpus: 8, gpuModel: 'A100', onDemand: 20 };

function configWith(pricing: ConfigInput['pricing']) {
  return parseConfig({ source: { clusterLabel: 'cluster' }, pricing });
}

describe('meterOptionsFor', () => {
  const day = seoulDay();

  it('gives metering the idle-held rule as a fraction and milliseconds (metering.idleHeld)', () => {
    expect(meterOptionsFor(parseConfig({}), day).idleHeld).toEqual({
      utilizationBelow: 0.05,
      forMs: 900_000,
    });
    const config = parseConfig({ metering: { idleHeld: { utilizationBelowPct: 10, forMinutes: 12 } } });
    expect(meterOptionsFor(config, day).idleHeld).toEqual({ utilizationBelow: 0.1, forMs: 720_000 });
  });

  it('refuses an idle-held threshold of 0 % (nothing could ever be idle)', () => {
    expect(() => parseConfig({ metering: { idleHeld: { utilizationBelowPct: 0 } } })).toThrow(/idleHeld/);
  });

  it("weighs a node whose instance type is only in its cluster's catalog by that entry (pricing.byCluster)", () => {
    // An on-prem DGX (8 A100s) time-sliced ×4: 32 advertised units of 1/4 GPU each.
    const config = configWith({
      instanceTypes: { 'g5.12xlarge': G5 },
      byCluster: { onprem: { instanceTypes: { dgx: DGX } } },
    });
    const base = windowFor(
      day,
      [{ name: 'a', node: 'dgx-1', running: [[day.startMs, day.startMs + HOUR]] }],
      [{ name: 'dgx-1', instanceType: 'dgx', capacity: { nvidia_com_gpu: 32 } }],
    );
    const onPrem = <T extends { cluster: string }>(x: T): T => ({ ...x, cluster: 'onprem' });
    const obs = {
      ...base,
      running: base.running.map((r) => ({ ...r, pod: onPrem(r.pod) })),
      requests: base.requests.map((r) => ({ ...r, pod: onPrem(r.pod) })),
      podNodes: base.podNodes.map((p) => ({ ...p, pod: onPrem(p.pod) })),
      nodeLabels: base.nodeLabels.map(onPrem),
      nodeCapacity: base.nodeCapacity.map(onPrem),
    };
    const metered = meterWindow(obs, meterOptionsFor(config, day));
    expect(metered.pods.map((p) => [p.weight, p.gpuSeconds])).toEqual([
      [{ numerator: 1, denominator: 4 }, 900],
    ]);
    expect(metered.nodes.map((n) => [n.gpus, n.capacityGpuSeconds])).toEqual([[8, 8 * 86_400]]);
    expect(metered.warnings.filter((w) => w.includes('dgx'))).toEqual([]);
  });

  it('passes the catalog as plain GPU facts, without prices', () => {
    const config = configWith({
      instanceTypes: { 'g5.12xlarge': G5 },
      byCluster: { onprem: { instanceTypes: { dgx: DGX } } },
    });
    const options = meterOptionsFor(config, day);
    expect([options.instanceTypes, options.instanceTypesByCluster]).toEqual([
      new Map([['g5.12xlarge', { gpus: 4, gpuModel: 'A10G' }]]),
      new Map([['onprem', new Map([['dgx', { gpus: 8, gpuModel: 'A100' }]])]]),
    ]);
  });
});

describe('meteringKey', () => {
  const day = seoulDay();
  it("changes when a cluster's catalog changes a GPU count or model, so partials are re-metered", () => {
    const key = (dgx: typeof DGX) =>
      meteringKey(configWith({ byCluster: { onprem: { instanceTypes: { dgx } } } }), day, [], 'demo');
    expect(key(DGX)).not.toBe(key({ ...DGX, gpus: 4 }));
    expect(key(DGX)).not.toBe(key({ ...DGX, gpuModel: 'H100' }));
    expect(key(DGX)).toBe(key({ ...DGX, onDemand: 25 }));
  });

  describe('edge cases', () => {
    it('adds nothing to the key of a config without per-cluster catalogs (stored partials stay valid)', () => {
      const g5x = { gpus: 1, gpuModel: 'A10G', onDemand: 1 };
      expect(clusterGpusKey(parseConfig({ pricing: { instanceTypes: { 'g5.xlarge': g5x } } }))).toEqual({});
      expect(clusterGpusKey(parseConfig({}))).toEqual({});
      // Pinned (partial schema 3): a change of the key's spelling re-meters every stored partial; make it deliberately.
      expect(
        meteringKey(parseConfig({ pricing: { instanceTypes: { 'g5.xlarge': g5x } } }), day, [], 'demo'),
      ).toBe('00c63b63dfef0bc7');
    });

    it('changes the key when metering.idleHeld is not the default (a day metered under another rule is re-metered)', () => {
      const key = (idleHeld: object) => meteringKey(parseConfig({ metering: { idleHeld } }), day, [], 'demo');
      expect(key({ utilizationBelowPct: 5, forMinutes: 15 })).toBe(key({}));
      expect(key({ utilizationBelowPct: 5, forMinutes: 10 })).not.toBe(key({}));
      expect(key({ utilizationBelowPct: 10 })).not.toBe(key({}));
    });
  });
});

describe('scrapeIntervalsFor', () => {
  const day = seoulDay();
  /** A source detecting 60 s / 30 s (or nothing), recording what it was asked to detect. */
  function detecting(found: Partial<Record<Exporter, number>> = { kubeStateMetrics: 60, dcgm: 30 }) {
    const asked: Exporter[] = [];
    const source = {
      async detectScrapeInterval(exporter: Exporter) {
        asked.push(exporter);
        return found[exporter] ?? null;
      },
    };
    return { source, asked };
  }
  const configured = (scrapeIntervalSeconds: { kubeStateMetrics?: number; dcgm?: number }) =>
    parseConfig({ metering: { scrapeIntervalSeconds } });

  it('detects both intervals when none is configured', async () => {
    const { source, asked } = detecting();
    expect(await scrapeIntervalsFor({ config: configured({}), source }, day)).toEqual({
      kubeStateMetricsSeconds: 60,
      dcgmSeconds: 30,
      source: 'detected',
    });
    expect(asked).toEqual(['kubeStateMetrics', 'dcgm']);
  });

  it('still detects dcgm-exporter when only kube-state-metrics is configured (utilization was billed, not "none found")', async () => {
    const { source, asked } = detecting();
    expect(await scrapeIntervalsFor({ config: configured({ kubeStateMetrics: 120 }), source }, day)).toEqual({
      kubeStateMetricsSeconds: 120,
      dcgmSeconds: 30,
      source: 'config',
    });
    expect(asked).toEqual(['dcgm']);
  });

  it('lets each configured interval win over detection, per exporter', async () => {
    const onlyDcgm = detecting();
    const dcgmConfigured = { config: configured({ dcgm: 10 }), source: onlyDcgm.source };
    expect(await scrapeIntervalsFor(dcgmConfigured, day)).toEqual({
      kubeStateMetricsSeconds: 60,
      dcgmSeconds: 10,
      source: 'detected',
    });
    expect(onlyDcgm.asked).toEqual(['kubeStateMetrics']);
    const both = detecting();
    const config = configured({ kubeStateMetrics: 120, dcgm: 10 });
    expect(await scrapeIntervalsFor({ config, source: both.source }, day)).toEqual({
      kubeStateMetricsSeconds: 120,
      dcgmSeconds: 10,
      source: 'config',
    });
    expect(both.asked).toEqual([]);
  });

  describe('edge cases', () => {
    it('reports no dcgm-exporter interval (null) when it is neither configured nor found', async () => {
      const { source } = detecting({ kubeStateMetrics: 60 });
      expect((await scrapeIntervalsFor({ config: configured({}), source }, day)).dcgmSeconds).toBeNull();
    });

    it('fails with guidance when the kube-state-metrics interval is neither configured nor detectable', async () => {
      const { source } = detecting({});
      const run = scrapeIntervalsFor({ config: configured({}), source }, day);
      const error = await run.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/scrapeIntervalSeconds\.kubeStateMetrics/);
    });
  });
});

describe('a report with only the kube-state-metrics interval configured', () => {
  const MONTH = '2026-02';
  let pdfText = '';
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ksm-only-'));
    const config = parseConfig({
      ...demoConfig,
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60 } },
      output: { location: dir },
      // Two simulated days of a 28-day month: below the default coverage floor on purpose.
      guard: { minCoveragePct: 0 },
    });
    const sim = simulate({ preset: 'demo', month: MONTH, zone: config.timezone, seed: 7, days: 2 });
    const store = createFsStore(dir);
    const ctx: AppContext = {
      config,
      source: createDemoSource(sim),
      store,
      metrics: { publish: async () => {} },
      logger: { info() {}, warn() {}, error() {}, progress() {} },
      clock: { nowMs: () => Date.parse('2026-03-05T00:00:00Z') },
    };
    await runMonthlyReport(ctx, MONTH, { remeter: true });
    const pdf = join(dir, 'report.pdf');
    await writeFile(pdf, (await store.get(`${MONTH}/executive-report.pdf`))!);
    pdfText = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(spawnSync('pdftotext', ['-v']).error !== undefined)(
    'says in the PDF method page where utilization came from, not that none was found',
    () => {
      expect(pdfText).toContain('GPU utilization from dcgm-exporter every 30 seconds.');
      expect(pdfText).not.toContain('No GPU utilization metrics were found');
    },
  );
});
