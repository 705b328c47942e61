import { compareStrings } from '../compare.ts';
import type { GpuQuotaDay, GpuQuotaPoints } from '../types.ts';
import type { WindowGrid } from './window.ts';

/**
 * GPU ResourceQuota use of the day: per quota entry, the last hard value seen in the day, the peak of
 * `used`, and used × time over the day's intervals with a used sample (so the month's average is
 * Σ usedUnitSeconds ÷ Σ observedSeconds: intervals without a sample are unknown, not zero). Points off
 * the day are ignored; entries without any point in the day are dropped.
 */
export function meterGpuQuotas(
  quotas: readonly GpuQuotaPoints[] | undefined,
  window: WindowGrid,
): GpuQuotaDay[] {
  const out: GpuQuotaDay[] = [];
  const inDay = (t: number) => {
    const k = window.indexOf(t);
    return k !== undefined && k >= window.dayFirst && k < window.dayLast;
  };
  const stepSeconds = window.stepMs / 1000;
  for (const q of quotas ?? []) {
    let hard: number | null = null;
    let hardAt = Number.NEGATIVE_INFINITY;
    for (const [t, value] of q.hard)
      if (inDay(t) && Number.isFinite(value) && t >= hardAt) [hard, hardAt] = [value, t];
    let peakUsed = 0;
    let usedUnitSeconds = 0;
    let observedSeconds = 0;
    for (const [t, value] of q.used) {
      if (!inDay(t) || !Number.isFinite(value)) continue;
      peakUsed = Math.max(peakUsed, value);
      usedUnitSeconds += value * stepSeconds;
      observedSeconds += stepSeconds;
    }
    if (hard === null && observedSeconds === 0) continue;
    out.push({
      cluster: q.cluster,
      namespace: q.namespace,
      quota: q.quota,
      resource: q.resource,
      hard,
      peakUsed,
      usedUnitSeconds,
      observedSeconds,
    });
  }
  return out.sort(
    (a, b) =>
      compareStrings(a.cluster, b.cluster) ||
      compareStrings(a.namespace, b.namespace) ||
      compareStrings(a.quota, b.quota) ||
      compareStrings(a.resource, b.resource),
  );
}
