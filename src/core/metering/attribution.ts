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
 * namespace). A pod or namespace listed with several label sets (its labels changed within the day) is
 * attributed by the last one: the set seen last in the day (WindowObservations.podLabels).
 */
export function attributorOf(
  obs: Pick<WindowObservations, 'podLabels' | 'namespaceLabels'>,
  options: Pick<MeterOptions, 'team' | 'project'>,
): Attributor {
  const podLabels = new Map(obs.podLabels.map((l) => [podKey(l.pod), l.labels]));
  const nsLabels = new Map(obs.namespaceLabels.map((l) => [key(l.cluster, l.namespace), l.labels]));
  return (pod) => {
    const ofPod = podLabels.get(podKey(pod));
    const ofNamespace = nsLabels.get(key(pod.cluster, pod.namespace));
    return {
      team: attribute(options.team, ofPod, ofNamespace),
      project: attribute(options.project, ofPod, ofNamespace),
    };
  };
}
