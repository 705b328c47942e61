import { describe, expect, it } from 'vitest';
import {
  fraction,
  inferMigSlicesPerGpu,
  migSlicesFor,
  resourceWeight,
} from '../../../src/core/metering/index.ts';

const table = { A100: 7, H100: 7, H200: 7, H20: 7, A30: 4 };
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
