/**
 * The `real-shapes` preset: one 4-hour stretch of eight GPU nodes, each advertising its GPUs in a shape
 * real clusters produce and a naive meter gets wrong (issue #14), modelled on the exporters' own code:
 *
 * - `rs-p4d-mig-shared`: MIG mixed strategy with time-slicing renamed onto 1g.5gb devices
 *   (nvidia_com_mig_1g_5gb_shared, 2 replicas) and a `+me` profile (nvidia_com_mig_1g_5gb_me) —
 *   NVIDIA/k8s-device-plugin internal/resource/nvml-mig-device.go (GetName: "+" → "."),
 *   api/config/v1/replicas.go (renameByDefault → ".shared"); GFD labels from internal/lm/resource.go;
 * - `rs-p4d-mig-gaps`: a MIG layout leaving slices unpartitioned (three 2g.10gb on GPU 0) and an empty
 *   MIG-enabled GPU, which the mixed strategy does not advertise (internal/lm/mig-strategy.go);
 * - `rs-onprem-ts4`: bare metal without node.kubernetes.io/instance-type, one A100 time-sliced ×4 (not
 *   renamed: GFD product "-SHARED"), its GPU count from GFD's nvidia.com/gpu.count;
 * - `rs-dra`: a g5.12xlarge whose GPUs no device plugin advertises (a DRA driver): its pod claims 2
 *   GPUs, seen only in kube_pod_resourceclaim_info (kube-state-metrics internal/store/pod.go) and in
 *   dcgm-exporter's dra_* labels (--kubernetes-enable-dra, internal/pkg/transformation/kubernetes.go);
 * - `rs-sidecar`: GPUs held by a native sidecar (restartPolicy Always) and by an init container that
 *   asks more than the app container (kube_pod_init_container_resource_requests / _info, pod.go);
 * - `rs-gke-spot` and `rs-aks-spot`: Spot capacity spelled cloud.google.com/gke-spot="true" and
 *   kubernetes.azure.com/scalesetpriority=spot;
 * - `rs-gpu-shared`: whole-GPU time-slicing renamed to nvidia_com_gpu_shared (4 replicas).
 *
 * Nodes exist from 01:00 to 05:00 of the first local day (times in elapsed hours from the start of the
 * month); every pod is named after its case (`Simulation.cases`).
 */
import { ScenarioBuilder } from './builder.ts';
import type { ExplicitSimulateOptions, PresetOptions, SimNodeSpec } from './model.ts';
import { createRng } from './prng.ts';
import { presetRange } from './scenarios.ts';

const H = 3_600_000;
const S = 1000;

/**
 * The price catalog the preset is meant to be billed with (per instance-hour, USD; AWS figures from
 * shared/REFERENCE.md, GCP and Azure figures illustrative), plus a fallback per GPU-hour that prices
 * the on-prem node (as in issue #14; `pricing.gpuModels` can price it by model instead).
 */
export const REAL_SHAPES_PRICING = {
  instanceTypes: {
    'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726, spot: 13.109 },
    'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.2688 },
    'g5.xlarge': { gpus: 1, gpuModel: 'A10G', onDemand: 1.006, spot: 0.4024 },
    'a2-highgpu-1g': { gpus: 1, gpuModel: 'A100', onDemand: 3.6731, spot: 1.1019 },
    Standard_NC24ads_A100_v4: { gpus: 1, gpuModel: 'A100', onDemand: 3.673, spot: 1.4692 },
  },
  fallback: { onDemandPerGpuHour: 2 },
} as const;

/** The `real-shapes` preset (see the module comment). */
export function buildRealShapesScenario(options: PresetOptions): ExplicitSimulateOptions {
  const range = presetRange(options);
  const b = new ScenarioBuilder(createRng(options.seed));
  const t0 = range.startMs;
  const at = (hours: number) => t0 + Math.round(hours * H);
  const life = [{ startMs: at(1), endMs: at(5) }];
  b.addNamespace('ml', { team: 'ml-research', project: 'foundation-models' });
  b.addNamespace('serving', { team: 'genai-apps', project: 'chat-assistant' });

  const node = (spec: Omit<SimNodeSpec, 'ip' | 'dcgmLabels' | 'lifetimes' | 'profilingMetrics'>, i: number) =>
    b.addNode({
      ...spec,
      ip: `10.42.0.${10 + i}`,
      dcgmLabels: 'direct',
      lifetimes: life,
      profilingMetrics: true,
    });
  const a100 = { gpuModel: 'A100', modelName: 'NVIDIA A100-SXM4-40GB' };
  const a10g = { gpuModel: 'A10G', modelName: 'NVIDIA A10G' };
  const full = ['4g.20gb', '3g.20gb'];
  const migShared = node(
    {
      name: 'rs-p4d-mig-shared',
      instanceType: 'p4d.24xlarge',
      capacityType: 'on-demand',
      labelStyle: 'karpenter',
      ...a100,
      gpus: 8,
      gfd: true,
      migProfiles: [
        ...Array.from({ length: 2 }, () => Array.from({ length: 7 }, () => '1g.5gb')),
        ...Array.from({ length: 4 }, () => ['1g.5gb+me', '3g.20gb', '3g.20gb']),
        full,
        full,
      ],
      sharing: { strategy: 'time-slicing', replicas: 2, renameByDefault: true, migProfiles: ['1g.5gb'] },
    },
    0,
  );
  const migGaps = node(
    {
      name: 'rs-p4d-mig-gaps',
      instanceType: 'p4d.24xlarge',
      capacityType: 'spot',
      labelStyle: 'eks',
      ...a100,
      gpus: 8,
      migProfiles: [['2g.10gb', '2g.10gb', '2g.10gb'], [], full, full, full, full, full, full],
    },
    1,
  );
  const onPrem = node(
    {
      name: 'rs-onprem-ts4',
      instanceType: 'dgx-a100',
      instanceTypeLabel: false,
      capacityType: 'on-demand',
      labelStyle: 'none',
      ...a100,
      gpus: 1,
      gfd: true,
      sharing: { strategy: 'time-slicing', replicas: 4, renameByDefault: false },
    },
    2,
  );
  const dra = node(
    {
      name: 'rs-dra',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      labelStyle: 'karpenter',
      ...a10g,
      gpus: 4,
      devicePlugin: 'absent',
    },
    3,
  );
  const sidecar = node(
    {
      name: 'rs-sidecar',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      labelStyle: 'karpenter',
      ...a10g,
      gpus: 4,
    },
    4,
  );
  const gke = node(
    {
      name: 'rs-gke-spot',
      instanceType: 'a2-highgpu-1g',
      capacityType: 'spot',
      labelStyle: 'gke',
      ...a100,
      gpus: 1,
    },
    5,
  );
  const aks = node(
    {
      name: 'rs-aks-spot',
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType: 'spot',
      labelStyle: 'aks',
      gpuModel: 'A100',
      modelName: 'NVIDIA A100 80GB PCIe',
      gpus: 1,
    },
    6,
  );
  const shared = node(
    {
      name: 'rs-gpu-shared',
      instanceType: 'g5.xlarge',
      capacityType: 'on-demand',
      labelStyle: 'eks',
      ...a10g,
      gpus: 1,
      gfd: true,
      sharing: { strategy: 'time-slicing', replicas: 4, renameByDefault: true },
    },
    7,
  );

  const pod = (
    role: string,
    on: SimNodeSpec,
    fromH: number,
    toH: number,
    containers: Parameters<ScenarioBuilder['addPod']>[0]['containers'],
    extra: Partial<Parameters<ScenarioBuilder['addPod']>[0]> = {},
  ) =>
    b.addPod({
      role,
      namespace: 'ml',
      name: role,
      createdByKind: 'Job',
      createdByName: role,
      node: on.name,
      createdMs: at(fromH) - 20 * S,
      scheduledMs: at(fromH) - 10 * S,
      runningMs: at(fromH),
      endMs: at(toH),
      deletedMs: at(toH) + 30 * S,
      containers,
      utilization: { mean: 0.6, jitter: 0.1 },
      ...extra,
    });
  const gpu = (resource: string, count = 1) => [{ name: 'main', gpuResource: resource, gpuCount: count }];
  pod('mig-shared-a', migShared, 1.5, 4.5, gpu('nvidia_com_mig_1g_5gb_shared'));
  pod('mig-shared-b', migShared, 1.5, 4.5, gpu('nvidia_com_mig_1g_5gb_shared'));
  pod('mig-me', migShared, 2, 4.9, gpu('nvidia_com_mig_1g_5gb_me'), { namespace: 'serving' });
  pod('mig-3g', migShared, 1.1, 3, gpu('nvidia_com_mig_3g_20gb'));
  pod('mig-gaps-2g', migGaps, 1.2, 4, gpu('nvidia_com_mig_2g_10gb', 2));
  pod('onprem-quarter', onPrem, 1.3, 4.8, gpu('nvidia_com_gpu'), { namespace: 'serving' });
  pod('sidecar-gpu', sidecar, 1.25, 4.75, gpu('nvidia_com_gpu'), {
    initContainers: [
      { name: 'gpu-sidecar', gpuResource: 'nvidia_com_gpu', gpuCount: 1, restartPolicy: 'Always' },
    ],
  });
  pod('init-gpu', sidecar, 2, 4, gpu('nvidia_com_gpu'), {
    initContainers: [{ name: 'warmup', gpuResource: 'nvidia_com_gpu', gpuCount: 2 }],
  });
  pod('dra-2-gpus', dra, 1.5, 4.5, [{ name: 'main', draGpus: 2 }]);
  pod('gke-spot', gke, 1.1, 4.9, gpu('nvidia_com_gpu'));
  pod('aks-spot', aks, 1.5, 3.5, gpu('nvidia_com_gpu'), { namespace: 'serving' });
  pod('shared-a', shared, 1.1, 4.9, gpu('nvidia_com_gpu_shared'), { namespace: 'serving' });
  pod('shared-b', shared, 2.5, 4.5, gpu('nvidia_com_gpu_shared'), { namespace: 'serving' });

  const out: ExplicitSimulateOptions = {
    name: 'real-shapes',
    seed: options.seed,
    zone: options.zone,
    range,
    outages: [],
    nodes: b.nodes,
    namespaces: b.namespaces.map((ns) => ({
      name: ns.name,
      labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
    })),
    pods: b.pods,
    cases: { ...b.cases, ...Object.fromEntries(b.nodes.map((n) => [n.name, n.name])) },
  };
  if (options.scrape)
    out.scrape = { ksmSeconds: options.scrape.ksmSeconds, dcgmSeconds: options.scrape.dcgmSeconds };
  if (options.cluster !== undefined) out.cluster = options.cluster;
  if (options.shape !== undefined) out.shape = options.shape;
  return out;
}
