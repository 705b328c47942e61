import { gcd } from '../integers.ts';
import type { Fraction } from '../types.ts';

/** The fraction numerator/denominator in lowest terms (denominator > 0). */
export function fraction(numerator: number, denominator: number): Fraction {
  if (!Number.isInteger(numerator) || !Number.isInteger(denominator) || denominator <= 0 || numerator < 0) {
    throw new RangeError(`invalid fraction ${numerator}/${denominator}`);
  }
  const g = gcd(numerator, denominator) || 1;
  return { numerator: numerator / g, denominator: denominator / g };
}

/** The fraction as a float (display only). */
export function fractionValue(f: Fraction): number {
  return f.numerator / f.denominator;
}

const MIG_RE = /^nvidia_com_mig_(\d+)g_(\d+)gb(?:_me)?$/;

/** True for the resources that stand for whole (possibly time-sliced) GPUs. */
export function isWholeGpuResource(resource: string): boolean {
  return resource === 'nvidia_com_gpu' || resource === 'nvidia_com_gpu_shared';
}

/** Compute slices (the `g` of `<g>g_<mem>gb`) and memory of a sanitized MIG resource name, or null. */
export function parseMigResource(resource: string): { slices: number; memoryGb: number } | null {
  const m = MIG_RE.exec(resource);
  if (!m) return null;
  return { slices: Number(m[1]), memoryGb: Number(m[2]) };
}

/**
 * Compute slices of a whole GPU per GPU model (MIG weight of a `<g>g.<mem>gb` instance = g / slices):
 * the default of `metering.migSlicesPerGpu`, and what the simulator builds its MIG nodes with.
 */
export const DEFAULT_MIG_SLICES_PER_GPU: Readonly<Record<string, number>> = Object.freeze({
  A100: 7,
  H100: 7,
  H200: 7,
  H20: 7,
  B200: 7,
  A30: 4,
});

/**
 * Compute slices of a whole GPU for `gpuModel` from the table: an exact key first, else the longest
 * key the model starts with (so "A100-80GB" uses A100 and "H200" does not fall back to H20).
 */
export function migSlicesFor(
  gpuModel: string | undefined,
  migSlicesPerGpu: Record<string, number>,
): number | undefined {
  if (!gpuModel) return undefined;
  if (migSlicesPerGpu[gpuModel] !== undefined) return migSlicesPerGpu[gpuModel];
  const upper = gpuModel.toUpperCase();
  const key = Object.keys(migSlicesPerGpu)
    .filter((k) => upper.startsWith(k.toUpperCase()))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : migSlicesPerGpu[key];
}

/**
 * Best guess of the compute slices of the GPU behind a MIG profile when the GPU model is unknown:
 * A30 profiles have 6 GB per compute slice (1g.6gb, 2g.12gb, 4g.24gb) and 4 slices; every other MIG
 * GPU (A100, H100, H200, ...) has 7. Callers flag the result in warnings.
 */
export function inferMigSlicesPerGpu(resource: string): number | undefined {
  const mig = parseMigResource(resource);
  if (!mig) return undefined;
  return mig.memoryGb === mig.slices * 6 ? 4 : 7;
}

/** How one node's GPU resources divide into GPU equivalents (see weighNode in nodeWeights.ts). */
export interface NodeWeights {
  /** MIG compute slices per GPU of the node's model (inferred from a profile when the model is unknown). */
  migSlices: number | undefined;
  /** Weight of one whole-GPU unit: 1, or physical ÷ advertised units under time-slicing. */
  wholeWeight: Fraction;
  /** Every weight used on the node has a denominator dividing this (exact idle = capacity − allocation). */
  denominator: number;
}

/**
 * GPU equivalents of one unit of `resource` on a node with `weights`: the node's whole-GPU weight for
 * nvidia_com_gpu (and its `_shared` rename), g/slices for a MIG profile of g compute slices. Returns
 * null for a resource that is not a GPU, or a MIG profile that does not fit the node's GPUs (or whose
 * GPU is unknown). The one weight function of metering: node capacity and pod requests both use it.
 */
export function resourceWeight(
  resource: string,
  weights: Pick<NodeWeights, 'migSlices' | 'wholeWeight'>,
): Fraction | null {
  if (isWholeGpuResource(resource)) return weights.wholeWeight;
  const mig = parseMigResource(resource);
  if (!mig) return null;
  return weights.migSlices && mig.slices > 0 && mig.slices <= weights.migSlices
    ? fraction(mig.slices, weights.migSlices)
    : null;
}
