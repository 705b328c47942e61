import { describe, expect, it } from 'vitest';
import { createDemoSource, observeSimulation } from '../../../src/adapters/demo/demoSource.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import type { Day, ScrapeIntervals, WindowObservations } from '../../../src/core/types.ts';
import { type GroundTruthPod, groundTruth, type Simulation, simulate } from '../../../src/sim/index.ts';

const ZONE = 'America/New_York';
const period = billingPeriod('2026-03', ZONE);
const scrape: ScrapeIntervals = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'detected' };
const STEP_MS = 60_000;
const H = 3_600_000;

function observeDays(sim: Simulation, days: Day[]): Map<string, WindowObservations> {
  return new Map(
    days.map((d) => [
      d.date,
      observeSimulation(sim, { startMs: d.startMs, endMs: d.endMs, stepMs: STEP_MS }, scrape),
    ]),
  );
}

/** Running-interval endpoints and outage edges inside the day: each may shift the observation by < one scrape. */
function boundariesInDay(sim: Simulation, pod: GroundTruthPod, day: Day): number {
  const simPod = sim.pods.find((p) => p.uid === pod.uid)!;
  const edges = [
    simPod.runningMs,
    simPod.endMs ?? simPod.deletedMs,
    ...sim.outages.flatMap((o) => [o.startMs, o.endMs]),
  ];
  return edges.filter((t) => t !== null && t > day.startMs && t < day.endMs).length;
}

function expectAgreement(sim: Simulation, days: Day[]): number {
  const truth = groundTruth(sim, period);
  const observed = observeDays(sim, days);
  let checked = 0;
  for (const pod of truth.pods) {
    for (const day of days) {
      const obs = observed.get(day.date)!;
      const points = obs.running.find((r) => r.pod.uid === pod.uid)?.tsMs.length ?? 0;
      const observedSeconds = (points * STEP_MS) / 1000;
      const unobservable = sim.outages.reduce((acc, o) => {
        const simPod = sim.pods.find((p) => p.uid === pod.uid)!;
        if (simPod.runningMs === null) return acc;
        const end = Math.min(
          simPod.endMs ?? Number.POSITIVE_INFINITY,
          simPod.deletedMs ?? Number.POSITIVE_INFINITY,
        );
        const a = Math.max(o.startMs, simPod.runningMs, day.startMs);
        const b = Math.min(o.endMs, end, day.endMs);
        return acc + Math.max(0, b - a) / 1000;
      }, 0);
      const expected = pod.heldSecondsByDay[day.date]! - unobservable;
      const tolerance = boundariesInDay(sim, pod, day) * scrape.kubeStateMetricsSeconds;
      expect(
        Math.abs(observedSeconds - expected),
        `${pod.role ?? pod.pod} on ${day.date}`,
      ).toBeLessThanOrEqual(tolerance);
      checked++;
    }
  }
  return checked;
}

describe('createDemoSource', () => {
  const edge = simulate({ preset: 'edge-cases', month: '2026-03', zone: ZONE, seed: 7, days: 2 });
  const edgeDays = period.days.slice(0, 2);
  const edgeObs = observeDays(edge, edgeDays);
  const uidOf = (role: string) => edge.cases[role]!;

  it('agrees with the ground truth within one scrape interval per pod boundary (edge cases)', () => {
    expect(expectAgreement(edge, edgeDays)).toBeGreaterThan(40);
  });

  it('agrees with the ground truth within one scrape interval per pod boundary (demo)', () => {
    const demo = simulate({ preset: 'demo', month: '2026-03', zone: ZONE, seed: 5, days: 3 });
    expect(expectAgreement(demo, period.days.slice(0, 3))).toBeGreaterThan(100);
  });

  it('reports the 20 s pod at exactly one grid point and the 15 s pod at none', () => {
    const day = edgeObs.get('2026-03-01')!;
    expect(day.running.find((r) => r.pod.uid === uidOf('short-20s'))!.tsMs).toHaveLength(1);
    expect(day.running.find((r) => r.pod.uid === uidOf('invisible-15s'))).toBeUndefined();
  });

  it('reports 25 minutes Pending on node for the image pull', () => {
    const day = edgeObs.get('2026-03-01')!;
    expect(day.pendingOnNode.find((r) => r.pod.uid === uidOf('image-pull-25min'))!.tsMs).toHaveLength(25);
  });

  it('reports the request of a pod Pending without a node, but no node and no running points', () => {
    const day = edgeObs.get('2026-03-01')!;
    const uid = uidOf('pending-without-node');
    expect(day.requests.filter((r) => r.pod.uid === uid).map((r) => r.value)).toEqual([2]);
    expect(day.podNodes.some((p) => p.pod.uid === uid)).toBe(false);
    expect(day.running.some((p) => p.pod.uid === uid)).toBe(false);
  });

  it('keeps the two StatefulSet pods of the same name apart by uid and node', () => {
    const day = edgeObs.get('2026-03-01')!;
    const nodes = day.podNodes
      .filter((p) => p.pod.pod === 'vector-db-0')
      .map((p) => `${p.pod.uid}@${p.node}`);
    expect(nodes.sort()).toEqual(
      [
        `${uidOf('statefulset-first')}@edge-g5-12xl-ondemand`,
        `${uidOf('statefulset-recreated')}@edge-g5-time-sliced`,
      ].sort(),
    );
  });

  it('drops the capacity of the reclaimed spot node while it is gone', () => {
    const day = edgeObs.get('2026-03-01')!;
    const points = [...day.nodeCapacity.find((c) => c.node === 'edge-g5-spot-returning')!.points];
    const start = edgeDays[0]!.startMs;
    expect(points).toHaveLength(1440 - 180);
    expect(points.some(([t]) => t > start + 10 * H && t <= start + 13 * H)).toBe(false);
  });

  it('advertises MIG slices and zero whole GPUs on the MIG node', () => {
    const day = edgeObs.get('2026-03-01')!;
    const capacity = Object.fromEntries(
      day.nodeCapacity
        .filter((c) => c.node === 'edge-p4d-mig')
        .map((c) => [c.resource, [...c.points][0]![1]]),
    );
    expect(capacity).toEqual({
      nvidia_com_gpu: 0,
      nvidia_com_mig_1g_5gb: 8,
      nvidia_com_mig_2g_10gb: 4,
      nvidia_com_mig_3g_20gb: 8,
      nvidia_com_mig_4g_20gb: 4,
    });
  });

  it('marks the two outage hours as missing for both exporters', () => {
    const day = edgeObs.get('2026-03-02')!;
    const outage = edge.outages[0]!;
    expect(day.ksmPresentTsMs).toHaveLength(1440 - 120);
    // A DCGM scrape exactly at the end of the outage (offset 0) lands on the grid point at its end.
    expect(day.dcgmPresentTsMs.filter((t) => t > outage.startMs && t < outage.endMs)).toEqual([]);
    expect(day.dcgmPresentTsMs.length).toBeGreaterThanOrEqual(1440 - 120);
  });

  it('sums utilization samples per grid point exactly as the ground truth does', () => {
    const truth = groundTruth(edge, period);
    const pod = truth.pods.find((p) => p.role === 'mig-3g')!;
    let sum = 0;
    let count = 0;
    for (const obs of edgeObs.values()) {
      for (const u of obs.utilization.filter(
        (x) => x.pod === pod.pod && x.source === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      )) {
        for (const [, s, c] of u.points) {
          sum += s;
          count += c;
        }
      }
    }
    expect(count).toBe(pod.utilization.grEngineActive!.count);
    expect(sum).toBeCloseTo(pod.utilization.grEngineActive!.sum, 6);
  });

  it('takes the pod of exported_pod labels, and only GPU_UTIL, for the T4 node group', () => {
    const day = edgeObs.get('2026-03-01')!;
    const sources = day.utilization.filter((u) => u.pod === 't4-exported-labels').map((u) => u.source);
    expect(sources).toEqual(['DCGM_FI_DEV_GPU_UTIL']);
  });

  it('detects the simulated scrape intervals', async () => {
    const source = createDemoSource(edge);
    expect(source.kind).toBe('demo');
    expect(source.description).toMatch(/seeded synthetic demo cluster/);
    expect([
      await source.detectScrapeInterval('kubeStateMetrics', edge.range),
      await source.detectScrapeInterval('dcgm', edge.range),
    ]).toEqual([60, 30]);
  });

  it('keeps the 20 s and 15 s pods at one and zero points with a 30 s kube-state-metrics interval', () => {
    const fast = simulate({
      preset: 'edge-cases',
      month: '2026-03',
      zone: ZONE,
      seed: 7,
      days: 1,
      scrape: { ksmSeconds: 30, dcgmSeconds: 15 },
    });
    const day = edgeDays[0]!;
    const obs = observeSimulation(fast, { startMs: day.startMs, endMs: day.endMs, stepMs: 30_000 }, scrape);
    expect(obs.running.find((r) => r.pod.uid === fast.cases['short-20s'])!.tsMs).toHaveLength(1);
    expect(obs.running.find((r) => r.pod.uid === fast.cases['invisible-15s'])).toBeUndefined();
  });

  it('names the cluster in every pod, node and utilization when the simulation has one', () => {
    const named = simulate({
      preset: 'edge-cases',
      month: '2026-03',
      zone: ZONE,
      seed: 7,
      days: 1,
      cluster: 'prod-use1',
    });
    const day = edgeDays[0]!;
    const obs = observeSimulation(named, { startMs: day.startMs, endMs: day.endMs, stepMs: STEP_MS }, scrape);
    const clusters = new Set([
      ...obs.running.map((r) => r.pod.cluster),
      ...obs.nodeCapacity.map((c) => c.cluster),
      ...obs.utilization.map((u) => u.cluster),
    ]);
    expect(clusters).toEqual(new Set(['prod-use1']));
  });

  describe('edge cases', () => {
    it('returns no points for a grid shorter than one step', () => {
      const start = edge.range.startMs;
      const obs = observeSimulation(edge, { startMs: start, endMs: start + 30_000, stepMs: STEP_MS }, scrape);
      expect(obs.running).toEqual([]);
      expect(obs.ksmPresentTsMs).toEqual([]);
    });

    it('returns nothing outside the simulated range', () => {
      const end = edge.range.endMs;
      const obs = observeSimulation(edge, { startMs: end, endMs: end + H, stepMs: STEP_MS }, scrape);
      expect(obs.running).toEqual([]);
      expect(obs.nodeCapacity).toEqual([]);
      expect(obs.dcgmPresentTsMs).toEqual([]);
    });

    it('partitions time exactly: two half-day windows see the same points as one day', () => {
      const day = edgeDays[0]!;
      const mid = day.startMs + 12 * H;
      const a = observeSimulation(edge, { startMs: day.startMs, endMs: mid, stepMs: STEP_MS }, scrape);
      const b = observeSimulation(edge, { startMs: mid, endMs: day.endMs, stepMs: STEP_MS }, scrape);
      const whole = edgeObs.get(day.date)!;
      const points = (o: WindowObservations) =>
        o.running.flatMap((r) => r.tsMs.map((t) => `${r.pod.uid}@${t}`));
      expect([...points(a), ...points(b)].sort()).toEqual(points(whole).sort());
    });
  });
});
