import { describe, expect, it } from 'vitest';
import { meterWindow } from '../../../src/core/metering/index.ts';
import type { MeteredDay } from '../../../src/core/types.ts';
import { HOUR, optionsFor, seoulDay, windowFor } from './fixtures.ts';

/** Capacity comes from the machine (#14): a node costs its physical GPUs for every second it exists. */
const day = seoulDay();
const DAY_S = 24 * 3600;
const nodeRow = (m: MeteredDay, name: string) => {
  const rows = m.nodes.filter((n) => n.node === name);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};
const hours = (from: number, to: number): [number, number][] => [
  [day.startMs + from * HOUR, day.startMs + to * HOUR],
];
/** GFD labels of a node, as kube-state-metrics spells them (see src/core/metering/nodeGpus.ts). */
const gfd = (labels: Record<string, string>) =>
  Object.fromEntries(Object.entries(labels).map(([k, v]) => [`label_nvidia_com_${k}`, v]));

describe('capacity from the machine', () => {
  it('bills a catalogued node that advertises nothing (device plugin down, DRA) its physical GPUs, idle "not-advertised"', () => {
    const obs = windowFor(day, [], [{ name: 'dra', instanceType: 'g5.12xlarge', capacity: {} }]);
    const row = nodeRow(meterWindow(obs, optionsFor(day)), 'dra');
    expect([row.gpus, row.gpuSource, row.capacityGpuSeconds]).toEqual([4, 'catalog', 4 * DAY_S]);
    expect(row.idleByReason).toEqual({
      unallocated: 0,
      'mig-unpartitioned': 0,
      'not-advertised': 4 * DAY_S,
      'unknown-resource': 0,
    });
  });

  it('keeps the physical GPUs while the device plugin stops advertising for two hours', () => {
    const obs = windowFor(
      day,
      [],
      [{ name: 'n1', instanceType: 'g5.12xlarge', advertised: [...hours(0, 10), ...hours(12, 24)] }],
    );
    const row = nodeRow(meterWindow(obs, optionsFor(day, { maxBridgeSeconds: 0 })), 'n1');
    expect(row.capacityGpuSeconds).toBe(4 * DAY_S);
    expect(row.idleByReason!['not-advertised']).toBe(4 * 2 * 3600);
  });

  it("takes an on-prem node's GPUs from GFD labels: time-sliced ×4 it is 1 GPU, and a pod on it ¼", () => {
    const onPrem = {
      name: 'onprem-1',
      capacity: { nvidia_com_gpu: 4 },
      labels: gfd({
        gpu_count: '1',
        gpu_product: 'NVIDIA-A100-SXM4-40GB-SHARED',
        gpu_replicas: '4',
        gpu_sharing_strategy: 'time-slicing',
      }),
    };
    const obs = windowFor(day, [{ name: 'a', node: 'onprem-1', running: hours(0, 6) }], [onPrem]);
    const m = meterWindow(obs, optionsFor(day));
    const row = nodeRow(m, 'onprem-1');
    expect([row.gpus, row.gpuSource, row.gpuModel, row.capacityGpuSeconds]).toEqual([
      1,
      'gfd',
      'A100-SXM4-40GB',
      DAY_S,
    ]);
    expect(m.pods.map((p) => [p.weight, p.gpuSeconds])).toEqual([
      [{ numerator: 1, denominator: 4 }, 1.5 * 3600],
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('takes GPUs and model from a metering.physicalGpus rule when neither catalog nor GFD knows the node', () => {
    const obs = windowFor(
      day,
      [],
      [{ name: 'bm', capacity: { nvidia_com_gpu: 2 }, labels: { label_rack: 'r7' } }],
    );
    const options = optionsFor(day, {
      physicalGpus: [{ nodeLabel: 'label_rack', value: 'r7', gpus: 8, gpuModel: 'H100' }],
    });
    const row = nodeRow(meterWindow(obs, options), 'bm');
    expect([row.gpus, row.gpuSource, row.gpuModel]).toEqual([8, 'config', 'H100']);
    expect(row.idleByReason!['not-advertised']).toBe(6 * DAY_S);
  });

  it('counts what a node advertises when nothing else knows, and says so', () => {
    const obs = windowFor(
      day,
      [],
      [{ name: 'x', instanceType: 'x9.large', capacity: { nvidia_com_gpu: 2 } }],
    );
    const m = meterWindow(obs, optionsFor(day));
    expect([nodeRow(m, 'x').gpus, nodeRow(m, 'x').gpuSource]).toEqual([2, 'advertised']);
  });

  it('makes the slices a MIG layout leaves (three 2g.10gb on one A100) idle "mig-unpartitioned"', () => {
    const obs = windowFor(
      day,
      [],
      [
        {
          name: 'p4d',
          instanceType: 'p4d.24xlarge',
          capacity: { nvidia_com_gpu: 7, nvidia_com_mig_2g_10gb: 3 },
        },
      ],
    );
    const row = nodeRow(meterWindow(obs, optionsFor(day)), 'p4d');
    expect(row.capacityGpuSeconds).toBe(8 * DAY_S);
    expect(row.idleByReason!['mig-unpartitioned']).toBeCloseTo(DAY_S / 7, 6);
    expect(row.exact!.idleByReason!['mig-unpartitioned']).toBe(1 * DAY_S * 1000);
    expect(row.exact!.idleByReason!.unallocated).toBe((7 * 7 + 6) * DAY_S * 1000);
  });

  it('weighs MIG profiles with new suffixes and time-slicing renames, sharing a 1g device between replicas', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'p4d', containers: [{ nvidia_com_mig_1g_5gb_shared: 1 }], running: hours(0, 7) }],
      [
        {
          name: 'p4d',
          instanceType: 'p4d.24xlarge',
          capacity: {
            nvidia_com_gpu: 0,
            nvidia_com_mig_1g_5gb_shared: 14,
            nvidia_com_mig_1g_5gb_me: 7,
            nvidia_com_mig_3g_20gb: 8,
            nvidia_com_mig_4g_20gb: 2,
          },
          labels: gfd({ mig_1g_5gb_replicas: '2', mig_strategy: 'mixed' }),
        },
      ],
    );
    const m = meterWindow(obs, optionsFor(day));
    expect(m.pods.map((p) => p.weight)).toEqual([{ numerator: 1, denominator: 14 }]);
    const row = nodeRow(m, 'p4d');
    // 7 + 7 + 24 + 8 = 46 of 56 slices advertised; 10/7 GPU of MIG slices are not partitioned.
    expect(row.idleByReason!['mig-unpartitioned']).toBeCloseTo((10 / 7) * DAY_S, 6);
    expect(row.idleByReason!['unknown-resource']).toBe(0);
    expect(row.allocatedGpuSeconds).toBeCloseTo((7 * 3600) / 14, 6);
  });

  it('weighs MIG single-strategy units by the profile in gpu.product', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'p4d', running: hours(0, 7) }],
      [
        {
          name: 'p4d',
          instanceType: 'p4d.24xlarge',
          capacity: { nvidia_com_gpu: 16 },
          labels: gfd({
            mig_strategy: 'single',
            gpu_product: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
            gpu_count: '16',
          }),
        },
      ],
    );
    const m = meterWindow(obs, optionsFor(day));
    expect(m.pods.map((p) => p.weight)).toEqual([{ numerator: 3, denominator: 7 }]);
    const row = nodeRow(m, 'p4d');
    expect(row.gpus).toBe(8);
    expect(row.idleByReason!['mig-unpartitioned']).toBeCloseTo((8 / 7) * DAY_S, 6);
  });

  it('makes the share of a GPU-like resource it cannot interpret idle "unknown-resource", and warns about its pods', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', containers: [{ nvidia_com_a100: 1 }], running: hours(0, 2) }],
      [{ name: 'n1', instanceType: 'g5.12xlarge', capacity: { nvidia_com_a100: 4 } }],
    );
    const m = meterWindow(obs, optionsFor(day));
    const row = nodeRow(m, 'n1');
    expect(row.idleByReason!['unknown-resource']).toBe(4 * DAY_S);
    expect(row.unknownResources).toEqual(['nvidia_com_a100']);
    expect(m.pods).toEqual([]);
    expect(m.warnings).toEqual([
      'pod ml/a (uid uid-a) requests nvidia_com_a100, which metering cannot interpret as GPUs; not charged (its share of the node is idle "unknown-resource")',
    ]);
  });

  it('bills a node for the time it existed only', () => {
    const obs = windowFor(day, [], [{ name: 'n1', instanceType: 'g5.12xlarge', present: hours(6, 9) }]);
    const row = nodeRow(meterWindow(obs, optionsFor(day, { maxBridgeSeconds: 0 })), 'n1');
    expect([row.presentSeconds, row.capacityGpuSeconds]).toEqual([3 * 3600, 4 * 3 * 3600]);
  });

  describe('edge cases', () => {
    it('drops a CPU-only node (no catalog entry, GFD count, rule, GPU resource or GPU pod)', () => {
      const obs = windowFor(day, [], [{ name: 'cpu', instanceType: 'm5.large', capacity: {} }]);
      const m = meterWindow(obs, optionsFor(day));
      expect([m.nodes, m.warnings]).toEqual([[], []]);
    });

    it('warns about a node that advertises a GPU-like resource but whose GPUs nothing can count', () => {
      const obs = windowFor(day, [], [{ name: 'odd', capacity: { nvidia_com_a100: 4 } }]);
      const m = meterWindow(obs, optionsFor(day));
      expect(m.nodes).toEqual([]);
      expect(m.warnings).toContain(
        'node odd advertises nvidia_com_a100 but no GPU metering can count (no catalog entry, GFD nvidia.com/gpu.count label or metering.physicalGpus rule); not billed',
      );
    });

    it('does not take the GFD count of MIG devices under the single strategy for physical GPUs', () => {
      const obs = windowFor(
        day,
        [],
        [
          {
            name: 'n1',
            capacity: { nvidia_com_gpu: 14 },
            labels: gfd({
              mig_strategy: 'single',
              gpu_product: 'NVIDIA-A100-SXM4-40GB-MIG-1g.5gb',
              gpu_count: '14',
            }),
          },
        ],
      );
      const row = nodeRow(meterWindow(obs, optionsFor(day)), 'n1');
      expect([row.gpus, row.gpuSource]).toEqual([2, 'advertised']);
    });
  });
});

describe('effective GPU requests with init containers', () => {
  const node = { name: 'n1', instanceType: 'g5.12xlarge' };

  it('charges a GPU held by a native sidecar (restartable init container) on top of the app containers', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'n1',
          containers: [{ nvidia_com_gpu: 1 }],
          initContainers: [{ nvidia_com_gpu: 1 }],
          sidecars: ['i0'],
          running: hours(0, 1),
        },
      ],
      [node],
    );
    expect(meterWindow(obs, optionsFor(day)).pods.map((p) => p.requested)).toEqual([2]);
  });

  it('charges the largest init container when it requests more than the app containers', () => {
    const obs = windowFor(
      day,
      [
        {
          name: 'a',
          node: 'n1',
          containers: [{ nvidia_com_gpu: 1 }],
          initContainers: [{ nvidia_com_gpu: 3 }, { nvidia_com_gpu: 2 }],
          running: hours(0, 1),
        },
      ],
      [node],
    );
    expect(meterWindow(obs, optionsFor(day)).pods.map((p) => p.requested)).toEqual([3]);
  });
});

describe('GPUs allocated through DRA claims', () => {
  const draNode = { name: 'dra', instanceType: 'p4d.24xlarge', capacity: {} };

  it('bills a Running pod for the GPUs and MIG devices dcgm-exporter attributes to it', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'dra', containers: [], running: hours(0, 3) }],
      [draNode],
      {
        draDevices: [
          { cluster: '', namespace: 'ml', pod: 'a', claim: 'a-gpu', device: 'GPU-1' },
          { cluster: '', namespace: 'ml', pod: 'a', claim: 'a-gpu', device: 'GPU-2' },
          {
            cluster: '',
            namespace: 'ml',
            pod: 'a',
            claim: 'a-mig',
            device: 'GPU-3/1',
            migProfile: '3g.20gb',
          },
        ],
      },
    );
    const m = meterWindow(obs, optionsFor(day));
    expect(m.pods.map((p) => [p.gpuResource, p.requested, p.weight, p.gpuSeconds])).toEqual([
      ['dra_gpu', 2, { numerator: 1, denominator: 1 }, 2 * 3 * 3600],
      ['dra_mig_3g_20gb', 1, { numerator: 3, denominator: 7 }, (3 / 7) * 3 * 3600],
    ]);
    const row = nodeRow(m, 'dra');
    expect(row.idleByReason!['not-advertised']).toBeCloseTo(8 * DAY_S - (2 + 3 / 7) * 3 * 3600, 6);
    expect(row.idleByReason!.unallocated).toBe(0);
  });

  describe('edge cases', () => {
    it('warns about a DRA device of a pod that is not Running in kube-state-metrics', () => {
      const obs = windowFor(day, [], [draNode], {
        draDevices: [{ cluster: '', namespace: 'ml', pod: 'ghost', claim: 'c', device: 'GPU-1' }],
      });
      expect(meterWindow(obs, optionsFor(day)).warnings).toContain(
        'dcgm-exporter attributes GPU GPU-1 to pod ml/ghost through DRA claim c, but no Running pod of that name has kube_pod_resourceclaim_info (kube-state-metrics); not billed to a pod',
      );
    });
  });
});
