import { describe, expect, it } from 'vitest';
import {
  fraction,
  inferMigSlicesPerGpu,
  isNvidiaResource,
  migSlicesFor,
  parseMigResource,
  resourceWeight,
} from '../../../src/core/metering/index.ts';

const table = new Map(Object.entries({ A100: 7, H100: 7, H200: 7, H20: 7, A30: 4 }));
/** The weights of a node of `model` that is not time-sliced. */
const node = (model: string | undefined) => ({
  migSlices: migSlicesFor(model, table),
  wholeWeight: fraction(1, 1),
});

describe('resourceWeight', () => {
  it.each([
    ['nvidia_com_gpu', 'T4', 1, 1],
    ['nvidia_com_gpu', undefined, 1, 1],
    ['nvidia_com_gpu_shared', 'A10G', 1, 1],
    ['nvidia_com_mig_1g_5gb', 'A100', 1, 7],
    ['nvidia_com_mig_3g_40gb', 'A100-80GB', 3, 7],
    ['nvidia_com_mig_7g_80gb', 'H100', 1, 1],
    ['nvidia_com_mig_1g_10gb_me', 'H100', 1, 7],
    ['nvidia_com_mig_2g_12gb', 'A30', 1, 2],
    ['nvidia_com_mig_1g_18gb', 'H200', 1, 7],
  ])('weighs %s on %s as %i/%i', (resource, model, numerator, denominator) => {
    expect(resourceWeight(resource, node(model))).toEqual({ numerator, denominator });
  });

  it('weighs a whole-GPU unit of a time-sliced node with the node weight (physical / advertised)', () => {
    const sliced = { migSlices: undefined, wholeWeight: fraction(4, 16) };
    expect(resourceWeight('nvidia_com_gpu', sliced)).toEqual({ numerator: 1, denominator: 4 });
    expect(resourceWeight('nvidia_com_gpu_shared', sliced)).toEqual({ numerator: 1, denominator: 4 });
  });

  describe('edge cases', () => {
    it('returns null for a resource that is not a GPU', () => {
      expect(resourceWeight('cpu', node('A100'))).toBeNull();
    });

    it('returns null for a MIG profile on an unknown model', () => {
      expect(resourceWeight('nvidia_com_mig_1g_5gb', node(undefined))).toBeNull();
      expect(resourceWeight('nvidia_com_mig_1g_5gb', node('T4'))).toBeNull();
    });

    it('returns null for a MIG profile larger than the GPU', () => {
      expect(resourceWeight('nvidia_com_mig_7g_80gb', node('A30'))).toBeNull();
    });
  });
});

describe('parseMigResource', () => {
  // Spellings from NVIDIA/k8s-device-plugin (GetName: profile with "+" as ".", ".shared" renames) as
  // kube-state-metrics sanitizes them.
  it.each([
    ['nvidia_com_mig_1g_5gb', 1, 5, 'nvidia_com_mig_1g_5gb', false],
    ['nvidia_com_mig_1g_24gb_me_all', 1, 24, 'nvidia_com_mig_1g_24gb_me_all', false],
    ['nvidia_com_mig_1g_24gb_gfx', 1, 24, 'nvidia_com_mig_1g_24gb_gfx', false],
    ['nvidia_com_mig_2g_20gb_me', 2, 20, 'nvidia_com_mig_2g_20gb_me', false],
    ['nvidia_com_mig_1g_5gb_shared', 1, 5, 'nvidia_com_mig_1g_5gb', true],
    ['nvidia_com_mig_1g_10gb_me_shared', 1, 10, 'nvidia_com_mig_1g_10gb_me', true],
    ['nvidia_com_mig_1c_2g_10gb', 1, 10, 'nvidia_com_mig_1c_2g_10gb', false],
  ])(
    'reads %s as %i compute slice(s), %i GB, base %s, shared %s',
    (resource, slices, memoryGb, base, shared) => {
      expect(parseMigResource(resource)).toEqual({ slices, memoryGb, base, shared });
    },
  );

  describe('edge cases', () => {
    it('is null for whole GPUs and other resources', () => {
      expect([parseMigResource('nvidia_com_gpu_shared'), parseMigResource('nvidia_com_mig_big')]).toEqual([
        null,
        null,
      ]);
    });
  });
});

describe('resourceWeight with replicas', () => {
  it('divides a shared MIG device by its replicas', () => {
    const weights = {
      migSlices: 7,
      wholeWeight: fraction(1, 1),
      migReplicas: new Map([['nvidia_com_mig_1g_5gb', 2]]),
    };
    expect(resourceWeight('nvidia_com_mig_1g_5gb_shared', weights)).toEqual({
      numerator: 1,
      denominator: 14,
    });
    expect(resourceWeight('nvidia_com_mig_3g_20gb', weights)).toEqual({ numerator: 3, denominator: 7 });
  });
});

describe('isNvidiaResource', () => {
  it('tells NVIDIA extended resources from others', () => {
    expect(['nvidia_com_a100', 'nvidia_com_gpu', 'cpu', 'amd_com_gpu'].map(isNvidiaResource)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('inferMigSlicesPerGpu', () => {
  it('guesses 4 slices for A30 profiles (6 GB per slice) and 7 otherwise', () => {
    expect([
      inferMigSlicesPerGpu('nvidia_com_mig_2g_12gb'),
      inferMigSlicesPerGpu('nvidia_com_mig_2g_10gb'),
    ]).toEqual([4, 7]);
  });

  describe('edge cases', () => {
    it('returns undefined for a resource that is not MIG', () => {
      expect(inferMigSlicesPerGpu('nvidia_com_gpu')).toBeUndefined();
    });
  });
});
