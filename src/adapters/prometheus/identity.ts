import type { PodRef } from '../../core/types.ts';
import { utilizationIdentity } from './utilization.ts';

/**
 * Labels that tell replicas of a kube-state-metrics series apart besides source.dedupeLabels: the
 * scrape target's `instance` (two KSM pods, or one KSM pod before and after a rescheduling). The
 * replica choice is made per object and step (replicas.ts), so a rescheduled KSM is never a second
 * replica at a step where only one was scraped, and KSM shards (each exporting other objects) add up.
 * dcgm-exporter series are told apart by source.dedupeLabels only (`instance` there is the node's
 * exporter).
 */
export const KSM_REPLICA_LABELS: readonly string[] = ['instance'];

/**
 * How the source reads identities off series labels: the cluster (source.clusterLabel, "" without
 * one), the replica of a kube-state-metrics or dcgm-exporter series, a pod, a utilization series.
 * Built once from the validated source settings (configSchema keeps dedupe labels apart from the
 * cluster label and the identity labels).
 */
export interface SeriesIdentity {
  clusterLabel: string;
  dedupeLabels: readonly string[];
  /** source.dedupeLabels then {@link KSM_REPLICA_LABELS}, without repeats. */
  ksmReplicaLabels: readonly string[];
  clusterOf(metric: Record<string, string>): string;
  ksmReplicaOf(metric: Record<string, string>): string[];
  dcgmReplicaOf(metric: Record<string, string>): string[];
  podOf(metric: Record<string, string>): PodRef;
  utilizationIdentityOf(metric: Record<string, string>): Record<string, string>;
}

/** The series identity of a source with these settings. */
export function seriesIdentityOf(source: {
  clusterLabel?: string | undefined;
  dedupeLabels: readonly string[];
}): SeriesIdentity {
  const clusterLabel = source.clusterLabel ?? '';
  const dedupeLabels = source.dedupeLabels;
  const ksmReplicaLabels = [...new Set([...dedupeLabels, ...KSM_REPLICA_LABELS])];
  const clusterOf = (metric: Record<string, string>) => (clusterLabel ? (metric[clusterLabel] ?? '') : '');
  return {
    clusterLabel,
    dedupeLabels,
    ksmReplicaLabels,
    clusterOf,
    ksmReplicaOf: (m) => ksmReplicaLabels.map((l) => m[l] ?? ''),
    dcgmReplicaOf: (m) => dedupeLabels.map((l) => m[l] ?? ''),
    podOf: (m) => ({
      cluster: clusterOf(m),
      namespace: m.namespace ?? '',
      pod: m.pod ?? '',
      uid: m.uid ?? '',
    }),
    utilizationIdentityOf: (m) => utilizationIdentity(m, clusterLabel, dedupeLabels),
  };
}
