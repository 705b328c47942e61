/** Metering: observations of a day's window -> GPU-seconds per pod and node per charge period. */
export { detectScrapeIntervalSeconds, gridForDay, stepSecondsFor } from './grid.ts';
export {
  type AttributionOptions,
  bridge,
  type MeterOptions,
  meterWindow,
  toCapacityType,
} from './meterWindow.ts';
export {
  fraction,
  gpuWeight,
  inferMigSlicesPerGpu,
  isWholeGpuResource,
  migSlicesFor,
  parseMigResource,
} from './weights.ts';
