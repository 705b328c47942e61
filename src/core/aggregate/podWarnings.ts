import { type ChargeRow, DIRECT, IDLE_SHARE, type RowStore } from '../allocation/chargeRows.ts';
import { compareStrings } from '../compare.ts';
import { describePod, podKey } from '../metering/refs.ts';
import { formatMinorUnits } from '../money.ts';
import { compositeKey } from '../records.ts';
import type { PodRef } from '../types.ts';
import { warningText } from '../warningText.ts';

/**
 * Warnings about pods, once per month, each with the money involved (rounded rows):
 * - a uid carried by several pods (a copied or restored object: another namespace, another name, or a
 *   snapshot of another cluster without a cluster label). Metering keeps them apart — each is billed to
 *   its own team for its own time — and this names every pod of the uid with its team and what it was
 *   billed (its Direct and IdleShare rows), so a duplicate billed twice is found and corrected;
 * - a pod whose GPU time its node's capacity bounded (metering, boundToCapacity: a request above the
 *   node's GPUs, pods together above its capacity, or the node absent): what it requested, on how many
 *   days, the GPU-hours it was billed and their money.
 */
export function podWarnings(
  rows: readonly ChargeRow[],
  store: RowStore,
  digits: number,
  currency: string,
): string[] {
  interface PodBill {
    pod: PodRef;
    team: string;
    units: number;
  }
  // A month has about a pod per uid: find the few uids several pods carry first, holding one pointer per
  // uid (the first PodRef seen), and gather bills for those uids only.
  const shared = sharedUids(rows);
  const byUid = new Map<string, Map<string, PodBill>>();
  if (shared.size > 0) {
    for (const row of rows) {
      const usage = row.usage;
      if (!usage || !shared.get(usage.pod.cluster)?.has(usage.pod.uid)) continue;
      const uid = compositeKey(usage.pod.cluster, usage.pod.uid);
      let pods = byUid.get(uid);
      if (!pods) {
        pods = new Map();
        byUid.set(uid, pods);
      }
      const id = podKey(usage.pod);
      let bill = pods.get(id);
      if (!bill) {
        bill = { pod: usage.pod, team: usage.team, units: 0 };
        pods.set(id, bill);
      }
      if (row.code === DIRECT || row.code === IDLE_SHARE) bill.units += store.effUnits[row.slot]!;
    }
  }
  const money = (units: number) => `${currency} ${formatMinorUnits(units, digits)}`;
  const out: string[] = [...boundedPodWarnings(rows, store, money)];
  for (const pods of byUid.values()) {
    if (pods.size < 2) continue;
    const bills = [...pods.values()].sort(
      (a, b) => compareStrings(a.pod.namespace, b.pod.namespace) || compareStrings(a.pod.pod, b.pod.pod),
    );
    const first = bills[0]!.pod;
    out.push(
      warningText(first.cluster ? 'uidSeveralPodsInCluster' : 'uidSeveralPods', {
        uid: first.uid,
        cluster: first.cluster,
        count: bills.length,
        bills: bills
          .map((b) =>
            warningText('uidPodBill', { pod: describePod(b.pod), team: b.team, amount: money(b.units) }),
          )
          .join('; '),
        amount: money(bills.reduce((s, b) => s + b.units, 0)),
      }),
    );
  }
  return out.sort(compareStrings);
}

/** Per cluster, the uids that more than one pod (another namespace or name) carries in `rows`. */
function sharedUids(rows: readonly ChargeRow[]): Map<string, Set<string>> {
  const firstPod = new Map<string, Map<string, PodRef>>();
  const shared = new Map<string, Set<string>>();
  // A pod's rows of a day are mostly neighbours (Direct, IdleShare), with one PodRef: looking it up again
  // changes nothing, so a row of the same PodRef as the row before is skipped.
  let previous: PodRef | undefined;
  for (const row of rows) {
    const pod = row.usage?.pod;
    if (!pod || pod === previous) continue;
    previous = pod;
    let byUid = firstPod.get(pod.cluster);
    if (!byUid) {
      byUid = new Map();
      firstPod.set(pod.cluster, byUid);
    }
    const first = byUid.get(pod.uid);
    if (!first) byUid.set(pod.uid, pod);
    else if (first !== pod && (first.namespace !== pod.namespace || first.pod !== pod.pod)) {
      let uids = shared.get(pod.cluster);
      if (!uids) {
        uids = new Set();
        shared.set(pod.cluster, uids);
      }
      uids.add(pod.uid);
    }
  }
  return shared;
}

/** One warning per pod and node whose GPU time was bounded by the node's capacity, with its money. */
function boundedPodWarnings(
  rows: readonly ChargeRow[],
  store: RowStore,
  money: (units: number) => string,
): string[] {
  interface Bounded {
    pod: PodRef;
    node: string;
    requested: Map<string, number>;
    dates: Set<string>;
    gpuHours: number;
    units: number;
  }
  const byPod = new Map<string, Bounded>();
  for (const row of rows) {
    const usage = row.usage;
    if (!usage?.bounded) continue;
    const id = compositeKey(podKey(usage.pod), usage.node);
    let entry = byPod.get(id);
    if (!entry) {
      entry = {
        pod: usage.pod,
        node: usage.node,
        requested: new Map(),
        dates: new Set(),
        gpuHours: 0,
        units: 0,
      };
      byPod.set(id, entry);
    }
    if (row.code === DIRECT) {
      const asked = Math.max(entry.requested.get(usage.gpuResource) ?? 0, usage.bounded.requestedAsObserved);
      entry.requested.set(usage.gpuResource, asked);
      entry.dates.add(usage.chargePeriod.date);
      entry.gpuHours += usage.bounded.gpuUnitMs / usage.bounded.denominator / 3_600_000;
    }
    if (row.code === DIRECT || row.code === IDLE_SHARE) entry.units += store.effUnits[row.slot]!;
  }
  return [...byPod.values()].map((b) => {
    const asked = [...b.requested].map(([resource, n]) => `${n} ${resource}`).join(', ');
    const days = [...b.dates].sort(compareStrings);
    const common = {
      pod: describePod(b.pod),
      node: b.node || '(none)',
      requests: asked,
      gpuHours: Math.round(b.gpuHours * 1e6) / 1e6,
      amount: money(b.units),
    };
    return days.length === 1
      ? warningText('podBoundedOnDay', { ...common, date: days[0]! })
      : warningText('podBoundedOnDays', {
          ...common,
          first: days[0]!,
          last: days.at(-1)!,
          count: days.length,
        });
  });
}
