import type { Config } from '../config/schema.ts';
import { compareStrings } from '../core/compare.ts';
import type { GpuCatalogEntry, MeterOptions } from '../core/metering/index.ts';
import { chargePeriods } from '../core/period.ts';
import { mapOf } from '../core/records.ts';
import type { Day, ScrapeIntervals, TimeRange } from '../core/types.ts';
import { ConfigError } from '../errors.ts';
import type { Exporter, ObservationSource } from '../ports.ts';

/**
 * The scrape intervals metering uses around `range` (a day): per exporter, the configured one
 * (metering.scrapeIntervalSeconds.kubeStateMetrics / .dcgm) wins, else the one the source detects from
 * raw samples. The one place that decides; sources only detect, and only what is not configured.
 * `dcgmSeconds` is null when dcgm-exporter is neither configured nor found (no utilization). Throws a
 * ConfigError when the kube-state-metrics interval is neither configured nor detectable: the grid
 * cannot be laid out.
 */
export async function scrapeIntervalsFor(
  ctx: { config: Pick<Config, 'metering'>; source: Pick<ObservationSource, 'detectScrapeInterval'> },
  range: TimeRange,
): Promise<ScrapeIntervals> {
  const configured = ctx.config.metering.scrapeIntervalSeconds;
  const detect = (exporter: Exporter) => ctx.source.detectScrapeInterval(exporter, range);
  const ksm = configured.kubeStateMetrics ?? (await detect('kubeStateMetrics'));
  if (ksm === null) {
    const path = 'metering.scrapeIntervalSeconds.kubeStateMetrics';
    const around = new Date(range.startMs).toISOString();
    throw new ConfigError(
      `no kube-state-metrics samples (kube_node_status_capacity) found around ${around} to detect the ` +
        `scrape interval; check source.url/source.selector or set ${path}`,
      [{ path, message: 'required: the interval cannot be detected from the data' }],
    );
  }
  const dcgm = configured.dcgm ?? (await detect('dcgm'));
  return {
    kubeStateMetricsSeconds: ksm,
    dcgmSeconds: dcgm,
    source: configured.kubeStateMetrics !== undefined ? 'config' : 'detected',
  };
}

/**
 * The metering options of `day` under `config` (plain core data: the core never sees the zod
 * Config); `cutsMs` are the price-change instants that split it. The catalog carries every cluster's
 * own instance types, so a node's MIG and time-slicing weights come from the same entry as its price.
 * Every table keyed by a label value (instance type, cluster, GPU model, capacity-type label value)
 * becomes a Map, so a value such as "constructor" is looked up as a name, never as an inherited member.
 */
export function meterOptionsFor(config: Config, day: Day, cutsMs: readonly number[] = []): MeterOptions {
  return {
    day,
    chargePeriods: chargePeriods([day], cutsMs),
    pendingOnNode: config.metering.pendingOnNode,
    maxBridgeSeconds: config.metering.maxBridgeSeconds,
    idleHeld: {
      utilizationBelow: config.metering.idleHeld.utilizationBelowPct / 100,
      forMs: config.metering.idleHeld.forMinutes * 60_000,
    },
    team: config.metering.team,
    project: config.metering.project,
    nodeLabels: {
      instanceType: config.metering.nodeLabels.instanceType,
      capacityType: config.metering.nodeLabels.capacityType,
      capacityTypeValues: new Map(
        Object.entries(config.metering.nodeLabels.capacityTypeValues).map(([label, values]) => [
          label,
          mapOf(values),
        ]),
      ),
    },
    physicalGpus: config.metering.physicalGpus,
    migSlicesPerGpu: mapOf(config.metering.migSlicesPerGpu),
    instanceTypes: gpusOf(config.pricing.instanceTypes),
    instanceTypesByCluster: new Map(
      Object.entries(config.pricing.byCluster).map(([cluster, c]) => [cluster, gpusOf(c.instanceTypes)]),
    ),
  };
}

/**
 * The per-cluster catalog facts metering depends on, for the metering key: absent when no cluster
 * has its own catalog, so the keys of partials metered without one do not change.
 */
export function clusterGpusKey(config: Config): {
  gpusByCluster?: Record<string, Record<string, [number, string]>>;
} {
  const clusters = Object.entries(config.pricing.byCluster).sort(([a], [b]) => compareStrings(a, b));
  if (clusters.length === 0) return {};
  return {
    gpusByCluster: Object.fromEntries(
      clusters.map(([cluster, c]) => [
        cluster,
        Object.fromEntries(
          Object.entries(c.instanceTypes)
            .sort(([a], [b]) => compareStrings(a, b))
            .map(([k, v]) => [k, [v.gpus, v.gpuModel]]),
        ),
      ]),
    ),
  };
}

function gpusOf(instanceTypes: Record<string, GpuCatalogEntry>): Map<string, GpuCatalogEntry> {
  return new Map(
    Object.entries(instanceTypes).map(([name, { gpus, gpuModel }]) => [name, { gpus, gpuModel }]),
  );
}
