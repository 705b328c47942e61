import { compareStrings } from '../compare.ts';
import type { Fraction, PodUsage, UtilizationSource } from '../types.ts';
import type { Attributor } from './attribution.ts';
import { bridge, BRIDGED, heldAt, heldInDay, heldSpan, NONE, OBSERVED } from './held.ts';
import type { PodState } from './indexObservations.ts';
import { weighResource } from './nodeCapacity.ts';
import type { NodeIdentity } from './nodeIdentity.ts';
import type { NodeGpus } from './nodeWeights.ts';
import type { MeterOptions } from './options.ts';
import { effectiveRequests } from './podRequests.ts';
import { DEFAULT_IDLE_HELD, idleHeldMsByPeriod, type IdleHeldRule } from './idleHeld.ts';
import { chooseUtilizationSource, type PodUtilization, type StepSamples } from './podUtilization.ts';
import { comparePods, describeNode, describePod, key } from './refs.ts';
import { isNvidiaResource, type NodeWeights } from './weights.ts';
import type { WindowGrid } from './window.ts';
import { warningText } from '../warningText.ts';

/** GPU equivalents one pod holds of one resource on one node, in one phase, over the window. */
export interface Allocation {
  /** Key (cluster, node) of the node it is allocated on. */
  nodeId: string;
  /** requested × weight (the request at most what fits the node). */
  gpuEquivalents: number;
  /** The same in 1/denominator units of the node (exact), added at every held interval. */
  unitsPerStep: number;
  /** The node's denominator (units per GPU). */
  denominator: number;
  /** Held intervals of the window (NONE / OBSERVED / BRIDGED). */
  held: Uint8Array;
  /**
   * The day's intervals it can be held in, [from, to) (heldSpan): loops over the day skip the others,
   * where nothing is held. Absent: the whole day.
   */
  span?: { from: number; to: number };
  /**
   * Per interval, the units the node could give it where that is less than `unitsPerStep` (set by
   * boundToCapacity, see boundToCapacity.ts); absent: `unitsPerStep` at every held interval.
   */
  unitsAt?: Float64Array;
  /** The request as kube-state-metrics reported it, when it was more than fits the node (at most Number.MAX_VALUE). */
  requestedAsObserved?: number;
  /** Its rows, by charge period of the day (undefined where it was not held). */
  rows: (PodUsage | undefined)[];
}

/** The units a node holds at interval k for an allocation held there. */
export function unitsAt(a: Allocation, k: number): number {
  return a.unitsAt ? a.unitsAt[k]! : a.unitsPerStep;
}

/** What pod metering needs besides the pods: the window, the policy, the nodes and the label sources. */
export interface PodMeteringContext {
  window: WindowGrid;
  pendingOnNode: MeterOptions['pendingOnNode'];
  nodes: ReadonlyMap<string, NodeIdentity & { weights: NodeWeights; gpus?: Pick<NodeGpus, 'physicalGpus'> }>;
  attribute: Attributor;
  utilization: ReadonlyMap<string, PodUtilization>;
  /** When a held GPU counts as held while idle (metering.idleHeld); absent = {@link DEFAULT_IDLE_HELD}. */
  idleHeld?: IdleHeldRule;
}

/**
 * Meters every pod held in the day: one row per charge period, phase and GPU resource (sorted by
 * period, pod, resource, phase), and the allocations they put on their nodes (in pod order).
 */
export function meterPods(
  pods: ReadonlyMap<string, PodState>,
  context: PodMeteringContext,
  warnings: Set<string>,
): { rows: PodUsage[]; allocations: Allocation[] } {
  const rows: PodUsage[] = [];
  const allocations: Allocation[] = [];
  for (const state of [...pods.values()].sort((a, b) => comparePods(a.pod, b.pod))) {
    meterPod(state, context, warnings, rows, allocations);
  }
  rows.sort(
    (a, b) =>
      a.chargePeriod.startMs - b.chargePeriod.startMs ||
      comparePods(a.pod, b.pod) ||
      compareStrings(a.gpuResource, b.gpuResource) ||
      compareStrings(a.phase, b.phase),
  );
  return { rows, allocations };
}

/**
 * The intervals a pod is charged for: Running (bridged), and — when Pending on a node is charged and
 * the pod has a node — Pending outside its Running intervals (bridged). A pod Pending with no known
 * node is never charged (warned under the "charged" policy).
 */
export function chargedIntervals(
  state: PodState,
  window: WindowGrid,
  pendingOnNode: MeterOptions['pendingOnNode'],
  warnings: Set<string>,
): { running: Uint8Array; pending: Uint8Array } {
  const running = heldAt(state.running, window);
  const pending = new Uint8Array(window.intervals);
  if (pendingOnNode === 'charged' && state.node !== '') {
    for (const t of state.pending) {
      const k = window.indexOf(t);
      if (k !== undefined && running[k] === NONE) pending[k] = OBSERVED;
    }
    bridge(pending, window.stepMs, window.maxBridgeMs);
    for (let k = 0; k < window.intervals; k++) if (running[k] !== NONE) pending[k] = NONE;
  } else if (pendingOnNode === 'charged' && state.pending.length > 0) {
    warnings.add(warningText('podPendingNoNode', { pod: describePod(state.pod) }));
  }
  return { running, pending };
}

function meterPod(
  state: PodState,
  context: PodMeteringContext,
  warnings: Set<string>,
  rows: PodUsage[],
  allocations: Allocation[],
): void {
  const { window } = context;
  const { running, pending } = chargedIntervals(state, window, context.pendingOnNode, warnings);
  const runsInDay = heldInDay(running, window);
  const pendsInDay = heldInDay(pending, window);
  if (!runsInDay && !pendsInDay) return;
  const requests = effectiveRequests(state);
  if (requests.length === 0) {
    warnings.add(warningText('podNoRequestData', { pod: describePod(state.pod), date: window.day.date }));
    return;
  }
  if (state.node === '') warnings.add(warningText('podNoNode', { pod: describePod(state.pod) }));
  const nodeId = key(state.pod.cluster, state.node);
  const node = context.nodes.get(nodeId)!;
  const { team, project } = context.attribute(state.pod);
  const util = context.utilization.get(key(state.pod.cluster, state.pod.namespace, state.pod.pod));
  const utilSource = chooseUtilizationSource(util, running, pending, window);
  const base = {
    pod: state.pod,
    node: state.node,
    team: team.value,
    project: project.value,
    teamSource: team.source,
  };

  for (const [phase, held, inDay] of [
    ['Running', running, runsInDay],
    ['PendingOnNode', pending, pendsInDay],
  ] as const) {
    if (!inDay) continue;
    const samples = utilSource === 'none' ? undefined : util?.[utilSource];
    const span = heldSpan(held, window);
    const totals = heldByPeriod(held, samples, window, phase === 'Running', span);
    const idleMs = idleHeldMsByPeriod(held, samples, window, context.idleHeld ?? DEFAULT_IDLE_HELD, span);
    for (const { resource, requested: summed } of requests) {
      // Two containers of 1e308 GPUs add up to Infinity: what was asked stays a finite number.
      const asObserved = Math.min(summed, Number.MAX_VALUE);
      const weight = weighResource(resource, node, warnings);
      if (!weight) {
        warnings.add(
          warningText(isNvidiaResource(resource) ? 'podUninterpretableGpuResource' : 'podNonGpuResource', {
            pod: describePod(state.pod),
            resource,
          }),
        );
        continue;
      }
      const requested = Math.min(asObserved, unitsThatFit(weight, node.gpus?.physicalGpus ?? 0));
      if (requested < asObserved && node.node !== '') {
        warnings.add(
          warningText('podRequestAboveNode', {
            pod: describePod(state.pod),
            requested: asObserved,
            resource,
            node: describeNode(node),
            gpus: String(node.gpus?.physicalGpus),
            bounded: requested,
          }),
        );
      }
      const usage = { ...base, phase, resource, requested, weight, utilSource };
      const byPeriod = podRows(usage, { ...totals, idleMs }, window);
      allocations.push({
        nodeId,
        gpuEquivalents: (requested * weight.numerator) / weight.denominator,
        unitsPerStep: (requested * weight.numerator * node.weights.denominator) / weight.denominator,
        denominator: node.weights.denominator,
        held,
        span,
        ...(requested < asObserved ? { requestedAsObserved: asObserved } : {}),
        rows: byPeriod,
      });
      for (const row of byPeriod) if (row) rows.push(row);
    }
  }
}

/** Per charge period of the day: held and bridged ms, and the mean utilization (of per-step means). */
interface HeldTotals {
  heldMs: number[];
  bridgedMs: number[];
  utilization: (number | null)[];
}

/**
 * Sums a phase's held intervals per charge period, and the mean utilization: the mean over grid steps
 * of each step's mean of the DCGM samples that carry the pod (the Prometheus source reads one mean per
 * series and step, so a step is the unit both sources agree on). dcgm-exporter labels a GPU with a pod
 * only while it runs, so for the Running phase the steps just before and just after each held run
 * count too: a pod starts and ends between two kube-state-metrics samples, its DCGM samples do not (a
 * 2-minute pod seen at one grid point has 30-second samples in three steps). A step goes to the charge
 * period its interval starts in.
 */
function heldByPeriod(
  held: Uint8Array,
  samples: StepSamples | undefined,
  window: WindowGrid,
  running = false,
  span = heldSpan(held, window),
): HeldTotals {
  const periods = window.periods.length;
  const heldMs = new Array<number>(periods).fill(0);
  const bridgedMs = new Array<number>(periods).fill(0);
  const utilSum = new Array<number>(periods).fill(0);
  const utilCount = new Array<number>(periods).fill(0);
  const counts = (k: number) =>
    held[k] !== NONE ||
    (running && (held[k - 1] ?? NONE) !== NONE) ||
    (running && (held[k + 1] ?? NONE) !== NONE);
  for (let k = span.from; k < span.to; k++) {
    const parts = window.slices[k - window.dayFirst]!;
    if (held[k] !== NONE) {
      for (const [p, ms] of parts) {
        heldMs[p]! += ms;
        if (held[k] === BRIDGED) bridgedMs[p]! += ms;
      }
    }
    const mean = samples?.meanAt(k);
    if (mean !== undefined && parts.length > 0 && counts(k)) {
      utilSum[parts[0]![0]]! += mean;
      utilCount[parts[0]![0]]! += 1;
    }
  }
  const utilization = utilCount.map((count, p) => (count > 0 ? utilSum[p]! / count : null));
  return { heldMs, bridgedMs, utilization };
}

/** What the rows of one pod, phase and resource share. */
type PodRowFacts = Pick<
  PodUsage,
  'pod' | 'node' | 'team' | 'project' | 'teamSource' | 'phase' | 'requested'
> & {
  resource: string;
  weight: Fraction;
  utilSource: UtilizationSource;
};

/**
 * The most units of a resource of `weight` a node of `physicalGpus` GPUs can hold: no pod holds more than
 * its node has, whatever it requests (1e308 GPUs, or 10,000 for two hours). Without a known GPU count
 * (no node, a node metering cannot count) the largest safe integer, so GPU-seconds stay finite; the
 * bound per grid interval (boundToCapacity) then gives such a pod what the node has: nothing.
 */
export function unitsThatFit(weight: Fraction, physicalGpus: number): number {
  if (!(physicalGpus > 0)) return Number.MAX_SAFE_INTEGER;
  return Math.floor((physicalGpus * weight.denominator) / weight.numerator + 1e-9);
}

/** The rows of one pod, phase and resource, by charge period of the day (undefined where it was not held). */
function podRows(
  usage: PodRowFacts,
  totals: HeldTotals & { idleMs: number[] },
  window: WindowGrid,
): (PodUsage | undefined)[] {
  const { requested, weight } = usage;
  return window.periods.map((period, p): PodUsage | undefined => {
    if (totals.heldMs[p] === 0) return undefined;
    const utilization = totals.utilization[p] ?? null;
    return {
      pod: usage.pod,
      node: usage.node,
      chargePeriod: period,
      gpuResource: usage.resource,
      requested,
      weight,
      gpuEquivalents: (requested * weight.numerator) / weight.denominator,
      heldSeconds: totals.heldMs[p]! / 1000,
      bridgedSeconds: totals.bridgedMs[p]! / 1000,
      gpuSeconds: (totals.heldMs[p]! * requested * weight.numerator) / weight.denominator / 1000,
      utilization,
      utilizationSource: utilization !== null ? usage.utilSource : 'none',
      team: usage.team,
      project: usage.project,
      teamSource: usage.teamSource,
      phase: usage.phase,
      ...(totals.idleMs[p]! > 0 ? { idleHeldSeconds: totals.idleMs[p]! / 1000 } : {}),
    };
  });
}
