import { describe, expect, it } from 'vitest';
import { gpuWeight, inferMigSlicesPerGpu } from '../../../src/core/metering/index.ts';

const table = { A100: 7, H100: 7, H200: 7, H20: 7, A30: 4 };

describe('gpuWeight', () => {
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
    expect(gpuWeight(resource, model, table)).toEqual({ numerator, denominator });
  });

  describe('edge cases', () => {
    it('returns null for a resource that is not a GPU', () => {
      expect(gpuWeight('cpu', 'A100', table)).toBeNull();
    });

    it('returns null for a MIG profile on an unknown model', () => {
      expect(gpuWeight('nvidia_com_mig_1g_5gb', undefined, table)).toBeNull();
      expect(gpuWeight('nvidia_com_mig_1g_5gb', 'T4', table)).toBeNull();
    });

    it('returns null for a MIG profile larger than the GPU', () => {
      expect(gpuWeight('nvidia_com_mig_7g_80gb', 'A30', table)).toBeNull();
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
