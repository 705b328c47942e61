import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '../../concurrency.ts';
import type { Config } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import { detectScrapeIntervalSeconds } from '../../core/metering/index.ts';
import type { StepGrid, TimeRange } from '../../core/types.ts';
import { PrometheusQueryError } from '../../errors.ts';
import type { Exporter, Logger } from '../../ports.ts';
import { mergeSeries, type PrometheusClient, type RangeWindow } from './client.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries, SeriesTransform } from './parseResponse.ts';
import {
  durationMs,
  extraMatchers,
  fillQuery,
  labelPrefix,
  literalAlternation,
  uidMatcher,
} from './promql.ts';
import {
  type DroppedValues,
  countByFromRaw,
  lastPerStep,
  MaxOverWindow,
  maxByFromRaw,
  maxByInOrder,
  meansPerStep,
  RunningFromRaw,
  sortLikePrometheus,
  stepCount,
  utilizationFromRaw,
} from './rawSteps.ts';
import {
  collapseUtilization,
  PRESENCE_LABEL,
  type SampleCounts,
  sampleCountsOf,
  splitPresence,
} from './utilization.ts';

/**
 * What the Prometheus source asks: the queries of queries/*.promql, filled with the source's cluster
 * label, selector and replica labels, and the named answers one metered window needs.
 */

export const QUERY_NAMES = [
  'running',
  'pending_on_node',
  'node_capacity',
  'node_presence',
  'ksm_presence',
  'utilization_prof',
  'utilization_util',
  'utilization_counts',
  'pod_requests',
  'pod_init_requests',
  'pod_sidecars',
  'dra_devices',
  'pod_nodes',
  'pod_labels',
  'pod_nodes_labels',
  'pod_labels_raw',
  'namespace_labels',
  'namespace_labels_raw',
  'node_labels',
  'node_info',
  'scrape_ksm',
  'scrape_dcgm',
  'pod_claims',
  'dcgm_presence',
  'fleet_gpus',
  'gpu_quota',
  'running_pods_raw',
  'running_phase_raw',
  'running_claims_raw',
  'utilization_raw_exported',
  'utilization_raw_pod',
  'utilization_raw_idle',
  'node_capacity_raw',
  'node_presence_raw',
  'node_index',
  'node_names',
  'dcgm_exported_index',
  'dcgm_exported_names',
  'dcgm_util_index',
  'dcgm_util_pods_presence',
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/** Reads the query templates, dropping `#` comment lines (they may mention placeholders). */
export function loadQueryTemplates(dir: string): Record<QueryName, string> {
  const out = {} as Record<QueryName, string>;
  for (const name of QUERY_NAMES) {
    const text = readFileSync(`${dir.replace(/\/+$/, '')}/${name}.promql`, 'utf8');
    out[name] = text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n')
      .trim();
  }
  return out;
}

/**
 * The package's queries/ directory: the nearest one above this module that holds the templates. The same
 * code runs from src/adapters/prometheus/ (tests, tsx) and bundled into dist/cli.mjs (the CLI), so the
 * depth of the module below the package root is not fixed. Lambdas pass their packaged directory instead.
 */
export const DEFAULT_QUERIES_DIR = findQueriesDir(fileURLToPath(new URL('.', import.meta.url)));

function findQueriesDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'queries');
    if (existsSync(join(candidate, 'running.promql'))) return `${candidate}/`;
    if (dirname(dir) === dir) return join(from, 'queries/');
  }
}

/** The two DCGM utilization queries, and what their raw reads (utilization_raw_*) need. */
export type UtilizationQuery = 'utilization_prof' | 'utilization_util';

/**
 * Which branches of utilization_prof/util a raw evaluation reads: the pods named in exported_pod, the
 * pods named in pod, the idle devices (presence rows). A branch not read answers nothing.
 */
export interface UtilizationBranches {
  exported: boolean;
  pod: boolean;
  idle: boolean;
}

const ALL_BRANCHES: UtilizationBranches = Object.freeze({ exported: true, pod: true, idle: true });
const UTILIZATION_RAW = {
  utilization_prof: { metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', divisor: 1, mig: ', GPU_I_ID!=""' },
  utilization_util: { metric: 'DCGM_FI_DEV_GPU_UTIL', divisor: 100, mig: '' },
} as const;

/**
 * Steps of the first raw read of a query evaluated in the adapter (6 h at a 60 s step); the next spans
 * are sized by what it held (nextSpanSteps). Each raw sample is read once whatever the spans.
 */
const RAW_SPAN_STEPS = 360;
/**
 * Raw samples one raw read aims at (≈ 32 MB compact): bounds memory and Prometheus' query.max-samples. A
 * span may hold up to a fifth more (its tail, spanSteps).
 */
const RAW_SPAN_SAMPLES = 1_000_000;
const RAW_SPAN_MIN_STEPS = 30;
/**
 * Raw samples a raw read of one shard of a day aims at: twice a whole day's. A shard's selectors carry a
 * regex of every pod of the shard, which Prometheus compiles again for each request (≈ 17 µs an
 * alternative with 2.42: ≈ 75 ms a request for a third of 4,096 GPUs), so fewer, larger spans; a shard
 * holds a fraction of the day, so its memory stays below a whole day's.
 */
const SHARD_SPAN_SAMPLES = 2 * RAW_SPAN_SAMPLES;

/** GPUs per utilization_counts request (each UUID is ~45 characters of regex). */
const COUNT_UUIDS_PER_REQUEST = 200;

/**
 * What narrows the queries to one shard of a day (shardQueries.ts), each a matcher list appended inside
 * the selectors whose template names it, or "" (the whole day): `uids` for pod series, `nodes` for node
 * series and the requests that name candidate pods, `exportedPods` / `pods` for DCGM series by pod name,
 * `idle` for the idle-GPU branch of the utilization queries.
 */
export interface ShardMatchers {
  uids: string;
  /** The shard's pods with a DRA claim (running_claims_raw): a pod without one has no claim series. */
  claimUids: string;
  nodes: string;
  exportedPods: string;
  pods: string;
  idle: string;
}

/** Matchers of a whole day: nothing narrowed. */
export const WHOLE_DAY_MATCHERS: ShardMatchers = Object.freeze({
  uids: '',
  claimUids: '',
  nodes: '',
  exportedPods: '',
  pods: '',
  idle: '',
});

/** The queries of one source, bound to its client. */
export interface PrometheusQueries {
  /** Who evaluates running.promql per step (source.stepEvaluation): Prometheus, or the adapter from raw samples. */
  readonly stepEvaluation: 'prometheus' | 'adapter';
  /**
   * The query text of `name`: shared parameters (and the shard's matchers) where the template uses them,
   * then `params` (all used).
   */
  fill(name: QueryName, params: Record<string, string>, shard?: Partial<ShardMatchers>): string;
  /** A range query on a grid. */
  range(
    name: QueryName,
    params: Record<string, string>,
    over: RangeWindow,
    shard?: Partial<ShardMatchers>,
  ): Promise<PromSeries[]>;
  /**
   * running.promql on the grid `over` (window `windowMs`), evaluated in the adapter from raw samples
   * (rawSteps.ts) read in spans of at most RAW_SPAN_STEPS steps; a span Prometheus finds too large is
   * halved. The same series and points as `range('running', …)`.
   */
  runningFromRaw(over: RangeWindow, windowMs: number, shard?: Partial<ShardMatchers>): Promise<PromSeries[]>;
  /**
   * pod_nodes and pod_labels over `window` for the pods `uids` selects, from one request
   * (pod_nodes_labels.promql: one regex for Prometheus to compile instead of two): the same series,
   * values and order as `overWindow('pod_nodes', {}, window, …)` and `overWindow('pod_labels', labels,
   * window, …)` give (test/integration/rawSteps.test.ts). `labels`: the pod labels pod_labels keeps.
   */
  podNodesAndLabels(
    labels: readonly string[],
    window: TimeRange,
    uids: string,
  ): Promise<{ podNodes: PromSeries[]; podLabels: PromSeries[] }>;
  /**
   * runningFromRaw for a whole day (no shard), and from the same raw series pod_requests and
   * pod_init_requests over `whole` (`overWindow(name, {}, whole)`'s answers: the same series, values,
   * order and warnings), read without a request of their own: the first span's reads start at
   * `whole.startMs`, so that a sample on the window's first instant is in them. Also `uids`: every pod
   * those reads found a GPU request or a DRA claim of (sorted): the pods a day can bill, as a shard's
   * candidates are.
   */
  podsFromRaw(
    over: RangeWindow,
    windowMs: number,
    whole: TimeRange,
  ): Promise<{
    running: PromSeries[];
    podRequests?: PromSeries[];
    podInitRequests?: PromSeries[];
    uids: string[];
  }>;
  /**
   * utilization_prof or utilization_util on the grid `over` (window `windowMs`), evaluated in the adapter
   * from raw samples (rawSteps.ts utilizationFromRaw) read in spans as runningFromRaw reads them. The same
   * series, points (bit for bit) and order as `range(name, …)` against Prometheus 2.42.
   */
  utilizationFromRaw(
    name: UtilizationQuery,
    over: RangeWindow,
    windowMs: number,
    shard?: Partial<ShardMatchers>,
    branches?: UtilizationBranches,
  ): Promise<PromSeries[]>;
  /**
   * utilization_prof and utilization_util together, as utilizationFromRaw evaluates each, from raw reads
   * that ask for both families' pod series in one request (`__name__=~`): for one shard of a day, whose
   * selectors carry a regex of its pods that Prometheus compiles again for each request, half such
   * requests (no change in Prometheus' CPU beyond the run-to-run spread was measured: docs/performance.md,
   * "Fewer requests with the shard's regex"). The same answers as two utilizationFromRaw calls.
   */
  utilizationPairFromRaw(
    over: RangeWindow,
    windowMs: number,
    shard?: Partial<ShardMatchers>,
  ): Promise<{ prof: PromSeries[]; util: PromSeries[] }>;
  /**
   * node_capacity (a `max by` of last_over_time) on the grid `over`, evaluated in the adapter from raw
   * samples (rawSteps.ts maxByFromRaw): the same series, points and order as `range('node_capacity', …)`.
   */
  nodeCapacityFromRaw(
    over: RangeWindow,
    windowMs: number,
    shard?: Partial<ShardMatchers>,
  ): Promise<PromSeries[]>;
  /**
   * node_presence and ksm_presence on the grid `over`, both evaluated in the adapter from one raw read of
   * the node series (node_presence_raw): the same answers as `range('node_presence' | 'ksm_presence', …)`.
   * With a shard's `nodes` matcher, only those nodes' series are read: node presence of those nodes, and
   * ksm_presence counted over them alone (shardQueries.ts completes it). With `whole` (a whole day's
   * window, no shard), also node_labels and node_info over it from the same series, as podsFromRaw
   * gives pod_requests.
   */
  presenceFromRaw(
    over: RangeWindow,
    windowMs: number,
    shard?: Partial<ShardMatchers>,
    whole?: TimeRange,
  ): Promise<{
    nodePresence: PromSeries[];
    ksmPresence: PromSeries[];
    nodeLabels?: PromSeries[];
    nodeInfo?: PromSeries[];
  }>;
  /**
   * The label sets of the series the selector `name` (a template without a range) selects with samples
   * in `window`, from Prometheus' series endpoint: an index lookup, no sample read.
   */
  seriesIndex(name: QueryName, window: TimeRange): Promise<Record<string, string>[]>;
  /** An instant query at `atMs`. */
  instant(name: QueryName, params: Record<string, string>, atMs: number): Promise<PromSeries[]>;
  /**
   * The raw samples a template's plain range selector selects over `window` (its `{{range}}` is the
   * window's length): one instant query at `window.endMs`.
   */
  rawOver(
    name: QueryName,
    params: Record<string, string>,
    window: TimeRange,
    shard?: Partial<ShardMatchers>,
  ): Promise<PromSeries[]>;
  /**
   * An instant query over (start, end]; on "too large" the window is halved and the halves max'ed. With
   * several parameter sets, the template filled with each, joined with `or` into one request.
   */
  overWindow(
    name: QueryName,
    params: Record<string, string> | readonly Record<string, string>[],
    window: TimeRange,
    shard?: Partial<ShardMatchers>,
  ): Promise<PromSeries[]>;
}

/** Binds the templates to a client and to the source's cluster label, selector and replica labels. */
export function createQueries(
  client: PrometheusClient,
  templates: Record<QueryName, string>,
  identity: SeriesIdentity,
  selector: string | undefined,
  stepEvaluation: 'prometheus' | 'adapter' = 'prometheus',
  logger?: Pick<Logger, 'warn'>,
): PrometheusQueries {
  const common = {
    cluster: identity.clusterLabel ? labelPrefix([identity.clusterLabel]) : '',
    match: extraMatchers(selector),
    replica: labelPrefix(identity.ksmReplicaLabels),
    dedupe: labelPrefix(identity.dedupeLabels),
  };
  // Shared parameters go only to the templates that use them; explicit ones must all be used.
  const fill = (name: QueryName, params: Record<string, string>, shard: Partial<ShardMatchers> = {}) =>
    fillQuery(templates[name], {
      ...Object.fromEntries(
        Object.entries({ ...common, ...WHOLE_DAY_MATCHERS, ...shard }).filter(([k]) =>
          templates[name].includes(`{{${k}}}`),
        ),
      ),
      ...params,
    });
  const overWindow = async (
    name: QueryName,
    params: Record<string, string> | readonly Record<string, string>[],
    window: TimeRange,
    shard: Partial<ShardMatchers> = {},
    depth = 0,
  ): Promise<PromSeries[]> => {
    try {
      const range = durationMs(window.endMs - window.startMs);
      const sets: readonly Record<string, string>[] = Array.isArray(params) ? params : [params];
      if (sets.length === 0) throw new RangeError(`${name}: overWindow needs at least one parameter set`);
      const query = sets
        .map((set: Record<string, string>) => fill(name, { ...set, range }, shard))
        .join('\nor\n');
      return await client.queryInstant(name, query, window.endMs, window);
    } catch (error) {
      const span = window.endMs - window.startMs;
      if (!(error instanceof PrometheusQueryError) || !error.details.tooLarge || depth >= 6 || span < 2000)
        throw error;
      const mid = window.startMs + Math.floor(span / 2000) * 1000;
      const left = await overWindow(name, params, { startMs: window.startMs, endMs: mid }, shard, depth + 1);
      const right = await overWindow(name, params, { startMs: mid, endMs: window.endMs }, shard, depth + 1);
      return mergeSeries([...left, ...right], 'max');
    }
  };
  // The raw samples of [t_first − windowMs, t_last] (of [fromMs, t_last] when given): an instant query
  // of `selector[range]` at t_last.
  const rawRange = (
    name: QueryName,
    fromMs: number,
    toMs: number,
    shard: Partial<ShardMatchers>,
    params: Record<string, string> = {},
    transform?: SeriesTransform,
  ) =>
    client.queryInstant(
      name,
      fill(name, { ...params, range: durationMs(toMs - fromMs) }, shard),
      toMs,
      { startMs: fromMs, endMs: toMs },
      true,
      transform,
    );
  const raw = (
    name: QueryName,
    span: RangeWindow,
    windowMs: number,
    shard: Partial<ShardMatchers>,
    params: Record<string, string> = {},
    transform?: SeriesTransform,
    fromMs = span.startMs - windowMs,
  ) => rawRange(name, fromMs, span.endMs, shard, params, transform);
  /**
   * A raw read: its query and parameters, and optionally what each series of a span's answer is made into
   * as it is read (the answer then holds that instead of the raw samples).
   */
  type Reads = readonly (readonly [
    QueryName,
    Record<string, string> | ((span: RangeWindow) => Record<string, string> | undefined),
    ((span: RangeWindow) => SeriesTransform)?,
  ])[];
  // Raw samples per step each set of reads last held: sizes the first span of the next window.
  const samplesPerStep = new Map<string, number>();
  /**
   * One span of queries evaluated from raw answers: `reads` asked one at a time, then `evaluate`d into
   * one answer per query; a span Prometheus finds too large is halved. Also how many raw samples the span
   * held (the next span's size).
   */
  const rawSpan = async (
    span: RangeWindow,
    windowMs: number,
    shard: Partial<ShardMatchers>,
    reads: Reads,
    evaluate: (answers: PromSeries[][], span: RangeWindow) => PromSeries[][],
    fromMs?: number,
  ): Promise<{ outputs: PromSeries[][]; samples: number }> => {
    try {
      // Raw samples of the series transformed as they were read (a retried request counts twice: the
      // next span is then smaller, never larger).
      let streamed = 0;
      const answers = await mapLimit(reads, 1, async ([name, paramsOf, transformOf]) => {
        // Parameters from what the span's earlier reads held (asked one at a time); none: nothing to read.
        const params = typeof paramsOf === 'function' ? paramsOf(span) : paramsOf;
        if (params === undefined) return [];
        const transform = transformOf?.(span);
        return raw(
          name,
          span,
          windowMs,
          shard,
          params,
          transform &&
            ((series) => {
              streamed += series.points.length;
              return transform(series);
            }),
          fromMs,
        );
      });
      let samples = streamed;
      answers.forEach((answer, i) => {
        if (!reads[i]![2]) for (const s of answer) samples += s.points.length;
      });
      return { outputs: evaluate(answers, span), samples };
    } catch (error) {
      const n = stepCount(span);
      if (!(error instanceof PrometheusQueryError) || !error.details.tooLarge || n < 2) throw error;
      const midEnd = span.startMs + (Math.floor(n / 2) - 1) * span.stepMs;
      const left = await rawSpan({ ...span, endMs: midEnd }, windowMs, shard, reads, evaluate, fromMs);
      const right = await rawSpan(
        { ...span, startMs: midEnd + span.stepMs },
        windowMs,
        shard,
        reads,
        evaluate,
      );
      return {
        outputs: left.outputs.map((l, i) => mergeSeries([...l, ...right.outputs[i]!], 'concat')),
        samples: left.samples + right.samples,
      };
    }
  };
  /**
   * Queries evaluated from raw answers over `over`, span after span (nextSpanSteps): per query, its
   * answer joined across spans and sorted as Prometheus sorts a range query's. With `fromMs`, the first
   * span's reads start there instead of one window before the grid's first step (what an aggregation over
   * the whole window read from the same answers needs: a sample on the window's first instant).
   */
  const fromRaw = async (
    over: RangeWindow,
    windowMs: number,
    shard: Partial<ShardMatchers>,
    reads: Reads,
    evaluate: (answers: PromSeries[][], span: RangeWindow) => PromSeries[][],
    fromMs?: number,
  ): Promise<PromSeries[][]> => {
    const parts: PromSeries[][][] = [];
    const n = stepCount(over);
    // The first span is sized by what the same reads held last time (the previous day of a month run).
    const key = JSON.stringify(reads);
    const density = samplesPerStep.get(key);
    // Spans are sized by the raw samples read, also where only their means are held: one 1,440-step span
    // of a shard's two DCGM families (53 MiB at 1,024 GPUs in 2 shards) cost Prometheus more CPU than two
    // spans of 720 (docs/performance.md, "Fewer requests with the shard's regex").
    const target = Object.values(shard).some((m) => m) ? SHARD_SPAN_SAMPLES : RAW_SPAN_SAMPLES;
    // A shard's first span is as much longer as its target is larger (it holds a fraction of the day).
    const first = Math.round((RAW_SPAN_STEPS * target) / RAW_SPAN_SAMPLES);
    let steps = density === undefined ? first : nextSpanSteps(1, density, target);
    for (let k = 0; k < n;) {
      const count = spanSteps(steps, n - k);
      const span = {
        startMs: over.startMs + k * over.stepMs,
        endMs: over.startMs + (k + count - 1) * over.stepMs,
        stepMs: over.stepMs,
      };
      const { outputs, samples } = await rawSpan(
        span,
        windowMs,
        shard,
        reads,
        evaluate,
        k === 0 ? fromMs : undefined,
      );
      parts.push(outputs);
      k += count;
      steps = nextSpanSteps(count, samples, target);
      samplesPerStep.set(key, samples / count);
    }
    // One output at a time, each span's part of it let go once merged: the merged copies of several
    // outputs (both DCGM families of a shard) are never held beside all their parts at once.
    const outputs = parts[0]?.length ?? 0;
    return Array.from({ length: outputs }, (_, i) => {
      // One span (a small fleet's day): its output is already one series a label set (each evaluation
      // makes one series per group or per raw series, and the branches of utilization never share a label
      // set), so there is nothing to merge, and keying every series by its labels would be wasted.
      const merged = sortLikePrometheus(
        parts.length === 1
          ? parts[0]![i]!
          : mergeSeries(
              parts.flatMap((p) => p[i]!),
              'concat',
            ),
      );
      for (const p of parts) p[i] = [];
      return merged;
    });
  };
  const cluster = identity.clusterLabel ? [identity.clusterLabel] : [];
  // The groups of kube-state-metrics step queries: cluster and KSM replica (`{{cluster}}{{replica}}`).
  const replicaBy = [...cluster, ...identity.ksmReplicaLabels];
  // As the client warns of what its parser drops from an answer (client.ts, parseResponse.ts).
  const warnDropped = (name: QueryName, dropped: DroppedValues) => {
    for (const [kind, count] of Object.entries(dropped))
      if (count > 0)
        logger?.warn(`Prometheus: dropped ${count} ${kind} sample${count === 1 ? '' : 's'}`, { query: name });
  };
  /**
   * utilization_prof and/or utilization_util (`names`) evaluated from raw samples, one answer per name:
   * the exported_pod and pod branches of every family in `names` read by one request each per span
   * (`__name__=~`, split by name here), the idle branch per family (its MIG matcher differs). With
   * `branches`, only those branches are read (the others answer nothing).
   */
  const utilizationOf = async (
    names: readonly UtilizationQuery[],
    over: RangeWindow,
    windowMs: number,
    shard: Partial<ShardMatchers>,
    branches: UtilizationBranches = ALL_BRANCHES,
  ): Promise<PromSeries[][]> => {
    const families = names.map((name) => ({ name, ...UTILIZATION_RAW[name] }));
    const metrics = literalAlternation(families.map((f) => f.metric));
    const dropped = families.map((): DroppedValues => ({ NaN: 0, infinite: 0, negative: 0 }));
    // Each pod series' means per step, computed as it is read: a span's raw DCGM samples (most of a
    // day's) are never all held at once; the means are what the answer keeps anyway.
    const divisors = new Map<string, number>(families.map((f) => [f.metric, f.divisor]));
    const means = (span: RangeWindow) => (series: PromSeries) =>
      meansPerStep(series, span, windowMs, divisors.get(series.metric.__name__ ?? '') ?? 1);
    const podReads = [
      ...(branches.exported ? [['utilization_raw_exported', { metrics }, means] as const] : []),
      ...(branches.pod ? [['utilization_raw_pod', { metrics }, means] as const] : []),
    ];
    const outputs = await fromRaw(
      over,
      windowMs,
      shard,
      [
        ...podReads,
        // Idle devices: only which steps saw each (count by of last_over_time), one point a step.
        ...(branches.idle ? families : []).map(
          ({ metric, mig }) =>
            [
              'utilization_raw_idle',
              { metric, mig },
              (span: RangeWindow) => (series: PromSeries) => lastPerStep(series, span, windowMs),
            ] as const,
        ),
      ],
      (answers, span) => {
        const pods = answers.slice(0, podReads.length).flat();
        const idle = answers.slice(podReads.length);
        return families.map(({ metric, divisor }, i) =>
          utilizationFromRaw(
            {
              pods: [],
              means: pods.filter((s) => s.metric.__name__ === metric),
              idle: idle[i] ?? [],
              divisor,
              presenceBy: [...cluster, ...identity.dedupeLabels],
              presenceLabel: PRESENCE_LABEL,
            },
            span,
            windowMs,
            dropped[i]!,
          ),
        );
      },
    );
    families.forEach(({ name }, i) => warnDropped(name, dropped[i]!));
    return outputs;
  };
  return {
    stepEvaluation,
    fill,
    range: (name, params, over, shard) => client.queryRange(name, fill(name, params, shard), over),
    runningFromRaw: async (over, windowMs, shard = {}) => (await podsFromRaw(over, windowMs, shard)).running,
    podsFromRaw: (over, windowMs, whole) => podsFromRaw(over, windowMs, {}, whole),
    utilizationFromRaw: async (name, over, windowMs, shard = {}, branches = ALL_BRANCHES) =>
      (await utilizationOf([name], over, windowMs, shard, branches))[0]!,
    utilizationPairFromRaw: async (over, windowMs, shard = {}) => {
      const [prof, util] = await utilizationOf(
        ['utilization_prof', 'utilization_util'],
        over,
        windowMs,
        shard,
      );
      return { prof: prof!, util: util! };
    },
    nodeCapacityFromRaw: async (over, windowMs, shard = {}) => {
      const dropped: DroppedValues = { NaN: 0, infinite: 0, negative: 0 };
      const [series] = await fromRaw(over, windowMs, shard, [['node_capacity_raw', {}]], ([answer], span) => [
        maxByFromRaw(answer!, [...replicaBy, 'node', 'resource'], span, windowMs, dropped),
      ]);
      warnDropped('node_capacity', dropped);
      return series!;
    },
    presenceFromRaw: async (over, windowMs, shard = {}, whole) => {
      const dropped: DroppedValues = { NaN: 0, infinite: 0, negative: 0 };
      // node_labels and node_info over the whole window, from the same series (a whole day: the same
      // selectors without the shard's matcher): max_over_time of each series, as Prometheus answers them.
      const labels = whole && new MaxOverWindow(undefined, whole.startMs, whole.endMs);
      const info =
        whole && new MaxOverWindow([...cluster, 'node', 'provider_id'], whole.startMs, whole.endMs);
      const [nodePresence, ksmPresence] = await fromRaw(
        over,
        windowMs,
        shard,
        [['node_presence_raw', {}]],
        ([answer], span) => {
          if (labels && info)
            for (const series of answer!) {
              const name = series.metric.__name__;
              if (name === 'kube_node_labels') labels.add(series);
              else if (name === 'kube_node_info' && series.metric.provider_id) info.add(series);
            }
          return [
            maxByFromRaw(answer!, [...replicaBy, 'node'], span, windowMs, dropped),
            countByFromRaw(answer!, replicaBy, span, windowMs),
          ];
        },
        whole?.startMs,
      );
      warnDropped('node_presence', dropped);
      if (!labels || !info) return { nodePresence: nodePresence!, ksmPresence: ksmPresence! };
      return {
        nodePresence: nodePresence!,
        ksmPresence: ksmPresence!,
        nodeLabels: overWindowOf('node_labels', labels),
        nodeInfo: overWindowOf('node_info', info),
      };
    },
    seriesIndex: (name, window) => client.series(name, fill(name, {}), window),
    instant: (name, params, atMs) => client.queryInstant(name, fill(name, params), atMs),
    rawOver: (name, params, window, shard = {}) =>
      rawRange(name, window.startMs, window.endMs, shard, params),
    overWindow: (name, params, window, shard) => overWindow(name, params, window, shard),
    podNodesAndLabels: async (labels, window, uids) => {
      const rows = await overWindow('pod_nodes_labels', { labels: labelPrefix(labels) }, window, { uids });
      const nodes = rows.filter((s) => s.metric.__name__ === 'kube_pod_info' && s.metric.node);
      const labelRows = rows.filter((s) => s.metric.__name__ === 'kube_pod_labels');
      return {
        podNodes: maxByInOrder(nodes, [
          ...cluster,
          ...identity.ksmReplicaLabels,
          'namespace',
          'pod',
          'uid',
          'node',
        ]),
        podLabels: maxByInOrder(labelRows, [...cluster, ...new Set(labels), 'namespace', 'pod', 'uid']),
      };
    },
  };
  /** An aggregation's answer, and what the client would have warned of dropping from it. */
  function overWindowOf(name: QueryName, aggregation: MaxOverWindow): PromSeries[] {
    const dropped: DroppedValues = { NaN: 0, infinite: 0, negative: 0 };
    const series = aggregation.result(dropped);
    warnDropped(name, dropped);
    return series;
  }
  /**
   * running.promql on the grid from raw samples, and with `whole` (a whole day, no shard) pod_requests
   * and pod_init_requests over that window from the same raw series: running_pods_raw reads every GPU
   * request series of those two selectors (`resource=~"nvidia_com_.+|"`; its `phase=~"Running|"` matches
   * them too, as kube-state-metrics writes no phase label on a request: internal/store/pod.go).
   */
  async function podsFromRaw(
    over: RangeWindow,
    windowMs: number,
    shard: Partial<ShardMatchers>,
    whole?: TimeRange,
  ): Promise<{
    running: PromSeries[];
    podRequests?: PromSeries[];
    podInitRequests?: PromSeries[];
    uids: string[];
  }> {
    const podBy = [...cluster, 'namespace', 'pod', 'uid', 'container', 'resource'];
    const requests = whole && new MaxOverWindow(podBy, whole.startMs, whole.endMs);
    const initRequests = whole && new MaxOverWindow(podBy, whole.startMs, whole.endMs);
    const aggregate = (series: PromSeries) => {
      if (!requests || !initRequests || !NVIDIA_RESOURCE.test(series.metric.resource ?? '')) return;
      const name = series.metric.__name__;
      if (name === 'kube_pod_container_resource_requests') requests.add(series);
      else if (name === 'kube_pod_init_container_resource_requests') initRequests.add(series);
    };
    // Each span's raw series folded into its evaluation as they are read (max by of their last sample
    // per step), so that a span's raw samples (a shard's pods' whole day) are never all held at once.
    const evaluations = new WeakMap<RangeWindow, RunningFromRaw>();
    const evaluationOf = (span: RangeWindow) => {
      let running = evaluations.get(span);
      if (!running)
        evaluations.set(
          span,
          (running = new RunningFromRaw(cluster, identity.ksmReplicaLabels, span, windowMs)),
        );
      return running;
    };
    // A whole day (no pods of a shard's) reads the phase of the pods the span's GPU requests and DRA
    // claims name only (running_phase_raw.promql): the cluster's other pods never pass the `and on (uid)`.
    const byUid = !shard.uids;
    const uids = new WeakMap<RangeWindow, Set<string>>();
    const everyUid = new Set<string>();
    const uidsOf = (span: RangeWindow) => {
      let set = uids.get(span);
      if (!set) uids.set(span, (set = new Set()));
      return set;
    };
    const named = (span: RangeWindow, uid: string | undefined) => {
      uidsOf(span).add(uid ?? '');
      everyUid.add(uid ?? '');
    };
    const [running] = await fromRaw(
      over,
      windowMs,
      shard,
      [
        // A shard's one answer holds both selectors' series (running_pods_raw.promql), told apart by name;
        // a whole day's, the GPU requests only (no phase), and running_phase_raw the phase after the claims.
        [
          'running_pods_raw',
          { phases: byUid ? '' : 'Running|' },
          (span) => (series) => {
            aggregate(series);
            if (byUid) named(span, series.metric.uid);
            return void evaluationOf(span).addPodSeries(series);
          },
        ],
        [
          'running_claims_raw',
          {},
          (span) => (series) => {
            if (byUid) named(span, series.metric.uid);
            return void evaluationOf(span).claims.add(series);
          },
        ],
        ...(byUid
          ? ([
              [
                'running_phase_raw',
                (span: RangeWindow) => {
                  const listed = [...uidsOf(span)].sort(compareStrings);
                  return listed.length > 0 ? { uids: uidMatcher(listed) } : undefined;
                },
                (span: RangeWindow) => (series: PromSeries) => void evaluationOf(span).addPodSeries(series),
              ],
            ] as const)
          : []),
      ],
      (_answers, span) => [evaluationOf(span).result()],
      whole?.startMs,
    );
    const found = [...everyUid].sort(compareStrings);
    if (!requests || !initRequests) return { running: running!, uids: found };
    return {
      running: running!,
      podRequests: overWindowOf('pod_requests', requests),
      podInitRequests: overWindowOf('pod_init_requests', initRequests),
      uids: found,
    };
  }
}

/** The resources pod_requests.promql and pod_init_requests.promql select: `resource=~"nvidia_com_.+"`. */
const NVIDIA_RESOURCE = /^nvidia_com_.+$/;

/**
 * The steps of the span to read next, `steps` wanted and `left` steps left to read: all of them when what
 * would be left after it is at most a fifth of it. A tail of a few steps (one, when the previous span's
 * density nearly fits the rest) is read with the span instead of in a request of its own: each request
 * costs Prometheus a parse of its selectors (for a shard, a regex of every pod's uid or name: ≈ 17 µs an
 * alternative with Prometheus 2.42) and the answer its series' labels again.
 */
export function spanSteps(steps: number, left: number): number {
  const count = Math.min(steps, left);
  return left - count <= Math.floor(count / 5) ? left : count;
}

/**
 * The steps of the next raw span: as many as keep its raw samples near `target` (RAW_SPAN_SAMPLES, or
 * SHARD_SPAN_SAMPLES for a shard), judging by the span just read (`steps` steps, `samples` raw samples);
 * at least RAW_SPAN_MIN_STEPS. A small fleet's
 * day is read in one request per query (two on the first day a process reads), a large one in spans of
 * bounded memory.
 */
export function nextSpanSteps(steps: number, samples: number, target = RAW_SPAN_SAMPLES): number {
  return Math.max(RAW_SPAN_MIN_STEPS, Math.floor((steps * target) / Math.max(1, samples)));
}

/** The answers one metered window needs, by name (see queries/<name>.promql). */
export interface WindowAnswers {
  running: PromSeries[];
  /** Empty unless metering.pendingOnNode is "charged". */
  pendingOnNode: PromSeries[];
  nodeCapacity: PromSeries[];
  /** kube_node_info per node and replica at each grid point: when each node existed. */
  nodePresence: PromSeries[];
  ksmPresence: PromSeries[];
  /** Per raw series means and presence rows, over the day only (grid.focus). */
  utilizationProf: PromSeries[];
  utilizationUtil: PromSeries[];
  podRequests: PromSeries[];
  podInitRequests: PromSeries[];
  podSidecars: PromSeries[];
  /** GPUs dcgm-exporter attributes to pods through DRA claims, over the window (none without a day). */
  draDevices: PromSeries[];
  podNodes: PromSeries[];
  podLabels: PromSeries[];
  namespaceLabels: PromSeries[];
  nodeLabels: PromSeries[];
  /** kube_node_info's provider_id per node (its cloud instance), over the window. */
  nodeInfo: PromSeries[];
  /** kube_resourcequota hard/used of NVIDIA resources per namespace quota, on the day's steps (gpu_quota). */
  gpuQuotas: PromSeries[];
}

/** The range of a grid's points (k = 1..n), and of those inside the billed day (utilization). */
export function rangesOf(grid: StepGrid): { window: RangeWindow; day: RangeWindow } {
  // Utilization and DCGM coverage are only used inside the billed day (grid.focus): no margins.
  const focus = grid.focus ?? grid;
  return {
    window: { startMs: grid.startMs + grid.stepMs, endMs: grid.endMs, stepMs: grid.stepMs },
    day: { startMs: focus.startMs + grid.stepMs, endMs: focus.endMs, stepMs: grid.stepMs },
  };
}

/**
 * What one window's questions are narrowed to: the whole day (the default), or one shard of it
 * (shardQueries.ts): the shard's matchers, answers already asked while finding its pods, and whether it
 * has pods at all (without, no pod question is asked).
 */
export interface WindowScope {
  matchers: ShardMatchers;
  known?: Partial<WindowAnswers>;
  hasPods?: boolean;
  /** The shard reads no DCGM series (no pods, and idle GPUs are another shard's). */
  noDcgm?: boolean;
  /** False: GPU quotas are another shard's (they belong to no node: shard 0 asks for them). */
  quotas?: boolean;
  /**
   * False: utilization_util answers its idle devices' presence rows only, none of its pod series (with
   * source.stepEvaluation "adapter"; source.ts reads the pods metering needs afterwards,
   * gpuUtilOnDemand.ts).
   */
  gpuUtilPods?: boolean;
}

/** The branches of utilization_util a day reads before it knows which pods need DCGM_FI_DEV_GPU_UTIL. */
export const IDLE_BRANCH_ONLY: UtilizationBranches = Object.freeze({
  exported: false,
  pod: false,
  idle: true,
});

/**
 * Asks every query of one window, two requests in flight at a time (enough to overlap latency without
 * crowding Prometheus): step queries on the grid with a window of one step − 1 ms, so each raw sample
 * is read once; label and request queries once over the whole window. With a shard's `scope`, each
 * question is narrowed to the shard's pods or nodes where its template says how.
 */
export async function askWindow(
  queries: PrometheusQueries,
  grid: StepGrid,
  metering: Pick<Config['metering'], 'pendingOnNode' | 'team' | 'project'>,
  scope: WindowScope = { matchers: WHOLE_DAY_MATCHERS },
): Promise<WindowAnswers> {
  const ranges = rangesOf(grid);
  const focus = grid.focus ?? grid;
  const hasDay = focus.endMs > focus.startMs;
  const window = durationMs(grid.stepMs - 1);
  const m = scope.matchers;
  const pods = scope.hasPods ?? true;
  const onGrid = (name: QueryName, over = ranges.window) => queries.range(name, { window }, over, m);
  const whole = { startMs: grid.startMs, endMs: grid.endMs };
  const labels = (...lists: string[][]) => ({ labels: labelPrefix([...new Set(lists.flat())]) });
  const none = () => Promise.resolve([]);
  const adapter = queries.stepEvaluation === 'adapter';
  // For one shard of a day, both DCGM families from the same raw reads: each of its pod selectors carries a
  // regex of the shard's pods, compiled again by Prometheus for each request (≈ 17 µs an alternative with
  // 2.42). A whole day has no such regex; it reads each family on its own (spans of one family's samples),
  // and so does a shard that reads DCGM_FI_DEV_GPU_UTIL's pod series on demand (`gpuUtilPods: false`).
  const shard = Object.values(m).some((matcher) => matcher !== '');
  // With "adapter", node_presence and ksm_presence come from one raw read of the node series; for a whole
  // day, so do node_labels and node_info, and pod_requests and pod_init_requests from running's raw read:
  // Prometheus reads those samples once instead of twice (docs/performance.md, "A small fleet's month").
  const derive = adapter && !shard;
  let presence: ReturnType<PrometheusQueries['presenceFromRaw']> | undefined;
  const presenceFromRaw = () =>
    (presence ??= queries.presenceFromRaw(ranges.window, grid.stepMs - 1, {}, derive ? whole : undefined));
  let podReads: ReturnType<PrometheusQueries['podsFromRaw']> | undefined;
  const podsFromRaw = () => (podReads ??= queries.podsFromRaw(ranges.window, grid.stepMs - 1, whole));
  const derived = <T>(answer: T | undefined): T => {
    if (answer === undefined) throw new Error('a whole-window answer read from raw samples is missing');
    return answer;
  };
  // A pod query over the whole window, of the pods the day can bill only: for a whole day read from raw
  // samples, those running's reads found a GPU request or a DRA claim of (none: no request), as a shard
  // asks for its candidates by uid; kube_pod_info, kube_pod_labels and the sidecars of the cluster's other
  // pods (DaemonSets, CPU workloads) are never read (observations.ts keeps GPU pods only).
  // For a whole day read from raw samples, pod_nodes and pod_labels come from one request that carries
  // the regex of those uids once (pod_nodes_labels.promql); otherwise each is asked on its own.
  const podLabelNames = [...metering.team.podLabels, ...metering.project.podLabels];
  let billable: Promise<{ podNodes: PromSeries[]; podLabels: PromSeries[] }> | undefined;
  const ofBillable = async (name: 'pod_nodes' | 'pod_labels') => {
    if (!derive)
      return queries.overWindow(name, name === 'pod_labels' ? labels(podLabelNames) : {}, whole, m);
    billable ??= podsFromRaw().then(({ uids }) =>
      uids.length === 0
        ? { podNodes: [], podLabels: [] }
        : queries.podNodesAndLabels(podLabelNames, whole, uidMatcher(uids)),
    );
    const both = await billable;
    return name === 'pod_nodes' ? both.podNodes : both.podLabels;
  };
  let pair: ReturnType<PrometheusQueries['utilizationPairFromRaw']> | undefined;
  const utilizationPair = () => (pair ??= queries.utilizationPairFromRaw(ranges.day, grid.stepMs - 1, m));
  const gpuUtilPods = scope.gpuUtilPods ?? true;
  if (!gpuUtilPods && !adapter)
    throw new Error(
      'utilization_util without its pod series is read when the adapter evaluates the day only',
    );
  const utilization = (name: UtilizationQuery) =>
    !hasDay || scope.noDcgm
      ? none()
      : !adapter
        ? onGrid(name, ranges.day)
        : shard && gpuUtilPods
          ? utilizationPair().then((p) => (name === 'utilization_prof' ? p.prof : p.util))
          : queries.utilizationFromRaw(
              name,
              ranges.day,
              grid.stepMs - 1,
              m,
              name === 'utilization_util' && !gpuUtilPods ? IDLE_BRANCH_ONLY : undefined,
            );
  // pod_init_requests, asked once whether the plan or pod_sidecars needs it first.
  let initRequests: Promise<PromSeries[]> | undefined;
  const podInitRequests = () =>
    (initRequests ??= scope.known?.podInitRequests
      ? Promise.resolve(scope.known.podInitRequests)
      : derive && pods
        ? podsFromRaw().then((p) => derived(p.podInitRequests))
        : queries.overWindow('pod_init_requests', {}, whole, m));
  // A sidecar row changes nothing but the init-container GPU requests metering has (podRequests.ts
  // effectiveRequests pairs the two by pod and container): pod_sidecars asks for the pods of the window's
  // GPU init requests only — in most clusters none, and then no request at all — instead of a regex of
  // every pod the day can bill (≈ 8 ms of Prometheus 2.42's CPU a request at 400 uids, all of it compiling
  // the regex: docs/performance.md, "Session 16").
  const podSidecars = async () => {
    const uids = (await podInitRequests()).map((s) => s.metric.uid ?? '').sort(compareStrings);
    return uids.length === 0
      ? []
      : queries.overWindow('pod_sidecars', {}, whole, { ...m, uids: uidMatcher(uids) });
  };
  const plan: { [K in keyof WindowAnswers]: () => Promise<PromSeries[]> } = {
    // running.promql, evaluated from raw samples: a fraction of Prometheus' CPU (rawSteps.ts).
    running: () =>
      !pods
        ? none()
        : derive
          ? podsFromRaw().then((p) => p.running)
          : adapter
            ? queries.runningFromRaw(ranges.window, grid.stepMs - 1, m)
            : onGrid('running'),
    pendingOnNode: () => (pods && metering.pendingOnNode === 'charged' ? onGrid('pending_on_node') : none()),
    nodeCapacity: () =>
      adapter ? queries.nodeCapacityFromRaw(ranges.window, grid.stepMs - 1, m) : onGrid('node_capacity'),
    nodePresence: () => (adapter ? presenceFromRaw().then((p) => p.nodePresence) : onGrid('node_presence')),
    ksmPresence: () => (adapter ? presenceFromRaw().then((p) => p.ksmPresence) : onGrid('ksm_presence')),
    // Evaluated from raw samples with source.stepEvaluation "adapter", as running is.
    utilizationProf: () => utilization('utilization_prof'),
    utilizationUtil: () => utilization('utilization_util'),
    podRequests: () =>
      derive && pods
        ? podsFromRaw().then((p) => derived(p.podRequests))
        : queries.overWindow('pod_requests', {}, whole, m),
    podInitRequests: () => podInitRequests(),
    podSidecars: () => (pods ? podSidecars() : none()),
    draDevices: () => (hasDay ? queries.overWindow('dra_devices', {}, whole, m) : none()),
    podNodes: () => (pods ? ofBillable('pod_nodes') : none()),
    podLabels: () => (pods ? ofBillable('pod_labels') : none()),
    namespaceLabels: () =>
      queries.overWindow(
        'namespace_labels',
        labels(metering.team.namespaceLabels, metering.project.namespaceLabels),
        whole,
        m,
      ),
    nodeLabels: () =>
      derive
        ? presenceFromRaw().then((p) => derived(p.nodeLabels))
        : queries.overWindow('node_labels', {}, whole, m),
    nodeInfo: () =>
      derive
        ? presenceFromRaw().then((p) => derived(p.nodeInfo))
        : queries.overWindow('node_info', {}, whole, m),
    gpuQuotas: () => (hasDay && scope.quotas !== false ? onGrid('gpu_quota', ranges.day) : none()),
  };
  const names = (Object.keys(plan) as (keyof WindowAnswers)[]).filter((name) => !scope.known?.[name]);
  const answers = await mapLimit(names, 2, (name) => plan[name]());
  return {
    ...scope.known,
    ...Object.fromEntries(names.map((name, i) => [name, answers[i]!])),
  } as unknown as WindowAnswers;
}

/** Per DCGM family: one series per utilization identity, with the exact mean of its raw samples per step. */
export interface ExactUtilization {
  prof: PromSeries[];
  util: PromSeries[];
}

/**
 * Collapses the utilization answers to one series per identity (utilization.ts). At steps split
 * between series of one identity, the sample counts of those GPUs' series are asked for (a small span,
 * rarely) and weigh the series' means; steps still without counts weigh them equally (warned).
 */
export async function askExactUtilization(
  queries: PrometheusQueries,
  answers: Pick<WindowAnswers, 'utilizationProf' | 'utilizationUtil'>,
  day: RangeWindow,
  identity: SeriesIdentity,
  logger: Logger,
): Promise<ExactUtilization> {
  const [prof, util] = await mapLimit(
    [
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', splitPresence(answers.utilizationProf).means],
      ['DCGM_FI_DEV_GPU_UTIL', splitPresence(answers.utilizationUtil).means],
    ] as const,
    1,
    ([metric, means]) => exactMeans(queries, metric, means, day, identity, logger),
  );
  return { prof: prof!, util: util! };
}

/** askExactUtilization of one family's answer (its presence rows set aside). */
export function askExactMeans(
  queries: PrometheusQueries,
  metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' | 'DCGM_FI_DEV_GPU_UTIL',
  answer: PromSeries[],
  day: RangeWindow,
  identity: SeriesIdentity,
  logger: Logger,
): Promise<PromSeries[]> {
  return exactMeans(queries, metric, splitPresence(answer).means, day, identity, logger);
}

async function exactMeans(
  queries: PrometheusQueries,
  metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' | 'DCGM_FI_DEV_GPU_UTIL',
  means: PromSeries[],
  over: RangeWindow,
  identity: SeriesIdentity,
  logger: Logger,
): Promise<PromSeries[]> {
  const first = collapseUtilization(means, identity.utilizationIdentityOf);
  if (first.splits.length === 0) return first.series;
  const uuids = [...new Set(first.splits.map((s) => s.uuid))].sort();
  let fromMs = over.endMs;
  let toMs = over.startMs;
  for (const { tMs } of first.splits) {
    fromMs = Math.min(fromMs, tMs);
    toMs = Math.max(toMs, tMs);
  }
  const span = {
    startMs: Math.max(over.startMs, fromMs),
    endMs: Math.min(over.endMs, toMs),
    stepMs: over.stepMs,
  };
  const batches: string[][] = [];
  for (let i = 0; i < uuids.length; i += COUNT_UUIDS_PER_REQUEST)
    batches.push(uuids.slice(i, i + COUNT_UUIDS_PER_REQUEST));
  const answers = await mapLimit(batches, 1, (batch) =>
    queries.range(
      'utilization_counts',
      { metric, uuids: literalAlternation(batch), window: durationMs(over.stepMs - 1) },
      span,
    ),
  );
  const counts: SampleCounts = sampleCountsOf(answers.flat());
  const second = collapseUtilization(means, identity.utilizationIdentityOf, counts);
  if (second.splits.length > 0) {
    logger.warn(
      'utilization: sample counts missing at steps split between series of one GPU; those steps weigh the series equally',
      { metric, steps: second.splits.length, gpus: [...new Set(second.splits.map((s) => s.uuid))].length },
    );
  }
  return second.series;
}

/**
 * The scrape interval of one exporter from the median spacing of its raw samples (kube_node_status_capacity
 * over an hour; DCGM series over 10 minutes, they are many more), tried at the end, the middle and the
 * first hour of `range`; null when none of them has two samples of a series.
 */
export async function askScrapeInterval(
  queries: PrometheusQueries,
  exporter: Exporter,
  range: TimeRange,
): Promise<number | null> {
  const [name, spanMs] =
    exporter === 'kubeStateMetrics'
      ? (['scrape_ksm', 3_600_000] as const)
      : (['scrape_dcgm', 600_000] as const);
  const candidates = [range.endMs, Math.round((range.startMs + range.endMs) / 2), range.startMs + 3_600_000];
  for (const at of candidates) {
    const series = await queries.instant(name, { range: durationMs(spanMs) }, at);
    const seconds = detectScrapeIntervalSeconds(series.map((s) => s.points.map(([t]) => t)));
    if (seconds !== null) return seconds;
  }
  return null;
}
