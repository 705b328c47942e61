import { describe, expect, it } from 'vitest';
import {
  fraction,
  meterNodeCapacity,
  physicalGpusOf,
  NONE,
  OBSERVED,
  BRIDGED,
  weighResource,
} from '../../../src/core/metering/index.ts';
import type { NodeCapacityPoints } from '../../../src/core/types.ts';
import { p4dNode, pointOf, seoulDay, windowOf } from './fixtures.ts';

const day = seoulDay();
const window = () => windowOf(day, { maxBridgeSeconds: 120 });
const a100 = p4dNode('', 'p4d');
const series = (resource: string, points: [number, number][]): NodeCapacityPoints => ({
  cluster: '',
  node: 'p4d',
  resource,
  points,
});

describe('meterNodeCapacity', () => {
  it('counts the physical GPUs where the node reported, and adds units × weight × denominator of what it advertised', () => {
    const w = window();
    const capacity = meterNodeCapacity(
      a100,
      [
        series('nvidia_com_gpu', [[pointOf(w, 70), 7]]),
        series('nvidia_com_mig_1g_5gb', [[pointOf(w, 70), 7]]),
      ],
      w,
      new Set(),
    );
    expect(capacity.capacityUnits[70]).toBe(8 * 7);
    expect(capacity.advertisedUnits[70]).toBe(7 * 7 + 7);
    expect([capacity.present[69], capacity.present[70]]).toEqual([NONE, OBSERVED]);
    expect(capacity.physicalGpus).toBe(8);
  });

  it('bridges a short gap with what the node advertised before it; capacity stays its physical GPUs', () => {
    const w = window();
    const capacity = meterNodeCapacity(
      a100,
      [
        series('nvidia_com_gpu', [
          [pointOf(w, 70), 8],
          [pointOf(w, 73), 4],
        ]),
      ],
      w,
      new Set(),
    );
    expect([...capacity.present.subarray(70, 74)]).toEqual([OBSERVED, BRIDGED, BRIDGED, OBSERVED]);
    expect([...capacity.advertisedUnits.subarray(70, 74)]).toEqual([56, 56, 56, 28]);
    expect([...capacity.capacityUnits.subarray(70, 74)]).toEqual([56, 56, 56, 56]);
    expect([...capacity.notAdvertisedUnits.subarray(70, 74)]).toEqual([0, 0, 0, 28]);
  });

  describe('edge cases', () => {
    it('skips NaN and negative samples', () => {
      const w = window();
      const capacity = meterNodeCapacity(
        a100,
        [
          series('nvidia_com_gpu', [
            [pointOf(w, 70), Number.NaN],
            [pointOf(w, 71), -1],
          ]),
        ],
        w,
        new Set(),
      );
      expect(capacity.present.every((p) => p === NONE)).toBe(true);
    });

    it('counts a MIG profile too large for the GPU as an unknown resource, and warns about it', () => {
      const w = window();
      const warnings = new Set<string>();
      const a30 = { ...a100, weights: { ...a100.weights, migSlices: 4, denominator: 4 } };
      const seven = series('nvidia_com_mig_7g_80gb', [[pointOf(w, 70), 1]]);
      const capacity = meterNodeCapacity(a30, [seven], w, warnings);
      expect(capacity.advertisedUnits[70]).toBe(0);
      expect(capacity.unknownResourceUnits[70]).toBe(8 * 4);
      expect(capacity.unknownResources).toEqual(['nvidia_com_mig_7g_80gb']);
      expect([...warnings]).toEqual([
        'node p4d: MIG profile nvidia_com_mig_7g_80gb does not fit a GPU of 4 slices; not metered',
      ]);
    });
  });
});

describe('weighResource', () => {
  it('returns the weight, and warns only about a MIG profile that does not fit', () => {
    const warnings = new Set<string>();
    expect(weighResource('nvidia_com_mig_3g_20gb', a100, warnings)).toEqual({ numerator: 3, denominator: 7 });
    expect(weighResource('cpu', a100, warnings)).toBeNull();
    expect(warnings.size).toBe(0);
  });
});

describe('physicalGpusOf', () => {
  const unknown = {
    gpus: undefined,
    gpuModel: undefined,
    source: undefined,
    gfd: { migReplicas: new Map<string, number>() },
  };

  it('takes the most GPU equivalents advertised at one grid point, rounded up, when nothing else knows', () => {
    const sliced = { migSlices: 7, wholeWeight: fraction(1, 4), denominator: 28 };
    expect(
      physicalGpusOf(unknown, sliced, [
        series('nvidia_com_gpu', [
          [1, 8],
          [2, 16],
          [3, Number.NaN],
        ]),
        series('nvidia_com_mig_3g_20gb', [[2, 1]]),
      ]),
    ).toEqual({ physicalGpus: 5, gpuModel: undefined, source: 'advertised' });
  });

  it('keeps the count the catalog, GFD or configuration knows', () => {
    const known = { ...unknown, gpus: 1, gpuModel: 'A100', source: 'gfd' as const };
    expect(physicalGpusOf(known, a100.weights, [series('nvidia_com_gpu', [[1, 4]])])).toEqual({
      physicalGpus: 1,
      gpuModel: 'A100',
      source: 'gfd',
    });
  });

  describe('edge cases', () => {
    it('is 0 for a node without capacity samples', () => {
      expect(physicalGpusOf(unknown, a100.weights, []).physicalGpus).toBe(0);
    });
  });
});
