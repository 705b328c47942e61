/**
 * A small, fully observed cluster for a whole billing month, fast enough to publish many times in a unit
 * test: a p4d.24xlarge (8 A100, On-Demand) and a g5.12xlarge (4 A10G, Spot), and every day three jobs of
 * three teams (ml 8 GPUs 08:00-20:00, search 2 GPUs 00:00-12:00, speech 2 GPUs 12:00-18:00 UTC). Also the
 * config that prices it and a source that lost some days (as Prometheus does when retention runs out).
 */
import type { ConfigInput } from '../../src/config/schema.ts';
import { billingPeriod, localDateOf } from '../../src/core/period.ts';
import type { ScrapeIntervals, StepGrid, WindowObservations } from '../../src/core/types.ts';
import type { ObservationSource } from '../../src/ports.ts';
import { PRESET_INSTANCE_TYPES, type SimPod, type Simulation, simulate } from '../../src/sim/index.ts';

const H = 3_600_000;

/** The small cluster over `month` in `zone` (samples over the whole month). */
export function smallClusterSimulation(month: string, zone = 'UTC'): Simulation {
  const period = billingPeriod(month, zone);
  const node = (name: string, instanceType: string, capacityType: 'spot' | 'on-demand', ip: string) => {
    const info = PRESET_INSTANCE_TYPES[instanceType]!;
    return {
      name,
      ip,
      instanceType,
      capacityType,
      labelStyle: 'karpenter' as const,
      gpuModel: info.gpuModel,
      modelName: info.modelName,
      gpus: info.gpus,
      profilingMetrics: info.profilingMetrics,
      dcgmLabels: 'direct' as const,
      lifetimes: [{ startMs: period.startMs - 48 * H, endMs: period.endMs + 48 * H }],
    };
  };
  const pods: SimPod[] = [];
  period.days.forEach((day, i) => {
    const job = (
      team: string,
      nodeName: string,
      units: number[],
      fromHour: number,
      toHour: number,
    ): SimPod => {
      const runningMs = day.startMs + fromHour * H;
      return {
        uid: `00000000-0000-4000-8000-${String(i).padStart(4, '0')}${team.padEnd(8, '0').slice(0, 8)}`,
        namespace: team,
        name: `${team}-job-${day.date}`,
        createdByKind: 'Job',
        createdByName: `${team}-job`,
        labels: {},
        node: nodeName,
        createdMs: runningMs - 120_000,
        scheduledMs: runningMs - 60_000,
        runningMs,
        endMs: day.startMs + toHour * H,
        endPhase: 'Succeeded',
        deletedMs: day.startMs + toHour * H + 120_000,
        containers: [
          { name: 'main', cpuCores: 8, gpuResource: 'nvidia_com_gpu', gpuCount: units.length, units },
        ],
        utilization: { mean: 0.6, jitter: 0.1 },
      };
    };
    pods.push(job('ml', 'p4d-a', [0, 1, 2, 3, 4, 5, 6, 7], 8, 20));
    pods.push(job('search', 'g5-b', [0, 1], 0, 12));
    pods.push(job('speech', 'g5-b', [2, 3], 12, 18));
  });
  return simulate({
    name: 'small',
    seed: 5,
    zone,
    range: { startMs: period.startMs - 24 * H, endMs: period.endMs + 24 * H },
    nodes: [
      node('p4d-a', 'p4d.24xlarge', 'on-demand', '10.0.1.1'),
      node('g5-b', 'g5.12xlarge', 'spot', '10.0.1.2'),
    ],
    namespaces: ['ml', 'search', 'speech'].map((name) => ({
      name,
      labels: { team: name, project: `${name}-main` },
    })),
    pods,
  });
}

/** The config that prices the small cluster (demo source; scrape intervals fixed). */
export function smallClusterConfig(extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    timezone: 'UTC',
    source: { kind: 'demo' },
    metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
    pricing: {
      catalogVersion: 'small-test',
      instanceTypes: {
        'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726 },
        'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.2688 },
      },
    },
    output: { location: 'unused' },
    ...extra,
  };
}

/**
 * `source` with the samples of some days gone (retention ran out, a wrong tenant): the same identity, but
 * every query over a day for which `lost(date)` holds answers nothing. Records the days it observed.
 */
export function losingSource(
  source: ObservationSource,
  zone: string,
  lost: (date: string) => boolean,
): ObservationSource & { observed: string[] } {
  const observed: string[] = [];
  return {
    kind: source.kind,
    description: source.description,
    observed,
    detectScrapeInterval: (exporter, range) => source.detectScrapeInterval(exporter, range),
    async observe(grid, scrape): Promise<WindowObservations> {
      // The day is the middle of the window (the window adds the same bridging margin on both sides).
      const date = localDateOf((grid.startMs + grid.endMs) / 2, zone);
      observed.push(date);
      return lost(date) ? emptyObservations(grid, scrape) : source.observe(grid, scrape);
    },
  };
}

/** What a source answers for a window without a single sample. */
export function emptyObservations(grid: StepGrid, scrape: ScrapeIntervals): WindowObservations {
  return {
    grid,
    running: [],
    pendingOnNode: [],
    requests: [],
    podNodes: [],
    podLabels: [],
    namespaceLabels: [],
    nodeLabels: [],
    nodeCapacity: [],
    nodePresence: [],
    initRequests: [],
    sidecars: [],
    draDevices: [],
    utilization: [],
    ksmPresentTsMs: [],
    dcgmPresentTsMs: [],
    scrape,
  };
}
