/** Metering: observations of a day's window -> GPU-seconds per pod and node per charge period. */
export { type Attributed, type Attributor, attribute, attributorOf, firstLabel } from './attribution.ts';
export { coverageOf } from './coverage.ts';
export { detectScrapeIntervalSeconds, gridForDay, stepSecondsFor } from './grid.ts';
export { BRIDGED, bridge, heldAt, heldInDay, heldSpan, NONE, OBSERVED } from './held.ts';
export {
  addHourlyUnits,
  hourlyAllocatedGpus,
  hourlyAllocatedUnits,
  hourlyFromUnits,
  type HourlyUnits,
} from './hourlyProfile.ts';
export { meterGpuQuotas } from './gpuQuotas.ts';
export { type PodName, podsReadingGpuUtil } from './gpuUtilDemand.ts';
export { DEFAULT_IDLE_HELD, idleHeldMsByPeriod, type IdleHeldRule } from './idleHeld.ts';
export { indexNodes, indexPods, type NodeIndex, type PodState } from './indexObservations.ts';
export { meterWindow } from './meterWindow.ts';
export { METERING_RULES_VERSION } from './rules.ts';
export { meterNodeCapacity, type NodeCapacity, weighResource } from './nodeCapacity.ts';
export {
  GFD_LABELS,
  type GfdFacts,
  gfdFactsOf,
  type GpuCountSource,
  isMigSingle,
  type KnownGpus,
  knownGpusOf,
  parseGpuProduct,
} from './nodeGpus.ts';
export {
  capacityTypeOf,
  catalogEntryOf,
  identifyNode,
  type NodeIdentity,
  toCapacityType,
} from './nodeIdentity.ts';
export { allocateToNodes, capacityByPeriod, meterNodeUsage, type NodeAllocation } from './nodeUsage.ts';
export { type NodeGpus, physicalGpusOf, weighNode } from './nodeWeights.ts';
export type { AttributionOptions, GpuCatalogEntry, MeterOptions, PhysicalGpuRule } from './options.ts';
export { effectiveRequests, type EffectiveRequest } from './podRequests.ts';
export { chargedIntervals, type Allocation, meterPods, type PodMeteringContext } from './podUsage.ts';
export { chooseUtilizationSource, indexUtilization, type PodUtilization } from './podUtilization.ts';
export {
  DRA_GPU,
  fraction,
  inferMigSlicesPerGpu,
  isDraResource,
  isNvidiaResource,
  isWholeGpuResource,
  type MigResource,
  migSlicesFor,
  type NodeWeights,
  parseMigResource,
  resourceWeight,
} from './weights.ts';
export {
  assertShard,
  compareNodeRows,
  comparePodRows,
  describeShard,
  type FleetSize,
  MAX_SHARDS,
  METERING_BASE_MB,
  METERING_MB_PER_GPU_UNIT,
  meteringCapacityMb,
  planShardCount,
  shardDataMb,
  type ShardingOptions,
  mergeShardDays,
  meteredNodeOfPods,
  restrictDay,
  restrictObservations,
  shardOfNode,
  shardSetProblem,
  WHOLE_DAY,
} from './shards.ts';
export { periodsOfDay, type WindowGrid, windowGridOf } from './window.ts';
