import { describe, expect, it } from 'vitest';
import {
  observationsOf,
  type PromSeries,
  seriesIdentityOf,
  type WindowAnswers,
} from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { ExporterVersionError } from '../../../src/errors.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

const P = SamplePoints.of;

const T0 = 1_772_982_000_000;
const grid = { startMs: T0, endMs: T0 + 3 * 60_000, stepMs: 60_000 };
const scrape = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' as const };
const at = (...ks: number[]) => P(ks.map((k): [number, number] => [T0 + k * 60_000, 1]));
const { metering } = parseConfig({});

function answers(partial: Partial<WindowAnswers>): WindowAnswers {
  const empty: PromSeries[] = [];
  return {
    running: empty,
    pendingOnNode: empty,
    nodeCapacity: empty,
    nodePresence: empty,
    ksmPresence: empty,
    utilizationProf: empty,
    utilizationUtil: empty,
    podRequests: empty,
    podInitRequests: empty,
    podSidecars: empty,
    draDevices: empty,
    podNodes: empty,
    podLabels: empty,
    namespaceLabels: empty,
    nodeLabels: empty,
    nodeInfo: empty,
    gpuQuotas: empty,
    ...partial,
  };
}

describe('observationsOf', () => {
  const identity = seriesIdentityOf({ clusterLabel: 'k8s', dedupeLabels: ['replica'] });

  it('reads GPU quotas per cluster, namespace, quota object and resource, hard and used apart', () => {
    const quota = (resource: string, type: string, points: [number, number][]) => ({
      metric: { k8s: 'east', namespace: 'ml', resourcequota: 'gpu-quota', resource, type },
      points: P(points),
    });
    const obs = observationsOf({
      grid,
      scrape,
      answers: answers({
        gpuQuotas: [
          quota('requests.nvidia.com/gpu', 'used', [
            [T0 + 120_000, 3],
            [T0 + 60_000, 2],
          ]),
          quota('requests.nvidia.com/gpu', 'hard', [[T0 + 60_000, 8]]),
          quota('requests.nvidia.com/mig-1g.5gb', 'hard', [[T0 + 60_000, 4]]),
          quota('requests.nvidia.com/gpu', 'other', [[T0 + 60_000, 1]]),
        ],
      }),
      utilization: { prof: [], util: [] },
      identity,
      labels: metering,
    });
    expect(obs.gpuQuotas).toEqual([
      {
        cluster: 'east',
        namespace: 'ml',
        quota: 'gpu-quota',
        resource: 'requests.nvidia.com/gpu',
        hard: [[T0 + 60_000, 8]],
        used: [
          [T0 + 60_000, 2],
          [T0 + 120_000, 3],
        ],
      },
      {
        cluster: 'east',
        namespace: 'ml',
        quota: 'gpu-quota',
        resource: 'requests.nvidia.com/mig-1g.5gb',
        hard: [[T0 + 60_000, 4]],
        used: [],
      },
    ]);
  });
  const pod = (name: string, uid: string) => ({ k8s: 'east', namespace: 'ml', pod: name, uid });
  const request = (name: string, uid: string) => ({
    metric: { ...pod(name, uid), container: 'c', resource: 'nvidia_com_gpu' },
    points: at(3),
  });
  const ref = { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u1' };
  const observe = (partial: Partial<WindowAnswers>) =>
    observationsOf({
      grid,
      scrape,
      identity,
      labels: metering,
      utilization: { prof: [], util: [] },
      answers: answers(partial),
    });

  it('keys pods, nodes and namespaces by the cluster label and keeps only the configured labels', () => {
    const obs = observe({
      running: [{ metric: pod('p', 'u1'), points: at(1, 2) }],
      podRequests: [request('p', 'u1')],
      namespaceLabels: [
        { metric: { k8s: 'east', namespace: 'ml', label_team: 'vision', label_other: 'x' }, points: at(3) },
      ],
      nodeLabels: [
        {
          metric: {
            k8s: 'east',
            node: 'n1',
            label_node_kubernetes_io_instance_type: 'g5.xlarge',
            job: 'ksm',
          },
          points: at(3),
        },
      ],
    });
    expect(obs.running).toEqual([{ pod: ref, tsMs: [T0 + 60_000, T0 + 120_000] }]);
    expect(obs.requests).toEqual([{ pod: ref, container: 'c', resource: 'nvidia_com_gpu', value: 1 }]);
    expect(obs.namespaceLabels).toEqual([
      { cluster: 'east', namespace: 'ml', labels: { label_team: 'vision' } },
    ]);
    expect(obs.nodeLabels).toEqual([
      { cluster: 'east', node: 'n1', labels: { label_node_kubernetes_io_instance_type: 'g5.xlarge' } },
    ]);
    expect([obs.grid, obs.scrape]).toEqual([grid, scrape]);
  });

  it('keeps the node bindings and labels of pods that request a GPU only, each binding once', () => {
    const obs = observe({
      podRequests: [request('gpu', 'u1')],
      podNodes: [
        { metric: { ...pod('gpu', 'u1'), node: 'n1', replica: 'a' }, points: at(3) },
        { metric: { ...pod('gpu', 'u1'), node: 'n1', replica: 'b' }, points: at(3) },
        { metric: { ...pod('cpu', 'u2'), node: 'n1' }, points: at(3) },
      ],
      podLabels: [
        { metric: { ...pod('gpu', 'u1'), label_team: 'vision' }, points: at(3) },
        { metric: { ...pod('cpu', 'u2'), label_team: 'web' }, points: at(3) },
      ],
    });
    expect(obs.podNodes.map((p) => [p.pod.uid, p.node])).toEqual([['u1', 'n1']]);
    expect(obs.podLabels.map((p) => [p.pod.uid, p.labels])).toEqual([['u1', { label_team: 'vision' }]]);
  });

  it('reads node presence per step from one replica, and init container requests and sidecars of GPU pods', () => {
    const obs = observe({
      nodePresence: [
        { metric: { k8s: 'east', node: 'n1', instance: 'ksm-a' }, points: at(1, 2) },
        { metric: { k8s: 'east', node: 'n1', instance: 'ksm-b' }, points: at(2, 3) },
      ],
      podInitRequests: [
        { metric: { ...pod('p', 'u1'), container: 'side', resource: 'nvidia_com_gpu' }, points: at(3) },
      ],
      podSidecars: [{ metric: { ...pod('p', 'u1'), container: 'side' }, points: at(3) }],
      podNodes: [{ metric: { ...pod('p', 'u1'), node: 'n1' }, points: at(3) }],
    });
    expect(obs.nodePresence).toEqual([
      { cluster: 'east', node: 'n1', tsMs: [T0 + 60_000, T0 + 120_000, T0 + 180_000] },
    ]);
    expect(obs.initRequests).toEqual([{ pod: ref, container: 'side', resource: 'nvidia_com_gpu', value: 1 }]);
    expect(obs.sidecars).toEqual([{ pod: ref, container: 'side' }]);
    expect(obs.podNodes.map((p) => p.node)).toEqual(['n1']);
  });

  it('keeps every GPU feature discovery label of a node and merges its series, the largest GPU count winning', () => {
    const labels = (count: string, extra: Record<string, string>) => ({
      metric: { k8s: 'east', node: 'n1', label_nvidia_com_gpu_count: count, label_os: 'linux', ...extra },
      points: at(3),
    });
    const obs = observe({
      nodeLabels: [
        labels('8', { label_nvidia_com_mig_1g_5gb_replicas: '2', instance: 'a' }),
        labels('7', { label_cloud_google_com_gke_spot: 'true', instance: 'b' }),
      ],
    });
    expect(obs.nodeLabels).toEqual([
      {
        cluster: 'east',
        node: 'n1',
        labels: {
          label_cloud_google_com_gke_spot: 'true',
          label_nvidia_com_gpu_count: '8',
          label_nvidia_com_mig_1g_5gb_replicas: '2',
        },
      },
    ]);
  });

  it('reads the GPUs dcgm-exporter attributes to pods through DRA claims, and keeps those pods Running', () => {
    const dra = (labels: Record<string, string>) => ({
      metric: { k8s: 'east', UUID: 'GPU-9', dra_claim_name: 'p-main-gpu', ...labels },
      points: at(3),
    });
    const obs = observe({
      draDevices: [
        dra({ exported_namespace: 'ml', exported_pod: 'p' }),
        dra({ namespace: 'ml', pod: 'p', GPU_I_ID: '2', GPU_I_PROFILE: '1g.5gb' }),
      ],
      running: [
        { metric: pod('p', 'u1'), points: at(1) },
        { metric: pod('web', 'u2'), points: at(1) },
      ],
    });
    expect(obs.draDevices).toEqual([
      { cluster: 'east', namespace: 'ml', pod: 'p', claim: 'p-main-gpu', device: 'GPU-9' },
      {
        cluster: 'east',
        namespace: 'ml',
        pod: 'p',
        claim: 'p-main-gpu',
        device: 'GPU-9/2',
        migProfile: '1g.5gb',
      },
    ]);
    expect(obs.running.map((r) => r.pod.pod)).toEqual(['p']);
  });

  describe('edge cases', () => {
    it('refuses pod series without uid (kube-state-metrics older than 2.1) with a clear error', () => {
      const old = {
        metric: { k8s: 'east', namespace: 'ml', pod: 'p', container: 'c', resource: 'nvidia_com_gpu' },
        points: at(3),
      };
      expect(() => observe({ podRequests: [old] })).toThrow(ExporterVersionError);
      expect(() => observe({ podRequests: [old] })).toThrow(/kube-state-metrics is older than 2\.1/);
    });

    it('counts dcgm-exporter as present where any utilization row (means or presence) has a point', () => {
      const obs = observe({
        utilizationProf: [{ metric: { k8s: 'east', UUID: 'g1', pod: 'p', namespace: 'ml' }, points: at(1) }],
        utilizationUtil: [{ metric: { k8s: 'east', gpu_chargeback_presence: '1' }, points: at(3) }],
      });
      expect(obs.dcgmPresentTsMs).toEqual([T0 + 60_000, T0 + 180_000]);
      expect(obs.utilization).toEqual([]);
    });
  });
});

describe('seriesIdentityOf', () => {
  it('reads the cluster, the replicas and the pod off series labels', () => {
    const identity = seriesIdentityOf({ clusterLabel: 'k8s', dedupeLabels: ['prometheus_replica'] });
    const metric = {
      k8s: 'east',
      prometheus_replica: 'p1',
      instance: 'ksm:8080',
      namespace: 'ml',
      pod: 'p',
      uid: 'u',
    };
    const { clusterOf, ksmReplicaOf, dcgmReplicaOf } = identity;
    expect([clusterOf(metric), ksmReplicaOf(metric), dcgmReplicaOf(metric)]).toEqual([
      'east',
      ['p1', 'ksm:8080'],
      ['p1'],
    ]);
    expect(identity.podOf(metric)).toEqual({ cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u' });
  });

  describe('edge cases', () => {
    it('puts every series in cluster "" without a cluster label', () => {
      expect(seriesIdentityOf({ dedupeLabels: [] }).clusterOf({ cluster: 'east' })).toBe('');
    });
  });
});

describe('observationsOf: the cloud instance of each node', () => {
  it("reads each node's provider_id from kube_node_info, per cluster", () => {
    const identity = seriesIdentityOf({ clusterLabel: 'k8s', dedupeLabels: ['replica'] });
    const obs = observationsOf({
      grid,
      scrape,
      identity,
      labels: metering,
      utilization: { prof: [], util: [] },
      answers: answers({
        nodeInfo: [
          {
            metric: { k8s: 'east', node: 'n1', provider_id: 'aws:///us-east-1a/i-0123456789abcdef0' },
            points: at(3),
          },
          {
            metric: { k8s: 'west', node: 'n1', provider_id: 'aws:///us-west-2b/i-0fedcba9876543210' },
            points: at(3),
          },
        ],
      }),
    });
    expect(obs.nodeProviderIds).toEqual([
      { cluster: 'east', node: 'n1', providerId: 'aws:///us-east-1a/i-0123456789abcdef0' },
      { cluster: 'west', node: 'n1', providerId: 'aws:///us-west-2b/i-0fedcba9876543210' },
    ]);
  });
});
