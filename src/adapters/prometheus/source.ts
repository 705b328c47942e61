import type { Config } from '../../config/schema.ts';
import type { FleetSize } from '../../core/metering/index.ts';
import type { ScrapeIntervals, Shard, StepGrid, TimeRange, WindowObservations } from '../../core/types.ts';
import { redactUrl } from '../../redact.ts';
import type { Exporter, GpuUtilDemand, ObservationSource } from '../../ports.ts';
import type { PrometheusClient } from './client.ts';
import { type ConnectOptions, connectPrometheus } from './connect.ts';
import { seriesIdentityOf } from './identity.ts';
import { labelSetsSeen } from './labelSetsSeen.ts';
import { familyUtilizationPoints, observationsOf } from './observations.ts';
import type { PromSeries } from './parseResponse.ts';
import { durationMs, extraMatchers } from './promql.ts';
import { askShard } from './shardQueries.ts';
import {
  askGpuUtilPods,
  type GpuUtilRead,
  presenceBeforeGpuUtilPods,
  profPodNames,
} from './gpuUtilOnDemand.ts';
import { dcgmPresenceSeries } from './utilization.ts';
import {
  askExactMeans,
  askExactUtilization,
  askScrapeInterval,
  askWindow,
  createQueries,
  DEFAULT_QUERIES_DIR,
  loadQueryTemplates,
  rangesOf,
  type WindowAnswers,
  WHOLE_DAY_MATCHERS,
} from './queries.ts';
import { loadSurveyTemplate, metricNamesRead, surveySamples } from './survey.ts';

/** The answers of a window without samples: what every query answers there. */
const NO_ANSWERS: WindowAnswers = Object.freeze({
  running: [],
  pendingOnNode: [],
  nodeCapacity: [],
  nodePresence: [],
  ksmPresence: [],
  utilizationProf: [],
  utilizationUtil: [],
  podRequests: [],
  podInitRequests: [],
  podSidecars: [],
  draDevices: [],
  podNodes: [],
  podLabels: [],
  namespaceLabels: [],
  nodeLabels: [],
  nodeInfo: [],
  gpuQuotas: [],
});

/**
 * The longest span before a detection instant that askScrapeInterval reads (kube_node_status_capacity
 * over an hour); its instants are the range's end, its middle and an hour after its start.
 */
const DETECTION_SPAN_MS = 3_600_000;

/** Everything the Prometheus source needs: the validated config sections, a logger and injectable I/O. */
export interface PrometheusSourceOptions extends Omit<ConnectOptions, 'source'> {
  config: { source: Config['source']; metering: Config['metering'] };
  /** Directory of the *.promql templates (default: the repository's queries/). */
  queriesDir?: string;
}

/** Bytes of compact answers: their sample arrays, and one byte per character of their label names and values. */
function compactBytesOf(answers: readonly (readonly PromSeries[])[]): number {
  let bytes = 0;
  for (const list of answers) {
    for (const s of list) {
      bytes += s.points.bytes;
      for (const k in s.metric) bytes += k.length + s.metric[k]!.length;
    }
  }
  return bytes;
}

/** Notes the compact bytes of a window's answers in the client's stats (their most in one window). */
function notePeakBytes(stats: PrometheusClient['stats'], answers: WindowAnswers): void {
  stats.peakCompactBytes = Math.max(stats.peakCompactBytes, compactBytesOf(Object.values(answers)));
}

/** Counts what a day or shard read of DCGM_FI_DEV_GPU_UTIL's pod series (gpuUtilOnDemand.ts). */
function countGpuUtilRead(stats: PrometheusClient['stats'], how: GpuUtilRead): void {
  if (how.read === 'all') stats.gpuUtilPodReads.all[how.reason]++;
  else stats.gpuUtilPodReads[how.read]++;
}

/** Whether DCGM series of one cluster come from more than one replica (an HA Prometheus pair). */
function severalDcgmReplicas(
  series: readonly PromSeries[],
  replicaOf: (m: Record<string, string>) => string[],
): boolean {
  const seen = new Set<string>();
  for (const s of series) {
    seen.add(JSON.stringify(replicaOf(s.metric)));
    if (seen.size > 1) return true;
  }
  return false;
}

/**
 * An ObservationSource over the Prometheus HTTP API (Prometheus, Thanos, Mimir, Amazon Managed
 * Prometheus), in three parts: connect (connect.ts: client, auth, headers, TLS), queries (queries.ts:
 * what is asked, as named answers) and observations (observations.ts: answers -> WindowObservations,
 * pure). Every query aggregates to the identity labels of what it reads before combining series —
 * (cluster, uid) for pods, (cluster, node[, resource]) for nodes, (cluster, namespace) for namespaces,
 * (cluster, UUID, GPU_I_ID, pod) for utilization — so scrape-target labels (job, endpoint, service, the
 * exporter's own pod) and exporter extras (Hostname, pci_bus_id, modelName, DCGM_FI_DRIVER_VERSION)
 * that change mid-month never split, drop or double-count a pod. The step queries keep the replica
 * labels (source.dedupeLabels for HA Prometheus pairs, plus `instance` for kube-state-metrics
 * replicas) and each object's point at each step comes from one replica (replicas.ts), so replicas
 * scraped at other instants are counted once and exactly. The cluster label, when configured, is part
 * of every identity: two clusters may hold the same namespace, pod or node names.
 */
export function createPrometheusSource(
  options: PrometheusSourceOptions,
): ObservationSource & { readonly stats: PrometheusClient['stats'] } {
  const { config, queriesDir, ...connect } = options;
  const { source, metering } = config;
  const templates = loadQueryTemplates(queriesDir ?? DEFAULT_QUERIES_DIR);
  const surveyTemplate = loadSurveyTemplate(queriesDir ?? DEFAULT_QUERIES_DIR);
  const client = connectPrometheus({ ...connect, source });
  const identity = seriesIdentityOf(source);
  const queries = createQueries(
    client,
    templates,
    identity,
    source.selector,
    source.stepEvaluation,
    options.logger,
  );
  const cluster = identity.clusterLabel ? ` (cluster label ${identity.clusterLabel})` : '';
  // Windows the survey found without any sample the queries read: questions inside one are not asked.
  const empty: TimeRange[] = [];
  const knownEmpty = (range: TimeRange) =>
    empty.some((w) => w.startMs <= range.startMs && range.endMs <= w.endMs);

  return {
    kind: 'prometheus',
    // connectPrometheus has refused a source without a url.
    description: `prometheus: ${redactUrl(source.url!)}${cluster}`,
    stats: client.stats,

    detectScrapeInterval(exporter: Exporter, range: TimeRange): Promise<number | null> {
      const reads = {
        startMs: range.startMs - DETECTION_SPAN_MS,
        endMs: Math.max(range.endMs, range.startMs + DETECTION_SPAN_MS),
      };
      if (knownEmpty(reads)) return Promise.resolve(null);
      return askScrapeInterval(queries, exporter, range);
    },

    async surveyWindows(windows: readonly TimeRange[]): Promise<boolean[]> {
      const found = await surveySamples(
        client,
        surveyTemplate,
        metricNamesRead(templates),
        extraMatchers(source.selector),
        windows,
      );
      windows.forEach((w, i) => {
        if (!found[i]) empty.push({ startMs: w.startMs, endMs: w.endMs });
      });
      return found;
    },

    async observe(
      grid: StepGrid,
      scrape: ScrapeIntervals,
      shard?: Shard,
      gpuUtilFor?: GpuUtilDemand,
    ): Promise<WindowObservations> {
      const sharded = shard !== undefined && shard.count > 1;
      if (!sharded && knownEmpty(grid)) {
        return observationsOf({
          grid,
          scrape,
          answers: NO_ANSWERS,
          utilization: { prof: [], util: [] },
          identity,
          labels: metering,
        });
      }
      // With the adapter evaluating the day, DCGM_FI_DEV_GPU_UTIL's pod series are read last, for the pods
      // metering needs them for (gpuUtilOnDemand.ts), in a whole day and in each shard of one.
      const onDemand = gpuUtilFor !== undefined && queries.stepEvaluation === 'adapter';
      const { answers, warnings, gpuUtilScope } = sharded
        ? await askShard(queries, grid, metering, shard, identity, onDemand ? { gpuUtilPods: false } : {})
        : {
            answers: await askWindow(
              queries,
              grid,
              metering,
              onDemand ? { matchers: WHOLE_DAY_MATCHERS, gpuUtilPods: false } : undefined,
            ),
            warnings: [],
            gpuUtilScope: undefined,
          };
      for (const warning of warnings) options.logger.warn(warning);
      // When each label set was last seen in the day, where a pod or namespace has several (the one seen
      // last is what it is billed under): asked only then (labelSetsSeen.ts).
      const seen = await labelSetsSeen(
        queries,
        answers,
        { startMs: grid.startMs, endMs: (grid.focus ?? grid).endMs },
        identity,
        {
          pod: [...metering.team.podLabels, ...metering.project.podLabels],
          namespace: [...metering.team.namespaceLabels, ...metering.project.namespaceLabels],
        },
      );
      const day = rangesOf(grid).day;
      const utilization = await askExactUtilization(queries, answers, day, identity, options.logger);
      const observed = (dcgmPresence?: PromSeries[]) =>
        observationsOf({
          grid,
          scrape,
          answers,
          utilization,
          identity,
          labels: metering,
          labelSetsSeen: seen,
          ...(dcgmPresence ? { dcgmPresence } : {}),
        });
      // A shard sees only its pods' DCGM series: when several replicas of one GPU need the replica
      // choice, it asks when each replica was scraped at all (a whole day learns it from its answers).
      const severalReplicas = () =>
        sharded &&
        severalDcgmReplicas([...answers.utilizationProf, ...answers.utilizationUtil], identity.dcgmReplicaOf);
      const askDcgmPresence = () =>
        queries.range('dcgm_presence', { window: durationMs(grid.stepMs - 1) }, day);
      let dcgmPresence = severalReplicas() ? await askDcgmPresence() : undefined;
      if (onDemand) {
        // When dcgm-exporter was scraped, as far as the answers so far tell (or, in a shard with several
        // replicas, as dcgm_presence tells from every series: the pod series unread cannot change it).
        const presence = dcgmPresence
          ? dcgmPresenceSeries(dcgmPresence, identity.clusterLabel, identity.dedupeLabels)
          : presenceBeforeGpuUtilPods(answers, identity);
        let first: WindowObservations | undefined;
        let bytesBefore = 0;
        let released = false;
        const extra = await askGpuUtilPods(
          queries,
          { presence, profPods: profPodNames(answers.utilizationProf) },
          day,
          identity,
          {
            pods: () => gpuUtilFor((first = observed(presence))),
            // Every way on from here keeps `first` (presence kept): the answers are not needed again, and
            // are let go before the pods' series are read (a large day's peak heap).
            settled: () => {
              bytesBefore = compactBytesOf(Object.values(answers));
              for (const name of Object.keys(answers) as (keyof WindowAnswers)[]) answers[name] = [];
              released = true;
            },
          },
          gpuUtilScope,
        );
        countGpuUtilRead(client.stats, extra.how);
        // (A shard that found the endpoint narrowed by its node or exported_pod list has warned of it: askShard.)
        if (
          extra.how.read === 'all' &&
          extra.how.reason === 'incomplete index' &&
          !gpuUtilScope?.narrowedIndex
        )
          options.logger.warn(
            "Prometheus: the series endpoint's index of DCGM_FI_DEV_GPU_UTIL lacks series that exist " +
              '(of pods read with DCGM_FI_PROF_GR_ENGINE_ACTIVE, or found by name); every such pod series is ' +
              "read instead. A backend that narrows /api/v1/series's time range (Mimir's " +
              '-store.max-labels-query-length) costs each day this read (source.stepEvaluation prometheus ' +
              'never asks that endpoint); dcgm-exporters without DCGM_FI_DEV_GPU_UTIL cost only this read',
          );
        const means = await askExactMeans(
          queries,
          'DCGM_FI_DEV_GPU_UTIL',
          extra.series,
          day,
          identity,
          options.logger,
        );
        answers.utilizationUtil = [...answers.utilizationUtil, ...extra.series];
        client.stats.peakCompactBytes = Math.max(
          client.stats.peakCompactBytes,
          bytesBefore + compactBytesOf(Object.values(answers)),
        );
        if (extra.presenceKept) {
          // The pod series read add nothing to the presence the day was observed with: only their points.
          // (Nor a replica: each cluster and replica they belong to is in that presence, so a shard that
          // saw one replica before them sees one with them, as when it read them all.)
          const seen = first ?? observed(presence);
          return means.length === 0
            ? seen
            : {
                ...seen,
                utilization: [
                  ...seen.utilization,
                  ...familyUtilizationPoints(means, 'DCGM_FI_DEV_GPU_UTIL', identity, presence),
                ],
              };
        }
        // Every pod series read, unchecked: the day's presence counts them too, as when a shard read them
        // with the others (and they may show it a second replica).
        if (released) throw new Error('the answers were let go, yet every pod series was read unchecked');
        utilization.util = means;
        if (!dcgmPresence && severalReplicas()) dcgmPresence = await askDcgmPresence();
        return observed(dcgmPresence);
      }
      notePeakBytes(client.stats, answers);
      return observed(dcgmPresence);
    },

    async measureFleet(range: TimeRange): Promise<FleetSize> {
      if (knownEmpty(range)) return { gpuUnits: 0 };
      const series = await queries.overWindow('fleet_gpus', {}, range);
      const points = series[0]?.points;
      return { gpuUnits: points && points.length > 0 ? points.vAt(0) : 0 };
    },
  };
}
