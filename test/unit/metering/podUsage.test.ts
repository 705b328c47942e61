import { describe, expect, it } from 'vitest';
import {
  attributorOf,
  BRIDGED,
  chargedIntervals,
  fraction,
  indexPods,
  indexUtilization,
  meterPods,
  NONE,
  OBSERVED,
  windowGridOf,
} from '../../../src/core/metering/index.ts';
import type { MeterOptions, NodeIdentity, NodeWeights } from '../../../src/core/metering/index.ts';
import type { WindowObservations } from '../../../src/core/types.ts';
import { type FakePod, HOUR, MIN, optionsFor, pointOf, seoulDay, windowFor } from './fixtures.ts';

const day = seoulDay();
const n1: NodeIdentity & { weights: NodeWeights } = {
  cluster: '',
  node: 'n1',
  instanceType: 'g5.12xlarge',
  capacityType: 'spot',
  catalog: { gpus: 4, gpuModel: 'A10G' },
  weights: { migSlices: undefined, wholeWeight: fraction(1, 4), denominator: 4 },
};
const unbound = {
  ...n1,
  node: '',
  instanceType: 'unknown',
  weights: { migSlices: undefined, wholeWeight: fraction(1, 1), denominator: 1 },
};
const nodes = new Map([
  ['\u0000n1', n1],
  ['\u0000', unbound],
]);

function meter(
  pods: FakePod[],
  overrides: Partial<MeterOptions> = {},
  extra: Partial<WindowObservations> = {},
) {
  const options = optionsFor(day, overrides);
  const obs = windowFor(day, pods, [], { ...extra, maxBridgeSeconds: options.maxBridgeSeconds });
  const window = windowGridOf(obs.grid, options);
  const warnings = new Set<string>();
  const context = {
    window,
    pendingOnNode: options.pendingOnNode,
    nodes,
    attribute: attributorOf(obs, options),
    utilization: indexUtilization(obs, window),
  };
  return { ...meterPods(indexPods(obs, warnings), context, warnings), warnings: [...warnings], window };
}

describe('meterPods', () => {
  it('charges requested × weight for the held time, and allocates the same on the node', () => {
    const { rows, allocations, window } = meter([
      {
        name: 'a',
        node: 'n1',
        containers: [{ nvidia_com_gpu: 2 }],
        running: [[day.startMs, day.startMs + HOUR]],
      },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      node: 'n1',
      requested: 2,
      weight: { numerator: 1, denominator: 4 },
      gpuEquivalents: 0.5,
      heldSeconds: 3600,
      gpuSeconds: 1800,
      team: 'unallocated',
      phase: 'Running',
    });
    expect(allocations).toHaveLength(1);
    expect(allocations[0]).toMatchObject({ nodeId: '\u0000n1', gpuEquivalents: 0.5, unitsPerStep: 2 });
    expect(allocations[0]!.held[window.dayFirst]).toBe(OBSERVED);
  });

  it('gives each phase its own rows', () => {
    const { rows } = meter(
      [
        {
          name: 'a',
          node: 'n1',
          pending: [[day.startMs, day.startMs + 10 * MIN]],
          running: [[day.startMs + 10 * MIN, day.startMs + HOUR]],
        },
      ],
      { pendingOnNode: 'charged' },
    );
    expect(rows.map((r) => [r.gpuResource, r.phase, r.heldSeconds])).toEqual([
      ['nvidia_com_gpu', 'PendingOnNode', 600],
      ['nvidia_com_gpu', 'Running', 3000],
    ]);
  });

  describe('edge cases', () => {
    it('does not charge a resource that is not a GPU, and warns', () => {
      const { rows, warnings } = meter([
        {
          name: 'a',
          node: 'n1',
          containers: [{ example_com_fpga: 1 }],
          running: [[day.startMs, day.startMs + HOUR]],
        },
      ]);
      expect(rows).toEqual([]);
      expect(warnings).toEqual([
        'pod ml/a (uid uid-a) requests example_com_fpga, which is not a GPU resource; not charged',
      ]);
    });

    it('meters a pod without a node on node "", and warns', () => {
      const { rows, warnings } = meter([{ name: 'a', running: [[day.startMs, day.startMs + HOUR]] }]);
      expect(rows.map((r) => [r.node, r.gpuSeconds])).toEqual([['', 3600]]);
      expect(warnings).toEqual([
        'pod ml/a (uid uid-a) has no node in kube_pod_info; metered on node "" (unknown instance type)',
      ]);
    });

    it('charges nothing for a pod held only in the margins of the window', () => {
      const before: [number, number] = [day.startMs - HOUR, day.startMs];
      const { rows, allocations } = meter([{ name: 'a', node: 'n1', running: [before] }]);
      expect([rows, allocations]).toEqual([[], []]);
    });
  });
});

describe('chargedIntervals', () => {
  const window = windowGridOf(windowFor(day, [], []).grid, optionsFor(day));
  const state = (node: string) => ({
    pod: { cluster: '', namespace: 'ml', pod: 'a', uid: 'u' },
    requests: new Map(),
    initRequests: new Map(),
    sidecars: new Set<string>(),
    running: [pointOf(window, 72), pointOf(window, 74)],
    pending: [pointOf(window, 70), pointOf(window, 72), pointOf(window, 75)],
    node,
  });

  it('charges Pending on a node only outside the Running intervals, bridging each', () => {
    const { running, pending } = chargedIntervals(state('n1'), window, 'charged', new Set());
    expect([...running.subarray(70, 76)]).toEqual([NONE, NONE, OBSERVED, BRIDGED, OBSERVED, NONE]);
    expect([...pending.subarray(70, 76)]).toEqual([OBSERVED, BRIDGED, NONE, NONE, NONE, OBSERVED]);
  });

  describe('edge cases', () => {
    it('never charges Pending without a node, and warns under the "charged" policy', () => {
      const warnings = new Set<string>();
      const { pending } = chargedIntervals(state(''), window, 'charged', warnings);
      expect(pending.every((p) => p === NONE)).toBe(true);
      expect([...warnings]).toEqual(['pod ml/a (uid u) was Pending with no known node; not charged']);
    });

    it('charges no Pending time under the "not-charged" policy', () => {
      const { pending } = chargedIntervals(state('n1'), window, 'not-charged', new Set());
      expect(pending.every((p) => p === NONE)).toBe(true);
    });
  });
});
