/**
 * source.stepEvaluation "adapter" against "prometheus", on real Prometheus fixtures: running.promql
 * evaluated by Prometheus (query_range) and by the adapter from raw samples (rawSteps.ts) must give the
 * same series with the same points at every step, and the same metered day, on the reliability days
 * (one Prometheus; an HA pair with corrupt samples) and the real GPU shapes of issue #14. So must the
 * two DCGM utilization queries (avg_over_time per step, evaluated from raw samples by the adapter): the
 * same series in the same order, every mean bit for bit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPrometheus } from '../../src/adapters/prometheus/connect.ts';
import type { HttpFetch } from '../../src/adapters/prometheus/httpFetch.ts';
import { seriesIdentityOf } from '../../src/adapters/prometheus/identity.ts';
import { labelSetsSeen } from '../../src/adapters/prometheus/labelSetsSeen.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import type { PromSeries } from '../../src/adapters/prometheus/parseResponse.ts';
import { durationMs, labelPrefix, uidMatcher } from '../../src/adapters/prometheus/promql.ts';
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
import { attributorOf, gridForDay, meterWindow } from '../../src/core/metering/index.ts';
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
    [pod('q'), steps(1, 30)],
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
    // For the whole window's pod_requests (from the raw read of running): a request whose only sample
    // is on the window's first instant T0 (in the window, before every step's), one just before it and
    // one just after the end (in neither), a negative and a NaN-only request (both dropped, warned),
    // and two replicas of one request with different values (max by: 3).
    [req('k'), [[T0, 2]]],
    [
      req('l'),
      [
        [T0 - 0.001, 1],
        [T0 + 32 * STEP + 0.001, 1],
      ],
    ],
    [req('m'), steps(1, 3, 0, -1)],
    [req('n'), steps(1, 2, 0, 'NaN')],
    [req('p'), steps(1, 4, 0, 1)],
    [req('p', 'instance="ksm-2"'), steps(2, 3, 5, 3)],
  ]);
  family('kube_pod_init_container_resource_requests', [
    [req('h'), steps(3, 8)],
    [req('k'), [[T0, 1]]],
  ]);
  family('kube_pod_resourceclaim_info', [
    [`namespace="ml",pod="c",uid="uid-c",resourceclaim="gpu",instance="ksm-1"`, steps(20, 25)],
    // A DRA pod: a claim and no GPU request at all (the join keeps it only while it has its claim).
    [`namespace="ml",pod="q",uid="uid-q",resourceclaim="gpu",instance="ksm-1"`, steps(12, 16)],
  ]);
  // Node capacity and presence: replicas, window ends, NaN (max by keeps a value beside it; alone it is
  // dropped), a negative sample, a capacity change mid-day, a node known by kube_node_labels only.
  const node = (n: string, extra = 'instance="ksm-1"') => `node="${n}",${extra}`;
  const gpus = (n: string, extra?: string) => `${node(n, extra)},resource="nvidia_com_gpu",unit="integer"`;
  family('kube_node_status_capacity', [
    [gpus('n1'), [...steps(1, 10, 0, 8), ...steps(11, 20, 0, 4)]],
    [gpus('n1', 'instance="ksm-2"'), steps(1, 20, 17.5, 8)],
    [gpus('n2'), [...steps(2, 6, -59.999, 2), ...steps(10, 14, -60, 2)]],
    [gpus('n3', 'instance="ksm-1",job="a"'), steps(1, 8, 0, 'NaN')],
    [gpus('n3', 'instance="ksm-1",job="b"'), steps(4, 12, 0, 4)],
    [gpus('n4'), [...steps(1, 3, 0, 1), ...steps(4, 4, 0, -1), ...steps(5, 9, 0, 'NaN')]],
    [`${node('n1')},resource="cpu",unit="core"`, steps(1, 20, 0, 96)],
  ]);
  // node_info and node_labels over the whole window: provider ids from two replicas (max by merges
  // them), one seen only on the window's first instant, a node label that changes (two series).
  const provider = (n: string, extra?: string) => `${node(n, extra)},provider_id="aws:///us-east-1a/i-${n}"`;
  family('kube_node_info', [
    [`${node('n1')},kernel_version="6.1"`, steps(1, 20)],
    [`${node('n1', 'instance="ksm-2"')},kernel_version="6.1"`, steps(1, 20, 17.5)],
    [`${node('n2')},kernel_version="6.1"`, steps(2, 14, -30)],
    [`${provider('n8')},kernel_version="6.1"`, steps(1, 6)],
    [`${provider('n8', 'instance="ksm-2"')},kernel_version="6.1"`, steps(1, 6, 17.5)],
    [provider('n9'), [[T0, 1]]],
  ]);
  family('kube_node_labels', [
    [node('n2'), steps(1, 16)],
    [node('n5'), steps(5, 25)],
    [node('n6'), [[T0, 1]]],
    [`${node('n8')},label_nvidia_com_gpu_count="8"`, steps(1, 3)],
    [`${node('n8')},label_nvidia_com_gpu_count="7"`, steps(4, 6)],
  ]);
  // pod_nodes and pod_labels (pod_nodes_labels.promql asks both in one request): two replicas, a pod
  // pending (no node) and then bound, pods whose team changes inside the window (in either order of
  // their label values), a pod with none of the configured labels, a pod in another cluster, and pods
  // that cannot be billed (b: a phase only; z: no sample of any request). Label shapes as
  // kube-state-metrics writes them (internal/store/pod.go: kube_pod_info's namespace, pod, uid, node,
  // host_ip, pod_ip, created_by_kind, priority_class; kube_pod_labels' label_<name>), value 1.
  const info = (p: string, n: string, extra = 'instance="ksm-1"') =>
    `namespace="ml",pod="${p}",uid="uid-${p}",node="${n}",host_ip="10.0.0.1",pod_ip="10.1.0.${p.charCodeAt(0)}",created_by_kind="Job",priority_class="",${extra}`;
  const podLabels = (p: string, labels: string, extra = 'instance="ksm-1"') =>
    `namespace="ml",pod="${p}",uid="uid-${p}",${labels}${labels ? ',' : ''}${extra}`;
  family('kube_pod_info', [
    [info('a', 'n1'), steps(1, 30)],
    [info('a', 'n1', 'instance="ksm-2"'), steps(1, 29, 17.5)],
    [info('b', 'n1'), steps(1, 30)],
    [info('g', ''), steps(1, 7)],
    [info('g', 'n2'), steps(8, 20)],
    [info('h', 'n3'), steps(1, 10)],
    [info('k', ''), [[T0, 1]]],
    [info('q', 'n2', 'instance="ksm-1",cluster="east"'), steps(12, 16)],
    [info('z', 'n1'), steps(1, 30)],
  ]);
  family('kube_pod_labels', [
    [podLabels('a', 'label_team="alpha",label_project="p1",label_app="x"'), steps(1, 12)],
    [podLabels('a', 'label_team="beta",label_project="p1",label_app="x"'), steps(13, 30)],
    [
      podLabels('a', 'label_team="beta",label_project="p1",label_app="x"', 'instance="ksm-2"'),
      steps(13, 29, 17.5),
    ],
    [podLabels('b', 'label_team="bravo"'), steps(1, 30)],
    [podLabels('g', 'label_team="zeta"'), steps(1, 10)],
    [podLabels('g', 'label_team="alpha"'), steps(11, 20)],
    [podLabels('h', 'label_app="no-team"'), steps(1, 10)],
    [podLabels('i', ''), steps(1, 5)],
    [podLabels('q', 'label_project="dra"', 'instance="ksm-1",cluster="east"'), steps(12, 16)],
  ]);
  dcgmEdgeCases(family, steps);
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/**
 * Hand-written dcgm-exporter samples where avg_over_time per step could part from the adapter's: label
 * shapes as dcgm-exporter writes them (NVIDIA/dcgm-exporter pkg/dcgmexporter: gpu, UUID, device,
 * modelName, Hostname, DCGM_FI_DRIVER_VERSION, container/namespace/pod of the workload, GPU_I_PROFILE and
 * GPU_I_ID for MIG instances; `exported_*` when Prometheus renamed them), means whose float rounding
 * depends on the order of operations (0.1, 0.2, 0.3; 20 six-digit ratios a window at a 3 s scrape), NaN,
 * +Inf and negative samples, samples on both ends of a window, a Hostname change inside a step (two series
 * of one GPU at that step), HA replicas scraped at other instants, idle whole GPUs and idle MIG instances.
 */
function dcgmEdgeCases(
  family: (name: string, rows: [string, [number, number | string][]][]) => void,
  steps: (from: number, to: number, offset?: number, value?: number | string) => [number, number | string][],
): void {
  const gpu = (uuid: string, host: string, extra: string) =>
    `cluster="c1",gpu="0",UUID="${uuid}",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="${host}",DCGM_FI_DRIVER_VERSION="535.129.03",${extra}`;
  const exported = (p: string) =>
    `container="main",exported_namespace="ml",exported_pod="${p}",namespace="gpu-operator",pod="nvidia-dcgm-exporter-x"`;
  const direct = (p: string) => `container="main",namespace="ml",pod="${p}"`;
  // Pseudo-random six-digit ratios, as DCGM_FI_PROF_GR_ENGINE_ACTIVE reports them.
  let seed = 7;
  const ratio = () => {
    seed = (seed * 48271) % 2147483647;
    return (seed % 1000000) / 1000000;
  };
  const every = (seconds: number, from: number, to: number, value: () => number | string) =>
    Array.from({ length: Math.floor(((to - from) * STEP) / seconds) }, (_, i): [number, number | string] => [
      T0 + from * STEP + (i + 1) * seconds,
      value(),
    ]);
  family('DCGM_FI_PROF_GR_ENGINE_ACTIVE', [
    // 0.1, 0.2, 0.3 in step 2's window; then 20 ratios a window (3 s scrape) for steps 3–12.
    [
      gpu('GPU-a', 'n1', direct('a')),
      [[T0 + STEP + 10, 0.1], [T0 + STEP + 30, 0.2], [T0 + STEP + 50, 0.3], ...every(3, 2, 12, ratio)],
    ],
    // The exported_pod shape, with NaN and +Inf samples in their own windows.
    [
      gpu('GPU-b', 'n1', exported('b')),
      [
        ...every(20, 0, 4, ratio),
        [T0 + 5 * STEP - 5, 'NaN'],
        [T0 + 6 * STEP - 5, '+Inf'],
        ...every(15, 6, 10, ratio),
      ],
    ],
    // Samples on the ends of the window [t − 59.999 s, t].
    [gpu('GPU-c', 'n2', direct('c')), [...steps(2, 6, -59.999, 0.25), ...steps(10, 14, -60, 0.75)]],
    // A Hostname change inside step 8: two series of one GPU at that step.
    [gpu('GPU-d', 'n3', direct('d')), every(10, 1, 8, ratio).slice(0, -3)],
    [gpu('GPU-d', 'n3-renamed', direct('d')), every(10, 7, 14, ratio).slice(3)],
    // An HA pair: the same GPU from two Prometheus replicas, scraped 17.5 s apart.
    [`${gpu('GPU-e', 'n4', direct('e'))},replica="A"`, every(30, 0, 10, ratio)],
    [
      `${gpu('GPU-e', 'n4', direct('e'))},replica="B"`,
      every(30, 0, 10, ratio).map(([t, v]): [number, number | string] => [t + 17.5, v]),
    ],
    // MIG instances: one busy, one idle (presence), and an idle whole GPU the PROF presence skips.
    [`${gpu('GPU-f', 'n5', direct('f'))},GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"`, every(30, 0, 12, ratio)],
    [
      `${gpu('GPU-f', 'n5', 'container="",namespace="",pod=""')},GPU_I_PROFILE="3g.40gb",GPU_I_ID="2"`,
      every(30, 0, 20, ratio),
    ],
    [gpu('GPU-g', 'n6', 'container="",namespace="",pod=""'), every(30, 3, 20, () => 0)],
  ]);
  family('DCGM_FI_DEV_GPU_UTIL', [
    [gpu('GPU-a', 'n1', direct('a')), every(7, 0, 20, () => Math.round(ratio() * 100))],
    // A negative (corrupt) sample makes its step's mean negative: the client drops it either way.
    [
      gpu('GPU-b', 'n1', exported('b')),
      [...every(30, 0, 5, () => 40), [T0 + 7 * STEP - 1, -30], ...every(30, 8, 12, () => 33)],
    ],
    [gpu('GPU-g', 'n6', 'container="",namespace="",pod=""'), every(30, 3, 20, () => 0)],
    [`${gpu('GPU-h', 'n7', 'container="",namespace="",pod=""')},replica="B"`, every(60, 5, 9, () => 0)],
  ]);
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

/** Series as text in their order: labels in Prometheus' order and every point's value exactly. */
function exact(series: PromSeries[]): string[] {
  return series.map((s) =>
    JSON.stringify([Object.entries(s.metric).sort(([x], [y]) => compareStrings(x, y)), s.points.toJSON()]),
  );
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
  const { window: over, day: focus } = rangesOf(grid);
  const byPrometheus = await queries.range('running', { window: durationMs(grid.stepMs - 1) }, over);
  const byAdapter = await queries.runningFromRaw(over, grid.stepMs - 1);
  const window = durationMs(grid.stepMs - 1);
  const utilization = async (evaluate: 'prometheus' | 'adapter') =>
    Promise.all([
      ...(['utilization_prof', 'utilization_util'] as const).map((name) =>
        evaluate === 'prometheus'
          ? queries.range(name, { window }, focus)
          : queries.utilizationFromRaw(name, focus, grid.stepMs - 1),
      ),
      ...(['node_capacity', 'node_presence', 'ksm_presence'] as const).map(async (name) =>
        evaluate === 'prometheus'
          ? queries.range(name, { window }, over)
          : name === 'node_capacity'
            ? queries.nodeCapacityFromRaw(over, grid.stepMs - 1)
            : (await queries.presenceFromRaw(over, grid.stepMs - 1))[
                name === 'node_presence' ? 'nodePresence' : 'ksmPresence'
              ],
      ),
    ]);
  const meter = async (
    stepEvaluation: 'prometheus' | 'adapter',
    shard?: { index: number; count: number },
  ) => {
    const c = { ...config, source: { ...config.source, stepEvaluation } };
    const obs = await createPrometheusSource({ config: c, logger: quiet }).observe(grid, scrape, shard);
    return meterWindow(obs, { ...meterOptionsFor(c, day), ...(shard ? { shard } : {}) });
  };
  return {
    byPrometheus,
    byAdapter,
    utilizationByPrometheus: await utilization('prometheus'),
    utilizationByAdapter: await utilization('adapter'),
    // Both families from shared raw reads, as a shard of a day reads them.
    pairByAdapter: await queries.utilizationPairFromRaw(focus, grid.stepMs - 1),
    meteredByPrometheus: await meter('prometheus'),
    meteredByAdapter: await meter('adapter'),
    meter,
  };
}

/** The comparisons every fixture must pass: running, utilization and node answers, and the metered day. */
function expectSame(r: Awaited<ReturnType<typeof bothWays>>) {
  expect(r.byPrometheus.length).toBeGreaterThan(0);
  expect(canonical(r.byAdapter)).toEqual(canonical(r.byPrometheus));
  expect(r.utilizationByPrometheus.flat().length).toBeGreaterThan(0);
  expect(r.utilizationByAdapter.map(exact)).toEqual(r.utilizationByPrometheus.map(exact));
  expect([r.pairByAdapter.prof, r.pairByAdapter.util].map(exact)).toEqual(
    r.utilizationByPrometheus.slice(0, 2).map(exact),
  );
  expect(r.meteredByAdapter).toEqual(r.meteredByPrometheus);
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

    /** The adapter's queries of the edge cases (cluster label set), the warnings they log, and the grid. */
    const edgeQueries = () => {
      const warned: string[] = [];
      const logger = {
        ...quiet,
        warn: (message: string, fields?: unknown) => warned.push(`${message} ${JSON.stringify(fields)}`),
      };
      const config = parseConfig({ source: { kind: 'prometheus', url: edges.url, clusterLabel: 'cluster' } });
      const queries = createQueries(
        connectPrometheus({ source: config.source, logger }),
        loadQueryTemplates(DEFAULT_QUERIES_DIR),
        seriesIdentityOf(config.source),
        undefined,
        'adapter',
        logger,
      );
      const over = { startMs: (T0 + STEP) * 1000, endMs: (T0 + 32 * STEP) * 1000, stepMs: STEP * 1000 };
      return { warned, queries, over };
    };

    it('gives the same series and steps on samples made to part them (join, window ends, NaN, replicas)', async () => {
      const config = parseConfig({ source: { kind: 'prometheus', url: edges.url } });
      const asked: string[] = [];
      const fetch: HttpFetch = (url, init) => {
        asked.push(new URLSearchParams(init.body as string).get('query') ?? '');
        return (globalThis.fetch as unknown as HttpFetch)(url, init);
      };
      const queries = createQueries(
        connectPrometheus({ source: config.source, logger: quiet, fetch }),
        loadQueryTemplates(DEFAULT_QUERIES_DIR),
        seriesIdentityOf(config.source),
        undefined,
      );
      const over = { startMs: (T0 + STEP) * 1000, endMs: (T0 + 32 * STEP) * 1000, stepMs: STEP * 1000 };
      const byPrometheus = await queries.range('running', { window: '59999ms' }, over);
      asked.length = 0;
      const byAdapter = await queries.runningFromRaw(over, STEP * 1000 - 1);
      expect(canonical(byAdapter)).toEqual(canonical(byPrometheus));
      // A whole day reads the phase of the pods with a GPU request or a DRA claim in the span only: never
      // b's (no request, no claim), whose phase series the raw read of both selectors would hold.
      const phaseReads = asked.filter((q) => q.startsWith('{__name__="kube_pod_status_phase"'));
      expect(phaseReads.length).toBeGreaterThan(0);
      for (const q of phaseReads) {
        expect(q).toMatch(/uid=~"[^"]*uid-a[|"]/);
        expect(q).toMatch(/uid-q[|"]/);
        expect(q).not.toMatch(/uid-b\b/);
      }
      expect(asked.filter((q) => q.includes('phase=~"Running|"'))).toEqual([]);
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
      expect(steps('q')).toEqual([12, 13, 14, 15, 16]);
    }, 120_000);

    it("asks a whole day's pod_nodes and pod_labels in one request: the two queries' series, values and order", async () => {
      const { warned, queries, over } = edgeQueries();
      const whole = { startMs: T0 * 1000, endMs: over.endMs };
      const { uids } = await queries.podsFromRaw(over, STEP * 1000 - 1, whole);
      const labels = ['label_team', 'label_project', 'label_team'];
      const shard = { uids: uidMatcher(uids) };
      const nodes = await queries.overWindow('pod_nodes', {}, whole, shard);
      const named = await queries.overWindow('pod_labels', { labels: labelPrefix(labels) }, whole, shard);
      warned.length = 0;
      const both = await queries.podNodesAndLabels(labels, whole, shard.uids);
      expect(exact(both.podNodes)).toEqual(exact(nodes));
      expect(exact(both.podLabels)).toEqual(exact(named));
      expect(warned).toEqual([]);
      // What makes the comparison matter: a's and g's two label sets each (the metering takes the last
      // one, so the order is part of the answer), both replicas of a's node, g bound after it was
      // pending, q in its cluster, h and i without a configured label; b and z are never asked for.
      const teams = (pod: string) =>
        named.filter((s) => s.metric.pod === pod).map((s) => s.metric.label_team);
      expect(teams('a')).toEqual(['alpha', 'beta']);
      expect(teams('g')).toEqual(['alpha', 'zeta']);
      expect(nodes.filter((s) => s.metric.pod === 'a').map((s) => s.metric.instance)).toEqual([
        'ksm-1',
        'ksm-2',
      ]);
      expect(nodes.filter((s) => s.metric.pod === 'g').map((s) => s.metric.node)).toEqual(['n2']);
      expect(named.find((s) => s.metric.pod === 'q')?.metric).toMatchObject({ cluster: 'east' });
      expect(named.filter((s) => s.metric.pod === 'h' || s.metric.pod === 'i')).toHaveLength(2);
      expect([...nodes, ...named].filter((s) => ['b', 'z'].includes(s.metric.pod!))).toEqual([]);
    }, 120_000);

    it("gives when each of a pod's label sets was last seen up to the day's end, from their raw samples", async () => {
      const { queries, over } = edgeQueries();
      const identity = seriesIdentityOf(
        parseConfig({ source: { kind: 'prometheus', url: edges.url, clusterLabel: 'cluster' } }).source,
      );
      const whole = { startMs: T0 * 1000, endMs: over.endMs };
      const { uids } = await queries.podsFromRaw(over, STEP * 1000 - 1, whole);
      const labels = { pod: ['label_team', 'label_project'], namespace: ['label_team'] };
      const named = await queries.overWindow('pod_labels', { labels: labelPrefix(labels.pod) }, whole, {
        uids: uidMatcher(uids),
      });
      const rowOf = (pod: string, team: string) =>
        named.find((s) => s.metric.pod === pod && s.metric.label_team === team)!.metric;
      // Prometheus lists g's sets alpha, zeta (label order); g was zeta's until step 10, alpha's from 11.
      expect(named.filter((s) => s.metric.pod === 'g').map((s) => s.metric.label_team)).toEqual([
        'alpha',
        'zeta',
      ]);
      const seenUntil = (endStep: number) =>
        labelSetsSeen(
          queries,
          { podLabels: named, namespaceLabels: [] },
          { startMs: T0 * 1000, endMs: (T0 + endStep * STEP) * 1000 },
          identity,
          labels,
        );
      const step = (k: number, offset = 0) => (T0 + k * STEP + offset) * 1000;
      const day = await seenUntil(32);
      expect(day.pod(rowOf('g', 'zeta'))).toBe(step(10));
      expect(day.pod(rowOf('g', 'alpha'))).toBe(step(20));
      // a's beta: its last sample is ksm-1's at step 30 (ksm-2's last is step 29 + 17.5 s).
      expect(day.pod(rowOf('a', 'alpha'))).toBe(step(12));
      expect(day.pod(rowOf('a', 'beta'))).toBe(step(30));
      // h has one set: no time, nothing to decide.
      expect(day.pod(named.find((s) => s.metric.pod === 'h')!.metric)).toBeUndefined();
      // A day that ends before g's change: alpha is seen only after it (in the margin): no time.
      const early = await seenUntil(10);
      expect(early.pod(rowOf('g', 'zeta'))).toBe(step(10));
      expect(early.pod(rowOf('g', 'alpha'))).toBeUndefined();
      expect(early.pod(rowOf('a', 'beta'))).toBeUndefined();
    }, 120_000);

    it('bills a pod whose team changed within the day under the label set it had last, through the source', async () => {
      const config = parseConfig({
        timezone: 'UTC',
        source: { kind: 'prometheus', url: edges.url, clusterLabel: 'cluster' },
        metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
      });
      const day = billingPeriod('2026-10', 'UTC').days[0]!;
      expect(day.startMs).toBe(T0 * 1000);
      const source = createPrometheusSource({ config, logger: quiet });
      const scrape = await scrapeIntervalsFor({ config, source }, day);
      const obs = await source.observe(gridForDay(day, scrape, config.metering.maxBridgeSeconds), scrape);
      const attribute = attributorOf(obs, meterOptionsFor(config, day));
      const teamOf = (pod: string) => {
        const ref = obs.podLabels.find((l) => l.pod.pod === pod)!.pod;
        return attribute(ref).team.value;
      };
      // g: zeta until step 10, alpha from step 11 (Prometheus lists alpha first: the old rule said zeta);
      // a: alpha until step 12, beta from step 13 (listed in that order either way).
      expect(
        obs.podLabels.filter((l) => l.pod.pod === 'g').map((l) => [l.labels.label_team, l.lastSeenMs]),
      ).toEqual([
        ['alpha', (T0 + 20 * STEP) * 1000],
        ['zeta', (T0 + 10 * STEP) * 1000],
      ]);
      expect(teamOf('g')).toBe('alpha');
      expect(teamOf('a')).toBe('beta');
    }, 120_000);

    it('evaluates the utilization and node queries to the same answers, bit for bit and in order', async () => {
      const { warned, queries, over } = edgeQueries();
      for (const name of ['utilization_prof', 'utilization_util'] as const) {
        warned.length = 0;
        const byPrometheus = await queries.range(name, { window: '59999ms' }, over);
        const prometheusWarned = [...warned];
        warned.length = 0;
        const byAdapter = await queries.utilizationFromRaw(name, over, STEP * 1000 - 1);
        expect(byPrometheus.length).toBeGreaterThanOrEqual(4);
        // In order (a pod's GPUs are summed in this order downstream), every value bit for bit.
        expect(exact(byAdapter)).toEqual(exact(byPrometheus));
        // What the client's parser drops (NaN, +Inf, negative means) is warned of the same way.
        expect(warned).toEqual(prometheusWarned);
        if (name === 'utilization_util') expect(warned.join('\n')).toMatch(/dropped 1 negative sample/);
        else expect(warned.join('\n')).toMatch(/dropped 1 NaN sample[^]*dropped 1 infinite sample/);
      }
      // Both families from shared raw reads (as a shard reads them): the same answers and warnings.
      warned.length = 0;
      const separately = [];
      for (const name of ['utilization_prof', 'utilization_util'] as const)
        separately.push(await queries.range(name, { window: '59999ms' }, over));
      const prometheusWarned = [...warned];
      warned.length = 0;
      const pair = await queries.utilizationPairFromRaw(over, STEP * 1000 - 1);
      expect([pair.prof, pair.util].map(exact)).toEqual(separately.map(exact));
      expect(warned).toEqual(prometheusWarned);
      for (const name of ['node_capacity', 'node_presence', 'ksm_presence'] as const) {
        warned.length = 0;
        const byPrometheus = await queries.range(name, { window: '59999ms' }, over);
        const prometheusWarned = [...warned];
        warned.length = 0;
        const byAdapter =
          name === 'node_capacity'
            ? await queries.nodeCapacityFromRaw(over, STEP * 1000 - 1)
            : (await queries.presenceFromRaw(over, STEP * 1000 - 1))[
                name === 'node_presence' ? 'nodePresence' : 'ksmPresence'
              ];
        expect(byPrometheus.length).toBeGreaterThanOrEqual(name === 'ksm_presence' ? 2 : 3);
        expect(exact(byAdapter)).toEqual(exact(byPrometheus));
        expect(warned).toEqual(prometheusWarned);
        if (name === 'node_capacity')
          expect(warned.join('\n')).toMatch(/dropped 8 NaN samples[^]*dropped 1 negative sample/);
      }
      // Prometheus 2.42's avg_over_time of 0.1, 0.2, 0.3 (a compensated incremental mean) is not the
      // naive (0.1 + 0.2 + 0.3) / 3 = 0.20000000000000004.
      const prof = await queries.range('utilization_prof', { window: '59999ms' }, over);
      const a = prof.find((s) => s.metric.pod === 'a')!;
      expect(a.points.toJSON()[0]).toEqual([(T0 + 2 * STEP) * 1000, 0.19999999999999998]);
    }, 120_000);

    it("reads a whole day's pod_requests, pod_init_requests, node_labels and node_info from the raw reads, as Prometheus answers them", async () => {
      const { warned, queries, over } = edgeQueries();
      const whole = { startMs: T0 * 1000, endMs: over.endMs };
      const answer = async (name: 'pod_requests' | 'pod_init_requests' | 'node_labels' | 'node_info') => {
        warned.length = 0;
        const series = await queries.overWindow(name, {}, whole);
        return { series, warned: [...warned] };
      };
      const expected = {
        podRequests: await answer('pod_requests'),
        podInitRequests: await answer('pod_init_requests'),
        nodeLabels: await answer('node_labels'),
        nodeInfo: await answer('node_info'),
      };
      warned.length = 0;
      const pods = await queries.podsFromRaw(over, STEP * 1000 - 1, whole);
      const presence = await queries.presenceFromRaw(over, STEP * 1000 - 1, {}, whole);
      for (const name of ['podRequests', 'podInitRequests'] as const)
        expect(exact(pods[name]!)).toEqual(exact(expected[name].series));
      for (const name of ['nodeLabels', 'nodeInfo'] as const)
        expect(exact(presence[name]!)).toEqual(exact(expected[name].series));
      // The client's warnings of what it drops from the answers, the same (and in the same order).
      expect(warned.filter((w) => /pod_requests|pod_init_requests|node_labels|node_info/.test(w))).toEqual(
        [expected.podRequests, expected.podInitRequests, expected.nodeLabels, expected.nodeInfo].flatMap(
          (e) => e.warned,
        ),
      );
      // What the samples were made for, as Prometheus answers them.
      const value = (series: PromSeries[], pod: string) =>
        series.filter((s) => s.metric.pod === pod).map((s) => s.points.toJSON()[0]![1]);
      expect(value(expected.podRequests.series, 'k')).toEqual([2]);
      expect(value(expected.podInitRequests.series, 'k')).toEqual([1]);
      expect(value(expected.podRequests.series, 'l')).toEqual([]);
      expect(value(expected.podRequests.series, 'm')).toEqual([]);
      expect(value(expected.podRequests.series, 'p')).toEqual([3]);
      expect(expected.podRequests.warned.join('\n')).toMatch(
        /dropped 1 NaN sample[^]*dropped 1 negative sample/,
      );
      // In labels.Compare order: label_nvidia_com_gpu_count sorts before node.
      expect(expected.nodeLabels.series.map((s) => s.metric.node)).toEqual(['n8', 'n8', 'n2', 'n5', 'n6']);
      expect(expected.nodeInfo.series.map((s) => s.metric.node)).toEqual(['n8', 'n9']);
      // The running answer is the one runningFromRaw gives (the extra instant read changes no step).
      expect(exact(pods.running)).toEqual(exact(await queries.runningFromRaw(over, STEP * 1000 - 1)));
      // The pods the day can bill (pod_nodes, pod_labels and pod_sidecars are asked for them only): every
      // pod of pod_requests and pod_init_requests and the DRA pod q (a claim, no request); never b (a phase
      // only) nor l (requests only outside the window).
      const billed = [...expected.podRequests.series, ...expected.podInitRequests.series].map(
        (s) => s.metric.uid,
      );
      expect(pods.uids).toEqual([...pods.uids].sort(compareStrings));
      expect(pods.uids).toEqual(expect.arrayContaining([...billed, 'uid-q']));
      expect(pods.uids).not.toContain('uid-b');
      expect(pods.uids).not.toContain('uid-l');
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
        expectSame(await bothWays(config, day));
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
      expectSame(r);
      // Each of 3 shards, asking only for its own pods and nodes, meters the same either way.
      for (let index = 0; index < 3; index++) {
        const shard = { index, count: 3 };
        expect(await r.meter('adapter', shard)).toEqual(await r.meter('prometheus', shard));
      }
    }, 120_000);
  },
);
