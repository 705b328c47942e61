import { NONE } from './held.ts';
import type { NodeCapacity } from './nodeCapacity.ts';
import { type Allocation, unitsAt } from './podUsage.ts';
import { describeNode } from './refs.ts';
import type { WindowGrid } from './window.ts';
import { warningText } from '../warningText.ts';

/**
 * Bounds what pods hold to what their node has, at each grid interval of the day (not over a charge
 * period, where a pod that asked for 10,000 GPUs for two hours would take the node's idle of the whole
 * day). A request is already at most what fits the node (`unitsThatFit`); here, at an interval where the
 * node's pods together hold more units than its capacity — the node absent (capacity 0), or pods that
 * cannot all fit (inconsistent data) — each pod gets its share of the capacity in proportion to what it
 * holds, in whole units (1/denominator GPU) by largest remainder, so they hold the capacity exactly. Each allocation so
 * bounded gets `unitsAt`, and each of its rows — and every row of a pod whose request was cut to fit —
 * gets `bounded` (the exact GPU time charged) and the bounded `gpuSeconds`. Warns once per node and day.
 */
export function boundToCapacity(
  allocations: readonly Allocation[],
  capacity: ReadonlyMap<string, Pick<NodeCapacity, 'capacityUnits'>>,
  window: WindowGrid,
  nodeRefs: ReadonlyMap<string, { cluster: string; node: string }>,
  warnings: Set<string>,
): void {
  const byNode = new Map<string, Allocation[]>();
  for (const a of allocations) {
    const list = byNode.get(a.nodeId);
    if (list) list.push(a);
    else byNode.set(a.nodeId, [a]);
  }
  for (const [nodeId, list] of byNode) {
    const capacityUnits = capacity.get(nodeId)?.capacityUnits;
    // One pass for the node's total per interval; only the intervals over capacity are visited again.
    const total = new Float64Array(window.intervals);
    for (const a of list) {
      const { from, to } = a.span ?? { from: window.dayFirst, to: window.dayLast };
      for (let k = from; k < to; k++) if (a.held[k] !== NONE) total[k]! += a.unitsPerStep;
    }
    const over: number[] = [];
    for (let k = window.dayFirst; k < window.dayLast; k++)
      if (total[k]! > (capacityUnits?.[k] ?? 0)) over.push(k);
    const boundedMs = over.length * window.stepMs;
    for (const k of over) {
      const held = list.filter((a) => a.held[k] !== NONE);
      const shares = shareOut(
        held.map((a) => a.unitsPerStep),
        Math.floor(capacityUnits?.[k] ?? 0),
      );
      held.forEach((a, i) => {
        a.unitsAt ??= Float64Array.from(a.held, (h) => (h === NONE ? 0 : a.unitsPerStep));
        a.unitsAt[k] = shares[i]!;
      });
    }
    if (boundedMs > 0) {
      const node = nodeRefs.get(nodeId);
      warnings.add(
        warningText('nodePodsBounded', {
          node: node ? describeNode(node) : nodeId,
          seconds: boundedMs / 1000,
          date: window.day.date,
        }),
      );
    }
    for (const a of list) if (a.unitsAt || a.requestedAsObserved !== undefined) boundRows(a, window);
  }
}

/**
 * `capacity` whole units shared out in proportion to `wants` (their sum is more than `capacity`): each
 * gets the floor of its exact share, and the units left go one each to the largest remainders (ties to
 * the earlier one, i.e. pod order), so the shares add up to the capacity exactly.
 */
function shareOut(wants: readonly number[], capacity: number): number[] {
  const total = wants.reduce((s, w) => s + w, 0);
  const exact = wants.map((w) => (w * capacity) / total);
  const shares = exact.map((e) => Math.floor(e));
  let left = capacity - shares.reduce((s, v) => s + v, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}

/** Sets the bounded GPU time of each row of an allocation from its units at each interval of the day. */
function boundRows(a: Allocation, window: WindowGrid): void {
  const unitMs = new Array<number>(window.periods.length).fill(0);
  for (let k = window.dayFirst; k < window.dayLast; k++) {
    if (a.held[k] === NONE) continue;
    const units = unitsAt(a, k);
    for (const [p, ms] of window.slices[k - window.dayFirst]!) unitMs[p]! += units * ms;
  }
  a.rows.forEach((row, p) => {
    if (!row) return;
    row.bounded = {
      gpuUnitMs: unitMs[p]!,
      denominator: a.denominator,
      requestedAsObserved: a.requestedAsObserved ?? row.requested,
    };
    row.gpuSeconds = unitMs[p]! / a.denominator / 1000;
  });
}
