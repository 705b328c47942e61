import type {
  CapacityType,
  ChargePeriod,
  Day,
  DayCoverage,
  Fraction,
  MeteredDay,
  NodeUsage,
  PodRef,
  PodUsage,
  TimeRange,
  UtilizationSource,
  WindowObservations,
} from '../types.ts';
import {
  fraction,
  fractionValue,
  inferMigSlicesPerGpu,
  isWholeGpuResource,
  migSlicesFor,
  parseMigResource,
} from './weights.ts';
import { compareStrings } from '../compare.ts';
import { lcm } from '../integers.ts';

/** Where a pod's team or project comes from: pod labels, then namespace labels, then a default. */
export interface AttributionOptions {
  podLabels: string[];
  namespaceLabels: string[];
  default: string;
}

/** Policies and catalog facts metering needs besides the observations. */
export interface MeterOptions {
  day: Day;
  /** Charge periods (any days; those of `day` must partition it). */
  chargePeriods: ChargePeriod[];
  pendingOnNode: 'not-charged' | 'charged';
  maxBridgeSeconds: number;
  team: AttributionOptions;
  project: AttributionOptions;
  nodeLabels: { instanceType: string[]; capacityType: string[] };
  migSlicesPerGpu: Record<string, number>;
  instanceTypes: Record<string, { gpus: number; gpuModel: string }>;
}

/** Held state of one grid interval. */
const NONE = 0;
const OBSERVED = 1;
const BRIDGED = 2;

const HOUR_MS = 3_600_000;

interface NodeState {
  cluster: string;
  node: string;
  instanceType: string;
  capacityType: CapacityType;
  catalog: { gpus: number; gpuModel: string } | undefined;
  /** MIG compute slices per GPU of this node's model (inferred per profile when unknown). */
  migSlices: number | undefined;
  /** Weight of one whole-GPU unit: 1, or physical/advertised under time-slicing. */
  wholeWeight: Fraction;
  /** Every weight used on this node has a denominator dividing this. */
  denominator: number;
  /** Per grid interval: NONE / OBSERVED / BRIDGED. */
  present: Uint8Array;
  /** Per grid interval: capacity in GPU equivalents x denominator. */
  capacityUnits: Float64Array;
  /** Per grid interval: allocated GPU equivalents x denominator (all charged pods). */
  allocatedUnits: Float64Array;
  /** Per charge period: exact capacity, allocation (GPU-equivalent ms x denominator) and present ms. */
  capacityByPeriod: number[];
  allocatedByPeriod: number[];
  presentMsByPeriod: number[];
  lastCapacityEq: number;
  labelled: boolean;
}

interface PodState {
  pod: PodRef;
  /** resource -> container -> units */
  requests: Map<string, Map<string, number>>;
  running: number[];
  pending: number[];
  nodes: Set<string>;
}

const key = (...parts: string[]) => parts.join('\u0000');

/**
 * Meters one day from the observations of its window (the day plus a bridging margin on both sides).
 *
 * A grid point at t credits the interval [t - step, t) to every pod seen Running there (and, when
 * `pendingOnNode` is "charged", Pending while bound to a node), and to every node that reported GPU
 * capacity there. Bridging: a gap between two points at which the same pod uid was Running (on its
 * node: a pod never changes node), no longer than `maxBridgeSeconds`, is credited too, because
 * phases only move forward (a pod Running on both sides of a gap was Running throughout); a longer
 * gap, or one with a different phase on a side, is not. Node capacity gaps bridge by the same rule
 * with the capacity seen before the gap. Bridged seconds are reported separately. Results are clipped
 * to the day and split at its charge periods, so consecutive days sum to the continuous truth.
 *
 * Pure: everything needed is in `obs` and `options`.
 */
export function meterWindow(obs: WindowObservations, options: MeterOptions): MeteredDay {
  const { grid } = obs;
  const { day } = options;
  const stepMs = grid.stepMs;
  const warnings = new Set<string>();
  if (stepMs <= 0 || (grid.endMs - grid.startMs) % stepMs !== 0) {
    throw new RangeError(`grid [${grid.startMs}, ${grid.endMs}) is not a whole number of ${stepMs} ms steps`);
  }
  if (day.startMs < grid.startMs || day.endMs > grid.endMs || (day.startMs - grid.startMs) % stepMs !== 0) {
    throw new RangeError(`day ${day.date} is not inside, or not aligned to, the observation grid`);
  }
  const n = (grid.endMs - grid.startMs) / stepMs;
  const dayFirst = (day.startMs - grid.startMs) / stepMs;
  const dayLast = (day.endMs - grid.startMs) / stepMs; // exclusive
  const maxBridgeMs = Math.max(0, options.maxBridgeSeconds) * 1000;

  const periods = periodsOfDay(day, options.chargePeriods);
  /** For each interval of the day: the charge periods it overlaps and by how many ms. */
  const slices: [number, number][][] = [];
  for (let k = dayFirst; k < dayLast; k++) {
    const start = grid.startMs + k * stepMs;
    const parts: [number, number][] = [];
    periods.forEach((p, i) => {
      const ms = Math.min(p.endMs, start + stepMs) - Math.max(p.startMs, start);
      if (ms > 0) parts.push([i, ms]);
    });
    slices.push(parts);
  }

  let misaligned = 0;
  const indexOf = (tMs: number): number | undefined => {
    const k = (tMs - grid.startMs) / stepMs - 1;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      misaligned++;
      return undefined;
    }
    return k;
  };

  // ---- pods --------------------------------------------------------------------------------------
  const pods = new Map<string, PodState>();
  const podState = (pod: PodRef): PodState => {
    const id = key(pod.cluster, pod.uid);
    let state = pods.get(id);
    if (!state) {
      state = { pod, requests: new Map(), running: [], pending: [], nodes: new Set() };
      pods.set(id, state);
    }
    return state;
  };
  for (const r of obs.running) podState(r.pod).running.push(...r.tsMs);
  for (const p of obs.pendingOnNode) podState(p.pod).pending.push(...p.tsMs);
  for (const req of obs.requests) {
    if (!(req.value > 0)) continue;
    const byContainer = podState(req.pod).requests.get(req.resource) ?? new Map<string, number>();
    byContainer.set(req.container, Math.max(byContainer.get(req.container) ?? 0, req.value));
    podState(req.pod).requests.set(req.resource, byContainer);
  }
  for (const pn of obs.podNodes) if (pn.node) podState(pn.pod).nodes.add(pn.node);

  // ---- nodes -------------------------------------------------------------------------------------
  const nodeLabels = new Map(obs.nodeLabels.map((l) => [key(l.cluster, l.node), l.labels]));
  const capacityByNode = new Map<string, WindowObservations['nodeCapacity']>();
  for (const c of obs.nodeCapacity) {
    const id = key(c.cluster, c.node);
    capacityByNode.set(id, [...(capacityByNode.get(id) ?? []), c]);
  }
  const podNodeOf = (state: PodState): string => {
    const names = [...state.nodes].sort();
    if (names.length > 1) {
      warnings.add(
        `pod ${describePod(state.pod)} is bound to several nodes (${names.join(', ')}); metered on ${names[0]}`,
      );
    }
    return names[0] ?? '';
  };
  const nodeIds = new Set<string>(capacityByNode.keys());
  for (const state of pods.values()) nodeIds.add(key(state.pod.cluster, podNodeOf(state)));

  const nodes = new Map<string, NodeState>();
  for (const id of [...nodeIds].sort()) {
    const [cluster = '', node = ''] = id.split('\u0000');
    nodes.set(
      id,
      buildNode(cluster, node, nodeLabels.get(id), capacityByNode.get(id) ?? [], pods, options, warnings, {
        intervals: n,
        periods: periods.length,
      }),
    );
  }

  // Node capacity per interval, then bridging.
  for (const [id, state] of nodes) {
    const series = capacityByNode.get(id) ?? [];
    for (const c of series) {
      const w = resourceWeight(c.resource, state, warnings);
      if (!w) continue;
      const unitsPerValue = (w.numerator * state.denominator) / w.denominator;
      for (const [t, value] of c.points) {
        const k = indexOf(t);
        if (k === undefined || !Number.isFinite(value) || value < 0) continue;
        if (state.present[k] === NONE) state.present[k] = OBSERVED;
        state.capacityUnits[k]! += value * unitsPerValue;
      }
    }
    bridge(state.present, stepMs, maxBridgeMs, (k, from) => {
      state.capacityUnits[k] = state.capacityUnits[from]!;
    });
  }

  // ---- pod usage -----------------------------------------------------------------------------------
  const utilization = indexUtilization(obs, indexOf);
  const podLabels = new Map(obs.podLabels.map((l) => [key(l.pod.cluster, l.pod.uid), l.labels]));
  const nsLabels = new Map(obs.namespaceLabels.map((l) => [key(l.cluster, l.namespace), l.labels]));
  const hours = Math.round((day.endMs - day.startMs) / HOUR_MS);
  const hourly: Record<string, number[]> = {};
  for (const state of nodes.values()) {
    if (state.present.subarray(dayFirst, dayLast).some((p) => p !== NONE)) {
      hourly[state.instanceType] ??= new Array<number>(hours).fill(0);
    }
  }

  const podUsages: PodUsage[] = [];
  for (const state of [...pods.values()].sort((a, b) => comparePods(a.pod, b.pod))) {
    const running = new Uint8Array(n);
    for (const t of state.running) {
      const k = indexOf(t);
      if (k !== undefined) running[k] = OBSERVED;
    }
    bridge(running, stepMs, maxBridgeMs);
    const nodeName = podNodeOf(state);
    const pending = new Uint8Array(n);
    if (options.pendingOnNode === 'charged' && nodeName !== '') {
      for (const t of state.pending) {
        const k = indexOf(t);
        if (k !== undefined && running[k] === NONE) pending[k] = OBSERVED;
      }
      bridge(pending, stepMs, maxBridgeMs);
      for (let k = 0; k < n; k++) if (running[k] !== NONE) pending[k] = NONE;
    } else if (options.pendingOnNode === 'charged' && state.pending.length > 0) {
      warnings.add(`pod ${describePod(state.pod)} was Pending with no known node; not charged`);
    }
    const heldInDay = (held: Uint8Array) => held.subarray(dayFirst, dayLast).some((h) => h !== NONE);
    const runsInDay = heldInDay(running);
    const pendsInDay = heldInDay(pending);
    if (!runsInDay && !pendsInDay) continue;

    const totals = [...state.requests].map(([resource, byContainer]) => ({
      resource,
      requested: [...byContainer.values()].reduce((a, b) => a + b, 0),
    }));
    if (totals.length === 0) {
      warnings.add(
        `pod ${describePod(state.pod)} held a node in ${day.date} but has no GPU request data; not charged`,
      );
      continue;
    }
    if (nodeName === '')
      warnings.add(
        `pod ${describePod(state.pod)} has no node in kube_pod_info; metered on node "" (unknown instance type)`,
      );
    const node = nodes.get(key(state.pod.cluster, nodeName))!;

    const team = attribute(
      options.team,
      podLabels.get(key(state.pod.cluster, state.pod.uid)),
      nsLabels.get(key(state.pod.cluster, state.pod.namespace)),
    );
    const project = attribute(
      options.project,
      podLabels.get(key(state.pod.cluster, state.pod.uid)),
      nsLabels.get(key(state.pod.cluster, state.pod.namespace)),
    );
    const util = utilization.get(key(state.pod.cluster, state.pod.namespace, state.pod.pod));
    const utilSource = chooseUtilizationSource(util, running, pending, dayFirst, dayLast);

    for (const [phase, held, inDay] of [
      ['Running', running, runsInDay],
      ['PendingOnNode', pending, pendsInDay],
    ] as const) {
      if (!inDay) continue;
      const heldMs = new Array<number>(periods.length).fill(0);
      const bridgedMs = new Array<number>(periods.length).fill(0);
      const utilSum = new Array<number>(periods.length).fill(0);
      const utilCount = new Array<number>(periods.length).fill(0);
      for (let k = dayFirst; k < dayLast; k++) {
        if (held[k] === NONE) continue;
        const parts = slices[k - dayFirst]!;
        for (const [p, ms] of parts) {
          heldMs[p]! += ms;
          if (held[k] === BRIDGED) bridgedMs[p]! += ms;
        }
        const sample = utilSource === 'none' ? undefined : util?.[utilSource]?.get(k);
        if (sample && sample[1] > 0 && parts.length > 0) {
          // A point's utilization belongs to the charge period its interval starts in.
          utilSum[parts[0]![0]]! += sample[0] / sample[1];
          utilCount[parts[0]![0]]! += 1;
        }
      }
      for (const { resource, requested } of totals) {
        const weight = resourceWeight(resource, node, warnings);
        if (!weight) {
          warnings.add(
            `pod ${describePod(state.pod)} requests ${resource}, which is not a GPU resource; not charged`,
          );
          continue;
        }
        const unitsPerStep = (requested * weight.numerator * node.denominator) / weight.denominator;
        const gpuEquivalents = (requested * weight.numerator) / weight.denominator;
        for (let k = dayFirst; k < dayLast; k++) {
          if (held[k] === NONE) continue;
          node.allocatedUnits[k]! += unitsPerStep;
          const hourly0 = hourly[node.instanceType] ?? new Array<number>(hours).fill(0);
          hourly[node.instanceType] = hourly0;
          const h = Math.floor((grid.startMs + k * stepMs - day.startMs) / HOUR_MS);
          hourly0[h]! += gpuEquivalents * stepMs;
          for (const [p, ms] of slices[k - dayFirst]!) node.allocatedByPeriod[p]! += unitsPerStep * ms;
        }
        periods.forEach((period, p) => {
          if (heldMs[p] === 0) return;
          const heldSeconds = heldMs[p]! / 1000;
          podUsages.push({
            pod: state.pod,
            node: nodeName,
            chargePeriod: period,
            gpuResource: resource,
            requested,
            weight,
            gpuEquivalents,
            heldSeconds,
            bridgedSeconds: bridgedMs[p]! / 1000,
            gpuSeconds: (heldMs[p]! * requested * weight.numerator) / weight.denominator / 1000,
            utilization: utilCount[p]! > 0 ? utilSum[p]! / utilCount[p]! : null,
            utilizationSource: utilCount[p]! > 0 ? utilSource : 'none',
            team: team.value,
            project: project.value,
            teamSource: team.source,
            phase,
          });
        });
      }
    }
  }

  // ---- node usage ------------------------------------------------------------------------------------
  const nodeUsages: NodeUsage[] = [];
  for (const state of nodes.values()) {
    let overSeconds = 0;
    for (let k = dayFirst; k < dayLast; k++) {
      const parts = slices[k - dayFirst]!;
      if (state.present[k] !== NONE) {
        for (const [p, ms] of parts) {
          state.capacityByPeriod[p]! += state.capacityUnits[k]! * ms;
          state.presentMsByPeriod[p]! += ms;
        }
      }
      if (state.allocatedUnits[k]! > state.capacityUnits[k]!) overSeconds += stepMs / 1000;
    }
    if (overSeconds > 0) {
      warnings.add(
        `node ${describeNode(state)}: allocated GPUs exceed reported capacity for ${overSeconds} s on ${day.date}` +
          (state.present.subarray(dayFirst, dayLast).every((p) => p === NONE)
            ? ' (node reports no GPU capacity)'
            : ''),
      );
    }
    const scale = state.denominator * 1000;
    periods.forEach((period, p) => {
      const capacity = state.capacityByPeriod[p]!;
      const allocated = state.allocatedByPeriod[p]!;
      if (capacity === 0 && allocated === 0 && state.presentMsByPeriod[p] === 0) return;
      nodeUsages.push({
        cluster: state.cluster,
        node: state.node,
        chargePeriod: period,
        instanceType: state.instanceType,
        capacityType: state.capacityType,
        presentSeconds: state.presentMsByPeriod[p]! / 1000,
        capacityGpuSeconds: capacity / scale,
        allocatedGpuSeconds: allocated / scale,
        idleGpuSeconds: (capacity - allocated) / scale,
        gpus: state.catalog?.gpus ?? state.lastCapacityEq,
        exact: { denominator: state.denominator, capacity, allocated, idle: capacity - allocated },
      });
    });
  }
  nodeUsages.sort(
    (a, b) =>
      a.chargePeriod.startMs - b.chargePeriod.startMs ||
      compareStrings(a.cluster, b.cluster) ||
      compareStrings(a.node, b.node),
  );
  podUsages.sort(
    (a, b) =>
      a.chargePeriod.startMs - b.chargePeriod.startMs ||
      comparePods(a.pod, b.pod) ||
      compareStrings(a.gpuResource, b.gpuResource) ||
      compareStrings(a.phase, b.phase),
  );

  // Accumulated as GPU-equivalent ms (exact for whole GPUs); now the mean GPUs of each hour.
  for (const series of Object.values(hourly)) {
    for (let h = 0; h < series.length; h++) series[h] = series[h]! / HOUR_MS;
  }
  if (misaligned > 0)
    warnings.add(
      `${misaligned} observation point(s) were not on the ${stepMs} ms grid of the window and were ignored`,
    );

  return {
    day,
    pods: podUsages,
    nodes: nodeUsages,
    coverage: coverageOf(obs, day, dayFirst, dayLast, indexOf),
    scrape: obs.scrape,
    hourlyAllocatedGpus: hourly,
    warnings: [...warnings],
  };
}

/**
 * Marks as BRIDGED the NONE intervals between two held intervals when the gap is at most
 * `maxBridgeMs`; `fill(k, from)` is called for each bridged interval with the held index before it.
 */
export function bridge(
  held: Uint8Array,
  stepMs: number,
  maxBridgeMs: number,
  fill?: (k: number, from: number) => void,
): void {
  let last = -1;
  for (let k = 0; k < held.length; k++) {
    if (held[k] !== OBSERVED) continue;
    if (last >= 0 && k - last > 1 && (k - last - 1) * stepMs <= maxBridgeMs) {
      for (let j = last + 1; j < k; j++) {
        held[j] = BRIDGED;
        fill?.(j, last);
      }
    }
    last = k;
  }
}

function periodsOfDay(day: Day, chargePeriods: readonly ChargePeriod[]): ChargePeriod[] {
  const own = chargePeriods
    .filter((p) => p.startMs < day.endMs && p.endMs > day.startMs)
    .map((p) => ({
      date: day.date,
      startMs: Math.max(p.startMs, day.startMs),
      endMs: Math.min(p.endMs, day.endMs),
    }))
    .sort((a, b) => a.startMs - b.startMs);
  if (own.length === 0) return [{ date: day.date, startMs: day.startMs, endMs: day.endMs }];
  let cursor = day.startMs;
  for (const p of own) {
    if (p.startMs !== cursor)
      throw new RangeError(
        `charge periods of ${day.date} do not partition the day (hole or overlap at ${cursor})`,
      );
    cursor = p.endMs;
  }
  if (cursor !== day.endMs) throw new RangeError(`charge periods of ${day.date} end before the day does`);
  return own;
}

function buildNode(
  cluster: string,
  node: string,
  labels: Record<string, string> | undefined,
  capacity: WindowObservations['nodeCapacity'],
  pods: Map<string, PodState>,
  options: MeterOptions,
  warnings: Set<string>,
  size: { intervals: number; periods: number },
): NodeState {
  const describe = `${cluster ? `${cluster}/` : ''}${node || '(none)'}`;
  const instanceType = firstLabel(labels, options.nodeLabels.instanceType) ?? 'unknown';
  const capacityType = toCapacityType(firstLabel(labels, options.nodeLabels.capacityType));
  const catalog = options.instanceTypes[instanceType];
  if (node !== '' && !labels)
    warnings.add(`node ${describe} has no kube_node_labels; instance type "unknown"`);
  else if (node !== '' && instanceType === 'unknown')
    warnings.add(`node ${describe} has no instance-type label; instance type "unknown"`);
  else if (node !== '' && !catalog) {
    warnings.add(
      `instance type "${instanceType}" of node ${describe} is not in the price catalog; no GPU model for MIG or time-slicing weights`,
    );
  }

  let migSlices = migSlicesFor(catalog?.gpuModel, options.migSlicesPerGpu);
  const resources = new Set(capacity.map((c) => c.resource));
  for (const state of pods.values()) {
    if (state.pod.cluster === cluster && ([...state.nodes].sort()[0] ?? '') === node)
      for (const r of state.requests.keys()) resources.add(r);
  }
  const migResources = [...resources].filter((r) => parseMigResource(r));
  if (migResources.length > 0 && migSlices === undefined) {
    migSlices = inferMigSlicesPerGpu(migResources[0]!);
    // Pods never bound to a node (node "") are never charged; a weight warning about them is noise.
    if (node !== '')
      warnings.add(
        `node ${describe}: GPU model ${catalog?.gpuModel ?? 'unknown'} not in metering.migSlicesPerGpu; MIG weights assume ${migSlices} slices per GPU`,
      );
  }

  // Time-slicing: whole-GPU units advertised beyond the physical GPUs not partitioned by MIG.
  const byTime = new Map<number, { whole: number; migEq: number }>();
  for (const c of capacity) {
    const mig = parseMigResource(c.resource);
    for (const [t, v] of c.points) {
      if (!Number.isFinite(v) || v < 0) continue;
      const entry = byTime.get(t) ?? { whole: 0, migEq: 0 };
      if (isWholeGpuResource(c.resource)) entry.whole += v;
      else if (mig && migSlices) entry.migEq += (v * mig.slices) / migSlices;
      byTime.set(t, entry);
    }
  }
  const advertisedWhole = Math.max(0, ...[...byTime.values()].map((e) => e.whole));
  const migGpus = Math.ceil(Math.max(0, ...[...byTime.values()].map((e) => e.migEq)) - 1e-9);
  let wholeWeight = fraction(1, 1);
  if (catalog && advertisedWhole > 0) {
    const physicalWhole = catalog.gpus - migGpus;
    if (physicalWhole > 0 && advertisedWhole > physicalWhole && Number.isInteger(advertisedWhole)) {
      wholeWeight = fraction(physicalWhole, advertisedWhole);
    } else if (physicalWhole <= 0) {
      warnings.add(
        `node ${describe} advertises whole GPUs although MIG uses all ${catalog.gpus} of its GPUs; whole GPUs weighted 1`,
      );
    }
  } else if (!catalog && advertisedWhole > 0 && node !== '') {
    warnings.add(
      `node ${describe}: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1`,
    );
  }

  let denominator = wholeWeight.denominator;
  for (const r of resources) {
    const mig = parseMigResource(r);
    if (mig && migSlices && mig.slices <= migSlices)
      denominator = lcm(denominator, fraction(mig.slices, migSlices).denominator);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  const last = times.at(-1);
  let lastCapacityEq = 0;
  if (last !== undefined) {
    for (const c of capacity) {
      const point = c.points.find(([t]) => t === last);
      const mig = parseMigResource(c.resource);
      if (!point) continue;
      if (isWholeGpuResource(c.resource)) lastCapacityEq += point[1] * fractionValue(wholeWeight);
      else if (mig && migSlices) lastCapacityEq += (point[1] * mig.slices) / migSlices;
    }
  }
  return {
    cluster,
    node,
    instanceType,
    capacityType,
    catalog,
    migSlices,
    wholeWeight,
    denominator,
    present: new Uint8Array(size.intervals),
    capacityUnits: new Float64Array(size.intervals),
    allocatedUnits: new Float64Array(size.intervals),
    capacityByPeriod: new Array<number>(size.periods).fill(0),
    allocatedByPeriod: new Array<number>(size.periods).fill(0),
    presentMsByPeriod: new Array<number>(size.periods).fill(0),
    lastCapacityEq,
    labelled: !!labels,
  };
}

function resourceWeight(resource: string, node: NodeState, warnings: Set<string>): Fraction | null {
  if (isWholeGpuResource(resource)) return node.wholeWeight;
  const mig = parseMigResource(resource);
  if (!mig) return null;
  const w =
    node.migSlices && mig.slices > 0 && mig.slices <= node.migSlices
      ? fraction(mig.slices, node.migSlices)
      : null;
  if (!w) {
    warnings.add(
      `node ${describeNode(node)}: MIG profile ${resource} does not fit a GPU of ${node.migSlices ?? '?'} slices; not metered`,
    );
  }
  return w;
}

function firstLabel(
  labels: Record<string, string> | undefined,
  names: readonly string[],
): string | undefined {
  if (!labels) return undefined;
  for (const name of names) {
    const value = labels[name];
    if (value) return value;
  }
  return undefined;
}

/** Maps Karpenter (spot/on-demand/reserved) and EKS (SPOT/ON_DEMAND/CAPACITY_BLOCK) label values. */
export function toCapacityType(value: string | undefined): CapacityType {
  switch ((value ?? '').toLowerCase().replace(/_/g, '-')) {
    case 'spot':
      return 'spot';
    case 'on-demand':
      return 'on-demand';
    case 'reserved':
    case 'capacity-block':
      return 'reserved';
    default:
      return 'unknown';
  }
}

function attribute(
  rule: AttributionOptions,
  podLabels: Record<string, string> | undefined,
  nsLabels: Record<string, string> | undefined,
): { value: string; source: PodUsage['teamSource'] } {
  const fromPod = firstLabel(podLabels, rule.podLabels);
  if (fromPod) return { value: fromPod, source: 'pod-label' };
  const fromNs = firstLabel(nsLabels, rule.namespaceLabels);
  if (fromNs) return { value: fromNs, source: 'namespace-label' };
  return { value: rule.default, source: 'default' };
}

type UtilIndex = Map<
  string,
  Partial<Record<Exclude<UtilizationSource, 'none'>, Map<number, [number, number]>>>
>;

function indexUtilization(obs: WindowObservations, indexOf: (t: number) => number | undefined): UtilIndex {
  const out: UtilIndex = new Map();
  for (const u of obs.utilization) {
    const id = key(u.cluster, u.namespace, u.pod);
    const entry = out.get(id) ?? {};
    const points = entry[u.source] ?? new Map<number, [number, number]>();
    for (const [t, sum, count] of u.points) {
      const k = indexOf(t);
      if (k === undefined || !Number.isFinite(sum) || !(count > 0)) continue;
      const prev = points.get(k) ?? [0, 0];
      points.set(k, [prev[0] + sum, prev[1] + count]);
    }
    entry[u.source] = points;
    out.set(id, entry);
  }
  return out;
}

/** DCGM_FI_PROF_GR_ENGINE_ACTIVE when the pod has any such sample while held in the day, else DCGM_FI_DEV_GPU_UTIL. */
function chooseUtilizationSource(
  util: UtilIndex extends Map<string, infer V> ? V | undefined : never,
  running: Uint8Array,
  pending: Uint8Array,
  first: number,
  last: number,
): UtilizationSource {
  const has = (points: Map<number, [number, number]> | undefined) => {
    if (!points) return false;
    for (const k of points.keys())
      if (k >= first && k < last && (running[k] === OBSERVED || pending[k] === OBSERVED)) return true;
    return false;
  };
  if (has(util?.DCGM_FI_PROF_GR_ENGINE_ACTIVE)) return 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
  if (has(util?.DCGM_FI_DEV_GPU_UTIL)) return 'DCGM_FI_DEV_GPU_UTIL';
  return 'none';
}

function coverageOf(
  obs: WindowObservations,
  day: Day,
  first: number,
  last: number,
  indexOf: (t: number) => number | undefined,
): DayCoverage {
  const total = last - first;
  const present = (ts: number[]) => {
    const set = new Set<number>();
    for (const t of ts) {
      const k = indexOf(t);
      if (k !== undefined && k >= first && k < last) set.add(k);
    }
    return set;
  };
  const ksm = present(obs.ksmPresentTsMs);
  const dcgm = present(obs.dcgmPresentTsMs);
  const gaps: TimeRange[] = [];
  for (let k = first; k < last; k++) {
    if (ksm.has(k)) continue;
    const startMs = obs.grid.startMs + k * obs.grid.stepMs;
    const prev = gaps.at(-1);
    if (prev && prev.endMs === startMs) prev.endMs += obs.grid.stepMs;
    else gaps.push({ startMs, endMs: startMs + obs.grid.stepMs });
  }
  return {
    date: day.date,
    kubeStateMetrics: total > 0 ? ksm.size / total : 0,
    dcgm: obs.dcgmPresentTsMs.length === 0 ? null : total > 0 ? dcgm.size / total : 0,
    gaps,
  };
}

function describePod(pod: PodRef): string {
  return `${pod.cluster ? `${pod.cluster}/` : ''}${pod.namespace}/${pod.pod} (uid ${pod.uid})`;
}

function describeNode(node: { cluster: string; node: string }): string {
  return `${node.cluster ? `${node.cluster}/` : ''}${node.node || '(none)'}`;
}

function comparePods(a: PodRef, b: PodRef): number {
  return (
    compareStrings(a.cluster, b.cluster) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.pod, b.pod) ||
    compareStrings(a.uid, b.uid)
  );
}
