import { describe, expect, it } from 'vitest';
import { meterWindow } from '../../../src/core/metering/index.ts';
import { chargePeriods, dayOf } from '../../../src/core/period.ts';
import type { MeteredDay, PodUsage } from '../../../src/core/types.ts';
import { HOUR, MIN, optionsFor, pointsBetween, seoulDay, windowFor } from './fixtures.ts';

const podRow = (m: MeteredDay, name: string, phase: PodUsage['phase'] = 'Running') =>
  m.pods.filter((p) => p.pod.pod === name && p.phase === phase);
const onlyRow = (m: MeteredDay, name: string, phase: PodUsage['phase'] = 'Running') => {
  const rows = podRow(m, name, phase);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};

describe('meterWindow', () => {
  const day = seoulDay();
  const gpuNode = { name: 'n1', instanceType: 'g5.12xlarge', capacityType: 'spot' };

  it('charges a pod Running for 3 hours 3 hours of one GPU', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs + HOUR, day.startMs + 4 * HOUR]] }],
      [gpuNode],
    );
    const row = onlyRow(meterWindow(obs, optionsFor(day)), 'a');
    expect(row.heldSeconds).toBe(3 * 3600);
    expect(row.gpuSeconds).toBe(3 * 3600);
    expect(row.bridgedSeconds).toBe(0);
    expect(row.weight).toEqual({ numerator: 1, denominator: 1 });
  });

  it('clips a pod that started before the day and ends after it to the day', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs - 5 * HOUR, day.endMs + 5 * HOUR]] }],
      [gpuNode],
    );
    expect(onlyRow(meterWindow(obs, optionsFor(day)), 'a').heldSeconds).toBe(24 * 3600);
  });

  it('sums the GPU requests of all containers of a pod', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'n1',
          containers: [{ nvidia_com_gpu: 1 }, { nvidia_com_gpu: 2 }],
          running: [[day.startMs, day.startMs + HOUR]],
        },
      ],
      [gpuNode],
    );
    const row = onlyRow(meterWindow(obs, optionsFor(day)), 'a');
    expect(row.requested).toBe(3);
    expect(row.gpuSeconds).toBe(3 * 3600);
  });

  it('weights a 3g MIG slice of an A100 3/7 and a 2g slice of an A30 1/2', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'p4d',
          containers: [{ nvidia_com_mig_3g_20gb: 1 }],
          running: [[day.startMs, day.startMs + 7 * HOUR]],
        },
        {
          name: 'b',
          node: 'a30',
          containers: [{ nvidia_com_mig_2g_12gb: 1 }],
          running: [[day.startMs, day.startMs + HOUR]],
        },
      ],
      [
        {
          name: 'p4d',
          instanceType: 'p4d.24xlarge',
          capacity: { nvidia_com_mig_3g_20gb: 2, nvidia_com_mig_1g_5gb: 1, nvidia_com_gpu: 7 },
        },
        { name: 'a30', instanceType: 'a30.box', capacity: { nvidia_com_mig_2g_12gb: 2 } },
      ],
    );
    const m = meterWindow(obs, optionsFor(day));
    expect(onlyRow(m, 'a').weight).toEqual({ numerator: 3, denominator: 7 });
    expect(onlyRow(m, 'a').gpuSeconds).toBeCloseTo(3 * 3600, 9);
    expect(onlyRow(m, 'b').weight).toEqual({ numerator: 1, denominator: 2 });
    const p4d = m.nodes.find((n) => n.node === 'p4d')!;
    expect(p4d.capacityGpuSeconds).toBe(8 * 24 * 3600);
  });

  it('weights a time-sliced GPU unit physical/advertised so sharing pods are not billed a full GPU each', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs, day.startMs + 4 * HOUR]] }],
      [{ ...gpuNode, capacity: { nvidia_com_gpu: 16 } }],
    );
    const m = meterWindow(obs, optionsFor(day));
    expect(onlyRow(m, 'a').weight).toEqual({ numerator: 1, denominator: 4 });
    expect(onlyRow(m, 'a').gpuSeconds).toBe(3600);
    expect(m.nodes[0]!.capacityGpuSeconds).toBe(4 * 24 * 3600);
  });

  it('never charges a pod Pending without a node, even when Pending on a node is charged', () => {
    const obs = windowFor(day, [{ name: 'a', pending: [[day.startMs, day.startMs + HOUR]] }], [gpuNode]);
    const m = meterWindow(obs, optionsFor(day, { pendingOnNode: 'charged' }));
    expect(m.pods).toEqual([]);
  });

  it('charges a pod Pending on a node only under the "charged" policy, as its own row', () => {
    const pod = {
      name: 'a',
      node: 'n1',
      pending: [[day.startMs, day.startMs + 10 * MIN]] as [number, number][],
      running: [[day.startMs + 10 * MIN, day.startMs + HOUR]] as [number, number][],
    };
    const obs = windowFor(day, [pod], [gpuNode]);
    expect(podRow(meterWindow(obs, optionsFor(day)), 'a', 'PendingOnNode')).toEqual([]);
    const charged = meterWindow(obs, optionsFor(day, { pendingOnNode: 'charged' }));
    expect(onlyRow(charged, 'a', 'PendingOnNode').heldSeconds).toBe(600);
    expect(onlyRow(charged, 'a', 'Running').heldSeconds).toBe(3000);
  });

  it('bridges a 2 hour data gap between Running points when maxBridgeSeconds allows it', () => {
    const gap: [number, number] = [day.startMs + 4 * HOUR, day.startMs + 6 * HOUR];
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs + HOUR, day.startMs + 10 * HOUR]] }],
      [gpuNode],
      {
        ksmGaps: [gap],
        maxBridgeSeconds: 7200,
      },
    );
    const row = onlyRow(meterWindow(obs, optionsFor(day, { maxBridgeSeconds: 7200 })), 'a');
    expect(row.heldSeconds).toBe(9 * 3600);
    expect(row.bridgedSeconds).toBe(2 * 3600);
  });

  it('does not bridge a gap longer than maxBridgeSeconds', () => {
    const gap: [number, number] = [day.startMs + 4 * HOUR, day.startMs + 6 * HOUR];
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs + HOUR, day.startMs + 10 * HOUR]] }],
      [gpuNode],
      {
        ksmGaps: [gap],
      },
    );
    const row = onlyRow(meterWindow(obs, optionsFor(day, { maxBridgeSeconds: 7199 })), 'a');
    expect(row.heldSeconds).toBe(7 * 3600);
    expect(row.bridgedSeconds).toBe(0);
  });

  it('counts a node only while it reports capacity when it disappears and returns', () => {
    const obs = windowFor(
      day,
      [],
      [
        {
          ...gpuNode,
          present: [
            [day.startMs, day.startMs + 6 * HOUR],
            [day.startMs + 10 * HOUR, day.endMs],
          ],
        },
      ],
    );
    const node = meterWindow(obs, optionsFor(day)).nodes[0]!;
    expect(node.presentSeconds).toBe(20 * 3600);
    expect(node.capacityGpuSeconds).toBe(4 * 20 * 3600);
  });

  it('makes idle + allocated equal capacity exactly on every node', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'n1',
          containers: [{ nvidia_com_gpu: 2 }],
          running: [[day.startMs + 17 * MIN, day.startMs + 9 * HOUR]],
        },
        { name: 'b', node: 'n1', running: [[day.startMs + 3 * HOUR, day.endMs + HOUR]] },
      ],
      [gpuNode],
    );
    const node = meterWindow(obs, optionsFor(day)).nodes[0]!;
    expect(node.allocatedGpuSeconds).toBe(2 * (9 * 3600 - 17 * 60) + 21 * 3600);
    expect(node.idleGpuSeconds + node.allocatedGpuSeconds).toBe(node.capacityGpuSeconds);
  });

  it('keeps idle + allocated = capacity exact in 1/denominator GPU-ms with MIG weights of 1/7', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'p4d',
          containers: [{ nvidia_com_mig_1g_5gb: 1 }],
          running: [[day.startMs + 13 * MIN, day.startMs + 5 * HOUR]],
        },
      ],
      [{ name: 'p4d', instanceType: 'p4d.24xlarge', capacity: { nvidia_com_mig_1g_5gb: 56 } }],
    );
    const node = meterWindow(obs, optionsFor(day)).nodes[0]!;
    expect(node.exact).toEqual({
      denominator: 7,
      capacity: 56 * 86_400_000,
      allocated: 5 * HOUR - 13 * MIN,
      idle: 56 * 86_400_000 - (5 * HOUR - 13 * MIN),
      idleByReason: {
        unallocated: 56 * 86_400_000 - (5 * HOUR - 13 * MIN),
        'mig-unpartitioned': 0,
        'not-advertised': 0,
        'unknown-resource': 0,
      },
    });
    expect(node.allocatedGpuSeconds).toBeCloseTo((5 * 3600 - 13 * 60) / 7, 9);
  });

  it('splits a pod and a node at a charge-period cut inside the day', () => {
    const cut = day.startMs + 12 * HOUR + 30 * 1000;
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs + 10 * HOUR, day.startMs + 14 * HOUR]] }],
      [gpuNode],
    );
    const m = meterWindow(obs, optionsFor(day, { chargePeriods: chargePeriods([day], [cut]) }));
    expect(podRow(m, 'a').map((r) => r.heldSeconds)).toEqual([2 * 3600 + 30, 2 * 3600 - 30]);
    expect(m.nodes.map((n) => n.capacityGpuSeconds)).toEqual([4 * (12 * 3600 + 30), 4 * (12 * 3600 - 30)]);
    expect(m.nodes.map((n) => n.chargePeriod.startMs)).toEqual([day.startMs, cut]);
  });

  it('takes team from pod labels, then namespace labels, then the default', () => {
    const run: [number, number][] = [[day.startMs, day.startMs + HOUR]];
    const obs = windowFor(
      day,
      [
        { name: 'a', node: 'n1', running: run, labels: { label_team: 'vision', label_project: 'p1' } },
        { name: 'b', node: 'n1', running: run, namespace: 'nlp' },
        { name: 'c', node: 'n1', running: run, namespace: 'misc' },
      ],
      [gpuNode],
      { namespaceLabels: [{ cluster: '', namespace: 'nlp', labels: { label_team: 'language' } }] },
    );
    const m = meterWindow(obs, optionsFor(day));
    expect([onlyRow(m, 'a').team, onlyRow(m, 'a').teamSource, onlyRow(m, 'a').project]).toEqual([
      'vision',
      'pod-label',
      'p1',
    ]);
    expect([onlyRow(m, 'b').team, onlyRow(m, 'b').teamSource, onlyRow(m, 'b').project]).toEqual([
      'language',
      'namespace-label',
      'unallocated',
    ]);
    expect([onlyRow(m, 'c').team, onlyRow(m, 'c').teamSource]).toEqual(['unallocated', 'default']);
  });

  it('prefers DCGM_FI_PROF_GR_ENGINE_ACTIVE over DCGM_FI_DEV_GPU_UTIL and averages over held time', () => {
    const run: [number, number][] = [[day.startMs, day.startMs + HOUR]];
    const base = windowFor(
      day,
      [
        { name: 'a', node: 'n1', running: run },
        { name: 'b', node: 'n1', running: run },
      ],
      [gpuNode],
    );
    const pts = pointsBetween(base.grid, day.startMs, day.startMs + HOUR);
    const obs = {
      ...base,
      utilization: [
        {
          cluster: '',
          namespace: 'ml',
          pod: 'a',
          source: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' as const,
          points: pts.map((t, i) => [t, i < 30 ? 0.2 : 0.6, 1] as [number, number, number]),
        },
        {
          cluster: '',
          namespace: 'ml',
          pod: 'a',
          source: 'DCGM_FI_DEV_GPU_UTIL' as const,
          points: pts.map((t) => [t, 1, 1] as [number, number, number]),
        },
        {
          cluster: '',
          namespace: 'ml',
          pod: 'b',
          source: 'DCGM_FI_DEV_GPU_UTIL' as const,
          points: pts.map((t) => [t, 1.5, 2] as [number, number, number]),
        },
      ],
    };
    const m = meterWindow(obs, optionsFor(day));
    expect(onlyRow(m, 'a').utilizationSource).toBe('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(onlyRow(m, 'a').utilization).toBeCloseTo(0.4, 12);
    expect(onlyRow(m, 'b').utilizationSource).toBe('DCGM_FI_DEV_GPU_UTIL');
    expect(onlyRow(m, 'b').utilization).toBeCloseTo(0.75, 12);
  });

  it('averages the DCGM samples that carry a short pod in the steps next to its KSM samples too', () => {
    // A 2-minute pod seen Running at one kube-state-metrics grid point; dcgm-exporter (30 s) labelled
    // it in the interval before (1 sample), that one (2) and the one after (1): the step means 0, 0.8
    // and 0 (it was 0.8, the seen step alone).
    const base = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs + HOUR, day.startMs + HOUR + MIN]] }],
      [gpuNode],
    );
    const [seen] = pointsBetween(base.grid, day.startMs + HOUR, day.startMs + HOUR + MIN);
    const obs = {
      ...base,
      utilization: [
        {
          cluster: '',
          namespace: 'ml',
          pod: 'a',
          source: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' as const,
          points: [
            [seen! - MIN, 0, 1],
            [seen!, 1.6, 2],
            [seen! + MIN, 0, 1],
          ] as [number, number, number][],
        },
      ],
    };
    expect(onlyRow(meterWindow(obs, optionsFor(day)), 'a').utilization).toBeCloseTo(0.8 / 3, 12);
  });

  it('reports null utilization and source "none" when no DCGM sample matched', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] }],
      [gpuNode],
    );
    const row = onlyRow(meterWindow(obs, optionsFor(day)), 'a');
    expect([row.utilization, row.utilizationSource]).toEqual([null, 'none']);
  });

  it('reports coverage as the share of grid points with a KSM sample, and the gaps', () => {
    const gap: [number, number] = [day.startMs + 6 * HOUR, day.startMs + 12 * HOUR];
    const m = meterWindow(windowFor(day, [], [gpuNode], { ksmGaps: [gap] }), optionsFor(day));
    expect(m.coverage.kubeStateMetrics).toBe(0.75);
    expect(m.coverage.gaps).toEqual([{ startMs: gap[0], endMs: gap[1] }]);
    expect(m.coverage.dcgm).toBeNull();
  });

  it('gives the hourly allocated GPUs per instance type for each local hour', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'n1',
          containers: [{ nvidia_com_gpu: 2 }],
          running: [[day.startMs + HOUR + 30 * MIN, day.startMs + 3 * HOUR]],
        },
      ],
      [gpuNode],
    );
    const hourly = meterWindow(obs, optionsFor(day)).hourlyAllocatedGpus['g5.12xlarge']!;
    expect(hourly).toHaveLength(24);
    expect(hourly.slice(0, 4)).toEqual([0, 1, 2, 0]);
  });

  it('reads the capacity type from Karpenter and EKS labels', () => {
    const obs = windowFor(day, [], [gpuNode, { name: 'n2', instanceType: 'g5.12xlarge' }], {
      nodeLabels: [
        {
          cluster: '',
          node: 'n1',
          labels: {
            label_node_kubernetes_io_instance_type: 'g5.12xlarge',
            label_karpenter_sh_capacity_type: 'spot',
          },
        },
        {
          cluster: '',
          node: 'n2',
          labels: {
            label_node_kubernetes_io_instance_type: 'g5.12xlarge',
            label_eks_amazonaws_com_capacity_type: 'CAPACITY_BLOCK',
          },
        },
      ],
    });
    expect(meterWindow(obs, optionsFor(day)).nodes.map((n) => n.capacityType)).toEqual(['spot', 'reserved']);
  });

  describe('edge cases', () => {
    it('charges a 25-hour DST day 25 hours (America/New_York 2026-11-01)', () => {
      const nyDay = dayOf('2026-11-01', 'America/New_York');
      const obs = windowFor(
        nyDay,
        [{ name: 'a', node: 'n1', running: [[nyDay.startMs - HOUR, nyDay.endMs + HOUR]] }],
        [gpuNode],
      );
      const m = meterWindow(obs, optionsFor(nyDay));
      expect(onlyRow(m, 'a').heldSeconds).toBe(25 * 3600);
      expect(m.hourlyAllocatedGpus['g5.12xlarge']).toEqual(new Array(25).fill(1));
    });

    it('charges a 23-hour DST day 23 hours (America/New_York 2026-03-08)', () => {
      const nyDay = dayOf('2026-03-08', 'America/New_York');
      const obs = windowFor(
        nyDay,
        [{ name: 'a', node: 'n1', running: [[nyDay.startMs - HOUR, nyDay.endMs + HOUR]] }],
        [gpuNode],
      );
      const m = meterWindow(obs, optionsFor(nyDay));
      expect(onlyRow(m, 'a').heldSeconds).toBe(23 * 3600);
      expect(m.nodes[0]!.capacityGpuSeconds).toBe(4 * 23 * 3600);
      expect(m.hourlyAllocatedGpus['g5.12xlarge']).toHaveLength(23);
    });

    it('charges a pod shorter than one step one step when a scrape saw it, and nothing otherwise', () => {
      const base = windowFor(day, [{ name: 'a', node: 'n1', running: [] }], [gpuNode]);
      const seen = { ...base, running: [{ pod: base.running[0]!.pod, tsMs: [day.startMs + 5 * MIN] }] };
      expect(onlyRow(meterWindow(seen, optionsFor(day)), 'a').heldSeconds).toBe(60);
      expect(meterWindow(base, optionsFor(day)).pods).toEqual([]);
    });

    it('meters a gap across midnight identically from both days so they sum to the continuous truth', () => {
      const d1 = seoulDay('2026-03-10');
      const d2 = seoulDay('2026-03-11');
      const run: [number, number][] = [[d1.startMs + 20 * HOUR, d2.startMs + 5 * HOUR]];
      const gap: [number, number][] = [[d1.endMs - 20 * MIN, d1.endMs + 25 * MIN]];
      const pods = [{ name: 'a', node: 'n1', running: run }];
      const m1 = meterWindow(windowFor(d1, pods, [gpuNode], { ksmGaps: gap }), optionsFor(d1));
      const m2 = meterWindow(windowFor(d2, pods, [gpuNode], { ksmGaps: gap }), optionsFor(d2));
      expect(onlyRow(m1, 'a').heldSeconds + onlyRow(m2, 'a').heldSeconds).toBe(9 * 3600);
      expect(onlyRow(m1, 'a').bridgedSeconds).toBe(20 * 60);
      expect(onlyRow(m2, 'a').bridgedSeconds).toBe(25 * 60);
      expect(m1.nodes[0]!.capacityGpuSeconds + m2.nodes[0]!.capacityGpuSeconds).toBe(4 * 48 * 3600);
    });

    it('meters a pod on an unlabelled node as instance type "unknown" and warns', () => {
      const obs = windowFor(
        day,
        [{ name: 'a', node: 'bare', running: [[day.startMs, day.startMs + HOUR]] }],
        [{ name: 'bare', noLabels: true }],
      );
      const m = meterWindow(obs, optionsFor(day));
      expect(onlyRow(m, 'a').gpuSeconds).toBe(3600);
      expect(m.nodes[0]!.instanceType).toBe('unknown');
      expect(m.warnings.some((w) => w.includes('bare') && w.includes('no kube_node_labels'))).toBe(true);
    });

    it('bounds a request above the node’s GPUs to the node, and warns (issue #13, item 12)', () => {
      const obs = windowFor(
        day,
        [
          {
            name: 'a',
            node: 'n1',
            containers: [{ nvidia_com_gpu: 5 }],
            running: [[day.startMs, day.startMs + HOUR]],
          },
        ],
        [gpuNode],
      );
      const m = meterWindow(obs, optionsFor(day));
      // Before #13 item 12 the pod held 5 GPUs of a 4-GPU node (idle 4 × 24 h − 5 h, scaled by the month).
      expect(m.warnings).toContain(
        'pod ml/a (uid uid-a) requests 5 nvidia_com_gpu, more than node n1 has (4 GPUs); bounded to 4',
      );
      expect(m.nodes[0]!.idleGpuSeconds).toBe(4 * 24 * 3600 - 4 * 3600);
      expect(m.pods[0]).toMatchObject({ requested: 4, gpuSeconds: 4 * 3600 });
      expect(m.pods[0]!.bounded).toEqual({
        gpuUnitMs: 4 * 3600 * 1000,
        denominator: 1,
        requestedAsObserved: 5,
      });
    });

    it('warns about, and does not charge, a Running pod without GPU request data', () => {
      const base = windowFor(
        day,
        [{ name: 'a', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] }],
        [gpuNode],
      );
      const m = meterWindow({ ...base, requests: [] }, optionsFor(day));
      expect(m.pods).toEqual([]);
      expect(m.warnings.some((w) => w.includes('uid-a') && w.includes('no GPU request'))).toBe(true);
    });

    it('keeps two pods with the same name apart by uid', () => {
      const obs = windowFor(
        day,
        [
          { name: 'a', uid: 'u1', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] },
          { name: 'a', uid: 'u2', node: 'n1', running: [[day.startMs + 2 * HOUR, day.startMs + 5 * HOUR]] },
        ],
        [gpuNode],
      );
      expect(podRow(meterWindow(obs, optionsFor(day)), 'a').map((r) => [r.pod.uid, r.heldSeconds])).toEqual([
        ['u1', 3600],
        ['u2', 3 * 3600],
      ]);
    });

    it('rejects charge periods that do not partition the day', () => {
      const obs = windowFor(day, [], [gpuNode]);
      const holes = [{ date: day.date, startMs: day.startMs, endMs: day.startMs + HOUR }];
      expect(() => meterWindow(obs, optionsFor(day, { chargePeriods: holes }))).toThrow(
        /partition|end before/,
      );
    });
  });
});
