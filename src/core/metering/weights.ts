import { lookupGpuModel } from '../gpuModels.ts';
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

/**
 * A MIG resource as kube-state-metrics spells it. The device plugin names a MIG device after its
 * profile with "+" replaced by "." (NVIDIA/k8s-device-plugin internal/resource/nvml-mig-device.go
 * GetName; profiles from go-nvlib pkg/nvlib/device/mig_profile.go String: `<g>g.<mem>gb`,
 * `<c>c.<g>g.<mem>gb` when a compute instance is smaller than its GPU instance, suffixes `+me`,
 * `+me.all`, `+gfx` or `-me`), adds `.shared` when time-slicing renames it (api/config/v1
 * DefaultSharedResourceNameSuffix), and KSM turns every character outside [A-Za-z0-9_] into "_"
 * (kube-state-metrics internal/store/utils.go SanitizeLabelName). So: nvidia_com_mig_1g_5gb,
 * nvidia_com_mig_1g_24gb_me_all, nvidia_com_mig_1c_2g_10gb, nvidia_com_mig_1g_5gb_shared, ...
 */
const MIG_RE = /^nvidia_com_mig_(?:(\d+)c_)?(\d+)g_(\d+)gb(?:_([A-Za-z0-9_]+))?$/;

/** A whole GPU allocated through a DRA claim (no extended resource; see indexObservations.ts). */
export const DRA_GPU = 'dra_gpu';

/** A MIG device allocated through a DRA claim: dra_mig_<profile> (e.g. dra_mig_1g_5gb). */
const DRA_MIG_PREFIX = 'dra_mig_';

/** True for the GPUs pods hold through DRA claims (dra_gpu, dra_mig_<profile>). */
export function isDraResource(resource: string): boolean {
  return resource === DRA_GPU || resource.startsWith(DRA_MIG_PREFIX);
}

/** The whole-GPU resources: nvidia.com/gpu and its time-slicing/MPS rename nvidia.com/gpu.shared. */
export function isWholeGpuResource(resource: string): boolean {
  return resource === 'nvidia_com_gpu' || resource === 'nvidia_com_gpu_shared';
}

/** An NVIDIA extended resource (nvidia_com_*): a GPU resource, possibly one metering cannot interpret. */
export function isNvidiaResource(resource: string): boolean {
  return resource.startsWith('nvidia_com_');
}

/** What a MIG resource name says. */
export interface MigResource {
  /** Compute slices one device uses (the `c` of `<c>c.<g>g`, else `g`): its weight is slices / GPU slices. */
  slices: number;
  memoryGb: number;
  /** The profile's resource name without a `_shared` suffix (what GFD labels are named after). */
  base: string;
  /** Renamed by time-slicing or MPS (`.shared`): each unit is 1/replicas of a MIG device. */
  shared: boolean;
}

/** Compute slices, memory, base name and sharing of a sanitized MIG resource name, or null. */
export function parseMigResource(resource: string): MigResource | null {
  const m = MIG_RE.exec(resource);
  if (!m) return null;
  const suffix = m[4] ?? '';
  const shared = suffix === 'shared' || suffix.endsWith('_shared');
  return {
    slices: Number(m[1] ?? m[2]),
    memoryGb: Number(m[3]),
    base: shared ? resource.slice(0, -'_shared'.length) : resource,
    shared,
  };
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
  migSlicesPerGpu: ReadonlyMap<string, number>,
): number | undefined {
  return lookupGpuModel(gpuModel, migSlicesPerGpu)?.value;
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
  /**
   * Weight of one whole-GPU unit: 1; 1/replicas or physical ÷ advertised units under time-slicing or
   * MPS; g/slices of the profile under the MIG single strategy (its units are MIG devices).
   */
  wholeWeight: Fraction;
  /** Every weight used on the node has a denominator dividing this (exact idle = capacity − allocation). */
  denominator: number;
  /** Replicas per MIG profile (base resource name) shared by time-slicing or MPS; absent = 1. */
  migReplicas?: ReadonlyMap<string, number>;
  /** True under the MIG single strategy: whole-GPU units are MIG devices (their gaps are unpartitioned slices). */
  wholeIsMig?: boolean;
}

/**
 * GPU equivalents of one unit of `resource` on a node with `weights`: the node's whole-GPU weight for
 * nvidia_com_gpu (and its `_shared` rename), g/slices for a MIG profile of g compute slices (divided by
 * its replicas when time-slicing or MPS shares it), 1 for a GPU and g/slices for a MIG device held
 * through a DRA claim. Returns
 * null for a resource that is not a GPU, or a MIG profile that does not fit the node's GPUs (or whose
 * GPU is unknown). The one weight function of metering: node capacity and pod requests both use it.
 */
export function resourceWeight(
  resource: string,
  weights: Pick<NodeWeights, 'migSlices' | 'wholeWeight' | 'migReplicas'>,
): Fraction | null {
  if (isWholeGpuResource(resource)) return weights.wholeWeight;
  if (resource === DRA_GPU) return fraction(1, 1);
  const mig = parseMigResource(
    resource.startsWith(DRA_MIG_PREFIX)
      ? `nvidia_com_mig_${resource.slice(DRA_MIG_PREFIX.length)}`
      : resource,
  );
  if (!mig) return null;
  const replicas = weights.migReplicas?.get(mig.base) ?? 1;
  return weights.migSlices && mig.slices > 0 && mig.slices <= weights.migSlices
    ? fraction(mig.slices, weights.migSlices * replicas)
    : null;
}
