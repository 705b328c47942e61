import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { type GroundTruth, groundTruth, simulate } from '../../../src/sim/index.ts';

const ZONE = 'America/New_York';
const period = billingPeriod('2026-03', ZONE);
const edgeSim = simulate({ preset: 'edge-cases', month: '2026-03', zone: ZONE, seed: 7 });
const edge = groundTruth(edgeSim, period);
const byRole = (truth: GroundTruth, role: string) => {
  const pod = truth.pods.find((p) => p.role === role);
  if (!pod) throw new Error(`no pod with role ${role}`);
  return pod;
};
const H = 3600;

describe('groundTruth', () => {
  it('splits capacity into allocated and idle exactly on every node-day', () => {
    const demo = groundTruth(
      simulate({ preset: 'demo', month: '2026-03', zone: ZONE, seed: 11, days: 5 }),
      period,
    );
    for (const truth of [edge, demo]) {
      for (const node of truth.nodes) {
        for (const day of node.days) {
          expect(day.exact.idle + day.exact.allocated).toBe(day.exact.capacity);
          expect(day.exact.idle).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(day.exact.capacity) && Number.isInteger(day.exact.allocated)).toBe(true);
        }
      }
    }
  });

  it('sums node-days to the period totals exactly', () => {
    const capacity = edge.nodes.flatMap((n) => n.days).reduce((acc, d) => acc + d.exact.capacity, 0);
    const allocated = edge.byDay.reduce((acc, d) => acc + d.exact.allocated, 0);
    expect(edge.totals.exact.capacity).toBe(capacity);
    expect(edge.totals.exact.allocated).toBe(allocated);
  });

  it('gives the DST month in New York 743 hours of node presence', () => {
    expect(period.hours).toBe(743);
    const always = edge.nodes.find((n) => n.node === 'edge-g5-12xl-ondemand')!;
    expect(always.days.reduce((acc, d) => acc + d.presentSeconds, 0)).toBe(743 * H);
    expect(always.days.find((d) => d.date === '2026-03-08')!.presentSeconds).toBe(23 * H);
  });

  it("makes a pod's days sum to its held seconds", () => {
    for (const pod of edge.pods) {
      expect(Object.values(pod.heldSecondsByDay).reduce((a, b) => a + b, 0)).toBeCloseTo(pod.heldSeconds, 6);
      expect(Object.keys(pod.heldSecondsByDay)).toHaveLength(31);
    }
  });

  it('charges a pod only while Running: not while Pending, nor while lingering after success', () => {
    expect(byRole(edge, 'pending-without-node').heldSeconds).toBe(0);
    expect(byRole(edge, 'pending-without-node').node).toBeNull();
    const pull = byRole(edge, 'image-pull-25min');
    expect(pull.heldSeconds).toBe(12 * H - (4 * H + 25 * 60));
    expect(pull.pendingOnNodeSeconds).toBe(25 * 60);
    expect(byRole(edge, 'succeeded-lingering-6h').heldSeconds).toBe(4 * H);
    expect(byRole(edge, 'failed-lingering-1h').heldSeconds).toBe(40 * 60);
    expect(byRole(edge, 'short-20s').heldSeconds).toBe(20);
  });

  it('clips pods to the period: started before it, and running past its end', () => {
    expect(byRole(edge, 'running-before-period').heldSeconds).toBe(30 * H);
    const after = byRole(edge, 'running-after-period');
    expect(after.heldSeconds).toBe(743 * H - 30.5 * H);
  });

  it('counts the time a pod held its GPU during a Prometheus outage as held, and reports it', () => {
    const pod = byRole(edge, 'running-across-outage');
    expect(pod.heldSeconds).toBe(14 * H);
    expect(pod.heldInOutageSeconds).toBe(2 * H);
  });

  it('weighs MIG slices g/7 on A100 and time-sliced replicas 1/4', () => {
    expect(byRole(edge, 'mig-3g').weight).toEqual({ numerator: 3, denominator: 7 });
    expect(byRole(edge, 'mig-1g-x2').gpuEquivalents).toBeCloseTo(2 / 7, 12);
    expect(byRole(edge, 'time-sliced-a').weight).toEqual({ numerator: 1, denominator: 4 });
    expect(edge.nodes.find((n) => n.node === 'edge-p4d-mig')!.capacityGpuEquivalents).toEqual({
      numerator: 8,
      denominator: 1,
    });
  });

  it('sums the requests of all containers of a multi-container pod', () => {
    expect(byRole(edge, 'multi-container').requested).toBe(3);
  });

  it('attributes team and project from pod labels, then namespace labels, then the default', () => {
    expect(byRole(edge, 'labels-on-pod')).toMatchObject({ team: 'search-ranking', teamSource: 'pod-label' });
    expect(byRole(edge, 'labels-on-namespace')).toMatchObject({
      team: 'vision',
      project: 'detector',
      teamSource: 'namespace-label',
    });
    expect(byRole(edge, 'labels-none')).toMatchObject({
      team: 'unallocated',
      project: 'unallocated',
      teamSource: 'default',
    });
    expect(byRole(edge, 'pod-label-overrides-namespace')).toMatchObject({
      team: 'genai-apps',
      project: 'summarizer',
    });
  });

  it('takes utilization from GPU_UTIL on a T4 and from GR_ENGINE_ACTIVE on MIG', () => {
    const t4 = byRole(edge, 't4-exported-labels').utilization;
    expect(t4.source).toBe('DCGM_FI_DEV_GPU_UTIL');
    expect(t4.grEngineActive).toBeNull();
    expect(t4.mean!).toBeGreaterThan(0.2);
    expect(t4.mean!).toBeLessThan(0.7);
    const mig = byRole(edge, 'mig-3g').utilization;
    expect(mig.source).toBe('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(mig.gpuUtil).toBeNull();
  });

  it('has no utilization for a pod that never ran', () => {
    expect(byRole(edge, 'pending-without-node').utilization).toMatchObject({ mean: null, source: 'none' });
  });

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(edge))).toEqual(edge);
  });
});
