import { describe, expect, it } from 'vitest';
import {
  capacityTypeOf,
  catalogEntryOf,
  identifyNode,
  toCapacityType,
} from '../../../src/core/metering/index.ts';
import { CATALOG, optionsFor, seoulDay } from './fixtures.ts';

const options = optionsFor(seoulDay());
const labels = (instanceType?: string, capacityType?: string) => ({
  ...(instanceType ? { label_node_kubernetes_io_instance_type: instanceType } : {}),
  ...(capacityType ? { label_eks_amazonaws_com_capacity_type: capacityType } : {}),
});

describe('identifyNode', () => {
  it('reads the instance type and capacity type from the first label that has them, and finds its GPUs', () => {
    const warnings = new Set<string>();
    expect(identifyNode('east', 'n1', labels('p4d.24xlarge', 'SPOT'), options, warnings)).toEqual({
      cluster: 'east',
      node: 'n1',
      instanceType: 'p4d.24xlarge',
      capacityType: 'spot',
      catalog: { gpus: 8, gpuModel: 'A100' },
    });
    expect(warnings.size).toBe(0);
  });

  it("finds an instance type listed only in the node's cluster catalog (pricing.byCluster), without a warning", () => {
    const warnings = new Set<string>();
    const byCluster = {
      ...options,
      instanceTypesByCluster: new Map([['onprem', new Map([['dgx-a100', { gpus: 8, gpuModel: 'A100' }]])]]),
    };
    expect(identifyNode('onprem', 'n1', labels('dgx-a100'), byCluster, warnings).catalog).toEqual({
      gpus: 8,
      gpuModel: 'A100',
    });
    expect(warnings.size).toBe(0);
  });

  describe('edge cases', () => {
    it.each([
      [undefined, 'node n1 has no kube_node_labels; instance type "unknown"'],
      [labels(undefined, 'SPOT'), 'node n1 has no instance-type label; instance type "unknown"'],
      [
        labels('x1.large'),
        'instance type "x1.large" of node n1 is not in the price catalog; no GPU model for MIG or time-slicing weights',
      ],
    ])('warns when the labels %j leave the node without a catalog entry', (nodeLabels, warning) => {
      const warnings = new Set<string>();
      const node = identifyNode('', 'n1', nodeLabels, options, warnings);
      expect(node.catalog).toBeUndefined();
      expect([...warnings]).toEqual([warning]);
    });

    it('does not warn about the node "" of pods bound to no node', () => {
      const warnings = new Set<string>();
      expect(identifyNode('', '', undefined, options, warnings).instanceType).toBe('unknown');
      expect(warnings.size).toBe(0);
    });
  });
});

describe('catalogEntryOf', () => {
  const catalogs = {
    instanceTypes: CATALOG,
    instanceTypesByCluster: new Map([
      [
        'onprem',
        new Map([
          ['dgx-a100', { gpus: 8, gpuModel: 'A100' }],
          ['g5.12xlarge', { gpus: 2, gpuModel: 'A10G' }],
        ]),
      ],
    ]),
  };

  it('finds an instance type of the global catalog', () => {
    expect(catalogEntryOf(catalogs, 'east', 'g5.12xlarge')).toEqual({ gpus: 4, gpuModel: 'A10G' });
  });

  it("takes a cluster's own entry first, as pricing does", () => {
    expect(catalogEntryOf(catalogs, 'onprem', 'g5.12xlarge')).toEqual({ gpus: 2, gpuModel: 'A10G' });
    expect(catalogEntryOf(catalogs, 'onprem', 'dgx-a100')).toEqual({ gpus: 8, gpuModel: 'A100' });
    expect(catalogEntryOf(catalogs, 'onprem', 'p4d.24xlarge')).toEqual({ gpus: 8, gpuModel: 'A100' });
    expect(catalogEntryOf(catalogs, 'east', 'dgx-a100')).toBeUndefined();
  });

  describe('edge cases', () => {
    it('treats a label value that names an Object property as no entry', () => {
      expect(catalogEntryOf(catalogs, 'constructor', 'constructor')).toBeUndefined();
    });
  });
});

describe('toCapacityType', () => {
  it.each([
    ['spot', 'spot'],
    ['SPOT', 'spot'],
    ['on-demand', 'on-demand'],
    ['ON_DEMAND', 'on-demand'],
    ['reserved', 'reserved'],
    ['CAPACITY_BLOCK', 'reserved'],
    ['preemptible', 'unknown'],
    [undefined, 'unknown'],
  ])('maps %s to %s', (value, expected) => {
    expect(toCapacityType(value)).toBe(expected);
  });
});

describe('capacityTypeOf', () => {
  const nodeLabels = {
    instanceType: ['label_node_kubernetes_io_instance_type'],
    capacityType: [
      'label_karpenter_sh_capacity_type',
      'label_eks_amazonaws_com_capacity_type',
      'label_cloud_google_com_gke_spot',
      'label_cloud_google_com_gke_preemptible',
      'label_kubernetes_azure_com_scalesetpriority',
      'label_pool',
    ],
  };

  it.each([
    [{ label_cloud_google_com_gke_spot: 'true' }, 'spot'],
    [{ label_cloud_google_com_gke_preemptible: 'true' }, 'spot'],
    [{ label_kubernetes_azure_com_scalesetpriority: 'spot' }, 'spot'],
    [{ label_kubernetes_azure_com_scalesetpriority: 'regular' }, 'on-demand'],
    [{ label_eks_amazonaws_com_capacity_type: 'CAPACITY_BLOCK' }, 'reserved'],
    [
      { label_karpenter_sh_capacity_type: 'spot', label_kubernetes_azure_com_scalesetpriority: 'regular' },
      'spot',
    ],
    [{ label_cloud_google_com_gke_spot: 'false', label_pool: 'spot' }, 'spot'],
    [{}, 'unknown'],
  ])('reads %j as %s', (labels, expected) => {
    expect(capacityTypeOf(labels, nodeLabels)).toBe(expected);
  });

  it('applies the configured value map of a label before the built-in meanings', () => {
    const configured = {
      ...nodeLabels,
      capacityTypeValues: new Map<string, Map<string, 'spot' | 'reserved'>>([
        ['label_pool', new Map([['cheap', 'spot' as const]])],
        ['label_cloud_google_com_gke_spot', new Map([['true', 'reserved' as const]])],
      ]),
    };
    expect(capacityTypeOf({ label_pool: 'cheap' }, configured)).toBe('spot');
    expect(capacityTypeOf({ label_cloud_google_com_gke_spot: 'true' }, configured)).toBe('reserved');
  });
});
