import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';
import { describe, expect, it } from 'vitest';
import { createPrometheusSource, utilizationPoints } from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { type Call, fakeFetch, ok, recordingLogger } from './fakes.ts';

const P = SamplePoints.of;
const T0 = 1_772_982_000_000;
const grid = { startMs: T0, endMs: T0 + 6 * 60_000, stepMs: 60_000 };
const scrape = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' as const };
const at = (k: number) => (T0 + k * 60_000) / 1000;
const ms = (...ks: number[]) => ks.map((k) => T0 + k * 60_000);
const values = (ks: number[], v = '1') => ks.map((k) => [at(k), v]);

const KSM = 'kube-state-metrics:8080';
const P0 = { prometheus_replica: 'prometheus-0', instance: KSM };
const P1 = { prometheus_replica: 'prometheus-1', instance: KSM };
const POD = { namespace: 'ml', pod: 'p', uid: 'u1' };

function sourceWith(respond: (q: string) => unknown[], source: ConfigInput['source'] = {}) {
  // The fake answers range queries: Prometheus evaluates the steps here (the adapter's evaluation is
  // checked against a real Prometheus in test/integration/rawSteps.test.ts).
  const config = parseConfig({
    source: { url: 'http://prom.local', stepEvaluation: 'prometheus', ...source },
  });
  const { fetch, calls } = fakeFetch((call: Call) => {
    const q = call.params.query ?? '';
    const result = respond(q);
    return ok(result, call.params.step ? 'matrix' : 'vector');
  });
  return { src: createPrometheusSource({ config, logger: recordingLogger(), fetch }), calls };
}

/**
 * An HA pair: prometheus-1 scrapes later, so it still saw the pod Running at step 5 and saw the GPU
 * at other values; prometheus-0 was down at step 3.
 */
function haPair(q: string): unknown[] {
  if (q.includes('dra_claim_name')) return []; // no DRA claims
  if (q.includes('max_over_time(kube_pod_container_resource_requests')) {
    // The pod's GPU request (the Running answer only holds pods with one).
    return [{ metric: { ...POD, container: 'c', resource: 'nvidia_com_gpu' }, value: [at(6), '1'] }];
  }
  if (q.startsWith('count by') && q.includes('kube_node_info|kube_node_labels')) {
    return [
      { metric: P0, values: values([1, 2, 4, 5, 6], '3') },
      { metric: P1, values: values([1, 2, 3, 4, 5, 6], '3') },
    ];
  }
  if (q.includes('phase="Running"')) {
    return [
      { metric: { ...P0, ...POD }, values: values([1, 2, 4]) },
      { metric: { ...P1, ...POD }, values: values([1, 2, 3, 4, 5]) },
    ];
  }
  if (q.includes('kube_node_status_capacity{resource=~')) {
    return [
      { metric: { ...P0, node: 'n1', resource: 'nvidia_com_gpu' }, values: values([1, 2, 4, 5, 6], '4') },
      { metric: { ...P1, node: 'n1', resource: 'nvidia_com_gpu' }, values: values([1, 2, 3, 4, 5, 6], '8') },
    ];
  }
  if (q.includes('DCGM_FI_DEV_GPU_UTIL')) {
    return [
      // Presence rows of idle GPUs: when each replica scraped dcgm-exporter.
      {
        metric: { prometheus_replica: 'prometheus-0', gpu_chargeback_presence: '1' },
        values: values([1, 2, 4, 5, 6], '2'),
      },
      {
        metric: { prometheus_replica: 'prometheus-1', gpu_chargeback_presence: '1' },
        values: values([1, 2, 3, 4, 5, 6], '2'),
      },
      {
        metric: { prometheus_replica: 'prometheus-0', UUID: 'g1', ...POD },
        values: values([1, 2, 4], '0.5'),
      },
      {
        metric: { prometheus_replica: 'prometheus-1', UUID: 'g1', ...POD },
        values: values([1, 2, 3, 4, 5], '0.9'),
      },
    ];
  }
  return [];
}

describe('the Prometheus source with replicas', () => {
  it('groups kube-state-metrics queries by the dedupe labels and instance, dcgm-exporter ones by the dedupe labels', async () => {
    const { src, calls } = sourceWith(() => []);
    await src.observe(grid, scrape);
    const query = (needle: string) => calls.map((c) => c.params.query ?? '').find((q) => q.includes(needle))!;
    expect(query('phase="Running"')).toContain(
      'max by (replica, prometheus_replica, instance, namespace, pod, uid)',
    );
    expect(query('kube_node_status_capacity{resource=~')).toContain(
      'max by (replica, prometheus_replica, instance, node, resource)',
    );
    expect(query('count by (replica, prometheus_replica, instance, )')).toContain(
      'kube_node_info|kube_node_labels',
    );
    // Utilization comes back per raw series (grouped in the adapter); idle GPUs as presence rows per replica.
    const util = query('avg_over_time({__name__="DCGM_FI_DEV_GPU_UTIL"');
    expect(util).not.toContain('sum by');
    expect(util).toContain('count by (replica, prometheus_replica, )');
  });

  it('without dedupe labels still tells kube-state-metrics replicas apart by instance', async () => {
    const { src, calls } = sourceWith(() => [], { dedupeLabels: [], clusterLabel: 'cluster' });
    await src.observe(grid, scrape);
    const running = calls.map((c) => c.params.query ?? '').find((q) => q.includes('phase="Running"'))!;
    expect(running).toContain('max by (cluster, instance, namespace, pod, uid)');
    const util = calls
      .map((c) => c.params.query ?? '')
      .find((q) => q.includes('avg_over_time({__name__="DCGM_FI_DEV_GPU_UTIL"'))!;
    expect(util).toContain('count by (cluster, )');
  });

  it('takes every pod, node and GPU point from one replica per step, failing over during an outage', async () => {
    const { src } = sourceWith(haPair);
    const obs = await src.observe(grid, scrape);
    // prometheus-0 at steps 1, 2, 4; prometheus-1 fills the outage at step 3; its late step 5 is not taken.
    expect(obs.running).toEqual([{ pod: { cluster: '', ...POD }, tsMs: ms(1, 2, 3, 4) }]);
    expect(obs.nodeCapacity.map((c) => ({ ...c, points: [...c.points] }))).toEqual([
      {
        cluster: '',
        node: 'n1',
        resource: 'nvidia_com_gpu',
        points: ms(1, 2, 3, 4, 5, 6).map((t, i) => [t, i === 2 ? 8 : 4]),
      },
    ]);
    const util = obs.utilization.find((u) => u.source === 'DCGM_FI_DEV_GPU_UTIL')!;
    expect([...util.points]).toEqual([
      [ms(1)[0], 0.5, 1],
      [ms(2)[0], 0.5, 1],
      [ms(3)[0], 0.9, 1],
      [ms(4)[0], 0.5, 1],
    ]);
    // Coverage: any replica counts.
    expect(obs.ksmPresentTsMs).toEqual(ms(1, 2, 3, 4, 5, 6));
  });
});

describe('a kube-state-metrics rescheduled just as a pod starts', () => {
  // One HA pair; KSM moved from OLD to NEW after step 3. The pod started Running just before the move:
  // prometheus-0 scraped OLD at step 3 (pod bound, still Pending), prometheus-1 scraped NEW 13 s later
  // (Running). prometheus-0's OLD view speaks for step 3 because it saw the pod bound.
  const OLD = '10.0.0.10:8080';
  const NEW = '10.0.9.99:8080';
  const r = (replica: string, instance: string) => ({ prometheus_replica: replica, instance });
  const respond = (withBinding: boolean) => (q: string) => {
    if (q.startsWith('count by') && q.includes('kube_node_info|kube_node_labels')) {
      return [
        { metric: r('prometheus-0', OLD), values: values([1, 2, 3]) },
        { metric: r('prometheus-0', NEW), values: values([4, 5, 6]) },
        { metric: r('prometheus-1', OLD), values: values([1, 2]) },
        { metric: r('prometheus-1', NEW), values: values([3, 4, 5, 6]) },
      ];
    }
    if (q.includes('phase="Running"')) {
      return [
        { metric: { ...r('prometheus-0', NEW), ...POD }, values: values([4, 5, 6]) },
        { metric: { ...r('prometheus-1', NEW), ...POD }, values: values([3, 4, 5, 6]) },
      ];
    }
    if (q.includes('container, resource')) {
      return [{ metric: { ...POD, container: 'c', resource: 'nvidia_com_gpu' }, value: [at(6), '1'] }];
    }
    if (q.includes('kube_pod_info')) {
      return [
        ...(withBinding
          ? [{ metric: { ...r('prometheus-0', OLD), ...POD, node: 'n1' }, value: [at(6), '1'] }]
          : []),
        { metric: { ...r('prometheus-0', NEW), ...POD, node: 'n1' }, value: [at(6), '1'] },
        { metric: { ...r('prometheus-1', NEW), ...POD, node: 'n1' }, value: [at(6), '1'] },
      ];
    }
    return [];
  };

  it('takes the step from the replica scraped first, which saw the pod bound but not Running', async () => {
    const { src } = sourceWith(respond(true));
    const obs = await src.observe(grid, scrape);
    expect(obs.running).toEqual([{ pod: { cluster: '', ...POD }, tsMs: ms(4, 5, 6) }]);
    expect(obs.podNodes).toEqual([{ pod: { cluster: '', ...POD }, node: 'n1' }]);
  });

  it('lets a replica that never saw the pod (a shard that does not own it) not hide it', async () => {
    const { src } = sourceWith(respond(false));
    const obs = await src.observe(grid, scrape);
    expect(obs.running).toEqual([{ pod: { cluster: '', ...POD }, tsMs: ms(3, 4, 5, 6) }]);
  });
});

describe('utilizationPoints with replicas', () => {
  it('chooses per GPU, then adds the GPUs of a pod', () => {
    const r0 = { prometheus_replica: 'prometheus-0' };
    const r1 = { prometheus_replica: 'prometheus-1' };
    const out = utilizationPoints(
      [
        { metric: { ...r0, UUID: 'g1', namespace: 'ml', pod: 'p' }, points: P([[1, 0.5]]) },
        { metric: { ...r1, UUID: 'g1', namespace: 'ml', pod: 'p' }, points: P([[1, 0.7]]) },
        // g2 was seen by prometheus-1 only (prometheus-0 never had it): it still counts.
        { metric: { ...r1, UUID: 'g2', namespace: 'ml', pod: 'p' }, points: P([[1, 0.25]]) },
      ],
      'DCGM_FI_DEV_GPU_UTIL',
      () => '',
      {
        replicaOf: (m) => [m.prometheus_replica ?? ''],
        presence: [
          { scope: '', replica: ['prometheus-0'], tsMs: [1] },
          { scope: '', replica: ['prometheus-1'], tsMs: [1] },
        ],
      },
    );
    expect(out).toHaveLength(1);
    expect([...out[0]!.points]).toEqual([[1, 0.75, 2]]);
  });
});
