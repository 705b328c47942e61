import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import {
  buildSeries,
  effectiveRequests,
  gfdLabelPairs,
  groundTruth,
  nodeCapacity,
  simulate,
} from '../../../src/sim/index.ts';
import { makeTempDir } from '../../support/tmp.ts';

const sim = simulate({ preset: 'real-shapes', month: '2026-03', zone: 'UTC', seed: 7, days: 1 });
const nodeNamed = (name: string) => sim.nodes.find((n) => n.name === name)!;
const month = billingPeriod('2026-03', 'UTC');
const period = { ...month, endMs: month.days[0]!.endMs, days: [month.days[0]!], hours: 24 };

describe('the real-shapes preset', () => {
  it('advertises each node in its real shape (kube_node_status_capacity)', () => {
    const capacity = (name: string) => Object.fromEntries(nodeCapacity(nodeNamed(name)));
    expect(capacity('rs-p4d-mig-shared')).toEqual({
      nvidia_com_gpu: 0,
      nvidia_com_mig_1g_5gb_shared: 28,
      nvidia_com_mig_1g_5gb_me: 4,
      nvidia_com_mig_3g_20gb: 10,
      nvidia_com_mig_4g_20gb: 2,
    });
    expect(capacity('rs-dra')).toEqual({});
    expect(capacity('rs-onprem-ts4')).toEqual({ nvidia_com_gpu: 4 });
    expect(capacity('rs-gpu-shared')).toEqual({ nvidia_com_gpu_shared: 4 });
  });

  it('labels nodes as GPU feature discovery and each cloud would, with no instance type on bare metal', () => {
    const labels = (name: string) =>
      Object.fromEntries(
        buildSeries(sim).find(
          (s) => s.family === 'kube_node_labels' && s.labels.some(([k, v]) => k === 'node' && v === name),
        )!.labels,
      );
    expect(labels('rs-onprem-ts4')).toMatchObject({
      label_nvidia_com_gpu_count: '1',
      label_nvidia_com_gpu_product: 'NVIDIA-A100-SXM4-40GB-SHARED',
      label_nvidia_com_gpu_replicas: '4',
      label_nvidia_com_gpu_sharing_strategy: 'time-slicing',
    });
    expect(labels('rs-onprem-ts4')).not.toHaveProperty('label_node_kubernetes_io_instance_type');
    expect(labels('rs-gke-spot')).toMatchObject({ label_cloud_google_com_gke_spot: 'true' });
    expect(labels('rs-aks-spot')).toMatchObject({ label_kubernetes_azure_com_scalesetpriority: 'spot' });
    expect(labels('rs-p4d-mig-shared')).toMatchObject({
      label_nvidia_com_mig_strategy: 'mixed',
      label_nvidia_com_gpu_replicas: '0',
      label_nvidia_com_mig_1g_5gb_replicas: '2',
      label_nvidia_com_mig_1g_5gb_product: 'NVIDIA-A100-SXM4-40GB-MIG-1g.5gb',
      label_nvidia_com_mig_1g_5gb_me_count: '4',
    });
  });

  it('writes init container requests and the restart policy of native sidecars', () => {
    const series = buildSeries(sim);
    const init = series.filter((s) => s.family === 'kube_pod_init_container_resource_requests');
    const info = series.filter((s) => s.family === 'kube_pod_init_container_info');
    const label = (s: (typeof series)[number], k: string) => s.labels.find(([n]) => n === k)?.[1];
    expect(
      init
        .filter((s) => label(s, 'resource') === 'nvidia_com_gpu' && label(s, 'node') !== '')
        .map((s) => [label(s, 'pod'), label(s, 'container')]),
    ).toEqual([
      ['sidecar-gpu', 'gpu-sidecar'],
      ['init-gpu', 'warmup'],
    ]);
    expect(info.map((s) => [label(s, 'container'), label(s, 'restart_policy')])).toEqual([
      ['gpu-sidecar', 'Always'],
      ['warmup', ''],
    ]);
  });

  it("knows the ground truth: physical GPUs for every node and each pod's effective request and weight", () => {
    const truth = groundTruth(sim, period);
    const node = (name: string) => truth.nodes.find((n) => n.node === name)!.days[0]!;
    expect(node('rs-dra').capacityGpuSeconds).toBe(4 * 4 * 3600);
    // 4 GPUs for 4 h, 2 of them claimed through DRA for 3 h.
    expect(node('rs-dra').idleByReason['not-advertised']).toBe(4 * 4 * 3600 - 2 * 3 * 3600);
    expect(node('rs-p4d-mig-gaps').idleByReason['mig-unpartitioned']).toBeCloseTo((8 / 7) * 4 * 3600, 6);
    const pod = (role: string) => truth.pods.find((p) => p.role === role)!;
    expect([pod('sidecar-gpu').requested, pod('init-gpu').requested, pod('onprem-quarter').weight]).toEqual([
      2,
      2,
      { numerator: 1, denominator: 4 },
    ]);
    expect(pod('mig-shared-a').weight).toEqual({ numerator: 1, denominator: 14 });
  });

  it('shows a DRA pod only in kube_pod_resourceclaim_info and in dcgm-exporter dra_* labels', () => {
    const series = buildSeries(sim);
    const label = (s: (typeof series)[number], k: string) => s.labels.find(([n]) => n === k)?.[1];
    const ofPod = (family: string) =>
      series.filter((s) => s.family === family && label(s, 'pod') === 'dra-2-gpus');
    expect(ofPod('kube_pod_container_resource_requests').map((s) => label(s, 'resource'))).toEqual([
      'cpu',
      'cpu',
    ]);
    expect(
      ofPod('kube_pod_resourceclaim_info').map((s) => [
        label(s, 'claim_name'),
        label(s, 'resourceclaim_template_name'),
      ]),
    ).toEqual([['main-gpu', 'single-gpu']]);
    const dcgm = ofPod('DCGM_FI_DEV_FB_USED');
    expect(dcgm.map((s) => [label(s, 'dra_claim_name'), label(s, 'dra_driver_name')])).toEqual([
      ['dra-2-gpus-main-gpu', 'gpu.nvidia.com'],
      ['dra-2-gpus-main-gpu', 'gpu.nvidia.com'],
    ]);
    const truth = groundTruth(sim, period).pods.find((p) => p.role === 'dra-2-gpus')!;
    expect([truth.gpuResource, truth.requested, truth.gpuSeconds]).toEqual(['dra_gpu', 2, 2 * 3 * 3600]);
  });

  it('drops uid from every pod series but kube_pod_info in the kube-state-metrics 2.0 shape', () => {
    const old = simulate({
      preset: 'real-shapes',
      month: '2026-03',
      zone: 'UTC',
      seed: 7,
      days: 1,
      shape: { ksmUidOnPodInfoOnly: true },
    });
    const withUid = buildSeries(old)
      .filter((s) => s.family.startsWith('kube_pod_') && s.labels.some(([k]) => k === 'uid'))
      .map((s) => s.family);
    expect(new Set(withUid)).toEqual(new Set(['kube_pod_info']));
  });

  it('is written by `simulate --preset real-shapes`', async () => {
    const tmp = await makeTempDir();
    try {
      const run = await runCliCaptured(
        0,
        'simulate',
        '--preset',
        'real-shapes',
        '--month',
        '2026-03',
        '--out',
        tmp.dir,
      );
      expect(run.code).toBe(0);
      const { groundTruthFile, openMetricsFiles } = JSON.parse(run.stdout) as {
        groundTruthFile: string;
        openMetricsFiles: string[];
      };
      // Each written path is printed once (it was printed twice, also under "paths").
      for (const path of [groundTruthFile, ...openMetricsFiles])
        expect(run.stdout.split(JSON.stringify(path)).length - 1, path).toBe(1);
      const truth = JSON.parse(await readFile(groundTruthFile, 'utf8')) as { simulation: { name: string } };
      expect(truth.simulation.name).toBe('real-shapes');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('effectiveRequests (simulator)', () => {
  it('takes max(largest init container, app + sidecars) per resource', () => {
    const c = (name: string, gpuCount: number, restartPolicy?: 'Always') => ({
      name,
      cpuCores: 1,
      gpuResource: 'nvidia_com_gpu',
      gpuCount,
      units: [],
      ...(restartPolicy ? { restartPolicy } : {}),
    });
    expect(
      Object.fromEntries(
        effectiveRequests({ containers: [c('a', 1)], initContainers: [c('s', 1, 'Always'), c('i', 3)] }),
      ),
    ).toEqual({
      nvidia_com_gpu: 3,
    });
    expect(
      Object.fromEntries(
        effectiveRequests({ containers: [c('a', 2)], initContainers: [c('s', 1, 'Always'), c('i', 2)] }),
      ),
    ).toEqual({
      nvidia_com_gpu: 3,
    });
  });
});

describe('gfdLabelPairs', () => {
  it('overrides the GPU labels with the MIG device under the single strategy', () => {
    const single = simulate({
      seed: 1,
      zone: 'UTC',
      range: { startMs: 0, endMs: 3_600_000 },
      nodes: [
        {
          name: 'n',
          ip: '10.0.0.1',
          instanceType: 'p4d.24xlarge',
          capacityType: 'on-demand',
          labelStyle: 'karpenter',
          gpuModel: 'A100',
          modelName: 'NVIDIA A100-SXM4-40GB',
          gpus: 2,
          profilingMetrics: true,
          dcgmLabels: 'direct',
          lifetimes: [{ startMs: 0, endMs: 3_600_000 }],
          migProfiles: [
            ['3g.20gb', '3g.20gb'],
            ['3g.20gb', '3g.20gb'],
          ],
          migStrategy: 'single',
          gfd: true,
        },
      ],
      namespaces: [],
      pods: [],
    }).nodes[0]!;
    expect(Object.fromEntries(gfdLabelPairs(single))).toEqual({
      label_nvidia_com_gpu_count: '4',
      label_nvidia_com_gpu_product: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
      label_nvidia_com_gpu_replicas: '1',
      label_nvidia_com_gpu_sharing_strategy: 'none',
      label_nvidia_com_mig_strategy: 'single',
    });
    expect(Object.fromEntries(nodeCapacity(single))).toEqual({ nvidia_com_gpu: 4 });
  });
});
