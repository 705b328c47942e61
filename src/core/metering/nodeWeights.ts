import { lcm } from '../integers.ts';
import type { NodeCapacityPoints } from '../types.ts';
import { columnsOf, GridSums, maxOf } from './points.ts';
import { type GpuCountSource, isMigSingle, type KnownGpus } from './nodeGpus.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import { describeNode } from './refs.ts';
import {
  fraction,
  inferMigSlicesPerGpu,
  isWholeGpuResource,
  migSlicesFor,
  type NodeWeights,
  parseMigResource,
  resourceWeight,
} from './weights.ts';
import { warningText } from '../warningText.ts';

/** A node's physical GPUs as metering uses them: the count, the model and where the count came from. */
export interface NodeGpus {
  physicalGpus: number;
  gpuModel: string | undefined;
  source: GpuCountSource;
}

/**
 * How a node's advertised GPU resources divide its physical GPUs (`known`, from the catalog, GFD labels
 * or configuration; the catalog entry alone when not given):
 * - MIG (mixed strategy): a `<g>g.<mem>gb` unit (any suffix) weighs g / (compute slices of the node's
 *   GPU model, from `migSlicesPerGpu`; inferred from the profile, with a warning, when the model is
 *   unknown), divided by its replicas when time-slicing or MPS shares it (GFD's
 *   `nvidia.com/mig-<profile>.replicas`; for a `.shared` profile without it, inferred so the node's MIG
 *   devices fit its GPUs, warned);
 * - MIG single strategy (GFD `mig.strategy=single`): whole-GPU units are MIG devices of the profile in
 *   `gpu.product`, each g / slices (÷ replicas), else physical ÷ advertised;
 * - time-slicing and MPS (renamed `.shared` or not): each whole unit weighs 1 / GFD `gpu.replicas`, else
 *   — when the node advertises more whole units than it has physical GPUs left after MIG — physical ÷
 *   advertised (needs the physical count; warned otherwise);
 * - the denominator is the least common multiple of every weight's denominator, so capacity,
 *   allocation and idle stay exact integers of 1/denominator GPU-ms.
 * `resources` are the GPU resources the node advertises and its pods request.
 */
export function weighNode(
  node: NodeIdentity,
  capacity: readonly NodeCapacityPoints[],
  resources: Iterable<string>,
  migSlicesPerGpu: ReadonlyMap<string, number>,
  warnings: Set<string>,
  known: KnownGpus = catalogOnly(node),
): NodeWeights {
  const describe = describeNode(node);
  const { gfd } = known;
  const all = [...resources];
  const single = isMigSingle(gfd);
  // Pods never bound to a node (node "") are never charged; a weight warning about them is noise.
  const warn = (text: string) => {
    if (node.node !== '') warnings.add(text);
  };

  let migSlices = migSlicesFor(known.gpuModel, migSlicesPerGpu);
  const migResources = all.filter((r) => parseMigResource(r));
  const draMig = all.find((r) => r.startsWith('dra_mig_'));
  const singleProfile = single && gfd.migProfile ? migProfileResource(gfd.migProfile) : undefined;
  const inferFrom =
    migResources[0] ?? singleProfile ?? (draMig && `nvidia_com_mig_${draMig.slice('dra_mig_'.length)}`);
  if (inferFrom && migSlices === undefined) {
    migSlices = inferMigSlicesPerGpu(inferFrom);
    warn(
      warningText('migSlicesAssumed', {
        node: describe,
        model: known.gpuModel ?? 'unknown',
        slices: String(migSlices),
      }),
    );
  }

  const migReplicas = migReplicasOf(node, capacity, migResources, migSlices, known, warn);
  const base: Pick<NodeWeights, 'migSlices' | 'migReplicas'> = {
    migSlices,
    ...(migReplicas.size > 0 ? { migReplicas } : {}),
  };
  const { advertisedWhole, migGpus } = advertisedPeaks(capacity, base);
  const sharing =
    (gfd.sharingStrategy === 'time-slicing' || gfd.sharingStrategy === 'mps') && (gfd.replicas ?? 0) >= 2
      ? gfd.replicas!
      : undefined;
  const physical = known.gpus;
  let wholeWeight = fraction(1, 1);
  let wholeIsMig = false;
  if (single) {
    wholeIsMig = true;
    const mig = singleProfile ? parseMigResource(singleProfile) : null;
    if (mig && migSlices && mig.slices <= migSlices) {
      wholeWeight = fraction(mig.slices, migSlices * (sharing ?? 1));
    } else if (physical && advertisedWhole > physical && Number.isInteger(advertisedWhole)) {
      wholeWeight = fraction(physical, advertisedWhole);
      warn(
        warningText('migSingleUnknownProfile', {
          node: describe,
          product: gfd.product ?? 'absent',
          physical,
          advertised: advertisedWhole,
        }),
      );
    }
  } else if (physical !== undefined && advertisedWhole > 0) {
    const physicalWhole = physical - migGpus;
    if (physicalWhole <= 0) {
      warn(warningText('wholeGpusBesideFullMig', { node: describe, physical }));
    } else if (sharing && advertisedWhole / sharing <= physicalWhole) {
      wholeWeight = fraction(1, sharing);
    } else if (advertisedWhole > physicalWhole && Number.isInteger(advertisedWhole)) {
      wholeWeight = fraction(physicalWhole, advertisedWhole);
    }
  } else if (physical === undefined && advertisedWhole > 0) {
    if (sharing) wholeWeight = fraction(1, sharing);
    else warn(warningText('timeSlicingUndetectable', { node: describe }));
  }

  let denominator = wholeWeight.denominator;
  for (const r of all) {
    const w = resourceWeight(r, { ...base, wholeWeight });
    if (w) denominator = lcm(denominator, w.denominator);
  }
  return { ...base, wholeWeight, denominator, ...(wholeIsMig ? { wholeIsMig } : {}) };
}

/**
 * The physical GPUs of a weighed node: those `known` from catalog, GFD or configuration, else the most
 * GPU equivalents it advertised at one grid point, rounded up (source "advertised": a guess the month
 * stage warns about with the money at stake).
 */
export function physicalGpusOf(
  known: KnownGpus,
  weights: NodeWeights,
  capacity: readonly NodeCapacityPoints[],
): NodeGpus {
  if (known.gpus !== undefined && known.source !== undefined) {
    return { physicalGpus: known.gpus, gpuModel: known.gpuModel, source: known.source };
  }
  const slots = new GridSums(1);
  const [sums] = slots.columns as [number[]];
  for (const c of capacity) {
    const w = resourceWeight(c.resource, weights);
    if (!w) continue;
    slots.addPoints(c.points, (s, v) => {
      sums[s]! += (v * w.numerator) / w.denominator;
    });
  }
  const peak = maxOf(sums);
  return {
    physicalGpus: Math.max(0, Math.ceil(peak - 1e-9)),
    gpuModel: known.gpuModel,
    source: 'advertised',
  };
}

/** The catalog entry as the only knowledge of a node's GPUs. */
function catalogOnly(node: NodeIdentity): KnownGpus {
  return {
    gpus: node.catalog?.gpus,
    gpuModel: node.catalog?.gpuModel,
    source: node.catalog ? 'catalog' : undefined,
    gfd: { migReplicas: new Map() },
  };
}

/** The sanitized MIG resource of a GFD profile ("1g.5gb" → nvidia_com_mig_1g_5gb). */
function migProfileResource(profile: string): string {
  return `nvidia_com_mig_${profile.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/**
 * Replicas per shared MIG profile: GFD's `nvidia.com/mig-<profile>.replicas` when exported (renamed or
 * not), else — for a `.shared` profile — the replicas that make the node's MIG devices fit the GPUs
 * left after its other resources (warned, with what it assumed).
 */
function migReplicasOf(
  node: NodeIdentity,
  capacity: readonly NodeCapacityPoints[],
  migResources: readonly string[],
  migSlices: number | undefined,
  known: KnownGpus,
  warn: (text: string) => void,
): Map<string, number> {
  const replicas = new Map<string, number>();
  const unknown = new Set<string>();
  for (const r of migResources) {
    const mig = parseMigResource(r)!;
    const labelled = known.gfd.migReplicas.get(mig.base);
    if (labelled !== undefined && labelled >= 1) {
      if (labelled > 1 || mig.shared) replicas.set(mig.base, labelled);
    } else if (mig.shared) unknown.add(mig.base);
  }
  if (unknown.size === 0 || !migSlices) return replicas;
  // Peaks at one grid point: shared units as whole MIG devices, the other GPU resources as weighed.
  const slots = new GridSums(2);
  const [shared, other] = slots.columns as [number[], number[]];
  for (const c of capacity) {
    const mig = parseMigResource(c.resource);
    const whole = isWholeGpuResource(c.resource);
    slots.addPoints(c.points, (s, v) => {
      if (mig && unknown.has(mig.base)) shared[s]! += (v * mig.slices) / migSlices;
      else if (mig) other[s]! += (v * mig.slices) / migSlices / (replicas.get(mig.base) ?? 1);
      else if (whole) other[s]! += v;
    });
  }
  let inferred = 1;
  for (let s = 0; s < shared.length; s++) {
    const room = (known.gpus ?? 0) - other[s]!;
    if (room > 1e-9) inferred = Math.max(inferred, Math.ceil(shared[s]! / room - 1e-9));
  }
  for (const base of [...unknown].sort()) {
    replicas.set(base, inferred);
    warn(
      known.gpus === undefined
        ? warningText('migSharedReplicasAssumedNoGpuCount', {
            node: describeNode(node),
            resource: base,
            replicas: inferred,
          })
        : warningText('migSharedReplicasAssumed', {
            node: describeNode(node),
            resource: base,
            replicas: inferred,
            gpus: known.gpus,
          }),
    );
  }
  return replicas;
}

/**
 * The most whole-GPU units a node advertised at one grid point, and the most GPUs its MIG instances
 * covered at one point (rounded up: a GPU with any MIG instance is not a whole GPU).
 */
function advertisedPeaks(
  capacity: readonly NodeCapacityPoints[],
  weights: Pick<NodeWeights, 'migSlices' | 'migReplicas'>,
): { advertisedWhole: number; migGpus: number } {
  const peaks = capacity.length === 1 ? peaksOfOneSeries(capacity[0]!, weights) : undefined;
  if (peaks) return { advertisedWhole: peaks[0], migGpus: Math.ceil(peaks[1] - 1e-9) };
  const slots = new GridSums(2);
  for (const c of capacity) {
    const share = peakShare(c.resource, weights);
    if (!share) continue;
    const column = slots.columns[share.column]!;
    slots.addPoints(c.points, (s, v) => {
      column[s]! += share.of(v);
    });
  }
  const [whole, migEq] = slots.columns as [number[], number[]];
  return { advertisedWhole: maxOf(whole), migGpus: Math.ceil(maxOf(migEq) - 1e-9) };
}

/**
 * Which peak a capacity series of `resource` adds to (0: whole GPUs, 1: GPUs its MIG instances cover) and
 * what one of its values adds; undefined for a resource that adds to neither.
 */
function peakShare(
  resource: string,
  weights: Pick<NodeWeights, 'migSlices' | 'migReplicas'>,
): { column: 0 | 1; of: (v: number) => number } | undefined {
  if (isWholeGpuResource(resource)) return { column: 0, of: (v) => v };
  const mig = parseMigResource(resource);
  const slices = weights.migSlices;
  if (!mig || !slices) return undefined;
  const replicas = weights.migReplicas?.get(mig.base) ?? 1;
  return { column: 1, of: (v) => (v * mig.slices) / slices / replicas };
}

/**
 * advertisedPeaks' two peaks for a node with one capacity series (one GPU resource: the usual node),
 * without per-time sums: when its times strictly ascend each sum is 0 plus one value, so the peaks are
 * those of its values (the same finite, non-negative ones GridSums keeps, weighed by peakShare, compared
 * as maxOf compares). Undefined when a time repeats: the general path sums them.
 */
function peaksOfOneSeries(
  c: NodeCapacityPoints,
  weights: Pick<NodeWeights, 'migSlices' | 'migReplicas'>,
): [number, number] | undefined {
  const peaks: [number, number] = [0, 0];
  const share = peakShare(c.resource, weights);
  const { tsMs, values } = columnsOf(c.points);
  let previous = -Infinity;
  for (let i = 0; i < tsMs.length; i++) {
    const t = tsMs[i]!;
    if (!(t > previous)) return undefined;
    previous = t;
    const v = values[i]!;
    if (!share || !Number.isFinite(v) || v < 0) continue;
    const sum = 0 + share.of(v);
    if (sum > peaks[share.column]) peaks[share.column] = sum;
  }
  return peaks;
}
