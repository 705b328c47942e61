import { compareStrings } from '../compare.ts';
import type { Fraction, NodeCapacityPoints } from '../types.ts';
import { bridge, NONE, OBSERVED } from './held.ts';
import { columnsOf } from './points.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { NodeGpus } from './nodeWeights.ts';
import { describeNode } from './refs.ts';
import { isNvidiaResource, type NodeWeights, parseMigResource, resourceWeight } from './weights.ts';
import type { WindowGrid } from './window.ts';
import { warningText } from '../warningText.ts';

/** A node's GPU capacity over the window's intervals: its physical GPUs, and how it advertised them. */
export interface NodeCapacity {
  /** Per interval: NONE, OBSERVED (the node existed: a presence or capacity sample) or BRIDGED. */
  present: Uint8Array;
  /** Per interval: physical GPUs × the node's denominator while present, else 0. */
  capacityUnits: Float64Array;
  /**
   * The capacity split by what the node advertised, per interval (× denominator; the four add up to
   * capacityUnits): the GPU resources metering understands (Σ units × weight, at most the capacity);
   * on a node with MIG devices, the rest — MIG GPUs' slices no device covers (the MIG mixed strategy
   * does not even advertise an empty MIG GPU); on a node advertising a GPU-like resource metering cannot
   * interpret, the rest (beyond the unpartitioned slices of its partly used MIG GPUs); else the rest is
   * not advertised at all (device plugin down, GPUs managed by DRA).
   */
  advertisedUnits: Float64Array;
  migUnpartitionedUnits: Float64Array;
  unknownResourceUnits: Float64Array;
  notAdvertisedUnits: Float64Array;
  /** Physical GPUs (the catalog's, GFD's or configured count; else what it advertised). */
  physicalGpus: number;
  /** The GPU-like resources it advertised that metering cannot interpret, sorted. */
  unknownResources: string[];
}

/**
 * A node's capacity at each interval of the window: its physical GPUs for every interval in which it
 * existed — a grid point of `presenceTs` (kube_node_info) or of any capacity series — whatever it
 * advertised; gaps up to maxBridgeMs between such points are bridged (with what it advertised before the
 * gap). What it advertised (Σ units × weight, kube_node_status_capacity) only divides that capacity:
 * the rest is idle for a reason (see capacityByPeriod in nodeUsage.ts). A MIG profile that does not fit
 * the node's GPUs, or an nvidia_com_* resource metering cannot interpret, is warned about and counts
 * as an unknown resource.
 */
export function meterNodeCapacity(
  node: NodeIdentity & { weights: NodeWeights; gpus: NodeGpus },
  series: readonly NodeCapacityPoints[],
  window: WindowGrid,
  warnings: Set<string>,
  presenceTs: readonly number[] = [],
): NodeCapacity {
  const n = window.intervals;
  const present = new Uint8Array(n);
  const advertisedUnits = new Float64Array(n);
  const migUnits = new Float64Array(n);
  const unknownAdvertised = new Uint8Array(n);
  const unknownResources = new Set<string>();
  const { denominator, wholeIsMig } = node.weights;
  for (const t of presenceTs) {
    const k = window.indexOf(t);
    if (k !== undefined) present[k] = OBSERVED;
  }
  for (const c of series) {
    const w = weighResource(c.resource, node, warnings);
    if (!w && !isNvidiaResource(c.resource)) continue;
    const unitsPerValue = w ? (w.numerator * denominator) / w.denominator : 0;
    const isMig = w !== null && (parseMigResource(c.resource) !== null || (wholeIsMig ?? false));
    const { tsMs, values } = columnsOf(c.points);
    for (let i = 0; i < tsMs.length; i++) {
      const value = values[i]!;
      const k = window.indexOf(tsMs[i]!);
      if (k === undefined || !Number.isFinite(value) || value < 0) continue;
      if (present[k] === NONE) present[k] = OBSERVED;
      if (!w) {
        if (value > 0) {
          unknownAdvertised[k] = 1;
          unknownResources.add(c.resource);
        }
        continue;
      }
      advertisedUnits[k]! += value * unitsPerValue;
      if (isMig) migUnits[k]! += value * unitsPerValue;
    }
  }
  bridge(present, window.stepMs, window.maxBridgeMs, (k, from) => {
    advertisedUnits[k] = advertisedUnits[from]!;
    migUnits[k] = migUnits[from]!;
    unknownAdvertised[k] = unknownAdvertised[from]!;
  });
  const physicalGpus = node.gpus.physicalGpus;
  const capacityUnits = new Float64Array(n);
  const migUnpartitionedUnits = new Float64Array(n);
  const unknownResourceUnits = new Float64Array(n);
  const notAdvertisedUnits = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (present[k] === NONE) {
      advertisedUnits[k] = 0;
      continue;
    }
    const capacity = physicalGpus * denominator;
    capacityUnits[k] = capacity;
    advertisedUnits[k] = Math.min(advertisedUnits[k]!, capacity);
    const rest = capacity - advertisedUnits[k]!;
    if (migUnits[k]! > 0 && unknownAdvertised[k]) {
      // A GPU with any MIG device is a MIG GPU: the slices its devices leave are unpartitioned.
      const partial = migUnits[k]! % denominator;
      migUnpartitionedUnits[k] = Math.min(rest, partial === 0 ? 0 : denominator - partial);
      unknownResourceUnits[k] = rest - migUnpartitionedUnits[k]!;
    } else if (migUnits[k]! > 0) migUnpartitionedUnits[k] = rest;
    else if (unknownAdvertised[k]) unknownResourceUnits[k] = rest;
    else notAdvertisedUnits[k] = rest;
  }
  return {
    present,
    capacityUnits,
    advertisedUnits,
    migUnpartitionedUnits,
    unknownResourceUnits,
    notAdvertisedUnits,
    physicalGpus,
    unknownResources: [...unknownResources].sort(compareStrings),
  };
}

/**
 * {@link resourceWeight} on a node, warning when a MIG profile does not fit its GPUs (its share of the
 * node is then an unknown resource, and the pods requesting it are not metered).
 */
export function weighResource(
  resource: string,
  node: { cluster: string; node: string; weights: NodeWeights },
  warnings: Set<string>,
): Fraction | null {
  const w = resourceWeight(resource, node.weights);
  if (!w && parseMigResource(resource)) {
    warnings.add(
      warningText('migProfileDoesNotFit', {
        node: describeNode(node),
        resource,
        slices: node.weights.migSlices ?? '?',
      }),
    );
  }
  return w;
}
