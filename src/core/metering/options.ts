import type { ChargePeriod, Day } from '../types.ts';

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

/** Policies and catalog facts metering needs besides the observations (plain data, built at the edge). */
export interface MeterOptions {
  day: Day;
  /** Charge periods (any days; those of `day` must partition it). */
  chargePeriods: ChargePeriod[];
  pendingOnNode: 'not-charged' | 'charged';
  maxBridgeSeconds: number;
  team: AttributionOptions;
  project: AttributionOptions;
  nodeLabels: { instanceType: string[]; capacityType: string[] };
  migSlicesPerGpu: Record<string, number>;
  /** GPUs and GPU model per instance type (the global catalog). */
  instanceTypes: Record<string, GpuCatalogEntry>;
  /**
   * Per cluster, the instance types its own catalog lists; an entry here wins over `instanceTypes`
   * for that cluster's nodes, as it does for their prices.
   */
  instanceTypesByCluster: Record<string, Record<string, GpuCatalogEntry>>;
}
