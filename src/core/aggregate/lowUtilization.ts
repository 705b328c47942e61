import { compareStrings } from '../compare.ts';
import { partsOf } from '../records.ts';
import type { Summary } from '../types.ts';
import type { Accumulator } from './accumulators.ts';
import type { MoneyFormat } from './breakdowns.ts';

/** A workload needs at least this share of the month's cost to be listed in lowUtilization. */
export const LOW_UTILIZATION_MIN_COST_SHARE = 0.005;
/** Default right-sizing threshold: lowUtilization lists workloads below this GPU utilization (percent). */
export const LOW_UTILIZATION_BELOW_PCT = 50;
/** How many workloads lowUtilization lists. */
export const LOW_UTILIZATION_COUNT = 10;

/**
 * Candidates for right-sizing: the namespace/project workloads with known utilization below `belowPct` and
 * at least {@link LOW_UTILIZATION_MIN_COST_SHARE} of the month's cost; of those, the
 * {@link LOW_UTILIZATION_COUNT} with the lowest utilization, listed most expensive first. Without the
 * threshold a month of well-used workloads would list its 69 % ones as candidates.
 */
export function lowUtilizationOf(
  workloads: ReadonlyMap<string, Accumulator>,
  totalUnits: number,
  belowPct: number,
  money: MoneyFormat,
): Summary['lowUtilization'] {
  const minWorkloadUnits = Math.max(1, totalUnits * LOW_UTILIZATION_MIN_COST_SHARE);
  return [...workloads.entries()]
    .filter(([, acc]) => {
      const pct = acc.utilizationPct();
      return pct !== null && pct < belowPct && acc.units >= minWorkloadUnits;
    })
    .sort(
      ([ka, a], [kb, b]) =>
        a.utilizationPct()! - b.utilizationPct()! || b.units - a.units || compareStrings(ka, kb),
    )
    .slice(0, LOW_UTILIZATION_COUNT)
    .sort(([ka, a], [kb, b]) => b.units - a.units || compareStrings(ka, kb))
    .map(([key, acc]) => {
      const [cluster, namespace, project, team] = partsOf(key) as [string, string, string, string];
      return {
        cluster,
        namespace,
        project,
        team,
        cost: money(acc.units),
        utilizationPct: acc.utilizationPct()!,
      };
    });
}
