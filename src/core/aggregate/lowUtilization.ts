import { compareStrings } from '../compare.ts';
import { partsOf } from '../records.ts';
import type { Summary } from '../types.ts';
import type { Accumulator } from './accumulators.ts';
import type { MoneyFormat } from './breakdowns.ts';

/** A workload needs at least this share of the month's cost to be listed in lowUtilization. */
export const LOW_UTILIZATION_MIN_COST_SHARE = 0.005;
/** How many workloads lowUtilization lists. */
export const LOW_UTILIZATION_COUNT = 10;

/**
 * The {@link LOW_UTILIZATION_COUNT} namespace/project workloads with known utilization and at least
 * {@link LOW_UTILIZATION_MIN_COST_SHARE} of the month's cost that have the lowest utilization, listed most
 * expensive first.
 */
export function lowUtilizationOf(
  workloads: ReadonlyMap<string, Accumulator>,
  totalUnits: number,
  money: MoneyFormat,
): Summary['lowUtilization'] {
  const minWorkloadUnits = Math.max(1, totalUnits * LOW_UTILIZATION_MIN_COST_SHARE);
  return [...workloads.entries()]
    .filter(([, acc]) => acc.utilizationPct() !== null && acc.units >= minWorkloadUnits)
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
