/**
 * A cluster for zones whose clocks change at midnight: one p4d.24xlarge (8 A100s) and one pod holding all
 * 8 GPUs for exactly `hours` real hours from `runningMs`, with the exporters' default scrape schedule
 * (kube-state-metrics 60 s, dcgm-exporter 30 s). Its days must bill exactly 8 × hours GPU-hours whatever
 * the zone does at midnight.
 */
import type { ConfigInput } from '../../src/config/schema.ts';
import { PRESET_INSTANCE_TYPES, type Simulation, simulate } from '../../src/sim/index.ts';

export const DST_POD_GPUS = 8;
const H = 3_600_000;

/** One 8-GPU pod Running for `hours` real hours from `runningMs` (a whole minute), samples over `range`. */
export function dstMidnightSimulation(
  zone: string,
  runningMs: number,
  hours: number,
  range: { startMs: number; endMs: number },
): Simulation {
  const p4d = PRESET_INSTANCE_TYPES['p4d.24xlarge']!;
  return simulate({
    name: 'dst-midnight',
    seed: 1,
    zone,
    range,
    nodes: [
      {
        name: 'p4d-dst',
        ip: '10.0.0.8',
        instanceType: 'p4d.24xlarge',
        capacityType: 'on-demand',
        labelStyle: 'karpenter',
        gpuModel: p4d.gpuModel,
        modelName: p4d.modelName,
        gpus: p4d.gpus,
        profilingMetrics: p4d.profilingMetrics,
        dcgmLabels: 'direct',
        lifetimes: [{ startMs: range.startMs - 24 * H, endMs: range.endMs + 24 * H }],
      },
    ],
    namespaces: [{ name: 'ml', labels: { team: 'ml', project: 'train' } }],
    pods: [
      {
        uid: '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f',
        namespace: 'ml',
        name: 'trainer-0',
        createdByKind: 'Job',
        createdByName: 'trainer',
        labels: {},
        node: 'p4d-dst',
        createdMs: runningMs - 10 * 60_000,
        scheduledMs: runningMs - 5 * 60_000,
        runningMs,
        endMs: runningMs + hours * H,
        endPhase: 'Succeeded',
        deletedMs: runningMs + hours * H + 10 * 60_000,
        containers: [
          {
            name: 'trainer',
            cpuCores: 32,
            gpuResource: 'nvidia_com_gpu',
            gpuCount: DST_POD_GPUS,
            units: [0, 1, 2, 3, 4, 5, 6, 7],
          },
        ],
        utilization: { mean: 0.8, jitter: 0.05 },
      },
    ],
  });
}

/** The price catalog of the scenario (p4d.24xlarge On-Demand, us-east-1 list price before the 2025 cut). */
export const DST_PRICING: ConfigInput['pricing'] = {
  catalogVersion: 'dst-test',
  instanceTypes: {
    'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726 },
  },
};
