import { describe, expect, it } from 'vitest';
import { indexNodes, indexPods } from '../../../src/core/metering/index.ts';
import { seoulDay, windowFor } from './fixtures.ts';

const day = seoulDay();

describe('indexPods', () => {
  it('keeps each container request at its largest value in the window and drops non-positive ones', () => {
    const base = windowFor(day, [{ name: 'a', node: 'n1', running: [] }], [{ name: 'n1' }]);
    const pod = base.requests[0]!.pod;
    const obs = {
      ...base,
      requests: [
        { pod, container: 'c0', resource: 'nvidia_com_gpu', value: 1 },
        { pod, container: 'c0', resource: 'nvidia_com_gpu', value: 2 },
        { pod, container: 'c1', resource: 'nvidia_com_gpu', value: 0 },
        { pod, container: 'c1', resource: 'nvidia_com_mig_1g_5gb', value: Number.NaN },
      ],
    };
    const state = [...indexPods(obs, new Set()).values()][0]!;
    expect([...state.requests].map(([r, byContainer]) => [r, [...byContainer]])).toEqual([
      ['nvidia_com_gpu', [['c0', 2]]],
    ]);
    expect(state.node).toBe('n1');
  });

  it('keeps pods of two clusters with the same uid apart', () => {
    const base = windowFor(day, [{ name: 'a', running: [] }], []);
    const ref = base.requests[0]!.pod;
    const obs = {
      ...base,
      running: [],
      requests: [
        { pod: { ...ref, cluster: 'east' }, container: 'c', resource: 'nvidia_com_gpu', value: 1 },
        { pod: { ...ref, cluster: 'west' }, container: 'c', resource: 'nvidia_com_gpu', value: 1 },
      ],
    };
    expect([...indexPods(obs, new Set()).values()].map((s) => s.pod.cluster)).toEqual(['east', 'west']);
  });

  describe('edge cases', () => {
    it('meters a pod bound to several nodes on the first by name, and warns', () => {
      const base = windowFor(day, [{ name: 'a', node: 'n2', running: [] }], []);
      const pod = base.podNodes[0]!.pod;
      const warnings = new Set<string>();
      const pods = indexPods({ ...base, podNodes: [...base.podNodes, { pod, node: 'n1' }] }, warnings);
      expect([...pods.values()][0]!.node).toBe('n1');
      expect([...warnings]).toEqual([
        'pod ml/a (uid uid-a) is bound to several nodes (n1, n2); metered on n1',
      ]);
    });

    it('gives a pod that kube_pod_info never bound the node ""', () => {
      const obs = windowFor(day, [{ name: 'a', running: [] }], []);
      expect([...indexPods(obs, new Set()).values()][0]!.node).toBe('');
    });
  });
});

describe('indexNodes', () => {
  it('lists every node with capacity or pods, in code-unit order, with their resources', () => {
    const obs = windowFor(
      day,
      [
        { name: 'a', node: 'n1', containers: [{ nvidia_com_mig_1g_5gb: 1 }], running: [] },
        { name: 'b', node: 'gone', running: [] },
        { name: 'c', running: [] },
      ],
      [{ name: 'n1', capacity: { nvidia_com_gpu: 4 } }],
    );
    const index = indexNodes(obs, indexPods(obs, new Set()));
    expect(index.ids).toEqual(['\u0000', '\u0000gone', '\u0000n1']);
    expect([...index.resources.get('\u0000n1')!]).toEqual(['nvidia_com_gpu', 'nvidia_com_mig_1g_5gb']);
    expect(index.capacity.get('\u0000gone')).toBeUndefined();
    expect(index.labels.get('\u0000n1')).toEqual({});
  });
});
