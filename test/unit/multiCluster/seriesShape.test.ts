import { describe, expect, it } from 'vitest';
import {
  buildSeries,
  DRIVER_VERSIONS,
  dcgmExporterPodName,
  KSM_INSTANCE,
  ksmInstance,
  type SeriesDef,
  type SeriesShape,
  type Simulation,
  sampleTimes,
  simulatePlatform,
} from '../../../src/sim/index.ts';

const H = 3_600_000;
const base = { month: '2026-03', zone: 'UTC', days: 1 } as const;
const start = Date.UTC(2026, 2, 1);

function platform(shape?: SeriesShape): Simulation {
  return simulatePlatform({
    ...base,
    clusters: [{ cluster: 'prod-use1', seed: 3, ...(shape ? { shape } : {}) }],
  })[0]!;
}

const labelsOf = (s: SeriesDef) => Object.fromEntries(s.labels);
const samples = (sim: Simulation, list: SeriesDef[]) =>
  list.reduce(
    (n, s) =>
      n + s.segments.reduce((m, seg) => m + sampleTimes(sim, s.schedule, seg.startMs, seg.endMs).length, 0),
    0,
  );

describe('series shapes of real deployments', () => {
  it('adds the kube-state-metrics target labels only where the series lacks them (honor_labels: true)', () => {
    const sim = platform({ targetLabels: true });
    const series = buildSeries(sim);
    const capacity = labelsOf(series.find((s) => s.family === 'kube_node_status_capacity')!);
    expect(capacity).toMatchObject({
      job: 'kube-state-metrics',
      instance: KSM_INSTANCE,
      namespace: 'monitoring',
      container: 'kube-state-metrics',
      endpoint: 'http',
      service: 'kube-prometheus-stack-kube-state-metrics',
      cluster: 'prod-use1',
    });
    expect(capacity.pod).toMatch(/^kube-prometheus-stack-kube-state-metrics-/);
    const request = series.find((s) => s.family === 'kube_pod_container_resource_requests')!;
    const pod = sim.pods.find((p) => p.uid === labelsOf(request).uid)!;
    expect(labelsOf(request)).toMatchObject({ namespace: pod.namespace, pod: pod.name, container: 'main' });
  });

  it('labels dcgm-exporter series as its documented exposition does', () => {
    const sim = platform({ targetLabels: true });
    const t4 = sim.nodes.find((n) => n.dcgmLabels === 'exported')!;
    const a10g = sim.nodes.find((n) => n.instanceType === 'g5.12xlarge')!;
    const series = buildSeries(sim).filter((s) => s.family === 'DCGM_FI_DEV_GPU_UTIL');
    const exported = labelsOf(series.find((s) => s.node === t4.name && labelsOf(s).exported_pod)!);
    expect(exported).toMatchObject({
      gpu: '0',
      device: 'nvidia0',
      modelName: 'Tesla T4',
      DCGM_FI_DRIVER_VERSION: DRIVER_VERSIONS[0],
      Hostname: dcgmExporterPodName(t4),
      pod: dcgmExporterPodName(t4),
      namespace: 'gpu-operator',
      container: 'nvidia-dcgm-exporter',
      job: 'dcgm-exporter',
      instance: `${t4.ip}:9400`,
    });
    expect(exported.UUID).toMatch(/^GPU-/);
    expect(exported.pci_bus_id).toMatch(/^00000000:/);
    // honor_labels: true and an idle GPU: the exporter's own pod labels fill the gap.
    const idle = labelsOf(
      series.find((s) => s.node === a10g.name && labelsOf(s).namespace === 'gpu-operator')!,
    );
    expect(idle.pod).toBe(dcgmExporterPodName(a10g));
  });

  it('splits a series at a label change without losing or adding a sample', () => {
    const changes: SeriesShape['changes'] = [
      { atMs: start + 5 * H + 1234, kind: 'ksm-rescheduled' },
      { atMs: start + 7 * H + 17, kind: 'driver-upgraded' },
      { atMs: start + 9 * H + 5, kind: 'dcgm-exporter-restarted' },
    ];
    const clean = platform();
    const changed = platform({ changes, targetLabels: true });
    expect(samples(changed, buildSeries(changed))).toBe(samples(clean, buildSeries(clean)));
    const instances = new Set(
      buildSeries(changed)
        .filter((s) => s.family === 'kube_node_labels')
        .map((s) => labelsOf(s).instance),
    );
    expect(instances).toEqual(new Set([KSM_INSTANCE, ksmInstance(0, 1)]));
    const drivers = new Set(buildSeries(changed).map((s) => labelsOf(s).DCGM_FI_DRIVER_VERSION));
    expect(drivers).toEqual(new Set([undefined, DRIVER_VERSIONS[0], DRIVER_VERSIONS[1]]));
    const t4 = changed.nodes.find((n) => n.dcgmLabels === 'exported')!;
    const hosts = new Set(
      buildSeries(changed)
        .filter((s) => s.node === t4.name)
        .map((s) => labelsOf(s).Hostname),
    );
    expect(hosts).toEqual(new Set([dcgmExporterPodName(t4), dcgmExporterPodName(t4, 1)]));
  });

  it('duplicates every series per KSM replica and per HA replica, offsetting their scrapes', () => {
    const clean = platform();
    const dup = platform({
      ksmReplicas: { count: 2, offsetMs: 29_000 },
      haReplicas: { label: 'prometheus_replica', values: ['a', 'b'], offsetMs: 13_000 },
    });
    const count = (sim: Simulation, exporter: SeriesDef['exporter']) =>
      buildSeries(sim).filter((s) => s.exporter === exporter).length;
    expect(count(dup, 'kube-state-metrics')).toBe(4 * count(clean, 'kube-state-metrics'));
    expect(count(dup, 'dcgm-exporter')).toBe(2 * count(clean, 'dcgm-exporter'));
    const offsets = new Set(
      buildSeries(dup)
        .filter((s) => s.exporter === 'kube-state-metrics')
        .map((s) => s.schedule.offsetMs - clean.scrape.ksmOffsetMs),
    );
    expect(offsets).toEqual(new Set([0, 13_000, 29_000, 42_000]));
  });

  it('leaves a simulation without a shape exactly as before', () => {
    const clean = platform();
    expect(buildSeries(clean).every((s) => !labelsOf(s).DCGM_FI_DRIVER_VERSION)).toBe(true);
    expect(new Set(buildSeries(clean).map((s) => labelsOf(s).instance)).has(KSM_INSTANCE)).toBe(true);
  });
});

describe('simulatePlatform', () => {
  it('gives clusters built from one seed the same names and uids, each under its own cluster label', () => {
    const [a, b] = simulatePlatform({
      ...base,
      clusters: [
        { cluster: 'a', seed: 1 },
        { cluster: 'b', seed: 1 },
      ],
    });
    expect(a!.pods.map((p) => [p.namespace, p.name, p.uid])).toEqual(
      b!.pods.map((p) => [p.namespace, p.name, p.uid]),
    );
    expect(a!.nodes.map((n) => n.name)).toEqual(b!.nodes.map((n) => n.name));
    expect(new Set(buildSeries(b!).map((s) => labelsOf(s).cluster))).toEqual(new Set(['b']));
  });

  it('refuses two clusters that would write the same series', () => {
    expect(() =>
      simulatePlatform({
        ...base,
        clusters: [
          { cluster: 'a', seed: 1 },
          { cluster: 'a', seed: 2 },
        ],
      }),
    ).toThrow(/differ in cluster name/);
  });

  it('puts a pod start 5 s before and a pod end 10 s after every boundary instant', () => {
    const at = start + 6 * H + 321;
    const [sim] = simulatePlatform({ ...base, boundaryInstants: [at], clusters: [{ seed: 1 }] });
    const byName = (name: string) => sim!.pods.find((p) => p.name === name)!;
    expect(byName('boundary-end-0').endMs).toBe(at + 10_000);
    expect(byName('boundary-start-0').runningMs).toBe(at - 5_000);
  });
});
