import { compareStrings } from '../compare.ts';
import { compositeKey } from '../records.ts';
import type { GpuQuotaDay, GpuQuotaSummary, MeteredDay } from '../types.ts';

/**
 * summary.json's `gpuQuotas`: per namespace GPU ResourceQuota entry (cluster, namespace, quota object,
 * resource), its hard limit on the last day it was seen, the month's peak of used, and the average used
 * over the time it was observed (Σ used × time ÷ Σ observed time: unobserved time is unknown, not zero),
 * sorted by cluster, namespace, quota and resource. Empty when the source read no GPU quotas.
 */
export function summarizeGpuQuotas(days: readonly MeteredDay[]): GpuQuotaSummary[] {
  const byKey = new Map<string, GpuQuotaDay>();
  for (const day of [...days].sort((a, b) => a.day.startMs - b.day.startMs)) {
    for (const q of day.gpuQuotas ?? []) {
      const id = compositeKey(q.cluster, q.namespace, q.quota, q.resource);
      const seen = byKey.get(id);
      if (!seen) {
        byKey.set(id, { ...q });
        continue;
      }
      if (q.hard !== null) seen.hard = q.hard;
      seen.peakUsed = Math.max(seen.peakUsed, q.peakUsed);
      seen.usedUnitSeconds += q.usedUnitSeconds;
      seen.observedSeconds += q.observedSeconds;
    }
  }
  return [...byKey.values()]
    .sort(
      (a, b) =>
        compareStrings(a.cluster, b.cluster) ||
        compareStrings(a.namespace, b.namespace) ||
        compareStrings(a.quota, b.quota) ||
        compareStrings(a.resource, b.resource),
    )
    .map((q) => ({
      cluster: q.cluster,
      namespace: q.namespace,
      quota: q.quota,
      resource: q.resource,
      hard: q.hard,
      peakUsed: q.peakUsed,
      averageUsed: q.observedSeconds > 0 ? round6(q.usedUnitSeconds / q.observedSeconds) : null,
      peakUsedPct: q.hard !== null && q.hard > 0 ? round2((q.peakUsed / q.hard) * 100) : null,
      observedHours: round6(q.observedSeconds / 3600),
    }));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
