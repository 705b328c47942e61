import type { PromSeries } from './parseResponse.ts';
import { SampleBuilder, unionOfTimes } from './samplePoints.ts';

/**
 * DCGM utilization read once per raw sample (queries/utilization_prof.promql, utilization_util.promql).
 *
 * Prometheus returns one point per raw series and step: the mean of that series' samples in
 * (t - step, t]. The series of one identity — (cluster, HA replica, UUID, GPU_I_ID, pod) — are
 * collapsed here into one series per identity. Almost always an identity has one series at a step;
 * when a label that is not part of the identity changes mid-step (dcgm-exporter restarted under a new
 * pod name, a driver upgrade changed DCGM_FI_DRIVER_VERSION) the step holds the means of two series,
 * and the step's mean of raw samples is their average weighted by each series' sample count. Those
 * counts are asked for afterwards, for the affected GPUs and time span only (utilization_counts.promql),
 * so that the common case costs one read of every sample and the rare split step stays exact.
 */

/** Label that marks the presence rows of a utilization answer (idle devices, counted per cluster and replica). */
export const PRESENCE_LABEL = 'gpu_chargeback_presence';

/** A utilization answer split into per-series means and presence rows. */
export function splitPresence(series: PromSeries[]): { means: PromSeries[]; presence: PromSeries[] } {
  const means: PromSeries[] = [];
  const presence: PromSeries[] = [];
  for (const s of series) (s.metric[PRESENCE_LABEL] === '1' ? presence : means).push(s);
  return { means, presence };
}

/** A stable key of a series' whole label set (the per-series answers keep every label). */
export function labelSetKey(metric: Record<string, string>): string {
  return Object.keys(metric)
    .filter((name) => name !== '__name__')
    .sort()
    .map((name) => `${name}\u0001${metric[name]}`)
    .join('\u0000');
}

/** The labels that identify what a utilization series measures: cluster, replica, GPU and pod. */
export function utilizationIdentity(
  metric: Record<string, string>,
  clusterLabel: string,
  dedupeLabels: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  const copy = (name: string) => {
    const value = metric[name];
    if (value) out[name] = value;
  };
  if (clusterLabel) copy(clusterLabel);
  for (const name of dedupeLabels) copy(name);
  copy('UUID');
  copy('GPU_I_ID');
  if (metric.exported_pod) {
    copy('exported_namespace');
    copy('exported_pod');
  } else {
    copy('namespace');
    copy('pod');
  }
  return out;
}

/** One step of one GPU whose mean needs the sample counts of its series. */
export interface SplitStep {
  uuid: string;
  tMs: number;
}

/** Sample counts per series (by {@link labelSetKey}) and step. */
export type SampleCounts = Map<string, Map<number, number>>;

export interface CollapsedUtilization {
  /** One series per identity (its labels: {@link utilizationIdentity}), points [t, mean of raw samples]. */
  series: PromSeries[];
  /** Steps held by two or more series of one identity whose counts were not (all) given. */
  splits: SplitStep[];
}

/**
 * Collapses per-series means into one series per identity. At a step held by several series of one
 * identity the mean is Σ mean·count / Σ count with `counts`; without counts (or a count missing) the
 * series weigh equally and the step is listed in `splits`.
 */
export function collapseUtilization(
  means: PromSeries[],
  identityOf: (metric: Record<string, string>) => Record<string, string>,
  counts?: SampleCounts,
): CollapsedUtilization {
  const groups = new Map<string, { labels: Record<string, string>; members: PromSeries[] }>();
  for (const s of means) {
    const labels = identityOf(s.metric);
    const key = labelSetKey(labels);
    const group = groups.get(key);
    if (group) group.members.push(s);
    else groups.set(key, { labels, members: [s] });
  }
  const series: PromSeries[] = [];
  const splits: SplitStep[] = [];
  for (const { labels, members } of groups.values()) {
    if (members.length === 1) {
      series.push({ metric: labels, points: members[0]!.points });
      continue;
    }
    const atStep = new Map<number, { mean: number; key: string }[]>();
    for (const member of members) {
      const key = labelSetKey(member.metric);
      for (const [t, mean] of member.points) {
        const list = atStep.get(t);
        if (list) list.push({ mean, key });
        else atStep.set(t, [{ mean, key }]);
      }
    }
    const points = new SampleBuilder(atStep.size);
    for (const t of [...atStep.keys()].sort((a, b) => a - b)) {
      const parts = atStep.get(t)!;
      if (parts.length === 1) {
        points.push(t, parts[0]!.mean);
        continue;
      }
      const weights = parts.map((p) => counts?.get(p.key)?.get(t));
      if (weights.every((w): w is number => w !== undefined && w > 0)) {
        let sum = 0;
        let n = 0;
        parts.forEach((p, i) => {
          sum += p.mean * weights[i]!;
          n += weights[i]!;
        });
        points.push(t, sum / n);
      } else {
        splits.push({ uuid: labels.UUID ?? '', tMs: t });
        points.push(t, parts.reduce((acc, p) => acc + p.mean, 0) / parts.length);
      }
    }
    series.push({ metric: labels, points: points.build() });
  }
  return { series, splits };
}

/** Sample counts from a utilization_counts answer (one series per raw series, points [t, count]). */
export function sampleCountsOf(series: PromSeries[]): SampleCounts {
  const out: SampleCounts = new Map();
  for (const s of series) {
    const key = labelSetKey(s.metric);
    const byStep = out.get(key) ?? new Map<number, number>();
    for (const [t, n] of s.points) byStep.set(t, n);
    out.set(key, byStep);
  }
  return out;
}

/** The cluster and replica labels of a DCGM series: the group dcgmPresenceSeries counts it in. */
export function dcgmGroupOf(
  metric: Record<string, string>,
  clusterLabel: string,
  dedupeLabels: readonly string[],
): Record<string, string> {
  const group: Record<string, string> = {};
  if (clusterLabel && metric[clusterLabel]) group[clusterLabel] = metric[clusterLabel];
  for (const name of dedupeLabels) if (metric[name]) group[name] = metric[name];
  return group;
}

/**
 * One series per cluster and replica with a point at every step at which any of `series` (means and
 * presence rows of both DCGM families) has one: when dcgm-exporter was scraped.
 */
export function dcgmPresenceSeries(
  series: PromSeries[],
  clusterLabel: string,
  dedupeLabels: readonly string[],
): PromSeries[] {
  const groups = new Map<string, { metric: Record<string, string>; times: Float64Array[] }>();
  for (const s of series) {
    const metric = dcgmGroupOf(s.metric, clusterLabel, dedupeLabels);
    const key = labelSetKey(metric);
    const group = groups.get(key) ?? { metric, times: [] };
    group.times.push(s.points.tsMs);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ metric, times }) => {
    const union = unionOfTimes(times);
    const points = new SampleBuilder(union.length);
    for (let i = 0; i < union.length; i++) points.push(union[i]!, 1);
    return { metric, points: points.build() };
  });
}
