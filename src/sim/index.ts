/**
 * The cluster simulator: a seeded, deterministic month of a Kubernetes GPU cluster, written as the
 * kube-state-metrics and dcgm-exporter series Prometheus would hold, with the exact ground truth.
 */
export type { DeviceHolder, DevicePlan } from './dcgm.ts';
export {
  migResourceName,
  nodeCapacity,
  nodeCapacityGpuEquivalents,
  sharingOf,
  unpartitionedMigGpus,
} from './gpu.ts';
export type {
  GroundTruth,
  GroundTruthNode,
  GroundTruthNodeDay,
  GroundTruthOptions,
  GroundTruthPod,
  GroundTruthTotals,
  SampleMean,
} from './groundTruth.ts';
export { effectiveRequests, groundTruth } from './groundTruth.ts';
export type {
  ExplicitSimulateOptions,
  PresetOptions,
  SeriesLabelChange,
  SeriesShape,
  SimContainer,
  SimDevice,
  SimNamespace,
  SimNode,
  SimNodeSpec,
  SimPod,
  SimScrape,
  SimUnit,
  SimulateOptions,
  Simulation,
} from './model.ts';
export { DEFAULT_SCRAPE } from './model.ts';
export {
  escapeLabelValue,
  OPENMETRICS_VERSION,
  openMetricsFileRanges,
  writeOpenMetrics,
} from './openMetrics.ts';
export {
  buildPlatformCluster,
  type PlatformClusterOptions,
  type PlatformOptions,
  simulatePlatform,
} from './platformScenario.ts';
export { buildDemoScenario, buildEdgeCaseScenario, PRESET_INSTANCE_TYPES, presetRange } from './scenarios.ts';
export { buildRealShapesScenario, REAL_SHAPES_PRICING } from './realShapes.ts';
export { buildScaleScenario, type ScaleScenarioOptions } from './scalePreset.ts';
export { buildSeries, FAMILIES, gfdLabelPairs, nodeLabelPairs, type SeriesDef } from './series.ts';
export {
  applySeriesShape,
  DRIVER_VERSIONS,
  dcgmExporterPodName,
  KSM_INSTANCE,
  ksmInstance,
  ksmPodName,
} from './seriesShape.ts';
export { podByUid, simulate, validateSimulation } from './simulate.ts';
export { dcgmSchedule, ksmSchedule, podSegments, sampleTimes } from './timeline.ts';

/** Names of the scenario presets. */
export const SIMULATION_PRESETS = ['demo', 'edge-cases', 'real-shapes'] as const;
export type SimulationPreset = (typeof SIMULATION_PRESETS)[number];
