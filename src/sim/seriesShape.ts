/**
 * Real-world label shapes (see {@link SeriesShape}): the labels Prometheus adds to what the exporters
 * expose (scrape-target labels under each exporter's honor_labels setting, external labels, the HA
 * replica label), dcgm-exporter's own extra labels, label changes in the middle of a month and
 * duplicated series. Applied to the textbook series of a simulation; what happened in the cluster is
 * unchanged, so a correct pipeline bills exactly the same.
 *
 * The shapes follow the documented expositions: dcgm-exporter's default counters label every sample
 * with `gpu`, `UUID`, `pci_bus_id`, `device`, `modelName`, `Hostname` (the exporter pod's host name) and
 * `DCGM_FI_DRIVER_VERSION`; kube-prometheus-stack scrapes kube-state-metrics with honorLabels: true, so
 * the target's `container`/`endpoint`/`namespace`/`pod`/`service` appear only on series that lack them
 * (kube_node_*), while the GPU Operator's dcgm-exporter ServiceMonitor leaves honor_labels off.
 */
import type { TimeRange } from '../core/types.ts';
import type { SeriesShape, SimNode, Simulation } from './model.ts';
import { hashString } from './prng.ts';

/** What this module needs of a series (structurally the SeriesDef of series.ts). */
interface ShapeableSeries {
  family: string;
  exporter: 'kube-state-metrics' | 'dcgm-exporter';
  labels: [string, string][];
  node?: string;
  schedule: { offsetMs: number; intervalMs: number };
  segments: (TimeRange & { value: unknown })[];
}

/** Address of the (first) kube-state-metrics scrape target before any rescheduling. */
export const KSM_INSTANCE = '10.0.0.10:8080';

/** dcgm-exporter's DCGM_FI_DRIVER_VERSION label, in upgrade order. */
export const DRIVER_VERSIONS = ['535.161.08', '550.54.15', '550.90.07', '560.35.03'] as const;

const KSM_SERVICE = 'kube-prometheus-stack-kube-state-metrics';

const podSuffix = (h: number) => (h % 60466176).toString(36).padStart(5, '0');

/**
 * The dcgm-exporter pod's own name on a node (a scrape target label under honor_labels off), after
 * `restarts` re-creations of the DaemonSet pod (each gets a new random suffix).
 */
export function dcgmExporterPodName(node: Pick<SimNode, 'name'>, restarts = 0): string {
  const h = restarts === 0 ? hashString(node.name) : hashString(`${node.name}#${restarts}`);
  return `nvidia-dcgm-exporter-${podSuffix(h)}`;
}

/** `instance` of kube-state-metrics replica `replica` after it was rescheduled `moves` times. */
export function ksmInstance(replica: number, moves: number): string {
  if (replica === 0 && moves === 0) return KSM_INSTANCE;
  return `10.0.${1 + replica}.${((moves * 37 + 11) % 250) + 2}:8080`;
}

/** Pod name of kube-state-metrics replica `replica` after `moves` reschedulings (a Deployment pod). */
export function ksmPodName(replica: number, moves: number): string {
  return `${KSM_SERVICE}-6d4f9c7b8-${podSuffix(hashString(`ksm#${replica}#${moves}`))}`;
}

function clip<S extends TimeRange>(segments: readonly S[], fromMs: number, toMs: number): S[] {
  const out: S[] = [];
  for (const s of segments) {
    const startMs = Math.max(s.startMs, fromMs);
    const endMs = Math.min(s.endMs, toMs);
    if (endMs > startMs) out.push({ ...s, startMs, endMs });
  }
  return out;
}

const sameLabels = (a: readonly [string, string][], b: readonly [string, string][]) =>
  a.length === b.length && a.every(([k, v], i) => b[i]![0] === k && b[i]![1] === v);

function ksmLabels(
  labels: readonly [string, string][],
  shape: SeriesShape,
  replica: number,
  moves: number,
): [string, string][] {
  const own = new Map(labels);
  own.set('instance', ksmInstance(replica, moves));
  if (shape.targetLabels) {
    // honor_labels: true — a target label is added only where the exposed series lacks it.
    const target: [string, string][] = [
      ['container', 'kube-state-metrics'],
      ['endpoint', 'http'],
      ['namespace', 'monitoring'],
      ['pod', ksmPodName(replica, moves)],
      ['service', KSM_SERVICE],
    ];
    for (const [k, v] of target) if (!own.has(k)) own.set(k, v);
  }
  return [...own];
}

function dcgmLabels(
  labels: readonly [string, string][],
  shape: SeriesShape,
  node: SimNode,
  upgrades: number,
  restarts: number,
): [string, string][] {
  const own = new Map(labels);
  const exporterPod = dcgmExporterPodName(node, restarts);
  if (node.dcgmLabels === 'exported') own.set('pod', exporterPod);
  const hasDriverChanges = (shape.changes ?? []).some((c) => c.kind === 'driver-upgraded');
  if (shape.targetLabels || hasDriverChanges) {
    own.set('DCGM_FI_DRIVER_VERSION', DRIVER_VERSIONS[Math.min(upgrades, DRIVER_VERSIONS.length - 1)]!);
  }
  if (shape.targetLabels) {
    own.set('Hostname', exporterPod);
    if (node.dcgmLabels === 'direct') {
      // honor_labels: true — idle GPUs (no pod labels exposed) get the exporter pod's own labels.
      const target: [string, string][] = [
        ['container', 'nvidia-dcgm-exporter'],
        ['namespace', 'gpu-operator'],
        ['pod', exporterPod],
      ];
      for (const [k, v] of target) if (!own.has(k)) own.set(k, v);
    }
    own.set('endpoint', 'gpu-metrics');
    own.set('service', 'nvidia-dcgm-exporter');
  }
  return [...own];
}

/**
 * The series of `sim` in its {@link SeriesShape}: label changes split a series into consecutive label
 * sets (no gap, same sample times), KSM replicas and HA replicas duplicate it (their scrapes offset as
 * configured). Order is kept (every output series follows the one it came from), so families stay
 * contiguous. Without a shape, `series` is returned as is.
 */
export function applySeriesShape<T extends ShapeableSeries>(sim: Simulation, series: T[]): T[] {
  const shape = sim.shape;
  if (!shape) return series;
  const changes = [...(shape.changes ?? [])].sort((a, b) => a.atMs - b.atMs);
  const nodes = new Map(sim.nodes.map((n) => [n.name, n]));
  const external = Object.entries(shape.externalLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const ksmCopies = Math.max(1, shape.ksmReplicas?.count ?? 1);
  const ha = shape.haReplicas;
  const out: T[] = [];
  for (const s of series) {
    const ksm = s.exporter === 'kube-state-metrics';
    const relevant = changes.filter((c) => (c.kind === 'ksm-rescheduled') === ksm);
    const node = s.node === undefined ? undefined : nodes.get(s.node);
    if (!ksm && !node) throw new RangeError(`dcgm-exporter series without a known node: ${s.node}`);
    for (let replica = 0; replica < (ksm ? ksmCopies : 1); replica++) {
      const variants: T[] = [];
      for (let e = 0; e <= relevant.length; e++) {
        const from = e === 0 ? Number.NEGATIVE_INFINITY : relevant[e - 1]!.atMs;
        const to = e === relevant.length ? Number.POSITIVE_INFINITY : relevant[e]!.atMs;
        const segments = clip(s.segments, from, to);
        if (segments.length === 0) continue;
        const before = (kind: string) => relevant.slice(0, e).filter((c) => c.kind === kind).length;
        const own =
          ksm && shape.ksmUidOnPodInfoOnly && s.family.startsWith('kube_pod_') && s.family !== 'kube_pod_info'
            ? s.labels.filter(([k]) => k !== 'uid')
            : s.labels;
        const labels = [
          ...(ksm
            ? ksmLabels(own, shape, replica, before('ksm-rescheduled'))
            : dcgmLabels(
                s.labels,
                shape,
                node!,
                before('driver-upgraded'),
                before('dcgm-exporter-restarted'),
              )),
          ...external,
        ];
        const previous = variants.at(-1);
        if (previous && sameLabels(previous.labels, labels)) {
          previous.segments = [...previous.segments, ...segments];
          continue;
        }
        const offsetMs = s.schedule.offsetMs + replica * (shape.ksmReplicas?.offsetMs ?? 0);
        variants.push({ ...s, labels, segments, schedule: { ...s.schedule, offsetMs } });
      }
      for (const v of variants) {
        if (!ha) {
          out.push(v);
          continue;
        }
        ha.values.forEach((value, i) => {
          out.push({
            ...v,
            labels: [...v.labels, [ha.label, value]],
            schedule: { ...v.schedule, offsetMs: v.schedule.offsetMs + i * (ha.offsetMs ?? 0) },
          });
        });
      }
    }
  }
  return out;
}
