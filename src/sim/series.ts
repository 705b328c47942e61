/**
 * The exporter series of a simulation: every (metric, label set) kube-state-metrics and dcgm-exporter
 * would expose, with the time segments in which it exists and its value there. The OpenMetrics writer
 * samples these on the scrape schedules; tests use them to count samples.
 */
import type { TimeRange } from '../core/types.ts';
import {
  type DevicePlan,
  dcgmPlan,
  frameBufferUsedMiB,
  gpuUtilPercent,
  grEngineActive,
  hasGpuUtil,
  hasGrEngineActive,
} from './dcgm.ts';
import { fnv1a64, providerIdOf } from './cloud.ts';
import { nodeCapacity, sharingOf } from './gpu.ts';
import { quotaSeries } from './quota.ts';
import type { SimContainer, SimDevice, SimNode, SimPod, SimSharing, Simulation } from './model.ts';
import { applySeriesShape, dcgmExporterPodName, KSM_INSTANCE } from './seriesShape.ts';
import { dcgmSchedule, ksmSchedule, POD_PHASES, podSegments, type Schedule } from './timeline.ts';

/** A stretch of time in which a series exists, with a constant value or a value per sample time. */
export interface SeriesSegment extends TimeRange {
  value: number | ((tMs: number) => number);
}

/** One exported series. Segments are sorted and disjoint; samples exist at schedule times inside them. */
export interface SeriesDef {
  family: string;
  exporter: 'kube-state-metrics' | 'dcgm-exporter';
  /** Label pairs in output order (metric labels, then cluster, job, instance). */
  labels: [string, string][];
  /** The node whose dcgm-exporter exports the series (dcgm-exporter series only). */
  node?: string;
  schedule: Schedule;
  segments: SeriesSegment[];
}

/** Metric families in the order they are written. */
export const FAMILIES = [
  'kube_namespace_labels',
  'kube_node_info',
  'kube_node_labels',
  'kube_node_status_capacity',
  'kube_pod_info',
  'kube_pod_labels',
  'kube_pod_status_phase',
  'kube_pod_container_resource_requests',
  'kube_pod_init_container_info',
  'kube_pod_init_container_resource_requests',
  'kube_pod_resourceclaim_info',
  'kube_resourcequota',
  'DCGM_FI_DEV_GPU_UTIL',
  'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  'DCGM_FI_DEV_FB_USED',
] as const;

/** Pod labels kube-state-metrics is allowed to export (--metric-labels-allowlist=pods=[team,project]). */
export const POD_LABEL_ALLOWLIST = ['team', 'project'] as const;

export { dcgmExporterPodName, KSM_INSTANCE } from './seriesShape.ts';

const VCPUS: Record<string, number> = {
  'g5.xlarge': 4,
  'g5.12xlarge': 48,
  'g4dn.xlarge': 4,
  'g4dn.12xlarge': 48,
  'p4d.24xlarge': 96,
};

/**
 * kube_node_info's label pairs, in the order kube-state-metrics writes them (internal/store/node.go,
 * createNodeInfoFamilyGenerator): kernel_version, os_image, container_runtime_version, kubelet_version,
 * kubeproxy_version (always "deprecated"), provider_id (the node's spec.providerID: its cloud instance, see
 * src/sim/cloud.ts; empty on bare metal), pod_cidr, system_uuid, internal_ip.
 */
export function nodeInfoPairs(node: SimNode, cluster: string): [string, string][] {
  return [
    ['node', node.name],
    ['kernel_version', '6.1.115-126.197.amzn2023.x86_64'],
    ['os_image', 'Amazon Linux 2023.6.20241212'],
    ['container_runtime_version', 'containerd://1.7.23'],
    ['kubelet_version', 'v1.31.3-eks-59bf375'],
    ['kubeproxy_version', 'deprecated'],
    ['provider_id', providerIdOf(node, cluster) ?? ''],
    ['pod_cidr', ''],
    [
      'system_uuid',
      `ec2${fnv1a64(`uuid/${cluster}/${node.name}`).toString(16).padStart(16, '0').slice(0, 5)}-0000-0000-0000-000000000000`,
    ],
    ['internal_ip', node.ip],
  ];
}

/** KSM's spelling of a Kubernetes label name: label_ + the name with every non-[A-Za-z0-9_] as "_". */
export function ksmLabelName(kubernetesLabel: string): string {
  return `label_${kubernetesLabel.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * kube_node_labels label pairs of a node: its instance type (unless it has no such label), its capacity
 * type in its label style, and — with GPU feature discovery — GFD's labels, as KSM exports allowlisted
 * node labels (internal/store/utils.go: every character outside [A-Za-z0-9_] becomes "_", camelCase
 * becomes snake_case: eks.amazonaws.com/capacityType → label_eks_amazonaws_com_capacity_type).
 */
export function nodeLabelPairs(node: SimNode): [string, string][] {
  const pairs: [string, string][] = [];
  if (node.instanceTypeLabel !== false)
    pairs.push(['label_node_kubernetes_io_instance_type', node.instanceType]);
  const spot = node.capacityType === 'spot';
  switch (node.labelStyle) {
    case 'karpenter':
      pairs.push(['label_karpenter_sh_capacity_type', node.capacityType]);
      break;
    case 'eks':
      pairs.push(['label_eks_amazonaws_com_capacity_type', spot ? 'SPOT' : 'ON_DEMAND']);
      break;
    case 'gke':
      // GKE sets cloud.google.com/gke-spot only on Spot VMs.
      if (spot) pairs.push(['label_cloud_google_com_gke_spot', 'true']);
      break;
    case 'gke-preemptible':
      if (spot) pairs.push(['label_cloud_google_com_gke_preemptible', 'true']);
      break;
    case 'aks':
      pairs.push(['label_kubernetes_azure_com_scalesetpriority', spot ? 'spot' : 'regular']);
      break;
    case 'none':
      break;
  }
  if (node.gfd) pairs.push(...gfdLabelPairs(node));
  return pairs;
}

/**
 * GPU feature discovery's labels of a node, modelled on NVIDIA/k8s-device-plugin internal/lm:
 * resource.go baseLabeler writes <resource>.product / .count / .replicas / .sharing-strategy
 * (getReplicas: 0 without sharing config — MIG-enabled GPUs —, else the replicas or 1; product
 * "<NVML name with spaces as ->" + "-MIG-<profile>" + "-SHARED" when shared and not renamed);
 * mig-strategy.go: under the single strategy the nvidia.com/gpu labels are overridden with the MIG
 * device's (count = MIG devices), under mixed each profile gets nvidia.com/mig-<profile>.*
 * (profile names with "+" as ".", nvml-mig-device.go GetName); strategy.go writes nvidia.com/mig.strategy.
 */
export function gfdLabelPairs(node: SimNode): [string, string][] {
  const name = (key: string) => `label_${key.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const sharing = sharingOf(node);
  const model = node.modelName
    .replace(/[^A-Za-z0-9-_. ]/g, '')
    .split(/\s+/)
    .join('-');
  const pairs: [string, string][] = [];
  const base = (
    resource: string,
    count: number,
    product: string,
    shared: SimSharing | undefined,
    mig: boolean,
  ) => {
    const replicas = shared ? shared.replicas : mig ? 0 : 1;
    pairs.push(
      [name(`${resource}.count`), String(count)],
      [name(`${resource}.product`), shared && !shared.renameByDefault ? `${product}-SHARED` : product],
      [name(`${resource}.replicas`), String(replicas)],
      [name(`${resource}.sharing-strategy`), shared ? shared.strategy : 'none'],
    );
  };
  if (!node.migProfiles) {
    base('nvidia.com/gpu', node.gpus, model, sharing && !sharing.migProfiles ? sharing : undefined, false);
    return pairs;
  }
  const profiles = node.migProfiles.flat();
  const devName = (p: string) => p.replace(/\+/g, '.');
  const sharedOf = (p: string) => (sharing?.migProfiles?.includes(p) ? sharing : undefined);
  if (node.migStrategy === 'single') {
    const p = profiles[0]!;
    base('nvidia.com/gpu', profiles.length, `${model}-MIG-${devName(p)}`, sharedOf(p), false);
  } else {
    base('nvidia.com/gpu', node.gpus, model, undefined, true);
    for (const p of [...new Set(profiles)].sort()) {
      const count = profiles.filter((x) => x === p).length;
      base(`nvidia.com/mig-${devName(p)}`, count, `${model}-MIG-${devName(p)}`, sharedOf(p), false);
    }
  }
  pairs.push([name('nvidia.com/mig.strategy'), node.migStrategy ?? 'mixed']);
  return pairs;
}

/** The pod-local name of the DRA claim a container's GPUs come from. */
export function draClaimName(container: Pick<SimContainer, 'name'>): string {
  return `${container.name}-gpu`;
}

/** kube_pod_labels label pairs of a pod (only allowlisted labels). */
export function podLabelPairs(pod: SimPod): [string, string][] {
  return POD_LABEL_ALLOWLIST.filter((k) => pod.labels[k] !== undefined).map((k) => [
    ksmLabelName(k),
    pod.labels[k]!,
  ]);
}

const merge = (segments: SeriesSegment[]): SeriesSegment[] => {
  const out: SeriesSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.endMs === s.startMs && typeof last.value === 'number' && last.value === s.value)
      last.endMs = s.endMs;
    else out.push({ ...s });
  }
  return out;
};

const cache = new WeakMap<Simulation, SeriesDef[]>();

/** All series of the simulation, grouped in {@link FAMILIES} order (cached per simulation). */
export function buildSeries(sim: Simulation): SeriesDef[] {
  const cached = cache.get(sim);
  if (cached) return cached;
  const ksm = ksmSchedule(sim);
  const cluster: [string, string][] = sim.cluster !== undefined ? [['cluster', sim.cluster]] : [];
  const ksmTarget: [string, string][] = [
    ...cluster,
    ['job', 'kube-state-metrics'],
    ['instance', KSM_INSTANCE],
  ];
  const byFamily = new Map<string, SeriesDef[]>(FAMILIES.map((f) => [f, []]));
  const seen = new Map<string, SeriesDef>();
  // A StatefulSet pod re-created under the same name on the same GPU yields the same DCGM label set
  // twice; it is one series with two segments.
  const add = (family: (typeof FAMILIES)[number], def: Omit<SeriesDef, 'family'>) => {
    const key = `${family}{${def.labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    const existing = seen.get(key);
    if (existing) {
      existing.segments = [...existing.segments, ...def.segments].sort((a, b) => a.startMs - b.startMs);
      return;
    }
    const series = { family, ...def };
    seen.set(key, series);
    byFamily.get(family)!.push(series);
  };
  const always: TimeRange = { startMs: Number.NEGATIVE_INFINITY, endMs: Number.POSITIVE_INFINITY };
  const ksmSeries = (
    family: (typeof FAMILIES)[number],
    labels: [string, string][],
    segments: SeriesSegment[],
  ) =>
    add(family, {
      exporter: 'kube-state-metrics',
      labels: [...labels, ...ksmTarget],
      schedule: ksm,
      segments,
    });

  for (const ns of sim.namespaces) {
    const labels: [string, string][] = [['namespace', ns.name]];
    for (const k of Object.keys(ns.labels).sort()) labels.push([ksmLabelName(k), ns.labels[k]!]);
    ksmSeries('kube_namespace_labels', labels, [{ ...always, value: 1 }]);
  }
  for (const node of sim.nodes) {
    const lives = node.lifetimes;
    ksmSeries(
      'kube_node_info',
      nodeInfoPairs(node, sim.cluster ?? ''),
      lives.map((l) => ({ ...l, value: 1 })),
    );
    ksmSeries(
      'kube_node_labels',
      [['node', node.name], ...nodeLabelPairs(node)],
      lives.map((l) => ({ ...l, value: 1 })),
    );
    const capacity: [string, number, string][] = [['cpu', VCPUS[node.instanceType] ?? 8, 'core']];
    for (const [resource, units] of nodeCapacity(node)) capacity.push([resource, units, 'integer']);
    for (const [resource, units, unit] of capacity) {
      ksmSeries(
        'kube_node_status_capacity',
        [
          ['node', node.name],
          ['resource', resource],
          ['unit', unit],
        ],
        lives.map((l) => ({ ...l, value: units })),
      );
    }
  }
  for (const pod of sim.pods) {
    const segs = podSegments(pod);
    const id: [string, string][] = [
      ['namespace', pod.namespace],
      ['pod', pod.name],
      ['uid', pod.uid],
    ];
    const life: TimeRange = { startMs: pod.createdMs, endMs: pod.deletedMs ?? Number.POSITIVE_INFINITY };
    const nodes = [...new Set(segs.map((s) => s.node))];
    for (const node of nodes) {
      const parts = merge(
        segs.filter((s) => s.node === node).map((s) => ({ startMs: s.startMs, endMs: s.endMs, value: 1 })),
      );
      ksmSeries(
        'kube_pod_info',
        [
          ...id,
          ['node', node],
          ['created_by_kind', pod.createdByKind],
          ['created_by_name', pod.createdByName],
        ],
        parts,
      );
      for (const [family, containers] of [
        ['kube_pod_container_resource_requests', pod.containers],
        ['kube_pod_init_container_resource_requests', pod.initContainers ?? []],
      ] as const) {
        for (const c of containers) {
          const requests: [string, number, string][] = [['cpu', c.cpuCores, 'core']];
          if (c.gpuResource) requests.push([c.gpuResource, c.gpuCount, 'integer']);
          for (const [resource, value, unit] of requests) {
            ksmSeries(
              family,
              [...id, ['container', c.name], ['node', node], ['resource', resource], ['unit', unit]],
              parts.map((p) => ({ ...p, value })),
            );
          }
        }
      }
    }
    ksmSeries('kube_pod_labels', [...id, ...podLabelPairs(pod)], [{ ...life, value: 1 }]);
    // kube-state-metrics internal/store/pod.go: one info series per init container that has a status
    // (from scheduling on), with its restart_policy ("Always" for a native sidecar, else empty).
    const bound = segs.find((s) => s.node !== '');
    // internal/store/pod.go kube_pod_resourceclaim_info: one series per pod.spec.resourceClaims entry;
    // a template-backed claim's resolved name appears once the kubelet records it (from scheduling on).
    for (const c of pod.containers.filter((x) => x.draUnits && x.draUnits.length > 0)) {
      const claim = draClaimName(c);
      ksmSeries(
        'kube_pod_resourceclaim_info',
        [
          ...id,
          ['claim_name', claim],
          ['resourceclaim_name', bound ? `${pod.name}-${claim}` : ''],
          ['resourceclaim_template_name', 'single-gpu'],
        ],
        [{ ...life, value: 1 }],
      );
    }
    for (const c of bound ? (pod.initContainers ?? []) : []) {
      ksmSeries(
        'kube_pod_init_container_info',
        [
          ...id,
          ['container', c.name],
          ['image_spec', `registry.example/${c.name}:1`],
          ['image', `registry.example/${c.name}:1`],
          ['image_id', `registry.example/${c.name}@sha256:${'0'.repeat(64)}`],
          ['container_id', `containerd://${pod.uid.replace(/-/g, '')}${c.name.length}`],
          ['restart_policy', c.restartPolicy ?? ''],
        ],
        [{ startMs: bound!.startMs, endMs: life.endMs, value: 1 }],
      );
    }
    for (const phase of POD_PHASES) {
      ksmSeries(
        'kube_pod_status_phase',
        [...id, ['phase', phase]],
        merge(segs.map((s) => ({ startMs: s.startMs, endMs: s.endMs, value: s.phase === phase ? 1 : 0 }))),
      );
    }
  }
  // kube-state-metrics internal/store/resourcequota.go: labels namespace, resourcequota, resource, type.
  for (const q of quotaSeries(sim)) {
    ksmSeries(
      'kube_resourcequota',
      [
        ['namespace', q.namespace],
        ['resourcequota', q.quota],
        ['resource', q.resource],
        ['type', q.type],
      ],
      [{ ...always, value: q.value }],
    );
  }
  for (const plan of dcgmPlan(sim)) addDcgmSeries(sim, plan, cluster, add);
  const out = applySeriesShape(
    sim,
    FAMILIES.flatMap((f) => byFamily.get(f)!),
  );
  cache.set(sim, out);
  return out;
}

/**
 * The labels dcgm-exporter adds to a DRA-allocated device's series (--kubernetes-enable-dra;
 * internal/pkg/transformation/kubernetes.go and const.go: dra_claim_name, dra_claim_namespace,
 * dra_driver_name, dra_pool_name, dra_device_name, and dra_mig_profile / dra_mig_device_uuid for MIG).
 */
function draLabels(
  pod: SimPod,
  container: SimContainer,
  node: SimNode,
  device: SimDevice,
): [string, string][] {
  const labels: [string, string][] = [
    ['dra_claim_name', `${pod.name}-${draClaimName(container)}`],
    ['dra_claim_namespace', pod.namespace],
    ['dra_driver_name', 'gpu.nvidia.com'],
    ['dra_pool_name', node.name],
    [
      'dra_device_name',
      device.migProfile ? `gpu-${device.gpu}-mig-${device.migInstanceId}` : `gpu-${device.gpu}`,
    ],
  ];
  if (device.migProfile)
    labels.push(
      ['dra_mig_profile', device.migProfile],
      ['dra_mig_device_uuid', `MIG-${device.uuid.slice(4)}/${device.migInstanceId}`],
    );
  return labels;
}

function addDcgmSeries(
  sim: Simulation,
  plan: DevicePlan,
  cluster: [string, string][],
  add: (family: (typeof FAMILIES)[number], def: Omit<SeriesDef, 'family'>) => void,
): void {
  const { node, device } = plan;
  const schedule = dcgmSchedule(sim, node.dcgmOffsetMs);
  const base: [string, string][] = [
    ['gpu', String(device.gpu)],
    ['UUID', device.uuid],
    ['device', device.device],
    ['modelName', node.modelName],
    ['Hostname', node.name],
    ['pci_bus_id', device.pciBusId],
  ];
  if (device.migProfile)
    base.push(['GPU_I_PROFILE', device.migProfile], ['GPU_I_ID', String(device.migInstanceId)]);
  const exported = node.dcgmLabels === 'exported';
  const target: [string, string][] = [
    ...(exported
      ? ([
          ['container', 'nvidia-dcgm-exporter'],
          ['namespace', 'gpu-operator'],
          ['pod', dcgmExporterPodName(node)],
        ] as [string, string][])
      : []),
    ...cluster,
    ['job', 'dcgm-exporter'],
    ['instance', `${node.ip}:9400`],
  ];
  const prefix = exported ? 'exported_' : '';
  const families: (typeof FAMILIES)[number][] = [];
  if (hasGpuUtil(plan)) families.push('DCGM_FI_DEV_GPU_UTIL');
  if (hasGrEngineActive(plan)) families.push('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
  families.push('DCGM_FI_DEV_FB_USED');
  for (const family of families) {
    if (plan.idle.length > 0) {
      add(family, {
        exporter: 'dcgm-exporter',
        node: node.name,
        labels: [...base, ...target],
        schedule,
        segments: plan.idle.map((r) => ({ ...r, value: 0 })),
      });
    }
    for (const holder of plan.holders) {
      const value =
        family === 'DCGM_FI_DEV_GPU_UTIL'
          ? (t: number) => gpuUtilPercent(sim, plan, holder, t)
          : family === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE'
            ? (t: number) => grEngineActive(sim, plan, holder, t)
            : (t: number) => frameBufferUsedMiB(sim, plan, holder, t);
      add(family, {
        exporter: 'dcgm-exporter',
        node: node.name,
        labels: [
          ...base,
          [`${prefix}pod`, holder.pod.name],
          [`${prefix}namespace`, holder.pod.namespace],
          [`${prefix}container`, holder.container.name],
          ...(holder.dra ? draLabels(holder.pod, holder.container, node, device) : []),
          ...target,
        ],
        schedule,
        segments: [{ ...holder.range, value }],
      });
    }
  }
}
