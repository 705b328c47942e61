import type { CapacityType, ChargePeriod, Day, Shard } from '../types.ts';

/** Where a pod's team or project comes from: pod labels, then namespace labels, then a default. */
export interface AttributionOptions {
  podLabels: string[];
  namespaceLabels: string[];
  default: string;
}

/** What the price catalog says about the GPUs of one instance type. */
export interface GpuCatalogEntry {
  gpus: number;
  gpuModel: string;
}

/**
 * A rule giving the physical GPUs of nodes that have no instance type in the catalog and no GPU feature
 * discovery count (bare metal, on-prem): nodes whose kube_node_labels label `nodeLabel` (KSM spelling,
 * e.g. label_node_role) equals `value` have `gpus` GPUs of `gpuModel`.
 */
export interface PhysicalGpuRule {
  nodeLabel: string;
  value: string;
  gpus: number;
  gpuModel?: string | undefined;
}

/** Policies and catalog facts metering needs besides the observations (plain data, built at the edge). */
export interface MeterOptions {
  day: Day;
  /** Charge periods (any days; those of `day` must partition it). */
  chargePeriods: ChargePeriod[];
  pendingOnNode: 'not-charged' | 'charged';
  maxBridgeSeconds: number;
  team: AttributionOptions;
  project: AttributionOptions;
  nodeLabels: {
    instanceType: string[];
    capacityType: string[];
    /**
     * Per capacity-type label (KSM spelling), what its values mean; wins over the built-in meanings
     * (see capacityTypeOf in nodeIdentity.ts). Absent = built-in only.
     */
    capacityTypeValues?: ReadonlyMap<string, ReadonlyMap<string, Exclude<CapacityType, 'unknown'>>>;
  };
  /** Physical GPUs of nodes outside the catalog without GFD labels (metering.physicalGpus); first match wins. */
  physicalGpus?: PhysicalGpuRule[];
  /** Compute slices per GPU model (metering.migSlicesPerGpu). */
  migSlicesPerGpu: ReadonlyMap<string, number>;
  /** GPUs and GPU model per instance type (the global catalog). */
  instanceTypes: ReadonlyMap<string, GpuCatalogEntry>;
  /**
   * Per cluster, the instance types its own catalog lists; an entry here wins over `instanceTypes`
   * for that cluster's nodes, as it does for their prices.
   */
  instanceTypesByCluster: ReadonlyMap<string, ReadonlyMap<string, GpuCatalogEntry>>;
  /** Meter only this shard of the day (src/core/metering/shards.ts); absent or count 1 = the whole day. */
  shard?: Shard;
}
