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
import { nodeCapacity } from './gpu.ts';
import type { SimNode, SimPod, Simulation } from './model.ts';
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
  'kube_node_labels',
  'kube_node_status_capacity',
  'kube_pod_info',
  'kube_pod_labels',
  'kube_pod_status_phase',
  'kube_pod_container_resource_requests',
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

/** KSM's spelling of a Kubernetes label name: label_ + the name with every non-[A-Za-z0-9_] as "_". */
export function ksmLabelName(kubernetesLabel: string): string {
  return `label_${kubernetesLabel.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** kube_node_labels label pairs of a node (instance type and capacity type in its label style). */
export function nodeLabelPairs(node: SimNode): [string, string][] {
  const capacity: [string, string] =
    node.labelStyle === 'karpenter'
      ? ['label_karpenter_sh_capacity_type', node.capacityType]
      : ['label_eks_amazonaws_com_capacity_type', node.capacityType === 'spot' ? 'SPOT' : 'ON_DEMAND'];
  return [['label_node_kubernetes_io_instance_type', node.instanceType], capacity];
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
      for (const c of pod.containers) {
        const requests: [string, number, string][] = [['cpu', c.cpuCores, 'core']];
        if (c.gpuResource) requests.push([c.gpuResource, c.gpuCount, 'integer']);
        for (const [resource, value, unit] of requests) {
          ksmSeries(
            'kube_pod_container_resource_requests',
            [...id, ['container', c.name], ['node', node], ['resource', resource], ['unit', unit]],
            parts.map((p) => ({ ...p, value })),
          );
        }
      }
    }
    ksmSeries('kube_pod_labels', [...id, ...podLabelPairs(pod)], [{ ...life, value: 1 }]);
    for (const phase of POD_PHASES) {
      ksmSeries(
        'kube_pod_status_phase',
        [...id, ['phase', phase]],
        merge(segs.map((s) => ({ startMs: s.startMs, endMs: s.endMs, value: s.phase === phase ? 1 : 0 }))),
      );
    }
  }
  for (const plan of dcgmPlan(sim)) addDcgmSeries(sim, plan, cluster, add);
  const out = applySeriesShape(
    sim,
    FAMILIES.flatMap((f) => byFamily.get(f)!),
  );
  cache.set(sim, out);
  return out;
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
          ...target,
        ],
        schedule,
        segments: [{ ...holder.range, value }],
      });
    }
  }
}
