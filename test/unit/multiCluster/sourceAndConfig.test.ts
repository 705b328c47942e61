import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';
import { utilizationIdentity } from '../../../src/adapters/prometheus/utilization.ts';
import { describe, expect, it } from 'vitest';
import { observeSimulation, observeSimulations } from '../../../src/adapters/demo/demoSource.ts';
import {
  loadQueryTemplates,
  type PromSeries,
  presentInEveryCluster,
} from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ScrapeIntervals } from '../../../src/core/types.ts';
import { simulatePlatform } from '../../../src/sim/index.ts';

const P = SamplePoints.of;
const clusterOf = (m: Record<string, string>) => m.cluster ?? '';

describe('presentInEveryCluster', () => {
  it('keeps only the grid points at which every reporting cluster reported', () => {
    const series: PromSeries[] = [
      {
        metric: { cluster: 'a' },
        points: P([
          [1, 3],
          [2, 3],
          [3, 3],
        ]),
      },
      {
        metric: { cluster: 'b' },
        points: P([
          [1, 2],
          [3, 2],
        ]),
      },
    ];
    expect(presentInEveryCluster(series, clusterOf)).toEqual([1, 3]);
  });

  it('returns the points of the only series without a cluster label, and nothing for no series', () => {
    expect(presentInEveryCluster([{ metric: {}, points: P([[5, 1]]) }], clusterOf)).toEqual([5]);
    expect(presentInEveryCluster([], clusterOf)).toEqual([]);
  });
});

describe('identity and dedupe settings', () => {
  it('refuses a dedupe label that identifies what is billed, with its path', () => {
    expect(() =>
      parseConfig({ source: { url: 'http://prom.local', dedupeLabels: ['replica', 'pod'] } }),
    ).toThrow(/source\.dedupeLabels: must not contain pod: it identifies what is billed/);
  });

  it('reports a dedupe label that is the cluster label and identity dedupe labels in one error', () => {
    expect(() =>
      parseConfig({
        source: {
          url: 'http://prom.local',
          clusterLabel: 'k8s',
          dedupeLabels: ['k8s', 'UUID', 'exported_pod'],
        },
      }),
    ).toThrow(/2 problems.*contains source\.clusterLabel "k8s".*must not contain UUID, exported_pod/);
  });

  it('maps clusters to AWS accounts and regions', () => {
    const config = parseConfig({
      source: { url: 'http://prom.local', clusterLabel: 'cluster' },
      clusters: { 'prod-use1': { accountId: '123456789012', region: 'us-east-1' }, dev: {} },
    });
    expect(config.clusters['prod-use1']).toEqual({ accountId: '123456789012', region: 'us-east-1' });
    expect(config.clusters.dev).toEqual({});
  });

  it('reports bad account ids, regions, and a cluster map without a cluster label, all at once', () => {
    expect(() =>
      parseConfig({
        source: { url: 'http://prom.local' },
        clusters: { prod: { accountId: '12', region: 'US East' } },
      }),
    ).toThrow(
      /clusters\.prod\.accountId: must be a 12-digit AWS account id.*clusters\.prod\.region: must be an AWS region/,
    );
    expect(() => parseConfig({ source: { url: 'http://prom.local' }, clusters: { prod: {} } })).toThrow(
      /clusters\.prod: needs source\.clusterLabel/,
    );
  });

  it('refuses a cluster label that is also a dedupe label', () => {
    expect(() =>
      parseConfig({
        source: { url: 'http://prom.local', clusterLabel: 'replica', dedupeLabels: ['replica'] },
      }),
    ).toThrow(/source\.dedupeLabels: contains source\.clusterLabel "replica"/);
  });
});

describe('utilization queries', () => {
  it('read every raw series once, unaggregated; the adapter groups by cluster, GPU and pod, never max', () => {
    const templates = loadQueryTemplates(new URL('../../../queries/', import.meta.url).pathname);
    for (const name of ['utilization_prof', 'utilization_util'] as const) {
      const q = templates[name];
      expect(q).not.toMatch(/max by|sum by|sum_over_time|max_over_time/);
      expect(q.match(/avg_over_time/g)).toHaveLength(2);
      expect(q).toContain('exported_pod="", pod!=""');
    }
    // The exporter's own pod label is not part of the identity under honor_labels off.
    expect(
      utilizationIdentity(
        {
          k8s: 'east',
          prometheus_replica: 'a',
          UUID: 'g1',
          GPU_I_ID: '2',
          namespace: 'gpu-operator',
          pod: 'dcgm-exporter-x',
          exported_namespace: 'ml',
          exported_pod: 'train',
          Hostname: 'n1',
        },
        'k8s',
        ['prometheus_replica'],
      ),
    ).toEqual({
      k8s: 'east',
      prometheus_replica: 'a',
      UUID: 'g1',
      GPU_I_ID: '2',
      exported_namespace: 'ml',
      exported_pod: 'train',
    });
  });
});

describe('observeSimulations', () => {
  const scrape: ScrapeIntervals = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'detected' };
  const sims = simulatePlatform({
    month: '2026-03',
    zone: 'UTC',
    days: 1,
    clusters: [
      { cluster: 'a', seed: 1 },
      { cluster: 'b', seed: 2 },
    ],
  });
  const grid = {
    startMs: sims[0]!.range.startMs,
    endMs: sims[0]!.range.startMs + 6 * 3_600_000,
    stepMs: 60_000,
  };

  it('concatenates the clusters, each pod under its cluster', () => {
    const both = observeSimulations(sims, grid, scrape);
    const one = observeSimulation(sims[0]!, grid, scrape);
    const two = observeSimulation(sims[1]!, grid, scrape);
    expect(both.running).toEqual([...one.running, ...two.running]);
    expect(new Set(both.running.map((r) => r.pod.cluster))).toEqual(new Set(['a', 'b']));
    expect(both.nodeCapacity.length).toBe(one.nodeCapacity.length + two.nodeCapacity.length);
  });

  it('counts a grid point as covered only when every cluster reported there', () => {
    const [a, b] = sims;
    const gap = { startMs: grid.startMs + 3_600_000, endMs: grid.startMs + 2 * 3_600_000 };
    const bDown = { ...b!, outages: [gap] };
    const both = observeSimulations([a!, bDown], grid, scrape);
    const aOnly = observeSimulation(a!, grid, scrape);
    expect(both.ksmPresentTsMs.length).toBe(aOnly.ksmPresentTsMs.length - 60);
    expect(both.ksmPresentTsMs.some((t) => t > gap.startMs && t <= gap.endMs)).toBe(false);
  });
});
