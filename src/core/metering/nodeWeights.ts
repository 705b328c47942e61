import { lcm } from '../integers.ts';
import type { NodeCapacityPoints } from '../types.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import { describeNode } from './refs.ts';
import {
  fraction,
  inferMigSlicesPerGpu,
  isWholeGpuResource,
  migSlicesFor,
  type NodeWeights,
  parseMigResource,
} from './weights.ts';

/**
 * How a node's advertised GPU resources divide its GPUs:
 * - MIG (mixed strategy): a `<g>g.<mem>gb` unit weighs g / (compute slices of the node's GPU model,
 *   from `migSlicesPerGpu`; inferred from the profile, with a warning, when the model is unknown);
 * - time-slicing: when the node advertises more whole-GPU units than it has physical GPUs left after
 *   MIG, each unit weighs physical ÷ advertised (needs the catalog's GPU count; warned otherwise);
 * - the denominator is the least common multiple of every weight's denominator, so capacity,
 *   allocation and idle stay exact integers of 1/denominator GPU-ms.
 * `resources` are the GPU resources the node advertises and its pods request.
 */
export function weighNode(
  node: NodeIdentity,
  capacity: readonly NodeCapacityPoints[],
  resources: Iterable<string>,
  migSlicesPerGpu: Record<string, number>,
  warnings: Set<string>,
): NodeWeights {
  const describe = describeNode(node);
  const { catalog } = node;
  const all = [...resources];
  let migSlices = migSlicesFor(catalog?.gpuModel, migSlicesPerGpu);
  const migResources = all.filter((r) => parseMigResource(r));
  if (migResources.length > 0 && migSlices === undefined) {
    migSlices = inferMigSlicesPerGpu(migResources[0]!);
    // Pods never bound to a node (node "") are never charged; a weight warning about them is noise.
    if (node.node !== '')
      warnings.add(
        `node ${describe}: GPU model ${catalog?.gpuModel ?? 'unknown'} not in metering.migSlicesPerGpu; MIG weights assume ${migSlices} slices per GPU`,
      );
  }

  // Time-slicing: whole-GPU units advertised beyond the physical GPUs not partitioned by MIG.
  const { advertisedWhole, migGpus } = advertisedPeaks(capacity, migSlices);
  let wholeWeight = fraction(1, 1);
  if (catalog && advertisedWhole > 0) {
    const physicalWhole = catalog.gpus - migGpus;
    if (physicalWhole > 0 && advertisedWhole > physicalWhole && Number.isInteger(advertisedWhole)) {
      wholeWeight = fraction(physicalWhole, advertisedWhole);
    } else if (physicalWhole <= 0) {
      warnings.add(
        `node ${describe} advertises whole GPUs although MIG uses all ${catalog.gpus} of its GPUs; whole GPUs weighted 1`,
      );
    }
  } else if (!catalog && advertisedWhole > 0 && node.node !== '') {
    warnings.add(
      `node ${describe}: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1`,
    );
  }

  let denominator = wholeWeight.denominator;
  for (const r of all) {
    const mig = parseMigResource(r);
    if (mig && migSlices && mig.slices <= migSlices)
      denominator = lcm(denominator, fraction(mig.slices, migSlices).denominator);
  }
  return { migSlices, wholeWeight, denominator };
}

/**
 * The most whole-GPU units a node advertised at one grid point, and the most GPUs its MIG instances
 * covered at one point (rounded up: a GPU with any MIG instance is not a whole GPU).
 */
function advertisedPeaks(
  capacity: readonly NodeCapacityPoints[],
  migSlices: number | undefined,
): { advertisedWhole: number; migGpus: number } {
  const byTime = new Map<number, { whole: number; migEq: number }>();
  for (const c of capacity) {
    const mig = parseMigResource(c.resource);
    for (const [t, v] of c.points) {
      if (!Number.isFinite(v) || v < 0) continue;
      const entry = byTime.get(t) ?? { whole: 0, migEq: 0 };
      if (isWholeGpuResource(c.resource)) entry.whole += v;
      else if (mig && migSlices) entry.migEq += (v * mig.slices) / migSlices;
      byTime.set(t, entry);
    }
  }
  return {
    advertisedWhole: Math.max(0, ...[...byTime.values()].map((e) => e.whole)),
    migGpus: Math.ceil(Math.max(0, ...[...byTime.values()].map((e) => e.migEq)) - 1e-9),
  };
}
