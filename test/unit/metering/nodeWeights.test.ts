import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownGpusOf, weighNode } from '../../../src/core/metering/index.ts';
import type { GpuCatalogEntry } from '../../../src/core/metering/index.ts';
import type { NodeCapacityPoints } from '../../../src/core/types.ts';

const SLICES = new Map([
  ['A100', 7],
  ['H100', 7],
  ['A30', 4],
]);

function nodeOf(catalog: GpuCatalogEntry | undefined, name = 'n1') {
  return { cluster: '', node: name, instanceType: 'x', capacityType: 'on-demand' as const, catalog };
}

/** Capacity series advertising `units` of each resource at two grid points. */
function advertised(units: Record<string, number>): NodeCapacityPoints[] {
  return Object.entries(units).map(([resource, v]) => ({
    cluster: '',
    node: 'n1',
    resource,
    points: [
      [60_000, v],
      [120_000, v],
    ],
  }));
}

function weigh(
  catalog: GpuCatalogEntry | undefined,
  units: Record<string, number>,
  requested: string[] = [],
) {
  const warnings = new Set<string>();
  const capacity = advertised(units);
  const resources = [...capacity.map((c) => c.resource), ...requested];
  const weights = weighNode(nodeOf(catalog), capacity, resources, SLICES, warnings);
  return { weights, warnings: [...warnings] };
}

/** What catalog and GFD labels know about a node. */
function known(gpus: number | undefined, gpuModel: string | undefined, labels: Record<string, string>) {
  return {
    ...knownGpusOf({ catalog: undefined }, labels, {}),
    gpus,
    gpuModel,
    source: gpus ? ('gfd' as const) : undefined,
  };
}

describe('weighNode with GPU feature discovery', () => {
  it('weighs a time-sliced unit 1/gpu.replicas, renamed or not', () => {
    const labels = {
      label_nvidia_com_gpu_replicas: '4',
      label_nvidia_com_gpu_sharing_strategy: 'time-slicing',
    };
    const capacity = advertised({ nvidia_com_gpu_shared: 8 });
    const weights = weighNode(
      nodeOf(undefined),
      capacity,
      ['nvidia_com_gpu_shared'],
      SLICES,
      new Set(),
      known(4, 'A10G', labels),
    );
    expect(weights.wholeWeight).toEqual({ numerator: 1, denominator: 4 });
  });

  it('infers the replicas of a .shared MIG profile so its devices fit the GPUs, and warns', () => {
    const warnings = new Set<string>();
    const capacity = advertised({ nvidia_com_mig_1g_5gb_shared: 28 });
    const weights = weighNode(
      nodeOf(undefined),
      capacity,
      ['nvidia_com_mig_1g_5gb_shared'],
      SLICES,
      warnings,
      known(2, 'A100', {}),
    );
    expect(weights.migReplicas).toEqual(new Map([['nvidia_com_mig_1g_5gb', 2]]));
    expect(weights.denominator).toBe(14);
    expect([...warnings]).toEqual([
      'node n1: replicas of nvidia_com_mig_1g_5gb_shared unknown (GFD label nvidia.com/mig-<profile>.replicas not exported); 2 assumed so its MIG devices fit 2 GPUs',
    ]);
  });

  it('weighs MIG single-strategy units g/slices of the gpu.product profile', () => {
    const labels = {
      label_nvidia_com_mig_strategy: 'single',
      label_nvidia_com_gpu_product: 'NVIDIA-A100-SXM4-40GB-MIG-2g.10gb',
    };
    const weights = weighNode(
      nodeOf(undefined),
      advertised({ nvidia_com_gpu: 24 }),
      ['nvidia_com_gpu'],
      SLICES,
      new Set(),
      known(8, 'A100', labels),
    );
    expect([weights.wholeWeight, weights.wholeIsMig, weights.denominator]).toEqual([
      { numerator: 2, denominator: 7 },
      true,
      7,
    ]);
  });
});

describe('weighNode', () => {
  it('weighs whole GPUs 1 on a node that advertises its physical GPUs', () => {
    expect(weigh({ gpus: 4, gpuModel: 'A10G' }, { nvidia_com_gpu: 4 })).toEqual({
      weights: { migSlices: undefined, wholeWeight: { numerator: 1, denominator: 1 }, denominator: 1 },
      warnings: [],
    });
  });

  it('weighs a time-sliced unit physical / advertised (4 GPUs advertised 16 times: 1/4)', () => {
    const { weights } = weigh({ gpus: 4, gpuModel: 'A10G' }, { nvidia_com_gpu: 16 });
    expect([weights.wholeWeight, weights.denominator]).toEqual([{ numerator: 1, denominator: 4 }, 4]);
  });

  it('counts only the GPUs MIG leaves whole when it detects time-slicing', () => {
    // 8 A100s: one is cut into 2×3g + 1×1g (7/7 of a GPU), seven are advertised whole, 14 times.
    const { weights } = weigh(
      { gpus: 8, gpuModel: 'A100' },
      { nvidia_com_mig_3g_20gb: 2, nvidia_com_mig_1g_5gb: 1, nvidia_com_gpu: 14 },
    );
    expect([weights.migSlices, weights.wholeWeight, weights.denominator]).toEqual([
      7,
      { numerator: 1, denominator: 2 },
      14,
    ]);
  });

  it('takes the MIG slices per GPU from the model and makes every weight a multiple of 1/denominator', () => {
    const a30 = { gpus: 1, gpuModel: 'A30' };
    const { weights } = weigh(a30, { nvidia_com_mig_2g_12gb: 2 }, ['nvidia_com_mig_1g_6gb']);
    expect([weights.migSlices, weights.denominator]).toEqual([4, 4]);
  });

  describe('edge cases', () => {
    it('infers MIG slices from the profile when the model is unknown, and warns', () => {
      const { weights, warnings } = weigh(undefined, { nvidia_com_mig_2g_12gb: 2 });
      expect(weights.migSlices).toBe(4);
      expect(warnings).toEqual([
        'node n1: GPU model unknown not in metering.migSlicesPerGpu; MIG weights assume 4 slices per GPU',
      ]);
    });

    it('weighs whole GPUs 1 and warns when the physical GPU count is unknown', () => {
      const { weights, warnings } = weigh(undefined, { nvidia_com_gpu: 16 });
      expect(weights.wholeWeight).toEqual({ numerator: 1, denominator: 1 });
      expect(warnings).toEqual([
        'node n1: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1',
      ]);
    });

    it('weighs whole GPUs 1 and warns when MIG already covers every GPU', () => {
      const oneA100 = { gpus: 1, gpuModel: 'A100' };
      const { weights, warnings } = weigh(oneA100, { nvidia_com_mig_1g_5gb: 7, nvidia_com_gpu: 1 });
      expect(weights.wholeWeight).toEqual({ numerator: 1, denominator: 1 });
      expect(warnings).toEqual([
        'node n1 advertises whole GPUs although MIG uses all 1 of its GPUs; whole GPUs weighted 1',
      ]);
    });

    it('does not warn about the node "" of pods bound to no node', () => {
      const warnings = new Set<string>();
      weighNode(nodeOf(undefined, ''), [], ['nvidia_com_gpu', 'nvidia_com_mig_1g_5gb'], SLICES, warnings);
      expect(warnings.size).toBe(0);
    });
  });
});

describe('weighNode with one capacity series (no per-time sums)', () => {
  it('weighs the node exactly as the summing path does, also when a time repeats or a value is not a count', () => {
    const value = fc.constantFrom(Number.NaN, -1, -0, 0, 1, 2, 4, 7, 8, 9, 16, 1.5, Number.POSITIVE_INFINITY);
    const point = fc.tuple(
      fc.integer({ min: 1, max: 6 }).map((k) => k * 60_000),
      value,
    );
    const resource = fc.constantFrom(
      'nvidia_com_gpu',
      'nvidia_com_gpu_shared',
      'nvidia_com_mig_1g_5gb',
      'nvidia_com_mig_3g_20gb',
      'nvidia_com_mig_1g_10gb_shared',
    );
    const catalog = fc.constantFrom<GpuCatalogEntry | undefined>(undefined, { gpus: 8, gpuModel: 'A100' });
    fc.assert(
      fc.property(resource, fc.array(point, { maxLength: 8 }), catalog, (r, points, entry) => {
        const series: NodeCapacityPoints = { cluster: '', node: 'n1', resource: r, points };
        // A second, empty series of the same resource adds nothing, and takes the summing path.
        const summed = new Set<string>();
        const expected = weighNode(nodeOf(entry), [series, { ...series, points: [] }], [r], SLICES, summed);
        const one = new Set<string>();
        const got = weighNode(nodeOf(entry), [series], [r], SLICES, one);
        expect(got).toEqual(expected);
        expect([...one]).toEqual([...summed]);
      }),
      { numRuns: 2000 },
    );
  });
});
