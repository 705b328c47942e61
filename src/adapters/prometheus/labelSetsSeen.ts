import { compareStrings } from '../../core/compare.ts';
import type { TimeRange } from '../../core/types.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries } from './parseResponse.ts';
import { literalAlternation, uidMatcher } from './promql.ts';
import type { PrometheusQueries, WindowAnswers } from './queries.ts';

/**
 * When each label set of a pod_labels or namespace_labels row was last seen up to the day's end (epoch
 * ms), for the pods and namespaces whose rows hold more than one set of the configured labels (their
 * labels changed inside the window, margins included); undefined for every other row, and for a set not
 * seen before the day's end (seen only in the window's margin after midnight: the next day's).
 * Metering bills a pod or namespace under the set seen last (core/metering/attribution.ts attributorOf,
 * PodLabels.lastSeenMs).
 */
export interface LabelSetsSeen {
  pod(metric: Record<string, string>): number | undefined;
  namespace(metric: Record<string, string>): number | undefined;
}

/** Nothing changed: no row has a time. */
export const NO_LABEL_CHANGES: LabelSetsSeen = { pod: () => undefined, namespace: () => undefined };

/**
 * The LabelSetsSeen of a window's answers. Only where a pod or namespace has several sets is anything
 * asked: the raw samples of those pods' label series (by uid) and of those namespaces' (by name) from
 * the window's start to the day's end (`window`), one request per family.
 */
export async function labelSetsSeen(
  queries: Pick<PrometheusQueries, 'rawOver'>,
  answers: Pick<WindowAnswers, 'podLabels' | 'namespaceLabels'>,
  window: TimeRange,
  identity: Pick<SeriesIdentity, 'clusterOf'>,
  labels: { pod: readonly string[]; namespace: readonly string[] },
): Promise<LabelSetsSeen> {
  const { clusterOf } = identity;
  const podKey = (m: Record<string, string>) =>
    [clusterOf(m), m.namespace ?? '', m.pod ?? '', m.uid ?? ''].join('\u0000');
  const namespaceKey = (m: Record<string, string>) => `${clusterOf(m)}\u0000${m.namespace ?? ''}`;
  const [pod, namespace] = await Promise.all([
    lastSeen(answers.podLabels, podKey, labels.pod, (rows) => {
      const uids = [...new Set(rows.map((s) => s.metric.uid ?? ''))].sort(compareStrings);
      return queries.rawOver('pod_labels_raw', {}, window, { uids: uidMatcher(uids) });
    }),
    lastSeen(answers.namespaceLabels, namespaceKey, labels.namespace, (rows) => {
      const names = [...new Set(rows.map((s) => s.metric.namespace ?? ''))].sort(compareStrings);
      return queries.rawOver(
        'namespace_labels_raw',
        { namespaces: `, namespace=~"${literalAlternation(names)}"` },
        window,
      );
    }),
  ]);
  return { pod, namespace };
}

/** When each set of the keys with several sets among `rows` was last seen, from `read`'s raw series. */
async function lastSeen(
  rows: PromSeries[],
  keyOf: (metric: Record<string, string>) => string,
  names: readonly string[],
  read: (rows: PromSeries[]) => Promise<PromSeries[]>,
): Promise<(metric: Record<string, string>) => number | undefined> {
  // A set is the configured labels' values (absent and empty alike, as attribution reads them).
  const setOf = (metric: Record<string, string>) => names.map((n) => metric[n] ?? '').join('\u0000');
  const sets = new Map<string, Set<string>>();
  for (const s of rows) {
    const key = keyOf(s.metric);
    let seen = sets.get(key);
    if (!seen) sets.set(key, (seen = new Set()));
    seen.add(setOf(s.metric));
  }
  const changed = new Set([...sets].filter(([, seen]) => seen.size > 1).map(([key]) => key));
  if (changed.size === 0) return () => undefined;
  const lastMs = new Map<string, number>();
  for (const s of await read(rows.filter((r) => changed.has(keyOf(r.metric))))) {
    const key = keyOf(s.metric);
    if (!changed.has(key) || s.points.length === 0) continue;
    const id = `${key}\u0001${setOf(s.metric)}`;
    const t = s.points.tAt(s.points.length - 1);
    if (!((lastMs.get(id) ?? Number.NEGATIVE_INFINITY) >= t)) lastMs.set(id, t);
  }
  return (metric) => lastMs.get(`${keyOf(metric)}\u0001${setOf(metric)}`);
}
