import { compareStrings } from '../../core/compare.ts';
import type { PromSeries } from './parseResponse.ts';
import { literalAlternation, uidMatcher } from './promql.ts';
import type { PrometheusQueries, WindowAnswers } from './queries.ts';
import type { SeriesIdentity } from './identity.ts';
import type { TimeRange } from '../../core/types.ts';

/**
 * pod_labels' and namespace_labels' rows with each pod's and namespace's label sets in the order they
 * were last seen in the day: metering keeps the last set of each (core/metering/attribution.ts
 * attributorOf, WindowObservations.podLabels), so a pod or namespace whose team or project labels change
 * within the day is billed for it under the set it had last, not under whichever set Prometheus happens
 * to list last. Only where a pod or namespace has more than one set of the configured labels (a change
 * inside the window, margins included) is anything asked: the raw samples of those pods' or namespaces'
 * label series from the window's start to the day's end (`window`), one request per family. A set seen
 * only after the day's end (in the window's margin) counts as never seen in the day and comes first;
 * sets seen last at the same instant keep Prometheus' order. Every other row keeps its place.
 */
export async function orderLabelSetsByLastSeen(
  queries: Pick<PrometheusQueries, 'rawOver'>,
  answers: Pick<WindowAnswers, 'podLabels' | 'namespaceLabels'>,
  window: TimeRange,
  identity: Pick<SeriesIdentity, 'clusterOf'>,
  labels: { pod: readonly string[]; namespace: readonly string[] },
): Promise<Pick<WindowAnswers, 'podLabels' | 'namespaceLabels'>> {
  const { clusterOf } = identity;
  const podKey = (m: Record<string, string>) =>
    [clusterOf(m), m.namespace ?? '', m.pod ?? '', m.uid ?? ''].join('\u0000');
  const namespaceKey = (m: Record<string, string>) => `${clusterOf(m)}\u0000${m.namespace ?? ''}`;
  const [podLabels, namespaceLabels] = await Promise.all([
    lastSeenLast(answers.podLabels, podKey, labels.pod, (rows) => {
      const uids = [...new Set(rows.map((s) => s.metric.uid ?? ''))].sort(compareStrings);
      return queries.rawOver('pod_labels_raw', {}, window, { uids: uidMatcher(uids) });
    }),
    lastSeenLast(answers.namespaceLabels, namespaceKey, labels.namespace, (rows) => {
      const names = [...new Set(rows.map((s) => s.metric.namespace ?? ''))].sort(compareStrings);
      return queries.rawOver(
        'namespace_labels_raw',
        { namespaces: `, namespace=~"${literalAlternation(names)}"` },
        window,
      );
    }),
  ]);
  return { podLabels, namespaceLabels };
}

/** `rows` with the rows of every key that has several label sets moved last, ordered by when each set was last seen. */
async function lastSeenLast(
  rows: PromSeries[],
  keyOf: (metric: Record<string, string>) => string,
  names: readonly string[],
  read: (rows: PromSeries[]) => Promise<PromSeries[]>,
): Promise<PromSeries[]> {
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
  if (changed.size === 0) return rows;
  const moved = rows.filter((s) => changed.has(keyOf(s.metric)));
  const lastMs = new Map<string, number>();
  for (const s of await read(moved)) {
    const key = keyOf(s.metric);
    if (!changed.has(key) || s.points.length === 0) continue;
    const id = `${key}\u0001${setOf(s.metric)}`;
    const t = s.points.tAt(s.points.length - 1);
    if (!((lastMs.get(id) ?? Number.NEGATIVE_INFINITY) >= t)) lastMs.set(id, t);
  }
  const seenAt = (s: PromSeries) =>
    lastMs.get(`${keyOf(s.metric)}\u0001${setOf(s.metric)}`) ?? Number.NEGATIVE_INFINITY;
  const ordered = moved
    .map((s, i) => ({ s, i, t: seenAt(s) }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i))
    .map(({ s }) => s);
  return [...rows.filter((s) => !changed.has(keyOf(s.metric))), ...ordered];
}
