import type { PodName } from '../../core/metering/index.ts';
import type { RangeWindow } from './client.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries } from './parseResponse.ts';
import { durationMs, literalAlternation } from './promql.ts';
import type { PrometheusQueries, ShardMatchers, UtilizationBranches } from './queries.ts';
import { stepCount } from './rawSteps.ts';
import { gapRanges, stepGaps } from './stepGaps.ts';
import {
  dcgmGroupOf,
  dcgmPresenceSeries,
  labelSetKey,
  PRESENCE_LABEL,
  splitPresence,
} from './utilization.ts';

/**
 * DCGM_FI_DEV_GPU_UTIL's pod series, read only for the pods metering can meter from them.
 *
 * Metering takes a pod's utilization from DCGM_FI_PROF_GR_ENGINE_ACTIVE whenever the pod has a sample
 * of it where it was held (chooseUtilizationSource); DCGM_FI_DEV_GPU_UTIL only for the others (GPUs
 * without profiling metrics, such as a T4; a pod whose PROF series is missing). Yet a day used to read
 * both families' pod series raw: in a fleet whose GPUs export both, a quarter of the samples read
 * (docs/performance.md, "Session 11: DCGM_FI_DEV_GPU_UTIL read on demand").
 *
 * A whole day, and each shard of one (with `scope`: its pods, as its raw reads select them), therefore
 * reads utilization_util without its pod series first (askWindow's `gpuUtilPods: false`), observes the
 * day from that, and then, here:
 *
 * 0. The index must list every such series with samples in the day; a backend that narrows the series
 *    endpoint's time range does not (Mimir's -store.max-labels-query-length). It is not trusted, and every
 *    pod series is read, when it lacks a pod read with PROF on a whole GPU (profPodNames: dcgm-exporter
 *    exports both families there), or a pod metering needs whose series a read by name finds.
 * 1. The pod series also tell when dcgm-exporter was scraped (dcgmPresenceSeries: coverage and the HA
 *    replica choice). They can add nothing to that for a cluster and replica at a step where the day's
 *    other DCGM series (PROF's means and presence rows, UTIL's presence rows: `presence`) already show a
 *    scrape. The clusters and replicas that have UTIL pod series come from dcgm_util_index (the series
 *    endpoint: no sample read); at the steps where one of them is not already seen, Prometheus is asked
 *    whether those pod series had a sample (dcgm_util_pods_presence, on at most stepGaps.ts
 *    MAX_GAP_REQUESTS runs of steps: an outage answers nothing). Where they had one, where the steps to
 *    ask are more than a quarter of the day, or where the index does not answer, every pod series is
 *    read, unchecked: exactly the answer the day used to read, and its presence is counted again.
 * 2. Otherwise the presence stays `presence`, and only the pods `metering.pods()` names are read
 *    (podsReadingGpuUtil), by name in each branch the index shows them in; every pod series when they are
 *    half or more of the names the index holds (a regex of most names costs Prometheus more than it
 *    saves); none when the index holds none of them (the usual day).
 *
 * A pod's utilization is made from its own series only (collapsed per identity, its replica chosen by the
 * presence above), so the pods read get the same points as when every series was read, and the pods not
 * read are metered from PROF either way: the metered day is the same, bit for bit
 * (test/integration/gpuUtilOnDemand.test.ts).
 *
 * In a shard, the index, the presence asked and every read are narrowed to the shard's pods (`scope`), and
 * `presence` is the shard's own (what it used to learn from every series of its pods), or, when the
 * shard sees several replicas, dcgm_presence (every series of the day: the unread ones cannot change it;
 * source.ts). A replica only the unread series show has no presence at any step, so the check above reads
 * them all, and the shard then asks dcgm_presence as it did when it read them with the others.
 */

/** The series of utilization_util's pod branches (exported_pod or pod set), as the index lists them. */
const PODS_OF_INDEX = (m: Record<string, string>) => (m.exported_pod ?? '') !== '' || (m.pod ?? '') !== '';

/** The name dcgm-exporter gives a pod series' pod: exported_pod when Prometheus renamed it, else pod. */
const podNameOf = (m: Record<string, string>) => (m.exported_pod ? m.exported_pod : (m.pod ?? ''));

/**
 * The pods utilization_prof read DCGM_FI_PROF_GR_ENGINE_ACTIVE for on whole GPUs (not MIG instances), by
 * the name dcgm-exporter gives them. dcgm-exporter's stock counter sets that export it also export
 * DCGM_FI_DEV_GPU_UTIL (NVIDIA/dcgm-exporter etc/dcp-metrics-included.csv; and etc/default-counters.csv
 * exports the latter alone), on every entity but a MIG instance, at the same scrape and with the same pod
 * labels: each of these pods has a DCGM_FI_DEV_GPU_UTIL series that the day's index must list.
 */
export function profPodNames(utilizationProf: readonly PromSeries[]): Set<string> {
  const names = new Set<string>();
  for (const s of utilizationProf) {
    if (s.metric[PRESENCE_LABEL] === '1' || (s.metric.GPU_I_ID ?? '') !== '') continue;
    const name = podNameOf(s.metric);
    if (name !== '') names.add(name);
  }
  return names;
}

/** A pod series of the index that one shard's raw reads select (the branch decides by which name). */
function inScope(m: Record<string, string>, scope: GpuUtilScope): boolean {
  if ((m.exported_pod ?? '') !== '') return scope.exportedPods.has(m.exported_pod!);
  return (m.pod ?? '') !== '' && scope.pods.has(m.pod!);
}

/** Asking about more than 1/MAX_ASKED_SHARE of the day's steps first costs more than reading every pod series. */
const MAX_ASKED_SHARE = 4;

/** What was read of DCGM_FI_DEV_GPU_UTIL's pod series for a day (or a shard of it), and why. */
export type GpuUtilRead =
  { read: 'none' } | { read: 'some'; pods: number } | { read: 'all'; reason: GpuUtilReadAllReason };

/**
 * Why every pod series was read: they may add to when dcgm-exporter was scraped (`presence`), the series
 * endpoint did not answer (`index`) or left out pods it should list (`incomplete index`), or the pods
 * needed are half the names or more (`most pods`).
 */
export type GpuUtilReadAllReason = 'presence' | 'index' | 'incomplete index' | 'most pods';

/**
 * One shard of a day (shardQueries.ts): its raw reads select DCGM_FI_DEV_GPU_UTIL's pod series by the
 * shard's pod names, and so does everything askGpuUtilPods reads or checks. A whole day has no scope.
 */
export interface GpuUtilScope {
  /** The shard's matchers of utilization_raw_exported/pod.promql (`exportedPods`, `pods`). */
  matchers: Pick<ShardMatchers, 'exportedPods' | 'pods'>;
  /** The names those matchers select: exported_pod values, and pod values of the pod branch. */
  exportedPods: ReadonlySet<string>;
  pods: ReadonlySet<string>;
  /**
   * The shard found the series endpoint narrowed (it lacked nodes or exported_pod names with samples:
   * shardQueries.ts nodesOfShard, exportedNames): its index of DCGM_FI_DEV_GPU_UTIL is not asked, every
   * pod series is read.
   */
  narrowedIndex?: boolean;
}

/** The pod series (means) to add to a day's utilization_util answer, and what was read. */
export interface GpuUtilPods {
  series: PromSeries[];
  how: GpuUtilRead;
  /**
   * True when `series` provably add nothing to the presence askGpuUtilPods was given (it checked): the
   * day's presence stays that. False when every pod series was read without that check.
   */
  presenceKept: boolean;
}

/**
 * The day's dcgm-exporter presence (dcgmPresenceSeries) from its answers read so far: utilization_prof
 * whole, utilization_util without its pod series. Where askGpuUtilPods reads no pod series or some pods'
 * only, it is the day's presence (those series add nothing to it: that is what askGpuUtilPods checks).
 */
export function presenceBeforeGpuUtilPods(
  answers: { utilizationProf: PromSeries[]; utilizationUtil: PromSeries[] },
  identity: SeriesIdentity,
): PromSeries[] {
  const prof = splitPresence(answers.utilizationProf);
  return dcgmPresenceSeries(
    [...prof.means, ...prof.presence, ...answers.utilizationUtil],
    identity.clusterLabel,
    identity.dedupeLabels,
  );
}

export async function askGpuUtilPods(
  queries: PrometheusQueries,
  known: {
    /** When dcgm-exporter was scraped, as the answers read so far tell (presenceBeforeGpuUtilPods). */
    presence: readonly PromSeries[];
    /** The pods read with DCGM_FI_PROF_GR_ENGINE_ACTIVE on whole GPUs (profPodNames). */
    profPods: ReadonlySet<string>;
  },
  day: RangeWindow,
  identity: SeriesIdentity,
  metering: {
    /** The pods metering could meter from DCGM_FI_DEV_GPU_UTIL (podsReadingGpuUtil), asked once. */
    pods: () => readonly PodName[];
    /**
     * Called once every way on keeps `known.presence` (nothing but the pods' series is still to read):
     * the caller may let go of what only a recount of the presence would need.
     */
    settled?: () => void;
  },
  scope?: GpuUtilScope,
): Promise<GpuUtilPods> {
  const windowMs = day.stepMs - 1;
  const matchers: Partial<ShardMatchers> = scope?.matchers ?? {};
  const read = (branches: UtilizationBranches, shard: Partial<ShardMatchers>) =>
    queries.utilizationFromRaw('utilization_util', day, windowMs, shard, branches);
  const all = async (reason: GpuUtilReadAllReason): Promise<GpuUtilPods> => ({
    series: await read({ exported: true, pod: true, idle: false }, matchers),
    how: { read: 'all', reason },
    presenceKept: reason === 'most pods',
  });
  const none: GpuUtilPods = { series: [], how: { read: 'none' }, presenceKept: true };
  if (stepCount(day) <= 0) return none;
  // A shard without pods reads no pod series.
  if (scope && scope.exportedPods.size === 0 && scope.pods.size === 0) return none;
  if (scope?.narrowedIndex) return all('incomplete index');

  let index: Record<string, string>[];
  try {
    index = (
      await queries.seriesIndex('dcgm_util_index', { startMs: day.startMs - windowMs, endMs: day.endMs })
    ).filter(scope ? (m) => inScope(m, scope) : PODS_OF_INDEX);
  } catch {
    return all('index');
  }
  // The index lists what the raw reads have not seen only if the series endpoint answers for the whole
  // day: a backend that narrows its time range (Mimir's -store.max-labels-query-length below a day) would
  // hide the series of pods that ran only in the part it drops. A pod read with PROF on a whole GPU has a
  // DCGM_FI_DEV_GPU_UTIL series beside it (profPodNames): if the index lacks one, it is not trusted, and
  // every pod series is read. (A pod metering needs that it lacks is asked by name below.)
  const listed = new Set(index.map(podNameOf));
  for (const name of known.profPods) if (!listed.has(name)) return all('incomplete index');

  // 1. Where the day's other DCGM series show no scrape of a cluster or replica with UTIL pod series,
  //    ask whether those pod series had a sample (a few runs of steps; an outage answers nothing).
  const groupOf = (m: Record<string, string>) =>
    labelSetKey(dcgmGroupOf(m, identity.clusterLabel, identity.dedupeLabels));
  const { stepOf, seen, gap, count } = stepGaps(known.presence, index, groupOf, day);
  // What step 2 needs of the index: the branch each name is in. Its label sets (megabytes in a large
  // fleet) are let go before metering's observations are made (metering.pods()).
  const exportedNames = new Set<string>();
  const podNames = new Set<string>();
  for (const m of index) {
    if (m.exported_pod) exportedNames.add(m.exported_pod);
    else podNames.add(m.pod ?? '');
  }
  index = [];
  if (count > 0) {
    const asked = gapRanges(gap, day);
    // Most of the day unseen (a cluster whose GPUs have no profiling metrics, all busy): reading every pod
    // series costs Prometheus less than asking first.
    const askedSteps = asked.reduce((n, range) => n + stepCount(range), 0);
    if (askedSteps * MAX_ASKED_SHARE > stepCount(day)) return all('presence');
    for (const range of asked) {
      const answer = await queries.range(
        'dcgm_util_pods_presence',
        { window: durationMs(windowMs) },
        range,
        matchers,
      );
      for (const s of answer) {
        const at = seen.get(groupOf(s.metric));
        for (let i = 0; i < s.points.length; i++) if (!at?.[stepOf(s.points.tAt(i))]) return all('presence');
      }
    }
  }

  // 2. The pods metering needs, by the branch that names them.
  const wanted = new Set(metering.pods().map((p) => p.pod));
  const exported = new Set([...exportedNames].filter((name) => wanted.has(name)));
  const named = new Set([...podNames].filter((name) => wanted.has(name)));
  const names = new Set([...exportedNames, ...podNames]);
  // A needed pod the index does not name has no DCGM_FI_DEV_GPU_UTIL series (no exporter on its node, a
  // MIG instance), or the index is incomplete: asked by name (in each branch the raw reads would select it
  // in), any series found means the latter, and every pod series is read.
  const unlisted = [...wanted].filter((name) => !names.has(name)).sort();
  if (unlisted.length > 0) {
    const exportedUnlisted = scope ? unlisted.filter((n) => scope.exportedPods.has(n)) : unlisted;
    const podUnlisted = scope ? unlisted.filter((n) => scope.pods.has(n)) : unlisted;
    if (exportedUnlisted.length + podUnlisted.length > 0) {
      const found = await read(
        { exported: exportedUnlisted.length > 0, pod: podUnlisted.length > 0, idle: false },
        {
          ...(exportedUnlisted.length > 0
            ? { exportedPods: `, exported_pod=~"${literalAlternation(exportedUnlisted)}"` }
            : {}),
          ...(podUnlisted.length > 0 ? { pods: `, pod=~"${literalAlternation(podUnlisted)}"` } : {}),
        },
      );
      if (found.length > 0) return all('incomplete index');
    }
  }
  metering.settled?.();
  const needed = new Set([...exported, ...named]);
  if (needed.size === 0) return none;
  if (needed.size * 2 >= names.size) return all('most pods');
  const series = await read(
    { exported: exported.size > 0, pod: named.size > 0, idle: false },
    {
      ...(exported.size > 0
        ? { exportedPods: `, exported_pod=~"${literalAlternation([...exported].sort())}"` }
        : {}),
      ...(named.size > 0 ? { pods: `, pod=~"${literalAlternation([...named].sort())}"` } : {}),
    },
  );
  return { series, how: { read: 'some', pods: needed.size }, presenceKept: true };
}
