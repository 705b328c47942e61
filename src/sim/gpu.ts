import { gcd } from '../core/integers.ts';
/**
 * GPU resources of a simulated node: the advertised extended-resource units (whole GPUs, MIG slices or
 * time-sliced replicas), their GPU-equivalent weights, and the DCGM entities behind them.
 */
import { DEFAULT_MIG_SLICES_PER_GPU } from '../core/metering/weights.ts';
import type { Fraction } from '../core/types.ts';
import type { SimDevice, SimNode, SimNodeSpec, SimSharing, SimUnit } from './model.ts';
import { hashString } from './prng.ts';

/** The KSM resource name of a MIG profile: "3g.20gb" → "nvidia_com_mig_3g_20gb". */
export function migResourceName(profile: string): string {
  return `nvidia_com_mig_${profile.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Compute slices (g) of a MIG profile such as "3g.20gb". */
export function migSlices(profile: string): number {
  const m = /^(\d+)g\./.exec(profile);
  if (!m) throw new RangeError(`invalid MIG profile "${profile}": expected e.g. 1g.5gb`);
  return Number(m[1]);
}

/** A reduced fraction. */
export function fraction(numerator: number, denominator: number): Fraction {
  const g = gcd(numerator, denominator) || 1;
  return { numerator: numerator / g, denominator: denominator / g };
}

/** Least common multiple of the denominators of `fractions` (1 for none). */
export function commonDenominator(fractions: readonly Fraction[]): number {
  return fractions.reduce((acc, f) => (acc * f.denominator) / gcd(acc, f.denominator), 1);
}

function uuidFor(node: string, gpu: number): string {
  const hex = (n: number) => (hashString(`${node}/${gpu}`, n) >>> 0).toString(16).padStart(8, '0');
  const a = hex(1);
  const b = hex(2);
  const c = hex(3);
  const d = hex(4);
  return `GPU-${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** The sharing of a node spec: `sharing`, or the legacy `timeSlicingReplicas` (not renamed). */
export function sharingOf(
  spec: Pick<SimNodeSpec, 'sharing' | 'timeSlicingReplicas'>,
): SimSharing | undefined {
  if (spec.sharing) return spec.sharing;
  if (spec.timeSlicingReplicas && spec.timeSlicingReplicas > 1)
    return { strategy: 'time-slicing', replicas: spec.timeSlicingReplicas, renameByDefault: false };
  return undefined;
}

/**
 * Derives the units and DCGM entities of a node spec. Throws on an unknown MIG GPU model. Units follow
 * the NVIDIA device plugin: MIG mixed strategy advertises nvidia.com/mig-<profile> per MIG device, the
 * single strategy advertises them as nvidia.com/gpu (internal/lm/mig-strategy.go); a shared device is
 * advertised `replicas` times, as <resource>.shared when renamed (api/config/v1 replicas.go).
 */
export function deriveNodeResources(spec: SimNodeSpec): { units: SimUnit[]; devices: SimDevice[] } {
  const units: SimUnit[] = [];
  const devices: SimDevice[] = [];
  const sharing = sharingOf(spec);
  const physical = (gpu: number) => ({
    gpu,
    uuid: uuidFor(spec.name, gpu),
    device: `nvidia${gpu}`,
    pciBusId: `00000000:${(0x10 + gpu * 0x10).toString(16).toUpperCase().padStart(2, '0')}:1C.0`,
  });
  if (spec.migProfiles) {
    const slices = DEFAULT_MIG_SLICES_PER_GPU[spec.gpuModel];
    if (!slices)
      throw new RangeError(`MIG is not supported on GPU model ${spec.gpuModel} (node ${spec.name})`);
    if (spec.migProfiles.length !== spec.gpus) {
      throw new RangeError(
        `node ${spec.name}: migProfiles must list the profiles of each of its ${spec.gpus} GPUs`,
      );
    }
    const single = spec.migStrategy === 'single';
    if (single && new Set(spec.migProfiles.flat()).size !== 1)
      throw new RangeError(`node ${spec.name}: the MIG single strategy needs one profile on every GPU`);
    spec.migProfiles.forEach((profiles, gpu) => {
      let used = 0;
      profiles.forEach((profile, i) => {
        used += migSlices(profile);
        devices.push({ ...physical(gpu), migProfile: profile, migInstanceId: i + 1 });
        const shared = sharing?.migProfiles?.includes(profile) ? sharing : undefined;
        const replicas = shared?.replicas ?? 1;
        const base = single ? 'nvidia_com_gpu' : migResourceName(profile);
        const resource = shared?.renameByDefault ? `${base}_shared` : base;
        for (let r = 0; r < replicas; r++) {
          units.push({
            resource,
            device: devices.length - 1,
            weight: fraction(migSlices(profile), slices * replicas),
          });
        }
      });
      if (used > slices)
        throw new RangeError(`node ${spec.name}: GPU ${gpu} has ${used} > ${slices} MIG slices`);
    });
    return { units, devices };
  }
  const replicas = sharing && !sharing.migProfiles ? sharing.replicas : 1;
  const resource =
    sharing?.renameByDefault && !sharing.migProfiles ? 'nvidia_com_gpu_shared' : 'nvidia_com_gpu';
  for (let gpu = 0; gpu < spec.gpus; gpu++) {
    devices.push(physical(gpu));
    for (let r = 0; r < replicas; r++) {
      units.push({ resource, device: gpu, weight: fraction(1, replicas) });
    }
  }
  return { units, devices };
}

/**
 * Advertised capacity per resource, as kube_node_status_capacity exports it. Under the MIG mixed
 * strategy the device plugin still registers nvidia.com/gpu, with 0 units.
 */
export function nodeCapacity(
  node: Pick<SimNode, 'units' | 'migProfiles' | 'migStrategy' | 'devicePlugin'>,
): Map<string, number> {
  const capacity = new Map<string, number>();
  if (node.devicePlugin === 'absent') return capacity;
  if (node.migProfiles && node.migStrategy !== 'single') capacity.set('nvidia_com_gpu', 0);
  for (const unit of node.units) capacity.set(unit.resource, (capacity.get(unit.resource) ?? 0) + 1);
  return capacity;
}

/** GPU equivalents of a node's whole advertised capacity, as an exact fraction. */
export function nodeCapacityGpuEquivalents(node: Pick<SimNode, 'units'>): Fraction {
  const d = commonDenominator(node.units.map((u) => u.weight));
  const numerator = node.units.reduce((acc, u) => acc + (u.weight.numerator * d) / u.weight.denominator, 0);
  return fraction(numerator, d);
}

/** True when `resource` is an NVIDIA GPU extended resource (whole GPU, MIG device, `.shared` renames). */
export function isGpuResource(resource: string): boolean {
  return resource.startsWith('nvidia_com_');
}

/**
 * The physical GPUs of a node the device plugin does not cover with an advertised device: compute
 * slices of MIG GPUs left unpartitioned (as GPU fractions), for the ground truth of idle by reason.
 */
export function unpartitionedMigGpus(node: Pick<SimNode, 'migProfiles' | 'gpuModel'>): Fraction {
  if (!node.migProfiles) return fraction(0, 1);
  const slices = DEFAULT_MIG_SLICES_PER_GPU[node.gpuModel]!;
  const left = node.migProfiles.reduce(
    (sum, profiles) => sum + slices - profiles.reduce((s, p) => s + migSlices(p), 0),
    0,
  );
  return fraction(left, slices);
}
