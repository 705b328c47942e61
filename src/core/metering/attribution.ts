import { ownValue } from '../records.ts';
import type { PodRef, PodUsage, WindowObservations } from '../types.ts';
import type { AttributionOptions, MeterOptions } from './options.ts';
import { key, podKey } from './refs.ts';

/** The value of the first of `names` that `labels` has non-empty. */
export function firstLabel(
  labels: Record<string, string> | undefined,
  names: readonly string[],
): string | undefined {
  if (!labels) return undefined;
  for (const name of names) {
    const value = ownValue(labels, name);
    if (value) return value;
  }
  return undefined;
}

/** An attributed value and where it came from. */
export interface Attributed {
  value: string;
  source: PodUsage['teamSource'];
}

/** Applies one rule: the first pod label, else the first namespace label, else the default. */
export function attribute(
  rule: AttributionOptions,
  podLabels: Record<string, string> | undefined,
  nsLabels: Record<string, string> | undefined,
): Attributed {
  const fromPod = firstLabel(podLabels, rule.podLabels);
  if (fromPod) return { value: fromPod, source: 'pod-label' };
  const fromNs = firstLabel(nsLabels, rule.namespaceLabels);
  if (fromNs) return { value: fromNs, source: 'namespace-label' };
  return { value: rule.default, source: 'default' };
}

/** Who pays for a pod: its team and project under the metering options. */
export type Attributor = (pod: PodRef) => { team: Attributed; project: Attributed };

/**
 * The attributor of a window: pod labels by pod identity ({@link podKey}), namespace labels by (cluster,
 * namespace). A pod or namespace with several label sets (its labels changed within the window) is
 * attributed by the set seen last in the day ({@link lastSetOf}).
 */
export function attributorOf(
  obs: Pick<WindowObservations, 'podLabels' | 'namespaceLabels'>,
  options: Pick<MeterOptions, 'team' | 'project'>,
): Attributor {
  const podLabels = lastSetOf(obs.podLabels, (l) => podKey(l.pod));
  const nsLabels = lastSetOf(obs.namespaceLabels, (l) => key(l.cluster, l.namespace));
  return (pod) => {
    const ofPod = podLabels.get(podKey(pod));
    const ofNamespace = nsLabels.get(key(pod.cluster, pod.namespace));
    return {
      team: attribute(options.team, ofPod, ofNamespace),
      project: attribute(options.project, ofPod, ofNamespace),
    };
  };
}

/**
 * Per key, the labels of its set seen last in the day: the greatest `lastSeenMs` (a set without one, not
 * seen in the day, before any that has one); of sets seen at the same instant, or without times, the one
 * listed last. A day whose labels changed is billed whole under the set the pod or namespace had at its
 * end (metering rules 4).
 */
function lastSetOf<T extends { labels: Record<string, string>; lastSeenMs?: number }>(
  rows: readonly T[],
  keyOf: (row: T) => string,
): Map<string, Record<string, string>> {
  const seen = (r: T) => r.lastSeenMs ?? Number.NEGATIVE_INFINITY;
  const last = new Map<string, T>();
  for (const row of rows) {
    const k = keyOf(row);
    const current = last.get(k);
    if (!current || seen(row) >= seen(current)) last.set(k, row);
  }
  return new Map([...last].map(([k, row]) => [k, row.labels]));
}
