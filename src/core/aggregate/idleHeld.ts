import { type ChargeRow, DIRECT, type RowStore, UNUSED_ALLOCATION } from '../allocation/chargeRows.ts';
import { heldGpuSecondsOf } from '../allocation/allocate.ts';
import { compareStrings } from '../compare.ts';
import { FINE_DIGITS, formatFixed, pow10, ratioToNumber } from '../money.ts';
import { compositeKey } from '../records.ts';
import type { IdleHeldFigures, IdleHeldNamespace, IdleHeldSummary, PodUsage } from '../types.ts';

/** How many pods summary.json `idleHeld.worstPods` lists. */
export const IDLE_HELD_WORST_PODS = 10;

/** One group's idle-held GPU time and money (money in fine units: 10^-15 of the minor unit). */
class IdleHeldTotal {
  fine = 0n;
  gpuSeconds = 0;
  readonly pods = new Set<string>();
}

/**
 * summary.json's `idleHeld`: the GPU time pods held while idle (PodUsage.idleHeldSeconds, metered under
 * metering.idleHeld) and the money it cost, per team, per namespace and for the worst pods.
 *
 * A row's money wasted is its idle share of the GPU time it held (idleHeldSeconds ÷ heldSeconds) times
 * what that GPU time cost at the row's effective rate before the utilization policy: the exact amounts
 * of the pod's Direct and UnusedAllocation rows (what the policy moves to the platform team is still
 * the pod's waste). Each row's share is floored to 10^-15 of the minor unit (as every row's amount is),
 * summed exactly and rounded half-even to the minor unit once per figure. Idle capacity no pod held
 * (Idle, IdleShare rows) is not "held while idle" and is not counted here. The waste is the pod's
 * team's, whoever pays for it.
 */
export function summarizeIdleHeld(
  rows: readonly ChargeRow[],
  store: RowStore,
  rule: IdleHeldSummary['rule'],
): IdleHeldSummary {
  const total = new IdleHeldTotal();
  const teams = new Map<string, IdleHeldTotal & { namespaces: Map<string, NamespaceTotal> }>();
  const namespaces = new Map<string, NamespaceTotal>();
  const pods = new Map<string, IdleHeldTotal & { usage: PodUsage }>();
  for (const row of rows) {
    const usage = row.usage;
    if (!usage || !(usage.idleHeldSeconds! > 0) || !(usage.heldSeconds > 0)) continue;
    if (row.code !== DIRECT && row.code !== UNUSED_ALLOCATION) continue;
    const idleMs = BigInt(Math.round(usage.idleHeldSeconds! * 1000));
    const heldMs = BigInt(Math.round(usage.heldSeconds * 1000));
    const slot = row.slot;
    const rowFine = BigInt(store.effFloor[slot]!) * pow10(FINE_DIGITS) + BigInt(store.effRem[slot]!);
    const fine = (rowFine * idleMs) / heldMs;
    // GPU time is counted once per usage (on its Direct row); money on both of its rows.
    const gpuSeconds =
      row.code === DIRECT ? (ratioToNumber(heldGpuSecondsOf(usage)) * Number(idleMs)) / Number(heldMs) : 0;
    const { cluster, namespace, pod, uid } = usage.pod;
    const podKey = compositeKey(cluster, namespace, pod, uid);
    const nsKey = compositeKey(cluster, namespace);
    const team = teams.get(usage.team) ?? Object.assign(new IdleHeldTotal(), { namespaces: new Map() });
    teams.set(usage.team, team);
    const ns = namespaces.get(nsKey) ?? Object.assign(new IdleHeldTotal(), { cluster, namespace });
    namespaces.set(nsKey, ns);
    const teamNs = team.namespaces.get(nsKey) ?? Object.assign(new IdleHeldTotal(), { cluster, namespace });
    team.namespaces.set(nsKey, teamNs);
    const byPod = pods.get(podKey) ?? Object.assign(new IdleHeldTotal(), { usage });
    pods.set(podKey, byPod);
    for (const t of [total, team, ns, teamNs, byPod]) {
      t.fine += fine;
      t.gpuSeconds += gpuSeconds;
      t.pods.add(podKey);
    }
  }
  const digits = store.digits;
  const money = (fine: bigint) =>
    formatFixed({ numerator: fine, denominator: pow10(FINE_DIGITS + digits) }, digits);
  const figures = (t: IdleHeldTotal) => ({ gpuHours: round6(t.gpuSeconds / 3600), cost: money(t.fine) });
  return {
    rule,
    ...figures(total),
    pods: total.pods.size,
    byTeam: [...teams]
      .sort(([a, x], [b, y]) => byWaste(x, y) || compareStrings(a, b))
      .map(([team, t]) => ({
        team,
        ...figures(t),
        pods: t.pods.size,
        namespaces: namespaceFigures(t.namespaces.values(), figures),
      })),
    byNamespace: namespaceFigures(namespaces.values(), figures),
    worstPods: [...pods.values()]
      .sort(
        (x, y) =>
          byWaste(x, y) ||
          compareStrings(x.usage.pod.cluster, y.usage.pod.cluster) ||
          compareStrings(x.usage.pod.namespace, y.usage.pod.namespace) ||
          compareStrings(x.usage.pod.pod, y.usage.pod.pod) ||
          compareStrings(x.usage.pod.uid, y.usage.pod.uid),
      )
      .slice(0, IDLE_HELD_WORST_PODS)
      .map((t) => ({
        cluster: t.usage.pod.cluster,
        namespace: t.usage.pod.namespace,
        pod: t.usage.pod.pod,
        podUid: t.usage.pod.uid,
        team: t.usage.team,
        ...figures(t),
      })),
  };
}

type NamespaceTotal = IdleHeldTotal & { cluster: string; namespace: string };

/** Namespaces' figures, most money first, then by cluster and name. */
function namespaceFigures(
  totals: Iterable<NamespaceTotal>,
  figures: (t: IdleHeldTotal) => IdleHeldFigures,
): IdleHeldNamespace[] {
  return [...totals]
    .sort(
      (x, y) =>
        byWaste(x, y) || compareStrings(x.cluster, y.cluster) || compareStrings(x.namespace, y.namespace),
    )
    .map((t) => ({ cluster: t.cluster, namespace: t.namespace, ...figures(t), pods: t.pods.size }));
}

/** Most money first, then most GPU time. */
function byWaste(x: IdleHeldTotal, y: IdleHeldTotal): number {
  return x.fine > y.fine ? -1 : x.fine < y.fine ? 1 : y.gpuSeconds - x.gpuSeconds;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
