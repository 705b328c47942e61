import { describe, expect, it } from 'vitest';
import { gfdFactsOf, knownGpusOf, parseGpuProduct } from '../../../src/core/metering/index.ts';

describe('parseGpuProduct', () => {
  // GFD writes the NVML name with "-" for spaces, "-MIG-<profile>" (single strategy), "-SHARED"
  // (NVIDIA/k8s-device-plugin internal/lm/resource.go getProductName).
  it.each([
    ['NVIDIA-A100-SXM4-40GB', { gpuModel: 'A100-SXM4-40GB' }],
    ['Tesla-T4-SHARED', { gpuModel: 'T4' }],
    ['NVIDIA-A100-SXM4-40GB-MIG-1g.5gb', { gpuModel: 'A100-SXM4-40GB', migProfile: '1g.5gb' }],
    ['NVIDIA-H100-80GB-HBM3-MIG-1g.10gb.me-SHARED', { gpuModel: 'H100-80GB-HBM3', migProfile: '1g.10gb.me' }],
  ])('reads %s', (product, expected) => {
    expect(parseGpuProduct(product)).toEqual(expected);
  });
});

describe('gfdFactsOf', () => {
  it('reads count, product, replicas, strategies and per-profile MIG replicas', () => {
    expect(
      gfdFactsOf({
        label_nvidia_com_gpu_count: '8',
        label_nvidia_com_gpu_product: 'NVIDIA-A100-SXM4-40GB',
        label_nvidia_com_gpu_replicas: '0',
        label_nvidia_com_gpu_sharing_strategy: 'none',
        label_nvidia_com_mig_strategy: 'mixed',
        label_nvidia_com_mig_1g_5gb_replicas: '2',
        label_nvidia_com_mig_1g_5gb_count: '14',
      }),
    ).toEqual({
      count: 8,
      product: 'NVIDIA-A100-SXM4-40GB',
      gpuModel: 'A100-SXM4-40GB',
      replicas: 0,
      sharingStrategy: 'none',
      migStrategy: 'mixed',
      migReplicas: new Map([['nvidia_com_mig_1g_5gb', 2]]),
    });
  });

  describe('edge cases', () => {
    it('ignores counts that are not whole numbers', () => {
      expect(gfdFactsOf({ label_nvidia_com_gpu_count: '1.5' })).toEqual({ migReplicas: new Map() });
    });
  });
});

describe('knownGpusOf', () => {
  const gfd = { label_nvidia_com_gpu_count: '2', label_nvidia_com_gpu_product: 'NVIDIA-L40S' };
  const rules = { physicalGpus: [{ nodeLabel: 'label_rack', value: 'r1', gpus: 4, gpuModel: 'L4' }] };

  it('trusts the catalog, then GFD, then a configured rule', () => {
    const catalog = { catalog: { gpus: 8, gpuModel: 'A100' } };
    expect(knownGpusOf(catalog, gfd, rules)).toMatchObject({ gpus: 8, gpuModel: 'A100', source: 'catalog' });
    expect(knownGpusOf({ catalog: undefined }, { ...gfd, label_rack: 'r1' }, rules)).toMatchObject({
      gpus: 2,
      gpuModel: 'L40S',
      source: 'gfd',
    });
    expect(knownGpusOf({ catalog: undefined }, { label_rack: 'r1' }, rules)).toMatchObject({
      gpus: 4,
      gpuModel: 'L4',
      source: 'config',
    });
  });

  describe('edge cases', () => {
    it('knows nothing without catalog, GFD count or matching rule', () => {
      expect(knownGpusOf({ catalog: undefined }, { label_rack: 'r2' }, rules)).toMatchObject({
        gpus: undefined,
        source: undefined,
      });
    });
  });
});
