/**
 * DCGM_FI_DEV_GPU_UTIL read on demand (src/adapters/prometheus/gpuUtilOnDemand.ts): a whole day that
 * reads that family's pod series only for the pods metering needs them for must meter exactly as the day
 * that reads every series, on real Prometheus: a small cluster (an A100 node with profiling metrics, a T4
 * node without, scraped without honor_labels so that its pods are named in exported_pod), also as an HA
 * Prometheus pair, with a Prometheus outage, and with its DCGM samples cut as real clusters lose them;
 * and the real GPU shapes of issue #14. Each way of reading is taken: no pod series, some pods', every
 * series (presence the other series cannot vouch for; most pods needed; no series index). Each shard of
 * the small cluster's day (2, 3 and 4 shards) must meter exactly as the shard that reads every series of
 * its pods, including an HA pair whose second replica only the unread series show.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpFetch } from '../../src/adapters/prometheus/httpFetch.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterOptions.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { gridForDay, meterWindow, podsReadingGpuUtil } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { Day, Shard } from '../../src/core/types.ts';
import {
  buildRealShapesScenario,
  PRESET_INSTANCE_TYPES,
  type SimPod,
  simulate,
  writeOpenMetrics,
} from '../../src/sim/index.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';

const quiet = { info() {}, warn() {}, error() {}, progress() {} };
const UTIL_METRIC = 'DCGM_FI_DEV_GPU_UTIL';
const PROF_METRIC = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
const H = 3_600_000;
const MONTH = '2026-05';

/**
 * A fetch that records each request's path and query (or series selector), and may refuse the series
 * endpoint, or narrow its time range to the last `narrowSeriesMs` as Mimir does with
 * -store.max-labels-query-length ("the request will not fail, but will be manipulated to only query data
 * within the allowed time range": grafana/mimir pkg/util/validation/limits.go, MaxLabelsQueryLength).
 */
function recordingFetch(
  options: { refuseSeries?: boolean; narrowSeriesMs?: number; unlistExportedPod?: string } = {},
): {
  fetch: HttpFetch;
  asked: string[];
} {
  const asked: string[] = [];
  const fetch: HttpFetch = async (url, init) => {
    const form = new URLSearchParams(typeof init.body === 'string' ? init.body : '');
    const path = new URL(url).pathname;
    asked.push(`${path} ${form.get('query') ?? form.get('match[]') ?? ''}`);
    if (path.endsWith('/api/v1/series')) {
      if (options.refuseSeries) throw new TypeError('fetch failed: connection refused');
      if (options.narrowSeriesMs !== undefined) {
        const end = Number(form.get('end'));
        form.set('start', String(Math.max(Number(form.get('start')), end - options.narrowSeriesMs / 1000)));
        return (globalThis.fetch as unknown as HttpFetch)(url, { ...init, body: form.toString() });
      }
      if (options.unlistExportedPod !== undefined) {
        // As if that pod's exported series had no sample yet when the endpoint was asked.
        const answer = await (globalThis.fetch as unknown as HttpFetch)(url, init);
        const body = JSON.parse(await answer.text()) as { data: Record<string, string>[] };
        body.data = body.data.filter((m) => m.exported_pod !== options.unlistExportedPod);
        return { status: answer.status, headers: answer.headers, text: async () => JSON.stringify(body) };
      }
    }
    return (globalThis.fetch as unknown as HttpFetch)(url, init);
  };
  return { fetch, asked };
}

/**
 * The day (or one `shard` of it) metered from every series, and reading DCGM_FI_DEV_GPU_UTIL on demand;
 * what was needed and read.
 */
async function bothWays(
  config: Config,
  day: Day,
  options: {
    refuseSeries?: boolean;
    narrowSeriesMs?: number;
    unlistExportedPod?: string;
    shard?: Shard;
  } = {},
) {
  const probe = createPrometheusSource({ config, logger: quiet });
  const scrape = await scrapeIntervalsFor({ config, source: probe }, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const { shard } = options;
  const meterOptions = { ...meterOptionsFor(config, day), ...(shard ? { shard } : {}) };
  const every = createPrometheusSource({ config, logger: quiet });
  const full = meterWindow(await every.observe(grid, scrape, shard), meterOptions);
  const needed: string[] = [];
  const recorder = recordingFetch(options);
  const warned: string[] = [];
  const onDemand = createPrometheusSource({
    config,
    logger: { ...quiet, warn: (message: string) => void warned.push(message) },
    fetch: recorder.fetch,
  });
  const observed = await onDemand.observe(grid, scrape, shard, (obs) => {
    const pods = podsReadingGpuUtil(obs, meterOptions);
    needed.push(...pods.map((p) => `${p.namespace}/${p.pod}`));
    return pods;
  });
  return {
    full,
    lazy: meterWindow(observed, meterOptions),
    utilSources: [
      ...new Set(full.pods.map((p) => `${p.pod.namespace}/${p.pod.pod} ${p.utilizationSource}`)),
    ].sort(),
    needed,
    reads: onDemand.stats.gpuUtilPodReads,
    // The raw reads of DCGM_FI_DEV_GPU_UTIL's pod branches, and the presence asked at unseen steps.
    utilPodReads: recorder.asked.filter(
      (a) => a.includes('DCGM_FI_DEV_GPU_UTIL') && /\]$/.test(a) && !a.includes(', pod=""'),
    ),
    presenceAsked: recorder.asked.filter(
      (a) => a.includes('count by') && a.includes(UTIL_METRIC) && !a.includes(PROF_METRIC),
    ),
    // dcgm_presence.promql: when each replica was scraped, asked by a shard that sees several.
    dcgmPresenceAsked: recorder.asked.filter((a) => a.includes('count by') && a.includes(PROF_METRIC)),
    asked: recorder.asked,
    warned,
  };
}

/**
 * One day of a small cluster: an A100 node (profiling metrics) running five jobs, and a T4 node (none,
 * as dcgm-exporter's default counters give on GPUs without DCGM profiling support) running one, with an
 * idle T4 all day; the T4 node's exporter scraped without honor_labels (its pods in exported_pod); and an
 * idle A10G node, whose DCGM_FI_DEV_GPU_UTIL shows every scrape of dcgm-exporter. Every
 * series as src/sim/series.ts writes them after dcgm-exporter and kube-state-metrics; optionally stored
 * by an HA Prometheus pair (replica="a"/"b", 7 s apart) or with Prometheus down 10:00-10:30.
 */
function smallDay(month: string, options: { ha?: boolean; outage?: boolean; t4Gone?: boolean } = {}) {
  const day = billingPeriod(month, 'UTC').days[0]!;
  const node = (
    name: string,
    instanceType: string,
    ip: string,
    dcgmLabels: 'direct' | 'exported',
    endMs = day.endMs + 48 * H,
  ) => {
    const info = PRESET_INSTANCE_TYPES[instanceType]!;
    return {
      name,
      ip,
      instanceType,
      capacityType: 'on-demand' as const,
      labelStyle: 'karpenter' as const,
      gpuModel: info.gpuModel,
      modelName: info.modelName,
      gpus: info.gpus,
      profilingMetrics: info.profilingMetrics,
      dcgmLabels,
      lifetimes: [{ startMs: day.startMs - 48 * H, endMs }],
    };
  };
  const job = (
    i: number,
    name: string,
    nodeName: string,
    units: number[],
    from: number,
    to: number,
  ): SimPod => ({
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    namespace: 'ml',
    name,
    createdByKind: 'Job',
    createdByName: name,
    labels: {},
    node: nodeName,
    createdMs: day.startMs + from * H - 120_000,
    scheduledMs: day.startMs + from * H - 60_000,
    runningMs: day.startMs + from * H,
    endMs: day.startMs + to * H,
    endPhase: 'Succeeded',
    deletedMs: day.startMs + to * H + 120_000,
    containers: [{ name: 'main', cpuCores: 8, gpuResource: 'nvidia_com_gpu', gpuCount: units.length, units }],
    utilization: { mean: 0.6, jitter: 0.2 },
  });
  return simulate({
    name: 'gpu-util',
    seed: 7,
    zone: 'UTC',
    range: { startMs: day.startMs - 24 * H, endMs: day.endMs + 24 * H },
    nodes: [
      node('a100-a', 'p4d.24xlarge', '10.0.1.1', 'direct'),
      node('t4-b', 'g4dn.12xlarge', '10.0.1.2', 'exported', options.t4Gone ? day.startMs + 5 * H : undefined),
      node('a10g-idle', 'g5.xlarge', '10.0.1.3', 'direct'),
    ],
    ...(options.ha
      ? { shape: { haReplicas: { label: 'replica', values: ['a', 'b'], offsetMs: 7_000 } } }
      : {}),
    ...(options.outage
      ? { outages: [{ startMs: day.startMs + 10 * H, endMs: day.startMs + 10.5 * H }] }
      : {}),
    namespaces: [{ name: 'ml', labels: { team: 'ml' } }],
    pods: [
      job(1, 'train-a', 'a100-a', [0, 1, 2, 3], 1, 20),
      job(2, 'train-b', 'a100-a', [4, 5], 2, 9),
      job(3, 'train-c', 'a100-a', [4, 5], 10, 22),
      job(4, 'tune-d', 'a100-a', [6], 0, 24),
      job(5, 'eval-e', 'a100-a', [7], 5, 6),
      job(6, 'infer-t4', 't4-b', [0, 1], 0, options.t4Gone ? 4 : 24),
    ],
  });
}

/**
 * The real GPU shapes of issue #14 (src/sim/realShapes.ts) with the dcgm-exporters of some of their
 * nodes (`withoutDcp`) run without the DCP metrics set (no DCGM_FI_PROF_GR_ENGINE_ACTIVE:
 * shared/REFERENCE.md, "needs a data-center GPU and the DCP metrics set"), so that their pods are metered
 * from DCGM_FI_DEV_GPU_UTIL: whole-GPU time-slicing renamed (rs-gpu-shared) and not (rs-onprem-ts4), a
 * native GPU sidecar and an init container asking more (rs-sidecar), a DRA claim named only in
 * dcgm-exporter's dra_* labels (rs-dra). The MIG nodes keep PROF (DCGM_FI_DEV_GPU_UTIL has no MIG
 * instance: src/sim/dcgm.ts hasGpuUtil). An idle g5.xlarge all day shows every scrape of dcgm-exporter,
 * so the day can vouch for its presence without the pod series and reads only the pods that need them.
 */
function realShapesWithoutDcp(month: string, zone: string, withoutDcp: ReadonlySet<string>) {
  const scenario = buildRealShapesScenario({ month, zone, seed: 42, days: 1 });
  const idle = PRESET_INSTANCE_TYPES['g5.xlarge']!;
  return simulate({
    ...scenario,
    nodes: [
      ...scenario.nodes.map((n) => (withoutDcp.has(n.name) ? { ...n, profilingMetrics: false } : n)),
      {
        name: 'rs-idle-all-day',
        ip: '10.42.0.99',
        instanceType: 'g5.xlarge',
        capacityType: 'on-demand',
        labelStyle: 'karpenter',
        gpuModel: idle.gpuModel,
        modelName: idle.modelName,
        gpus: idle.gpus,
        profilingMetrics: true,
        dcgmLabels: 'direct',
        lifetimes: [{ startMs: scenario.range.startMs - 48 * H, endMs: scenario.range.endMs + 48 * H }],
      },
    ],
  });
}

/** An OpenMetrics file without the sample lines `drop` names (by metric family, labels and time in ms). */
async function cut(file: string, out: string, drop: (family: string, line: string, tMs: number) => boolean) {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const kept = lines.filter((line) => {
    if (line.startsWith('#') || line === '') return true;
    const family = line.slice(0, line.search(/[{ ]/));
    const tMs = Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000;
    return !drop(family, line, tMs);
  });
  await writeFile(out, kept.join('\n'));
  return out;
}

describe.skipIf(prometheusInstallHint() !== null)('DCGM_FI_DEV_GPU_UTIL read on demand', () => {
  let dir: string;
  const servers: Record<string, PrometheusHandle> = {};
  const shapesMonth = '2026-03';
  const shapesZone = 'Asia/Seoul';
  const day = billingPeriod(MONTH, 'UTC').days[0]!;
  const PROF = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
  const UTIL = 'DCGM_FI_DEV_GPU_UTIL';
  const at = (hour: number) => day.startMs + hour * H;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcb-gpu-util-'));
    const shapes = simulate({
      preset: 'real-shapes',
      month: shapesMonth,
      zone: shapesZone,
      seed: 42,
      days: 1,
    });
    const small = await writeOpenMetrics(smallDay(MONTH), join(dir, 'small'));
    const ha = await writeOpenMetrics(smallDay(MONTH, { ha: true }), join(dir, 'ha'));
    const variant = async (
      name: string,
      files: string[],
      drop: (family: string, line: string, tMs: number) => boolean,
    ) => Promise.all(files.map((file, i) => cut(file, join(dir, `${name}-${i}.om`), drop)));
    const idle = (line: string) => !line.includes('pod=');
    // For half an hour the A100 node's exporter reports no DCGM_FI_PROF_GR_ENGINE_ACTIVE and the T4 node's
    // exporter nothing: only the A100 pods' DCGM_FI_DEV_GPU_UTIL (pods metered from PROF) says
    // dcgm-exporter was scraped.
    const profGap = (family: string, line: string, t: number) =>
      t >= at(10) &&
      t < at(10.5) &&
      (family === PROF || (family === UTIL && (idle(line) || line.includes('Hostname="t4-b"'))));
    const fixtures = {
      small,
      ha,
      shapes: await writeOpenMetrics(shapes, join(dir, 'shapes')),
      // Three pods without profiling metrics among the 8 names with DCGM_FI_DEV_GPU_UTIL series: some read.
      shapesNoDcp: await writeOpenMetrics(
        realShapesWithoutDcp(shapesMonth, shapesZone, new Set(['rs-gpu-shared', 'rs-dra'])),
        join(dir, 'shapes-no-dcp'),
      ),
      // Six of the 8: most pods need them, every pod series is read.
      shapesMostNoDcp: await writeOpenMetrics(
        realShapesWithoutDcp(
          shapesMonth,
          shapesZone,
          new Set(['rs-gpu-shared', 'rs-onprem-ts4', 'rs-sidecar', 'rs-dra']),
        ),
        join(dir, 'shapes-most-no-dcp'),
      ),
      outage: await writeOpenMetrics(smallDay(MONTH, { outage: true }), join(dir, 'outage')),
      // The T4 node is gone at 05:00 (its pod ran 00-04): a series endpoint narrowed to the day's last
      // hours lists neither.
      t4Gone: await writeOpenMetrics(smallDay(MONTH, { t4Gone: true }), join(dir, 't4-gone')),
      profGap: await variant('prof-gap', small, profGap),
      // The same in replica "b" of the HA pair only.
      haProfGap: await variant(
        'ha-prof-gap',
        ha,
        (f, line, t) => line.includes('replica="b"') && profGap(f, line, t),
      ),
      // The T4 pod's exporter stops at 04:00 (the pod runs on): its DCGM_FI_DEV_GPU_UTIL series ends there.
      t4EndsEarly: await variant(
        't4-ends-early',
        small,
        (family, line, t) => family.startsWith('DCGM_') && line.includes('Hostname="t4-b"') && t >= at(4),
      ),
      // No GPU reports DCGM_FI_PROF_GR_ENGINE_ACTIVE (profiling metrics switched off).
      noProf: await variant('no-prof', small, (family) => family === PROF),
      // The T4 job never ran: every pod has profiling metrics.
      noT4Pod: await variant('no-t4-pod', small, (_family, line) => line.includes('infer-t4')),
      // Replica "b" of the HA pair stored no DCGM_FI_PROF_GR_ENGINE_ACTIVE: a shard of A100 pods sees a
      // second replica in their DCGM_FI_DEV_GPU_UTIL series only.
      haNoProfB: await variant('ha-no-prof-b', ha, (f, line) => f === PROF && line.includes('replica="b"')),
    };
    const started = await Promise.all(Object.values(fixtures).map((files) => startPrometheusWithData(files)));
    for (const [i, name] of Object.keys(fixtures).entries()) servers[name] = started[i]!;
  }, 300_000);

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const smallConfig = (name: string) =>
    parseConfig({
      // No retry: the refused series endpoint fails at once.
      source: { kind: 'prometheus', url: servers[name]!.url, maxRetries: 0 },
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
      guard: { minCoveragePct: 0 },
    });

  const shapesConfig = (name: string) =>
    parseConfig({
      timezone: shapesZone,
      source: { kind: 'prometheus', url: servers[name]!.url },
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
      guard: { minCoveragePct: 0 },
    });

  for (const [name, server] of [
    ['one Prometheus', 'small'],
    ['an HA pair', 'ha'],
  ] as const) {
    it(`reads the T4 pod's series only, on a day whose other pods all have profiling metrics: ${name}`, async () => {
      const r = await bothWays(smallConfig(server), day);
      expect(r.lazy).toEqual(r.full);
      expect(r.needed).toEqual(['ml/infer-t4']);
      expect(r.utilSources).toContain('ml/infer-t4 DCGM_FI_DEV_GPU_UTIL');
      expect(r.utilSources).toContain('ml/train-a DCGM_FI_PROF_GR_ENGINE_ACTIVE');
      expect(r.reads).toEqual({
        none: 0,
        some: 1,
        all: { presence: 0, index: 0, 'incomplete index': 0, 'most pods': 0 },
      });
      // The exported_pod branch only (the T4 node's exporter is scraped without honor_labels), in spans.
      expect(r.utilPodReads.length).toBeGreaterThan(0);
      for (const read of r.utilPodReads) expect(read).toMatch(/exported_pod!="", exported_pod=~"infer-t4"\}/);
      expect(r.presenceAsked).toEqual([]);
    }, 120_000);
  }

  it('meters the same: the real GPU shapes (nodes of 4 hours: every series read)', async () => {
    const r = await bothWays(shapesConfig('shapes'), billingPeriod(shapesMonth, shapesZone).days[0]!);
    expect(r.full.pods.length).toBeGreaterThan(0);
    expect(r.lazy).toEqual(r.full);
    // Most of the day no DCGM series exists: asking about it first would cost more than reading.
    expect(r.reads.all.presence).toBe(1);
    expect(r.presenceAsked).toEqual([]);
  }, 120_000);

  for (const [server, how, needed] of [
    ['shapesNoDcp', 'some', ['ml/dra-2-gpus', 'serving/shared-a', 'serving/shared-b']],
    [
      'shapesMostNoDcp',
      'most pods',
      [
        'ml/dra-2-gpus',
        'ml/init-gpu',
        'ml/sidecar-gpu',
        'serving/onprem-quarter',
        'serving/shared-a',
        'serving/shared-b',
      ],
    ],
  ] as const) {
    it(`meters the real GPU shapes whose nodes lack profiling metrics, whole and in shards (${how})`, async () => {
      const shapesDay = billingPeriod(shapesMonth, shapesZone).days[0]!;
      const r = await bothWays(shapesConfig(server), shapesDay);
      expect(r.lazy).toEqual(r.full);
      // The pods of the nodes without DCP, by the names dcgm-exporter gives them, and only those.
      expect([...new Set(r.needed)].sort()).toEqual(needed);
      const util = r.utilSources.filter((s) => s.endsWith(UTIL_METRIC)).map((s) => s.split(' ')[0]);
      expect(util).toEqual(needed);
      expect(r.utilSources).toContain(`ml/mig-3g ${PROF_METRIC}`);
      expect(how === 'some' ? r.reads.some : r.reads.all['most pods']).toBe(1);
      expect(r.presenceAsked).toEqual([]);
      for (const count of [2, 3]) {
        for (let index = 0; index < count; index++) {
          const shard = await bothWays(shapesConfig(server), shapesDay, { shard: { index, count } });
          expect(shard.lazy).toEqual(shard.full);
        }
      }
    }, 240_000);
  }

  it("reads the T4 pod's series only by remote read too (source.readApi remote)", async () => {
    const config = smallConfig('small');
    const r = await bothWays({ ...config, source: { ...config.source, readApi: 'remote' } }, day);
    expect(r.lazy).toEqual(r.full);
    expect(r.needed).toEqual(['ml/infer-t4']);
    expect(r.reads.some).toBe(1);
    expect(r.asked.filter((a) => a.startsWith('/api/v1/read')).length).toBeGreaterThan(0);
  }, 120_000);

  it('reads no pod series when every pod has profiling metrics', async () => {
    const r = await bothWays(smallConfig('noT4Pod'), day);
    expect(r.lazy).toEqual(r.full);
    expect(r.needed).toEqual([]);
    expect(r.reads.none).toBe(1);
    expect(r.utilPodReads).toEqual([]);
  }, 120_000);

  it('asks about the steps of an outage, finds nothing there, and still reads one pod', async () => {
    const r = await bothWays(smallConfig('outage'), day);
    expect(r.lazy).toEqual(r.full);
    expect(r.full.coverage).toEqual(r.lazy.coverage);
    expect(r.presenceAsked).toHaveLength(1);
    expect(r.reads.some).toBe(1);
  }, 120_000);

  it('reads every series when only DCGM_FI_DEV_GPU_UTIL of busy GPUs shows a scrape', async () => {
    const r = await bothWays(smallConfig('profGap'), day);
    expect(r.lazy).toEqual(r.full);
    expect(r.presenceAsked).toHaveLength(1);
    expect(r.reads.all.presence).toBe(1);
    // Every pod branch read without a pod matcher.
    expect(r.utilPodReads.length).toBeGreaterThan(0);
    for (const read of r.utilPodReads) expect(read).not.toContain('pod=~');
  }, 120_000);

  it('reads every series when only DCGM_FI_DEV_GPU_UTIL of busy GPUs shows a scrape by one replica of an HA pair', async () => {
    const r = await bothWays(smallConfig('haProfGap'), day);
    expect(r.lazy).toEqual(r.full);
    expect(r.presenceAsked).toHaveLength(1);
    expect(r.reads.all.presence).toBe(1);
  }, 120_000);

  it('reads every series when most pods need them (no profiling metrics at all)', async () => {
    const r = await bothWays(smallConfig('noProf'), day);
    expect(r.presenceAsked).toEqual([]);
    expect(r.lazy).toEqual(r.full);
    expect(r.needed).toHaveLength(6);
    expect(r.reads.all['most pods']).toBe(1);
    expect(r.full.pods.every((p) => p.utilizationSource === 'DCGM_FI_DEV_GPU_UTIL')).toBe(true);
  }, 120_000);

  // Trusted, an index narrowed to the day's last hours would not list the T4 pod (its series ends at
  // 04:00): it would be metered without its utilization. Narrowed to 12 hours, the index also lacks pods
  // read with PROF on whole GPUs (train-b ran 02-09, eval-e 05-06); narrowed to 19 hours it lists them
  // all, and only the T4 pod, asked by name, shows it incomplete.
  for (const [hours, how] of [
    [12, 'lacks pods read with PROF'],
    [19, 'lacks a pod metering needs'],
  ] as const) {
    it(`reads every series when the series endpoint answers for the last ${hours} hours only and ${how}`, async () => {
      const r = await bothWays(smallConfig('t4EndsEarly'), day, { narrowSeriesMs: hours * H });
      expect(r.utilSources).toContain('ml/infer-t4 DCGM_FI_DEV_GPU_UTIL');
      expect(r.lazy).toEqual(r.full);
      expect(r.reads.all['incomplete index']).toBe(1);
      // Found before or after metering was asked which pods it needs.
      expect(r.needed).toEqual(hours === 12 ? [] : ['ml/infer-t4']);
      // (Shards of such a day: 'in shards of the day' below.)
    }, 120_000);
  }

  it('reads the T4 pod alone when the series endpoint answers for the whole day', async () => {
    const whole = await bothWays(smallConfig('t4EndsEarly'), day);
    expect(whole.lazy).toEqual(whole.full);
    expect(whole.needed).toEqual(['ml/infer-t4']);
    expect(whole.reads.some).toBe(1);
  }, 120_000);

  it('reads every series when the series endpoint does not answer', async () => {
    const r = await bothWays(smallConfig('small'), day, { refuseSeries: true });
    expect(r.lazy).toEqual(r.full);
    expect(r.reads.all.index).toBe(1);
  }, 120_000);

  describe('in shards of the day', () => {
    // shardOfNode: with 2 shards the T4 node is shard 0's (which also reads every idle GPU) and the A100
    // and A10G nodes shard 1's; with 3 every node is shard 0's; with 4, a100-a -> 1, t4-b -> 2, a10g-idle -> 3.
    const readsOf = async (server: string, count: number) => {
      const out: string[] = [];
      for (let index = 0; index < count; index++) {
        const r = await bothWays(smallConfig(server), day, { shard: { index, count } });
        expect(r.lazy).toEqual(r.full);
        const how = r.reads.some
          ? 'some'
          : r.reads.none
            ? 'none'
            : Object.entries(r.reads.all).find(([, n]) => n > 0)![0];
        out.push(`${how}${r.dcgmPresenceAsked.length > 0 ? '+dcgm_presence' : ''}`);
      }
      return out.join(' ');
    };
    // What each shard read (2 | 3 | 4 shards): with no other DCGM series to vouch for its scrapes (the T4
    // node alone in its shard), every series; where a shard sees two replicas, dcgm_presence first.
    const expected: Record<string, string> = {
      small: 'most pods none | some none none | none none presence none',
      ha:
        'most pods+dcgm_presence none+dcgm_presence | some+dcgm_presence none none | ' +
        'none+dcgm_presence none+dcgm_presence presence+dcgm_presence none',
      outage: 'most pods none | some none none | none none presence none',
      profGap: 'most pods presence | presence none none | none presence presence none',
      haProfGap:
        'most pods+dcgm_presence none+dcgm_presence | some+dcgm_presence none none | ' +
        'none+dcgm_presence none+dcgm_presence presence+dcgm_presence none',
      noProf: 'most pods presence | most pods none none | none presence presence none',
      noT4Pod: 'none none | none none none | none none none none',
      // Replica "b" only in the A100 pods' DCGM_FI_DEV_GPU_UTIL: shard 1 of 2 cannot vouch for it, reads
      // them all, and then asks dcgm_presence, as it did when it read every series.
      haNoProfB:
        'most pods+dcgm_presence presence+dcgm_presence | some+dcgm_presence none none | ' +
        'none+dcgm_presence presence+dcgm_presence presence+dcgm_presence none',
    };
    // Trusted, a series endpoint narrowed to the last 12 hours would leave the T4 node gone at 05:00
    // (t4Gone) to no shard: its capacity unbilled, its pod metered on a node no shard knows; and with the
    // T4 exporter stopped at 04:00 (t4EndsEarly) it would not name the T4 pod in exported_pod, whose
    // utilization its shard would then never read. The shard finds the endpoint lacking what the query
    // API's samples show, warns, reads every node series or every DCGM pod series of its pods, and asks
    // that endpoint nothing more.
    for (const [server, lacks] of [
      ['t4Gone', /lists 1 node\(s\) fewer[^]*\(t4-b\)/],
      ['t4EndsEarly', /lists 1 exported_pod name\(s\) fewer[^]*\(infer-t4\)/],
    ] as const) {
      it(`meters each shard exactly when the series endpoint answers for the last 12 hours only: ${server}`, async () => {
        for (const count of [2, 3, 4]) {
          let t4Pod = 0;
          for (let index = 0; index < count; index++) {
            const what = `shard ${index + 1} of ${count}`;
            const r = await bothWays(smallConfig(server), day, {
              shard: { index, count },
              narrowSeriesMs: 12 * H,
            });
            expect(r.lazy, what).toEqual(r.full);
            const dcgmUtilIndex = r.asked.filter((a) =>
              a.startsWith('/api/v1/series {__name__="DCGM_FI_DEV_GPU_UTIL"'),
            );
            if (r.utilSources.includes('ml/infer-t4 DCGM_FI_DEV_GPU_UTIL')) {
              t4Pod++;
              expect(r.warned.join('\n'), what).toMatch(lacks);
              expect(dcgmUtilIndex, what).toEqual([]);
              expect(r.reads.all['incomplete index'], what).toBe(1);
            }
          }
          expect(t4Pod, `${count} shards`).toBe(1);
        }
      }, 240_000);
    }

    it("checks the series endpoint's exported_pod names up to the day's end only", async () => {
      // The day before: infer-t4's exported series start at midnight, in its window's margin only. An
      // endpoint asked before their samples arrived does not list it, and that is no sign of narrowing.
      const dayBefore = billingPeriod('2026-04', 'UTC').days.at(-1)!;
      let checked = 0;
      for (let index = 0; index < 2; index++) {
        const what = `shard ${index + 1} of 2`;
        const r = await bothWays(smallConfig('small'), dayBefore, {
          shard: { index, count: 2 },
          unlistExportedPod: 'infer-t4',
        });
        expect(r.lazy, what).toEqual(r.full);
        expect(r.warned, what).toEqual([]);
        checked += r.asked.filter((a) => a.includes('group by (exported_pod)')).length;
      }
      expect(checked).toBeGreaterThan(0);
      // The same pod missing from the list of the day it ran is found.
      const r = await bothWays(smallConfig('small'), day, {
        shard: { index: 0, count: 2 },
        unlistExportedPod: 'infer-t4',
      });
      expect(r.lazy).toEqual(r.full);
      expect(r.warned.join('\n')).toMatch(/lists 1 exported_pod name\(s\) fewer[^]*\(infer-t4\)/);
    }, 240_000);

    for (const [server, reads] of Object.entries(expected))
      it(`meters each shard exactly as when it reads every series: ${server}`, async () => {
        const all = [await readsOf(server, 2), await readsOf(server, 3), await readsOf(server, 4)];
        expect(all.join(' | ')).toBe(reads);
      }, 240_000);
  });
});
