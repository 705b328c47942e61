/**
 * Time in the simulation: a pod's phase segments, the exporters' sample times (epoch-aligned scrape
 * grid minus Prometheus outages), and small range helpers. Shared by the OpenMetrics writer, the demo
 * source and the ground truth so that all three agree on every sample.
 */
import type { TimeRange } from '../core/types.ts';
import type { SimPod, Simulation } from './model.ts';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** The five phases kube_pod_status_phase exports, one 0/1 series each. */
export const POD_PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** A stretch of a pod's life in one phase, bound to `node` ("" while unbound). Half-open. */
export interface PodSegment extends TimeRange {
  phase: PodPhase;
  node: string;
}

const inf = (ms: number | null): number => (ms === null ? Number.POSITIVE_INFINITY : ms);

/** The pod's phase segments from creation to deletion, in order, without empty segments. */
export function podSegments(pod: SimPod): PodSegment[] {
  const created = pod.createdMs;
  const scheduled = inf(pod.scheduledMs);
  const running = inf(pod.runningMs);
  const end = inf(pod.endMs);
  const deleted = inf(pod.deletedMs);
  const node = pod.node ?? '';
  const out: PodSegment[] = [
    { startMs: created, endMs: Math.min(scheduled, running, end, deleted), phase: 'Pending', node: '' },
    { startMs: scheduled, endMs: Math.min(running, end, deleted), phase: 'Pending', node },
    { startMs: running, endMs: Math.min(end, deleted), phase: 'Running', node },
    { startMs: end, endMs: deleted, phase: pod.endPhase, node: scheduled <= end ? node : '' },
  ];
  return out.filter((s) => Number.isFinite(s.startMs) && s.endMs > s.startMs);
}

/** [runningMs, endMs ∧ deletedMs) of a pod, or null when it never ran. */
export function runningRange(pod: SimPod): TimeRange | null {
  const seg = podSegments(pod).find((s) => s.phase === 'Running');
  return seg ? { startMs: seg.startMs, endMs: seg.endMs } : null;
}

/** [scheduledMs, runningMs ∧ …) of a pod: Pending while bound to its node (pulling images), or null. */
export function pendingOnNodeRange(pod: SimPod): TimeRange | null {
  const seg = podSegments(pod).find((s) => s.phase === 'Pending' && s.node !== '');
  return seg ? { startMs: seg.startMs, endMs: seg.endMs } : null;
}

/** Intersection of two ranges, or null when empty. */
export function intersect(a: TimeRange, b: TimeRange): TimeRange | null {
  const startMs = Math.max(a.startMs, b.startMs);
  const endMs = Math.min(a.endMs, b.endMs);
  return endMs > startMs ? { startMs, endMs } : null;
}

/** True when `tMs` lies in one of the (sorted) ranges. */
export function inRanges(tMs: number, ranges: readonly TimeRange[]): boolean {
  for (const r of ranges) {
    if (tMs < r.startMs) return false;
    if (tMs < r.endMs) return true;
  }
  return false;
}

/** Total length in ms of the parts of `range` covered by the (sorted, disjoint) `ranges`. */
export function coveredMs(range: TimeRange, ranges: readonly TimeRange[]): number {
  let total = 0;
  for (const r of ranges) {
    const x = intersect(range, r);
    if (x) total += x.endMs - x.startMs;
  }
  return total;
}

/** A scrape schedule: samples at offsetMs + k·intervalMs. */
export interface Schedule {
  offsetMs: number;
  intervalMs: number;
}

/** The kube-state-metrics schedule of a simulation. */
export function ksmSchedule(sim: Simulation): Schedule {
  return { offsetMs: sim.scrape.ksmOffsetMs, intervalMs: sim.scrape.ksmSeconds * 1000 };
}

/** The dcgm-exporter schedule of one node. */
export function dcgmSchedule(sim: Simulation, dcgmOffsetMs: number): Schedule {
  return { offsetMs: dcgmOffsetMs, intervalMs: sim.scrape.dcgmSeconds * 1000 };
}

/**
 * Calls `fn` with every scrape time of `schedule` in [fromMs, toMs) ∩ sim.range that is not inside a
 * Prometheus outage, in increasing order.
 */
export function forEachSampleTime(
  sim: Simulation,
  schedule: Schedule,
  fromMs: number,
  toMs: number,
  fn: (tMs: number) => void,
): void {
  const start = Math.max(fromMs, sim.range.startMs);
  const end = Math.min(toMs, sim.range.endMs);
  if (!(end > start)) return;
  const { offsetMs, intervalMs } = schedule;
  let t = offsetMs + Math.ceil((start - offsetMs) / intervalMs) * intervalMs;
  let outage = 0;
  const outages = sim.outages;
  for (; t < end; t += intervalMs) {
    while (outage < outages.length && outages[outage]!.endMs <= t) outage++;
    const o = outages[outage];
    if (o && t >= o.startMs) continue;
    fn(t);
  }
}

/** The sample times (see {@link forEachSampleTime}) as an array. */
export function sampleTimes(sim: Simulation, schedule: Schedule, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  forEachSampleTime(sim, schedule, fromMs, toMs, (t) => out.push(t));
  return out;
}
