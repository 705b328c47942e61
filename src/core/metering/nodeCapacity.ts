import type { Fraction, NodeCapacityPoints } from '../types.ts';
import { bridge, NONE, OBSERVED } from './held.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import { describeNode } from './refs.ts';
import {
  fractionValue,
  isWholeGpuResource,
  type NodeWeights,
  parseMigResource,
  resourceWeight,
} from './weights.ts';
import type { WindowGrid } from './window.ts';

/** A node's GPU capacity over the window's intervals. */
export interface NodeCapacity {
  /** Per interval: NONE, OBSERVED (capacity reported) or BRIDGED. */
  present: Uint8Array;
  /** Per interval: capacity in GPU equivalents × the node's denominator. */
  capacityUnits: Float64Array;
  /** GPU equivalents the node reported at its last grid point (its GPU count when the catalog has none). */
  lastCapacityGpus: number;
}

/**
 * A node's capacity at each interval: Σ over its capacity series of units × the resource's weight,
 * where it reported any; gaps up to maxBridgeMs between reports are bridged with the capacity seen
 * before the gap. A MIG profile that does not fit the node's GPUs is warned about and not counted.
 */
export function meterNodeCapacity(
  node: NodeIdentity & { weights: NodeWeights },
  series: readonly NodeCapacityPoints[],
  window: WindowGrid,
  warnings: Set<string>,
): NodeCapacity {
  const present = new Uint8Array(window.intervals);
  const capacityUnits = new Float64Array(window.intervals);
  for (const c of series) {
    const w = weighResource(c.resource, node, warnings);
    if (!w) continue;
    const unitsPerValue = (w.numerator * node.weights.denominator) / w.denominator;
    for (const [t, value] of c.points) {
      const k = window.indexOf(t);
      if (k === undefined || !Number.isFinite(value) || value < 0) continue;
      if (present[k] === NONE) present[k] = OBSERVED;
      capacityUnits[k]! += value * unitsPerValue;
    }
  }
  bridge(present, window.stepMs, window.maxBridgeMs, (k, from) => {
    capacityUnits[k] = capacityUnits[from]!;
  });
  return { present, capacityUnits, lastCapacityGpus: lastCapacityGpus(series, node.weights) };
}

/**
 * {@link resourceWeight} on a node, warning when a MIG profile does not fit its GPUs (its capacity
 * and the pods requesting it are then not metered).
 */
export function weighResource(
  resource: string,
  node: { cluster: string; node: string; weights: NodeWeights },
  warnings: Set<string>,
): Fraction | null {
  const w = resourceWeight(resource, node.weights);
  if (!w && parseMigResource(resource)) {
    warnings.add(
      `node ${describeNode(node)}: MIG profile ${resource} does not fit a GPU of ${node.weights.migSlices ?? '?'} slices; not metered`,
    );
  }
  return w;
}

/** GPU equivalents reported at the last grid point with any valid capacity sample (0 when none). */
export function lastCapacityGpus(series: readonly NodeCapacityPoints[], weights: NodeWeights): number {
  let last: number | undefined;
  for (const c of series) {
    for (const [t, v] of c.points) {
      if (Number.isFinite(v) && v >= 0 && (last === undefined || t > last)) last = t;
    }
  }
  let gpus = 0;
  if (last === undefined) return gpus;
  for (const c of series) {
    const point = c.points.find(([t]) => t === last);
    const mig = parseMigResource(c.resource);
    if (!point) continue;
    if (isWholeGpuResource(c.resource)) gpus += point[1] * fractionValue(weights.wholeWeight);
    else if (mig && weights.migSlices) gpus += (point[1] * mig.slices) / weights.migSlices;
  }
  return gpus;
}
