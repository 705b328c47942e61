import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterDay.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { gridForDay, meterWindow } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { BillingPeriod, Day, MeteredDay, PodUsage, TimeRange } from '../../src/core/types.ts';
import type { Logger } from '../../src/ports.ts';
import { type GroundTruth, type GroundTruthPod, groundTruth } from '../../src/sim/groundTruth.ts';
import { writeOpenMetrics } from '../../src/sim/openMetrics.ts';
import { simulate } from '../../src/sim/simulate.ts';
import { prometheusInstallHint, startPrometheusWithData } from '../support/prometheus.ts';

// A DST month (2026-03-08 has 23 hours in New York), 60 s kube-state-metrics, 30 s dcgm-exporter.
const MONTH = '2026-03';
const ZONE = 'America/New_York';
const SEED = 42;
const KSM_SECONDS = 60;
// The edge-cases preset has a 2 h Prometheus outage; bridge it (phases are monotonic).
const MAX_BRIDGE_SECONDS = 7200;

const quiet: Logger = { info() {}, warn() {}, error() {}, progress() {} };

function configFor(url: string, pendingOnNode: 'charged' | 'not-charged' = 'not-charged'): Config {
  return parseConfig({
    timezone: ZONE,
    source: { url, maxRetries: 1 },
    metering: { maxBridgeSeconds: MAX_BRIDGE_SECONDS, pendingOnNode },
    pricing: {
      instanceTypes: {
        'g5.xlarge': { gpus: 1, gpuModel: 'A10G', onDemand: 1.006 },
        'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672 },
        'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.526 },
        'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726 },
      },
    },
  });
}

async function meterDays(
  config: Config,
  days: Day[],
): Promise<{ metered: MeteredDay[]; requests: number; msPerDay: number }> {
  const source = createPrometheusSource({ config, logger: quiet });
  const metered: MeteredDay[] = [];
  const started = performance.now();
  for (const day of days) {
    const scrape = await scrapeIntervalsFor({ config, source }, day);
    const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
    const obs = await source.observe(grid, scrape);
    metered.push(meterWindow(obs, meterOptionsFor(config, day)));
  }
  return { metered, requests: source.stats.requests, msPerDay: (performance.now() - started) / days.length };
}

/** Metered Running seconds of (uid, resource) on `date`, summed over charge periods. */
function heldOn(
  metered: MeteredDay[],
  date: string,
  uid: string,
  resource: string,
  phase: PodUsage['phase'] = 'Running',
): number {
  return metered
    .filter((m) => m.day.date === date)
    .flatMap((m) => m.pods)
    .filter((p) => p.pod.uid === uid && p.gpuResource === resource && p.phase === phase)
    .reduce((sum, p) => sum + p.heldSeconds, 0);
}

/** Lifecycle instants of a pod (start of Running, end of Running) inside [day.startMs, day.endMs). */
function boundariesIn(pod: GroundTruthPod, day: Day): number {
  const end = Math.min(pod.endMs ?? Number.POSITIVE_INFINITY, pod.deletedMs ?? Number.POSITIVE_INFINITY);
  return [pod.runningMs, end].filter((t) => t !== null && t >= day.startMs && t < day.endMs).length;
}

/**
 * Seconds of the pod's Running time in `day` that no sample can show: when its start or end falls
 * inside a Prometheus outage, the part of the outage it was Running in (a gap bridged from both sides
 * is observable; an end hidden by the outage is not).
 */
function hiddenByOutage(pod: GroundTruthPod, day: Day, outages: readonly TimeRange[]): number {
  if (pod.runningMs === null) return 0;
  const end = Math.min(pod.endMs ?? Number.POSITIVE_INFINITY, pod.deletedMs ?? Number.POSITIVE_INFINITY);
  let hidden = 0;
  for (const o of outages) {
    const inside = (t: number) => t >= o.startMs && t < o.endMs;
    if (!inside(pod.runningMs) && !inside(end)) continue;
    const from = Math.max(o.startMs, pod.runningMs, day.startMs);
    const to = Math.min(o.endMs, end, day.endMs);
    hidden += Math.max(0, to - from) / 1000;
  }
  return hidden;
}

describe('metering the edge-cases month from a real Prometheus', () => {
  let period: BillingPeriod;
  let truth: GroundTruth;
  let metered: MeteredDay[];
  let meteredCharged: MeteredDay[];
  let stop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  let measurement: { requests: number; msPerDay: number };
  const byRole = (role: string) => truth.pods.find((p) => p.role === role)!;

  beforeAll(async () => {
    const hint = prometheusInstallHint();
    if (hint) throw new Error(hint);
    const sim = simulate({
      preset: 'edge-cases',
      month: MONTH,
      zone: ZONE,
      seed: SEED,
      scrape: { ksmSeconds: KSM_SECONDS, dcgmSeconds: 30 },
    });
    period = billingPeriod(MONTH, ZONE);
    truth = groundTruth(sim, period);
    dataDir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-metering-'));
    const files = await writeOpenMetrics(sim, dataDir);
    const prom = await startPrometheusWithData(files, {
      cacheKey: `edge-cases-${MONTH}-${ZONE.replace('/', '_')}-${SEED}`,
    });
    stop = prom.stop;
    const run = await meterDays(configFor(prom.url), period.days);
    metered = run.metered;
    measurement = { requests: run.requests / period.days.length, msPerDay: run.msPerDay };
    meteredCharged = (await meterDays(configFor(prom.url, 'charged'), period.days.slice(0, 2))).metered;
    console.info(
      `metering: ${measurement.requests.toFixed(1)} requests/day, ${measurement.msPerDay.toFixed(0)} ms/day`,
    );
  }, 600_000);

  afterAll(async () => {
    await stop?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('meters every pod of every day within one scrape interval x GPU equivalents per boundary', () => {
    const failures: string[] = [];
    for (const pod of truth.pods) {
      for (const day of period.days) {
        const expected = pod.heldSecondsByDay[day.date] ?? 0;
        const actual = heldOn(metered, day.date, pod.uid, pod.gpuResource);
        const allowedSeconds =
          KSM_SECONDS * boundariesIn(pod, day) + hiddenByOutage(pod, day, truth.simulation.outages);
        if (Math.abs(actual - expected) * pod.gpuEquivalents > allowedSeconds * pod.gpuEquivalents + 1e-9) {
          failures.push(`${pod.role ?? pod.pod} ${day.date}: metered ${actual} s, truth ${expected} s`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('meters the month total of allocated GPU-hours within 0.01 % of the observable truth', () => {
    const allocated = metered.flatMap((m) => m.nodes).reduce((sum, n) => sum + n.allocatedGpuSeconds, 0);
    // A pod whose end falls inside the outage has Running time no sample can show; it is the only
    // part of the truth a correct meter cannot see (asserted per pod above).
    const hidden = truth.pods.reduce(
      (sum, pod) =>
        sum +
        period.days.reduce((s, day) => s + hiddenByOutage(pod, day, truth.simulation.outages), 0) *
          pod.gpuEquivalents,
      0,
    );
    const observable = truth.totals.allocatedGpuSeconds - hidden;
    console.info(
      `allocated GPU-hours: metered ${(allocated / 3600).toFixed(4)}, truth ${(truth.totals.allocatedGpuSeconds / 3600).toFixed(4)}, ` +
        `hidden by the outage ${(hidden / 3600).toFixed(4)}, relative error vs observable ${(((allocated - observable) / observable) * 100).toExponential(2)} %`,
    );
    expect(hidden).toBeLessThanOrEqual(3600);
    expect(Math.abs(allocated - observable) / observable).toBeLessThan(1e-4);
  });

  it('makes idle + allocated = capacity exactly on every node and day', () => {
    const nodes = metered.flatMap((m) => m.nodes);
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) expect(n.exact!.idle + n.exact!.allocated).toBe(n.exact!.capacity);
    for (const n of nodes)
      expect(n.idleGpuSeconds + n.allocatedGpuSeconds).toBeCloseTo(n.capacityGpuSeconds, 6);
  });

  it('meters node capacity per day within one scrape interval per node appearance or disappearance', () => {
    for (const node of truth.nodes) {
      for (const day of node.days) {
        const actual = metered
          .filter((m) => m.day.date === day.date)
          .flatMap((m) => m.nodes)
          .filter((n) => n.node === node.node)
          .reduce((sum, n) => sum + n.presentSeconds, 0);
        const dayRange = period.days.find((d) => d.date === day.date)!;
        const edges = node.lifetimes
          .flatMap((l) => [l.startMs, l.endMs])
          .filter((t) => t > dayRange.startMs && t < dayRange.endMs).length;
        expect(Math.abs(actual - day.presentSeconds), `${node.node} ${day.date}`).toBeLessThanOrEqual(
          KSM_SECONDS * edges,
        );
      }
    }
  });

  describe('named edge cases', () => {
    const day1 = () => period.days[0]!.date;
    const day2 = () => period.days[1]!.date;

    it('charges a pod Running before the period only for the period (the whole first day)', () => {
      const pod = byRole('running-before-period');
      expect(heldOn(metered, day1(), pod.uid, pod.gpuResource)).toBe(24 * 3600);
    });

    it('charges a pod Running after the period through the end of the month, 23 h on the DST day', () => {
      const pod = byRole('running-after-period');
      expect(heldOn(metered, '2026-03-08', pod.uid, pod.gpuResource)).toBe(23 * 3600);
      expect(heldOn(metered, '2026-03-31', pod.uid, pod.gpuResource)).toBe(24 * 3600);
      expect(
        metered.find((m) => m.day.date === '2026-03-08')!.hourlyAllocatedGpus['g5.12xlarge'],
      ).toHaveLength(23);
    });

    it('charges the 20 s pod one step and never sees the 15 s pod between two samples', () => {
      const short = byRole('short-20s');
      expect(heldOn(metered, day1(), short.uid, short.gpuResource)).toBe(60);
      const invisible = byRole('invisible-15s');
      expect(metered.flatMap((m) => m.pods).some((p) => p.pod.uid === invisible.uid)).toBe(false);
    });

    it('never charges a pod Pending without a node, under either policy', () => {
      const pod = byRole('pending-without-node');
      expect([...metered, ...meteredCharged].flatMap((m) => m.pods).some((p) => p.pod.uid === pod.uid)).toBe(
        false,
      );
    });

    it('charges the 25 min image pull only under the "charged" policy', () => {
      const pod = byRole('image-pull-25min');
      expect(heldOn(metered, day1(), pod.uid, pod.gpuResource, 'PendingOnNode')).toBe(0);
      const pending = heldOn(meteredCharged, day1(), pod.uid, pod.gpuResource, 'PendingOnNode');
      expect(Math.abs(pending - pod.pendingOnNodeSeconds)).toBeLessThanOrEqual(2 * KSM_SECONDS);
    });

    it('stops charging Succeeded and Failed pods that KSM keeps exporting', () => {
      const succeeded = byRole('succeeded-lingering-6h');
      expect(
        Math.abs(heldOn(metered, day1(), succeeded.uid, succeeded.gpuResource) - 4 * 3600),
      ).toBeLessThanOrEqual(2 * KSM_SECONDS);
      const failed = byRole('failed-lingering-1h');
      expect(Math.abs(heldOn(metered, day1(), failed.uid, failed.gpuResource) - 40 * 60)).toBeLessThanOrEqual(
        2 * KSM_SECONDS,
      );
    });

    it('sums the GPUs of all containers of a multi-container pod', () => {
      const pod = byRole('multi-container');
      const rows = metered.flatMap((m) => m.pods).filter((p) => p.pod.uid === pod.uid);
      expect(new Set(rows.map((r) => r.requested))).toEqual(new Set([3]));
    });

    it('weights MIG slices g/7 on the A100 node', () => {
      const rows = metered.flatMap((m) => m.pods);
      expect(rows.find((p) => p.pod.uid === byRole('mig-1g-x2').uid)!.weight).toEqual({
        numerator: 1,
        denominator: 7,
      });
      expect(rows.find((p) => p.pod.uid === byRole('mig-3g').uid)!.weight).toEqual({
        numerator: 3,
        denominator: 7,
      });
      const mig = metered[0]!.nodes.find((n) => n.node === truth.simulation.cases['mig-node'])!;
      expect(mig.capacityGpuSeconds).toBe(8 * 24 * 3600);
    });

    it('weights time-sliced units physical/advertised (1/4), not a full GPU each', () => {
      for (const role of ['time-sliced-a', 'time-sliced-b', 'time-sliced-c']) {
        const row = metered.flatMap((m) => m.pods).find((p) => p.pod.uid === byRole(role).uid)!;
        expect(row.weight).toEqual(byRole(role).weight);
        expect(row.weight).toEqual({ numerator: 1, denominator: 4 });
      }
    });

    it('matches DCGM samples by exported_* labels and falls back to DCGM_FI_DEV_GPU_UTIL on the T4', () => {
      const pod = byRole('t4-exported-labels');
      const row = metered[0]!.pods.find((p) => p.pod.uid === pod.uid)!;
      expect(row.utilizationSource).toBe('DCGM_FI_DEV_GPU_UTIL');
      expect(row.utilization).toBeCloseTo(pod.utilization.mean!, 1);
    });

    it('uses DCGM_FI_PROF_GR_ENGINE_ACTIVE where the GPU has it', () => {
      const pod = byRole('running-before-period');
      const row = metered[0]!.pods.find((p) => p.pod.uid === pod.uid)!;
      expect(row.utilizationSource).toBe(pod.utilization.source);
      expect(row.utilization).toBeCloseTo(pod.utilization.mean!, 1);
    });

    it('attributes team and project from pod labels, then namespace labels, then the default', () => {
      for (const role of [
        'labels-on-pod',
        'labels-on-namespace',
        'labels-none',
        'pod-label-overrides-namespace',
      ]) {
        const pod = byRole(role);
        const row = metered.flatMap((m) => m.pods).find((p) => p.pod.uid === pod.uid)!;
        expect([row.team, row.project, row.teamSource], role).toEqual([
          pod.team,
          pod.project,
          pod.teamSource,
        ]);
      }
    });

    it('keeps the StatefulSet pod and its recreation apart by uid', () => {
      const first = byRole('statefulset-first');
      const again = byRole('statefulset-recreated');
      expect(first.pod).toBe(again.pod);
      const rows = metered[0]!.pods.filter((p) => p.pod.pod === first.pod);
      expect(new Set(rows.map((r) => r.pod.uid))).toEqual(new Set([first.uid, again.uid]));
      expect(new Set(rows.map((r) => r.node)).size).toBe(2);
    });

    it('counts a reclaimed Spot node only while it exists, and the pods on both sides of its absence', () => {
      const node = metered[0]!.nodes.find(
        (n) => n.node === truth.simulation.cases['reclaimed-and-returning'],
      )!;
      expect(Math.abs(node.presentSeconds - 21 * 3600)).toBeLessThanOrEqual(2 * KSM_SECONDS);
      expect(node.capacityType).toBe('spot');
      for (const role of ['spot-evicted', 'after-node-return']) {
        const pod = byRole(role);
        expect(
          Math.abs(heldOn(metered, day1(), pod.uid, pod.gpuResource) - pod.heldSecondsByDay[day1()]!),
        ).toBeLessThanOrEqual(2 * KSM_SECONDS);
      }
    });

    it('counts a scaled-in node for its 14 hours only', () => {
      const node = metered[0]!.nodes.find((n) => n.node === truth.simulation.cases['scaled-in'])!;
      expect(Math.abs(node.presentSeconds - 14 * 3600)).toBeLessThanOrEqual(2 * KSM_SECONDS);
    });

    it('reports the 2 h outage as a coverage gap and bridges the pod Running across it', () => {
      const outage = truth.simulation.outages[0]!;
      const day = metered[1]!;
      expect(day.day.date).toBe(day2());
      expect(day.coverage.gaps).toContainEqual({ startMs: outage.startMs, endMs: outage.endMs });
      expect(day.coverage.kubeStateMetrics).toBeCloseTo(22 / 24, 2);
      const pod = byRole('running-across-outage');
      const row = day.pods.find((p) => p.pod.uid === pod.uid)!;
      expect(row.bridgedSeconds).toBe(7200);
      expect(Math.abs(row.heldSeconds - pod.heldSecondsByDay[day2()]!)).toBeLessThanOrEqual(KSM_SECONDS);
    });

    it('reads the capacity type from both Karpenter and EKS labels', () => {
      const types = Object.fromEntries(metered[0]!.nodes.map((n) => [n.node, n.capacityType]));
      for (const node of truth.nodes)
        if (types[node.node]) expect(types[node.node], node.node).toBe(node.capacityType);
    });
  });
});
