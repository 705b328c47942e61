import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { groundTruth, type SimNodeSpec, simulate } from '../../../src/sim/index.ts';
import { createRng } from '../../../src/sim/prng.ts';

const edge = () =>
  simulate({ preset: 'edge-cases', month: '2026-03', zone: 'America/New_York', seed: 7, days: 2 });

describe('simulate', () => {
  it('returns the same cluster for the same seed', () => {
    const a = simulate({ preset: 'demo', month: '2026-03', zone: 'Asia/Seoul', seed: 42, days: 3 });
    const b = simulate({ preset: 'demo', month: '2026-03', zone: 'Asia/Seoul', seed: 42, days: 3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('returns a different cluster for another seed', () => {
    const a = simulate({ preset: 'demo', month: '2026-03', zone: 'Asia/Seoul', seed: 42, days: 3 });
    const b = simulate({ preset: 'demo', month: '2026-03', zone: 'Asia/Seoul', seed: 43, days: 3 });
    expect(a.pods.map((p) => p.uid)).not.toEqual(b.pods.map((p) => p.uid));
  });

  it('simulates a demo month of 30-60 GPUs with spot and on-demand nodes in both label spellings', () => {
    const sim = simulate({ preset: 'demo', month: '2026-03', zone: 'UTC', seed: 1 });
    const mid = sim.range.startMs + 15 * 86_400_000;
    const present = sim.nodes.filter((n) => n.lifetimes.some((l) => l.startMs <= mid && mid < l.endMs));
    const gpus = present.reduce((acc, n) => acc + n.gpus, 0);
    expect(gpus).toBeGreaterThanOrEqual(30);
    expect(gpus).toBeLessThanOrEqual(60);
    // The on-prem DGX (real shapes of #14) has an instance type in the simulation but no label for it.
    expect(new Set(sim.nodes.map((n) => n.instanceType))).toEqual(
      new Set(['g5.xlarge', 'g5.12xlarge', 'g4dn.xlarge', 'p4d.24xlarge', 'dgx-a100']),
    );
    expect(new Set(sim.nodes.map((n) => `${n.labelStyle}/${n.capacityType}`)).size).toBe(5);
    expect(sim.nodes.some((n) => n.migProfiles)).toBe(true);
    expect(sim.nodes.some((n) => n.timeSlicingReplicas === 4)).toBe(true);
    // ... and the real shapes: GFD, renamed MIG time-slicing, DRA, GPU-holding sidecars.
    expect(
      sim.nodes.filter((n) => n.gfd && n.instanceTypeLabel === false && n.sharing?.renameByDefault),
    ).toHaveLength(1);
    expect(sim.nodes.filter((n) => n.devicePlugin === 'absent')).toHaveLength(1);
    expect(sim.pods.some((p) => p.containers.some((c) => (c.draUnits ?? []).length > 0))).toBe(true);
    expect(
      sim.pods.some((p) => p.initContainers?.some((c) => c.restartPolicy === 'Always' && c.gpuCount > 0)),
    ).toBe(true);
  });

  it('gives the demo month five or more teams and several projects', () => {
    const sim = simulate({ preset: 'demo', month: '2026-03', zone: 'UTC', seed: 1, days: 7 });
    const truth = groundTruth(sim, billingPeriod('2026-03', 'UTC'));
    const teams = new Set(truth.pods.map((p) => p.team));
    const projects = new Set(truth.pods.map((p) => p.project));
    expect(teams.size).toBeGreaterThanOrEqual(6);
    expect(projects.size).toBeGreaterThanOrEqual(6);
    expect(teams.has('unallocated')).toBe(true);
  });

  it('simulates the demo month in well under 5 seconds', () => {
    const started = performance.now();
    simulate({ preset: 'demo', month: '2026-01', zone: 'Europe/Berlin', seed: 3 });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('names every edge case of the edge-cases preset', () => {
    const sim = edge();
    expect(Object.keys(sim.cases).sort()).toEqual(
      [
        'after-node-return',
        'exported-labels',
        'failed-lingering-1h',
        'image-pull-25min',
        'invisible-15s',
        'labels-none',
        'labels-on-namespace',
        'labels-on-pod',
        'mig-1g-x2',
        'mig-3g',
        'mig-node',
        'multi-container',
        'on-scaled-in-node',
        'pending-without-node',
        'pod-label-overrides-namespace',
        'reclaimed-and-returning',
        'running-across-outage',
        'running-after-period',
        'running-before-period',
        'scaled-in',
        'short-20s',
        'spot-evicted',
        'statefulset-first',
        'statefulset-recreated',
        'succeeded-lingering-6h',
        't4-exported-labels',
        'time-sliced-a',
        'time-sliced-b',
        'time-sliced-c',
        'time-sliced-node',
      ].sort(),
    );
    expect(sim.outages).toEqual([
      { startMs: sim.range.startMs + 26 * 3_600_000, endMs: sim.range.startMs + 28 * 3_600_000 },
    ]);
  });

  it('re-creates the StatefulSet pod under the same name with a new uid on another node', () => {
    const sim = edge();
    const first = sim.pods.find((p) => p.uid === sim.cases['statefulset-first'])!;
    const second = sim.pods.find((p) => p.uid === sim.cases['statefulset-recreated'])!;
    expect(second.name).toBe(first.name);
    expect(second.uid).not.toBe(first.uid);
    expect(second.node).not.toBe(first.node);
  });

  it('brings the reclaimed spot node back under the same name after three hours', () => {
    const sim = edge();
    const node = sim.nodes.find((n) => n.name === sim.cases['reclaimed-and-returning'])!;
    expect(node.lifetimes).toHaveLength(2);
    expect(node.lifetimes[1]!.startMs - node.lifetimes[0]!.endMs).toBe(3 * 3_600_000);
  });

  describe('edge cases', () => {
    const base = (nodes: SimNodeSpec[]) => ({
      seed: 1,
      zone: 'UTC',
      range: { startMs: 0, endMs: 3_600_000 },
      namespaces: [{ name: 'ns', labels: {} }],
      nodes,
    });
    const node: SimNodeSpec = {
      name: 'n1',
      ip: '10.0.0.1',
      instanceType: 'g5.xlarge',
      capacityType: 'on-demand',
      labelStyle: 'karpenter',
      gpuModel: 'A10G',
      modelName: 'NVIDIA A10G',
      gpus: 1,
      profilingMetrics: true,
      dcgmLabels: 'direct',
      lifetimes: [{ startMs: 0, endMs: 3_600_000 }],
    };
    const pod = (uid: string, startMs: number, endMs: number) => ({
      uid,
      namespace: 'ns',
      name: uid,
      createdByKind: '<none>',
      createdByName: '<none>',
      labels: {},
      node: 'n1',
      createdMs: startMs,
      scheduledMs: startMs,
      runningMs: startMs,
      endMs,
      endPhase: 'Succeeded' as const,
      deletedMs: endMs,
      containers: [{ name: 'c', cpuCores: 1, gpuResource: 'nvidia_com_gpu', gpuCount: 1, units: [0] }],
      utilization: { mean: 0.5, jitter: 0 },
    });

    it('rejects two pods holding the same GPU at once', () => {
      expect(() =>
        simulate({ ...base([node]), pods: [pod('a', 0, 600_000), pod('b', 300_000, 900_000)] }),
      ).toThrow(/held by pods a and b at once/);
    });

    it('rejects a pod running after its node is gone', () => {
      const short = { ...node, lifetimes: [{ startMs: 0, endMs: 100_000 }] };
      expect(() => simulate({ ...base([short]), pods: [pod('a', 0, 600_000)] })).toThrow(
        /outside a lifetime of node n1/,
      );
    });

    it('rejects lifecycle times out of order', () => {
      const bad = { ...pod('a', 0, 600_000), runningMs: 700_000 };
      expect(() => simulate({ ...base([node]), pods: [bad] })).toThrow(/out of order/);
    });
  });
});

describe('createRng', () => {
  it('returns the same sequence for the same seed', () => {
    const a = createRng(5);
    const b = createRng(5);
    expect([a.next(), a.next(), a.int(1, 6)]).toEqual([b.next(), b.next(), b.int(1, 6)]);
  });

  it('returns integers within the inclusive bounds', () => {
    const rng = createRng(9);
    const values = Array.from({ length: 1000 }, () => rng.int(2, 4));
    expect(new Set(values)).toEqual(new Set([2, 3, 4]));
  });
});
