import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { createMemoryLogger } from '../../src/adapters/log/logger.ts';
import type { AppContext } from '../../src/app/context.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { PodRef, ScrapeIntervals, StepGrid, WindowObservations } from '../../src/core/types.ts';
import type { ObservationSource } from '../../src/ports.ts';

/**
 * A tiny cluster as plain observations, for month runs that need exact label values, uids or requests
 * (hostile labels, copied uids, absurd requests): every node exists all month and advertises its GPUs;
 * each pod runs on its node from `fromHour` for `hours` hours of one local day (UTC).
 */
export interface FakeNode {
  node: string;
  instanceType: string;
  gpus: number;
}

export interface FakePod {
  namespace: string;
  pod: string;
  uid: string;
  node: string;
  team: string;
  /** GPUs requested (kube_pod_container_resource_requests, nvidia_com_gpu): one container, or one per entry. */
  gpus: number | number[];
  /** The day of the month it runs (1-based). */
  day: number;
  fromHour: number;
  hours: number;
}

/** An ObservationSource over fake nodes and pods; kube-state-metrics scraped every `stepSeconds`. */
export function fakeClusterSource(nodes: FakeNode[], pods: FakePod[], stepSeconds = 300): ObservationSource {
  return {
    kind: 'prometheus',
    description: 'fake cluster',
    detectScrapeInterval: async (exporter) => (exporter === 'kubeStateMetrics' ? stepSeconds : null),
    async observe(grid: StepGrid, scrape: ScrapeIntervals): Promise<WindowObservations> {
      const points: number[] = [];
      for (let t = grid.startMs + grid.stepMs; t <= grid.endMs; t += grid.stepMs) points.push(t);
      const runningPoints = (p: FakePod) => {
        const dayStart = Date.UTC(2026, 9, p.day);
        const from = dayStart + p.fromHour * 3_600_000;
        const to = from + p.hours * 3_600_000;
        return points.filter((t) => t - grid.stepMs >= from && t <= to);
      };
      const ref = (p: FakePod): PodRef => ({ cluster: '', namespace: p.namespace, pod: p.pod, uid: p.uid });
      const active = pods.filter((p) => runningPoints(p).length > 0);
      return {
        grid,
        running: active.map((p) => ({ pod: ref(p), tsMs: runningPoints(p) })),
        pendingOnNode: [],
        requests: active.flatMap((p) =>
          (Array.isArray(p.gpus) ? p.gpus : [p.gpus]).map((value, i) => ({
            pod: ref(p),
            container: `c${i}`,
            resource: 'nvidia_com_gpu',
            value,
          })),
        ),
        podNodes: active.map((p) => ({ pod: ref(p), node: p.node })),
        podLabels: active.map((p) => ({ pod: ref(p), labels: { label_team: p.team } })),
        namespaceLabels: [],
        nodeLabels: nodes.map((n) => ({
          cluster: '',
          node: n.node,
          labels: {
            label_node_kubernetes_io_instance_type: n.instanceType,
            label_karpenter_sh_capacity_type: 'on-demand',
          },
        })),
        nodeCapacity: nodes.map((n) => ({
          cluster: '',
          node: n.node,
          resource: 'nvidia_com_gpu',
          points: points.map((t) => [t, n.gpus] as [number, number]),
        })),
        nodePresence: nodes.map((n) => ({ cluster: '', node: n.node, tsMs: points })),
        initRequests: [],
        sidecars: [],
        draDevices: [],
        utilization: [],
        ksmPresentTsMs: points,
        dcgmPresentTsMs: [],
        scrape,
      };
    },
  };
}

/** A month-run context over a fake cluster, publishing to a fresh directory (removed by `cleanup`). */
export async function fakeClusterContext(
  source: ObservationSource,
  config: ConfigInput = {},
): Promise<{
  ctx: AppContext;
  logger: ReturnType<typeof createMemoryLogger>;
  dir: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-cluster-'));
  const logger = createMemoryLogger();
  const ctx: AppContext = {
    config: parseConfig({
      timezone: 'UTC',
      source: { url: 'http://fake.test:9090' },
      pricing: { instanceTypes: { 'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32 } } },
      output: { location: dir },
      ...config,
    }),
    source,
    store: createFsStore(dir),
    metrics: { publish: async () => {} },
    logger,
    clock: { nowMs: () => Date.parse('2026-11-05T00:00:00Z') },
  };
  return { ctx, logger, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
