import type { NodeIdentity } from './nodeIdentity.ts';
import type { MeterOptions } from './options.ts';

/**
 * Where a node's physical GPU count comes from, in order of trust: the price catalog entry of its
 * instance type, GPU feature discovery node labels, a `metering.physicalGpus` rule, or — when none of
 * them knows — what the node advertises (a guess: warned with the money at stake).
 */
export type GpuCountSource = 'catalog' | 'gfd' | 'config' | 'advertised';

/**
 * GPU feature discovery labels as kube-state-metrics exports them (allowlisted node labels, sanitized:
 * NVIDIA/k8s-device-plugin internal/lm/resource.go baseLabeler writes `nvidia.com/gpu.product`,
 * `.count`, `.replicas`, `.sharing-strategy`; internal/lm/strategy.go `nvidia.com/mig.strategy`;
 * kube-state-metrics internal/store/utils.go turns them into label_nvidia_com_gpu_count, ...).
 */
export const GFD_LABELS = {
  count: 'label_nvidia_com_gpu_count',
  product: 'label_nvidia_com_gpu_product',
  replicas: 'label_nvidia_com_gpu_replicas',
  sharingStrategy: 'label_nvidia_com_gpu_sharing_strategy',
  migStrategy: 'label_nvidia_com_mig_strategy',
} as const;

/** Per-MIG-profile replicas label: `nvidia.com/mig-<profile>.replicas` (resource.go baseLabeler on a MIG resource). */
const MIG_REPLICAS_LABEL = /^label_(nvidia_com_mig_[A-Za-z0-9_]+)_replicas$/;

/** What GPU feature discovery says about a node (every field absent when its label is not exported). */
export interface GfdFacts {
  /** nvidia.com/gpu.count: physical GPUs — except under the MIG single strategy, where it counts MIG devices. */
  count?: number;
  /** nvidia.com/gpu.product as written (e.g. NVIDIA-A100-SXM4-40GB, Tesla-T4-SHARED, NVIDIA-A100-SXM4-40GB-MIG-1g.5gb). */
  product?: string;
  /** GPU model from the product: vendor prefix, "-SHARED" and the MIG part removed (A100-SXM4-40GB, T4). */
  gpuModel?: string;
  /** The MIG profile in the product under the MIG single strategy (1g.5gb). */
  migProfile?: string;
  /** nvidia.com/gpu.replicas: replicas per GPU under time-slicing or MPS (1 or 0 without sharing). */
  replicas?: number;
  /** nvidia.com/gpu.sharing-strategy: none, time-slicing or mps. */
  sharingStrategy?: string;
  /** nvidia.com/mig.strategy: single or mixed. */
  migStrategy?: string;
  /** nvidia.com/mig-<profile>.replicas by MIG resource base name (nvidia_com_mig_1g_5gb). */
  migReplicas: Map<string, number>;
}

/** A node's physical GPUs as far as catalog, GFD and configuration know them. */
export interface KnownGpus {
  /** Physical GPUs, or undefined when only what the node advertises can tell. */
  gpus: number | undefined;
  gpuModel: string | undefined;
  source: Exclude<GpuCountSource, 'advertised'> | undefined;
  gfd: GfdFacts;
}

const nonNegativeInt = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
};

/** The GFD facts of a node's labels. */
export function gfdFactsOf(labels: Record<string, string> | undefined): GfdFacts {
  const facts: GfdFacts = { migReplicas: new Map() };
  if (!labels) return facts;
  const count = nonNegativeInt(labels[GFD_LABELS.count]);
  if (count !== undefined) facts.count = count;
  const replicas = nonNegativeInt(labels[GFD_LABELS.replicas]);
  if (replicas !== undefined) facts.replicas = replicas;
  const product = labels[GFD_LABELS.product];
  if (product) {
    facts.product = product;
    const { gpuModel, migProfile } = parseGpuProduct(product);
    if (gpuModel) facts.gpuModel = gpuModel;
    if (migProfile) facts.migProfile = migProfile;
  }
  if (labels[GFD_LABELS.sharingStrategy]) facts.sharingStrategy = labels[GFD_LABELS.sharingStrategy];
  if (labels[GFD_LABELS.migStrategy]) facts.migStrategy = labels[GFD_LABELS.migStrategy];
  for (const [name, value] of Object.entries(labels)) {
    const m = MIG_REPLICAS_LABEL.exec(name);
    const r = nonNegativeInt(value);
    if (m && r !== undefined && r >= 1) facts.migReplicas.set(m[1]!, r);
  }
  return facts;
}

/**
 * The GPU model and MIG profile in a GFD product label. GFD writes the NVML device name with spaces as
 * "-", then "-MIG-<profile>" under the MIG single strategy and "-SHARED" when a shared resource is not
 * renamed (resource.go getProductName): "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb" → A100-SXM4-40GB, 1g.5gb.
 */
export function parseGpuProduct(product: string): { gpuModel: string; migProfile?: string } {
  let rest = product.replace(/-SHARED$/, '');
  let migProfile: string | undefined;
  const mig = /-MIG-(.+)$/.exec(rest);
  if (mig) {
    migProfile = mig[1]!;
    rest = rest.slice(0, mig.index);
  }
  const gpuModel = rest.replace(/^(NVIDIA|Tesla)-/, '');
  return migProfile === undefined ? { gpuModel } : { gpuModel, migProfile };
}

/** True when GFD says whole-GPU units are MIG devices (mig.strategy=single, or a "-MIG-" product). */
export function isMigSingle(gfd: GfdFacts): boolean {
  return gfd.migStrategy === 'single' || gfd.migProfile !== undefined;
}

/**
 * The physical GPUs of a node, in this order: (1) its catalog entry, (2) the GFD `nvidia.com/gpu.count`
 * label (not under the MIG single strategy, where it counts MIG devices), (3) the first matching
 * `metering.physicalGpus` rule; undefined when none applies (the node's advertised resources decide,
 * see {@link advertisedGpus}). The GPU model comes from the same place, else from GFD's product label.
 */
export function knownGpusOf(
  node: Pick<NodeIdentity, 'catalog'>,
  labels: Record<string, string> | undefined,
  options: Pick<MeterOptions, 'physicalGpus'>,
): KnownGpus {
  const gfd = gfdFactsOf(labels);
  if (node.catalog) {
    return { gpus: node.catalog.gpus, gpuModel: node.catalog.gpuModel, source: 'catalog', gfd };
  }
  if (gfd.count !== undefined && gfd.count > 0 && !isMigSingle(gfd)) {
    return { gpus: gfd.count, gpuModel: gfd.gpuModel, source: 'gfd', gfd };
  }
  const rule = (options.physicalGpus ?? []).find(
    (r) => labels !== undefined && Object.hasOwn(labels, r.nodeLabel) && labels[r.nodeLabel] === r.value,
  );
  if (rule) return { gpus: rule.gpus, gpuModel: rule.gpuModel ?? gfd.gpuModel, source: 'config', gfd };
  return { gpus: undefined, gpuModel: gfd.gpuModel, source: undefined, gfd };
}
