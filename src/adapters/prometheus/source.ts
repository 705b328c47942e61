import { redactUrl } from '../../redact.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '../../concurrency.ts';
import type { Config } from '../../config/schema.ts';
import { detectScrapeIntervalSeconds } from '../../core/metering/index.ts';
import {
  chooseReplicaPoints,
  type ReplicaPresence,
  type ReplicaSeries,
} from './replicas.ts';
import {
  durationMs,
  extraMatchers,
  fillQuery,
  labelPrefix,
  literalAlternation,
} from './promql.ts';
import type {
  NodeCapacityPoints,
  PodPhasePoints,
  PodRef,
  PodUtilizationPoints,
  ScrapeIntervals,
  StepGrid,
  TimeRange,
  WindowObservations,
} from '../../core/types.ts';
import { ConfigError, PrometheusQueryError } from '../../errors.ts';
import type { Exporter, Logger, ObservationSource } from '../../ports.ts';
import { type AwsCredentialsProvider, createAuthorizer } from './auth.ts';
import { mergeSeries, PrometheusClient } from './client.ts';
import { createCaFetch, type HttpFetch } from './httpFetch.ts';
import type { PromSeries } from './parseResponse.ts';
import {
  collapseUtilization,
  dcgmPresenceSeries,
  type SampleCounts,
  sampleCountsOf,
  splitPresence,
  utilizationIdentity,
} from './utilization.ts';

/** GPUs per utilization_counts request (each UUID is ~45 characters of regex). */
const COUNT_UUIDS_PER_REQUEST = 200;

/** Everything the Prometheus source needs: the config sections, a logger and injectable I/O. */
export interface PrometheusSourceOptions {
  config: { source: Config['source']; metering: Config['metering'] };
  logger: Logger;
  /** Environment for source.auth.tokenEnv (default process.env). */
  env?: Record<string, string | undefined>;
  /** fetch implementation; default: global fetch, or a node:https fetch trusting source.caFile. */
  fetch?: HttpFetch;
  /** AWS credentials for SigV4 (default: the AWS default provider chain). */
  awsCredentials?: AwsCredentialsProvider;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Directory of the *.promql templates (default: the repository's queries/). */
  queriesDir?: string;
  maxPointsPerSeries?: number;
}

export const QUERY_NAMES = [
  'running',
  'pending_on_node',
  'node_capacity',
  'ksm_presence',
  'utilization_prof',
  'utilization_util',
  'utilization_counts',
  'pod_requests',
  'pod_nodes',
  'pod_labels',
  'namespace_labels',
  'node_labels',
  'scrape_ksm',
  'scrape_dcgm',
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/**
 * Labels that tell replicas of a kube-state-metrics series apart besides source.dedupeLabels: the
 * scrape target's `instance` (two KSM pods, or one KSM pod before and after a rescheduling). The
 * replica choice is made per object and step (src/adapters/prometheus/replicas.ts), so a rescheduled KSM is
 * never a second replica at a step where only one was scraped, and KSM shards (each exporting other
 * objects) add up. dcgm-exporter series are told apart by source.dedupeLabels only (`instance` there is
 * the node's exporter).
 */
export const KSM_REPLICA_LABELS: readonly string[] = ['instance'];

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

const DEFAULT_QUERIES_DIR = fileURLToPath(new URL('../../../queries/', import.meta.url));

/**
 * An ObservationSource over the Prometheus HTTP API (Prometheus, Thanos, Mimir, Amazon Managed
 * Prometheus). Every query aggregates to the identity labels of what it reads before combining series
 * — (cluster, uid) for pods, (cluster, node[, resource]) for nodes, (cluster, namespace) for
 * namespaces, (cluster, UUID, GPU_I_ID, pod) for utilization — so scrape-target labels (job, endpoint,
 * service, the exporter's own pod) and exporter extras (Hostname, pci_bus_id, modelName,
 * DCGM_FI_DRIVER_VERSION) that change mid-month never split, drop or double-count a pod. The step
 * queries keep the replica labels (source.dedupeLabels for HA Prometheus pairs, plus `instance` for
 * kube-state-metrics replicas) and the adapter takes each object's point at each step from one replica
 * (src/adapters/prometheus/replicas.ts), so replicas scraped at other instants are counted once and exactly.
 * The cluster label, when configured, is part of every identity: two clusters may hold the same
 * namespace, pod or node names.
 */
export function createPrometheusSource(
  options: PrometheusSourceOptions,
): ObservationSource & { readonly stats: PrometheusClient['stats'] } {
  const { source, metering } = options.config;
  if (!source.url)
    throw new ConfigError('source.url is required for a Prometheus source', [
      { path: 'source.url', message: 'required' },
    ]);
  // The config is validated (configSchema): dedupe labels are neither the cluster label nor identity labels.
  const clusterLabel = source.clusterLabel;
  const templates = loadQueryTemplates(options.queriesDir ?? DEFAULT_QUERIES_DIR);
  let fetchImpl = options.fetch;
  if (!fetchImpl && source.caFile) {
    let pem: string;
    try {
      pem = readFileSync(source.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `cannot read source.caFile ${source.caFile}`,
        [{ path: 'source.caFile', message: 'unreadable' }],
        { cause: error },
      );
    }
    fetchImpl = createCaFetch(pem);
  }
  // https without a custom CA still goes through the fetch that forces certificate checks and TLS 1.2+.
  if (!fetchImpl && source.url.startsWith('https:')) fetchImpl = createCaFetch();
  const headers: Record<string, string> = { ...source.headers };
  if (source.tenant) headers[source.tenant.header] = source.tenant.value;
  const client = new PrometheusClient({
    url: source.url,
    fetch: fetchImpl ?? (globalThis.fetch as unknown as HttpFetch),
    authorize: createAuthorizer(source.auth, options.env ?? process.env, options.awsCredentials),
    headers,
    timeoutMs: source.timeoutSeconds * 1000,
    maxRetries: source.maxRetries,
    logger: options.logger,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.maxPointsPerSeries ? { maxPointsPerSeries: options.maxPointsPerSeries } : {}),
  });

  const ksmReplicaLabels = [...new Set([...source.dedupeLabels, ...KSM_REPLICA_LABELS])];
  const common = {
    cluster: clusterLabel ? labelPrefix([clusterLabel]) : '',
    match: extraMatchers(source.selector),
    replica: labelPrefix(ksmReplicaLabels),
    dedupe: labelPrefix(source.dedupeLabels),
  };
  const clusterOf = (metric: Record<string, string>) => (clusterLabel ? (metric[clusterLabel] ?? '') : '');
  const ksmReplicaOf = (m: Record<string, string>) => ksmReplicaLabels.map((l) => m[l] ?? '');
  const dcgmReplicaOf = (m: Record<string, string>) => source.dedupeLabels.map((l) => m[l] ?? '');
  const podOf = (m: Record<string, string>): PodRef => ({
    cluster: clusterOf(m),
    namespace: m.namespace ?? '',
    pod: m.pod ?? '',
    uid: m.uid ?? '',
  });
  // Shared parameters go only to the templates that use them; explicit ones must all be used.
  const fill = (name: QueryName, params: Record<string, string>) =>
    fillQuery(templates[name], {
      ...Object.fromEntries(Object.entries(common).filter(([k]) => templates[name].includes(`{{${k}}}`))),
      ...params,
    });

  /** Instant query over (start, end]; on "too large" the window is halved and the halves max'ed. */
  const windowQuery = async (
    name: QueryName,
    params: Record<string, string>,
    window: TimeRange,
    depth = 0,
  ): Promise<PromSeries[]> => {
    try {
      return await client.queryInstant(
        name,
        fill(name, { ...params, range: durationMs(window.endMs - window.startMs) }),
        window.endMs,
        window,
      );
    } catch (error) {
      const span = window.endMs - window.startMs;
      if (!(error instanceof PrometheusQueryError) || !error.details.tooLarge || depth >= 6 || span < 2000)
        throw error;
      const mid = window.startMs + Math.floor(span / 2000) * 1000;
      const left = await windowQuery(name, params, { startMs: window.startMs, endMs: mid }, depth + 1);
      const right = await windowQuery(name, params, { startMs: mid, endMs: window.endMs }, depth + 1);
      return mergeSeries([...left, ...right], 'max');
    }
  };

  const labelNames = (...lists: string[][]) => labelPrefix([...new Set(lists.flat())]);
  const pickLabels = (metric: Record<string, string>, names: string[]) =>
    Object.fromEntries(names.filter((n) => metric[n]).map((n) => [n, metric[n]!]));

  const identityOf = (metric: Record<string, string>) =>
    utilizationIdentity(metric, clusterLabel ?? '', source.dedupeLabels);

  /**
   * One series per utilization identity with the exact mean of its raw samples per step: at steps split
   * between series of one identity, the sample counts of those GPUs' series are read (a small span,
   * rarely) and weigh the series' means (src/adapters/prometheus/utilization.ts).
   */
  const exactMeans = async (
    metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' | 'DCGM_FI_DEV_GPU_UTIL',
    means: PromSeries[],
    over: { startMs: number; endMs: number; stepMs: number },
  ): Promise<PromSeries[]> => {
    const first = collapseUtilization(means, identityOf);
    if (first.splits.length === 0) return first.series;
    const uuids = [...new Set(first.splits.map((s) => s.uuid))].sort();
    let fromMs = over.endMs;
    let toMs = over.startMs;
    for (const { tMs } of first.splits) {
      fromMs = Math.min(fromMs, tMs);
      toMs = Math.max(toMs, tMs);
    }
    const span = { startMs: Math.max(over.startMs, fromMs), endMs: Math.min(over.endMs, toMs), stepMs: over.stepMs };
    const batches: string[][] = [];
    for (let i = 0; i < uuids.length; i += COUNT_UUIDS_PER_REQUEST)
      batches.push(uuids.slice(i, i + COUNT_UUIDS_PER_REQUEST));
    const answers = await mapLimit(batches, 1, (batch) =>
      client.queryRange(
        'utilization_counts',
        fill('utilization_counts', {
          metric,
          uuids: literalAlternation(batch),
          window: durationMs(over.stepMs - 1),
        }),
        span,
      ),
    );
    const counts: SampleCounts = sampleCountsOf(answers.flat());
    const second = collapseUtilization(means, identityOf, counts);
    if (second.splits.length > 0) {
      options.logger.warn(
        'utilization: sample counts missing at steps split between series of one GPU; those steps weigh the series equally',
        { metric, steps: second.splits.length, gpus: [...new Set(second.splits.map((s) => s.uuid))].length },
      );
    }
    return second.series;
  };

  const description = `prometheus: ${redactUrl(source.url)}${clusterLabel ? ` (cluster label ${clusterLabel})` : ''}`;

  return {
    kind: 'prometheus',
    description,
    stats: client.stats,

    async detectScrapeInterval(exporter: Exporter, range: TimeRange): Promise<number | null> {
      // kube_node_status_capacity over an hour; DCGM series over 10 minutes (they are many more).
      const [name, spanMs] =
        exporter === 'kubeStateMetrics' ? (['scrape_ksm', 3_600_000] as const) : (['scrape_dcgm', 600_000] as const);
      const candidates = [
        range.endMs,
        Math.round((range.startMs + range.endMs) / 2),
        range.startMs + 3_600_000,
      ];
      for (const at of candidates) {
        const series = await client.queryInstant(name, fill(name, { range: durationMs(spanMs) }), at);
        const seconds = detectScrapeIntervalSeconds(series.map((s) => s.points.map(([t]) => t)));
        if (seconds !== null) return seconds;
      }
      return null;
    },

    async observe(grid: StepGrid, scrape: ScrapeIntervals): Promise<WindowObservations> {
      const range = { startMs: grid.startMs + grid.stepMs, endMs: grid.endMs, stepMs: grid.stepMs };
      // Utilization and DCGM coverage are only used inside the billed day (grid.focus): no margins.
      const focus = grid.focus ?? grid;
      const dcgmRange = { startMs: focus.startMs + grid.stepMs, endMs: focus.endMs, stepMs: grid.stepMs };
      const window = durationMs(grid.stepMs - 1);
      const rangeQuery = (name: QueryName, over = range) => client.queryRange(name, fill(name, { window }), over);
      const whole = { startMs: grid.startMs, endMs: grid.endMs };

      // Two requests in flight at a time: enough to overlap latency without crowding Prometheus.
      const tasks: (() => Promise<unknown>)[] = [
        () => rangeQuery('running'),
        () => (metering.pendingOnNode === 'charged' ? rangeQuery('pending_on_node') : Promise.resolve([])),
        () => rangeQuery('node_capacity'),
        () => rangeQuery('ksm_presence'),
        () => (focus.endMs > focus.startMs ? rangeQuery('utilization_prof', dcgmRange) : Promise.resolve([])),
        () => (focus.endMs > focus.startMs ? rangeQuery('utilization_util', dcgmRange) : Promise.resolve([])),
        () => windowQuery('pod_requests', {}, whole),
        () => windowQuery('pod_nodes', {}, whole),
        () =>
          windowQuery(
            'pod_labels',
            { labels: labelNames(metering.team.podLabels, metering.project.podLabels) },
            whole,
          ),
        () =>
          windowQuery(
            'namespace_labels',
            { labels: labelNames(metering.team.namespaceLabels, metering.project.namespaceLabels) },
            whole,
          ),
        () =>
          windowQuery(
            'node_labels',
            { labels: labelNames(metering.nodeLabels.instanceType, metering.nodeLabels.capacityType) },
            whole,
          ),
      ];
      const results = (await mapLimit(tasks, 2, (task) => task())) as PromSeries[][];
      const [
        running,
        pending,
        capacity,
        ksm,
        profAnswer,
        utilAnswer,
        requests,
        allPodNodes,
        allPodLabels,
        nsLabels,
        nodeLabels,
      ] = results as [
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
        PromSeries[],
      ];
      // pod_nodes and pod_labels answer for every pod; only pods that request a GPU matter.
      const gpuPods = new Set(requests.map((s) => `${clusterOf(s.metric)}\u0000${s.metric.uid ?? ''}`));
      const isGpuPod = (s: PromSeries) => gpuPods.has(`${clusterOf(s.metric)}\u0000${s.metric.uid ?? ''}`);
      const podNodes = allPodNodes.filter(isGpuPod);
      const podLabels = allPodLabels.filter(isGpuPod);
      const prof = splitPresence(profAnswer);
      const util = splitPresence(utilAnswer);
      const [profMeans, utilMeans] = await mapLimit(
        [
          ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', prof.means],
          ['DCGM_FI_DEV_GPU_UTIL', util.means],
        ] as const,
        1,
        ([metric, means]) => exactMeans(metric, means, dcgmRange),
      );
      const dcgm = dcgmPresenceSeries(
        [...prof.means, ...prof.presence, ...util.means, ...util.presence],
        clusterLabel ?? '',
        source.dedupeLabels,
      );
      // One replica per object and step (see src/adapters/prometheus/replicas.ts).
      const ksmPresence = replicaPresence(ksm, clusterOf, ksmReplicaOf);
      const podView = (s: PromSeries, points: [number, number][]): ReplicaSeries<number> => {
        const pod = podOf(s.metric);
        const object = [pod.cluster, pod.namespace, pod.pod, pod.uid].join('\u0000');
        return { object, scope: pod.cluster, replica: ksmReplicaOf(s.metric), points };
      };
      // Replicas that saw a pod bound in the window speak for it even at steps without its sample.
      const podKnown = podNodes.map((s) => podView(s, []));
      const phasePoints = (series: PromSeries[]): PodPhasePoints[] => {
        const refs = new Map<string, PodRef>();
        const views = series.map((s) => {
          const view = podView(s, s.points);
          if (!refs.has(view.object)) refs.set(view.object, podOf(s.metric));
          return view;
        });
        return [...chooseReplicaPoints([...podKnown, ...views], ksmPresence)]
          .filter(([object]) => refs.has(object))
          .filter(([, points]) => points.length > 0)
          .map(([object, points]) => ({ pod: refs.get(object)!, tsMs: points.map(([t]) => t) }));
      };
      const dcgmReplicas = {
        replicaOf: dcgmReplicaOf,
        presence: replicaPresence(dcgm, clusterOf, dcgmReplicaOf),
      };
      const podLabelNames = [...metering.team.podLabels, ...metering.project.podLabels];
      const nsLabelNames = [...metering.team.namespaceLabels, ...metering.project.namespaceLabels];
      const nodeLabelNames = [...metering.nodeLabels.instanceType, ...metering.nodeLabels.capacityType];
      return {
        grid,
        running: phasePoints(running),
        pendingOnNode: phasePoints(pending),
        requests: requests.flatMap((s) =>
          s.points.map(([, value]) => ({
            pod: podOf(s.metric),
            container: s.metric.container ?? '',
            resource: s.metric.resource ?? '',
            value,
          })),
        ),
        podNodes: uniqueBy(
          podNodes.map((s) => ({ pod: podOf(s.metric), node: s.metric.node ?? '' })),
          (p) => [p.pod.cluster, p.pod.namespace, p.pod.pod, p.pod.uid, p.node].join('\u0000'),
        ),
        podLabels: podLabels.map((s) => ({
          pod: podOf(s.metric),
          labels: pickLabels(s.metric, podLabelNames),
        })),
        namespaceLabels: nsLabels.map((s) => ({
          cluster: clusterOf(s.metric),
          namespace: s.metric.namespace ?? '',
          labels: pickLabels(s.metric, nsLabelNames),
        })),
        nodeLabels: nodeLabels.map((s) => ({
          cluster: clusterOf(s.metric),
          node: s.metric.node ?? '',
          labels: pickLabels(s.metric, nodeLabelNames),
        })),
        nodeCapacity: nodeCapacityPoints(capacity, clusterOf, ksmReplicaOf, ksmPresence),
        utilization: [
          ...utilizationPoints(profMeans!, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', clusterOf, dcgmReplicas),
          ...utilizationPoints(utilMeans!, 'DCGM_FI_DEV_GPU_UTIL', clusterOf, dcgmReplicas),
        ],
        ksmPresentTsMs: presentInEveryCluster(ksm, clusterOf),
        dcgmPresentTsMs: presentInEveryCluster(dcgm, clusterOf),
        scrape,
      };
    },
  };
}

/** How to tell replicas of a series apart, and when each replica was scraped (see replicas.ts). */
export interface ReplicaChoice {
  replicaOf: (metric: Record<string, string>) => string[];
  presence: ReplicaPresence[];
}

/** Presence series (one per cluster and replica) as {@link ReplicaPresence}. */
export function replicaPresence(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
): ReplicaPresence[] {
  return series.map((s) => ({
    scope: clusterOf(s.metric),
    replica: replicaOf(s.metric),
    tsMs: s.points.map(([t]) => t),
  }));
}

/** Node capacity series (one per cluster, replica, node and resource), one replica per step. */
export function nodeCapacityPoints(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
  replicaOf: (metric: Record<string, string>) => string[],
  presence: ReplicaPresence[],
): NodeCapacityPoints[] {
  const refs = new Map<string, Omit<NodeCapacityPoints, 'points'>>();
  const views = series.map((s): ReplicaSeries<number> => {
    const ref = {
      cluster: clusterOf(s.metric),
      node: s.metric.node ?? '',
      resource: s.metric.resource ?? '',
    };
    const object = [ref.cluster, ref.node, ref.resource].join('\u0000');
    if (!refs.has(object)) refs.set(object, ref);
    return { object, scope: ref.cluster, replica: replicaOf(s.metric), points: s.points };
  });
  return [...chooseReplicaPoints(views, presence, Math.max)]
    .filter(([, points]) => points.length > 0)
    .map(([object, points]) => ({ ...refs.get(object)!, points }));
}

/**
 * Per-GPU utilization series -> per-pod [t, sum, count]. The workload's pod is `exported_pod` /
 * `exported_namespace` when set (Prometheus renamed dcgm-exporter's labels because the target has its
 * own `pod`), else `pod` / `namespace` (honor_labels). With `replicas`, each GPU and pod's point at a
 * step comes from one replica only (HA Prometheus pairs scrape dcgm-exporter at other instants).
 */
export function utilizationPoints(
  series: PromSeries[],
  source: PodUtilizationPoints['source'],
  clusterOf: (metric: Record<string, string>) => string,
  replicas?: ReplicaChoice,
): PodUtilizationPoints[] {
  const byPod = new Map<
    string,
    { cluster: string; namespace: string; pod: string; views: ReplicaSeries<[number, number]>[] }
  >();
  for (const s of series) {
    const exported = !!s.metric.exported_pod;
    const namespace = (exported ? s.metric.exported_namespace : s.metric.namespace) ?? '';
    const pod = (exported ? s.metric.exported_pod : s.metric.pod) ?? '';
    if (!pod) continue;
    const cluster = clusterOf(s.metric);
    const id = `${cluster}\u0000${namespace}\u0000${pod}`;
    const entry = byPod.get(id) ?? { cluster, namespace, pod, views: [] };
    // One object per GPU (or MIG instance) of the pod; the same GPU under exported_* and plain pod
    // labels (honor_labels changed) adds up, as two series of one step always did.
    const gpu = [s.metric.UUID ?? '', s.metric.GPU_I_ID ?? '', exported ? 'exported' : 'direct'].join(
      '\u0000',
    );
    entry.views.push({
      object: gpu,
      scope: cluster,
      replica: replicas ? replicas.replicaOf(s.metric) : [],
      points: s.points.map(([t, v]): [number, [number, number]] => [t, [v, 1]]),
    });
    byPod.set(id, entry);
  }
  const add = (a: [number, number], b: [number, number]): [number, number] => [a[0] + b[0], a[1] + b[1]];
  return [...byPod.values()].map((e) => {
    const points = new Map<number, [number, number]>();
    for (const chosen of chooseReplicaPoints(e.views, replicas?.presence ?? [], add).values()) {
      for (const [t, v] of chosen) points.set(t, add(points.get(t) ?? [0, 0], v));
    }
    return {
      cluster: e.cluster,
      namespace: e.namespace,
      pod: e.pod,
      source,
      points: [...points]
        .sort((a, b) => a[0] - b[0])
        .map(([t, [sum, count]]) => [t, sum, count] as [number, number, number]),
    };
  });
}

/**
 * Grid points at which every cluster that reported in the window reported (presence series are one per
 * cluster): with several clusters, one cluster's missing exporter must show as a coverage gap instead of
 * being hidden by the others. One cluster (or no cluster label) = the points of its series.
 */
export function presentInEveryCluster(
  series: PromSeries[],
  clusterOf: (metric: Record<string, string>) => string,
): number[] {
  const byCluster = new Map<string, Set<number>>();
  for (const s of series) {
    const set = byCluster.get(clusterOf(s.metric)) ?? new Set<number>();
    for (const [t] of s.points) set.add(t);
    byCluster.set(clusterOf(s.metric), set);
  }
  const sets = [...byCluster.values()];
  if (sets.length === 0) return [];
  return [...sets[0]!].filter((t) => sets.every((set) => set.has(t))).sort((a, b) => a - b);
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

