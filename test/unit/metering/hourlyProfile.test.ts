import { describe, expect, it } from 'vitest';
import { hourlyAllocatedGpus, NONE, OBSERVED } from '../../../src/core/metering/index.ts';
import type { NodeCapacity, NodeIdentity } from '../../../src/core/metering/index.ts';
import { capacityOf as capacityWith, seoulDay, windowOf } from './fixtures.ts';

const day = seoulDay();
const nodeOf = (node: string, instanceType: string): NodeIdentity => ({
  cluster: '',
  node,
  instanceType,
  capacityType: 'spot',
  catalog: undefined,
});

const capacityOf = (present: Uint8Array): NodeCapacity => capacityWith(present, 1);

describe('hourlyAllocatedGpus', () => {
  it('gives the mean allocated GPUs of each local hour per instance type', () => {
    const window = windowOf(day);
    const held = new Uint8Array(window.intervals);
    held.fill(OBSERVED, window.dayFirst + 90, window.dayFirst + 180); // 01:30 to 03:00
    const present = capacityOf(new Uint8Array(window.intervals).fill(OBSERVED));
    const hourly = hourlyAllocatedGpus(
      new Map([['\u0000n1', nodeOf('n1', 'g5.12xlarge')]]),
      new Map([['\u0000n1', present]]),
      [{ nodeId: '\u0000n1', gpuEquivalents: 2, unitsPerStep: 2, held }],
      window,
    );
    expect(Object.keys(hourly)).toEqual(['g5.12xlarge']);
    expect(hourly['g5.12xlarge']!.slice(0, 4)).toEqual([0, 1, 2, 0]);
    expect(hourly['g5.12xlarge']).toHaveLength(24);
  });

  describe('edge cases', () => {
    it('lists an instance type present in the day with zeros, and none absent from it', () => {
      const window = windowOf(day);
      const absent = new Uint8Array(window.intervals).fill(NONE);
      absent[0] = OBSERVED;
      const hourly = hourlyAllocatedGpus(
        new Map([
          ['\u0000a', nodeOf('a', 'g4dn.xlarge')],
          ['\u0000b', nodeOf('b', 'p4d.24xlarge')],
        ]),
        new Map([
          ['\u0000a', capacityOf(new Uint8Array(window.intervals).fill(OBSERVED))],
          ['\u0000b', capacityOf(absent)],
        ]),
        [],
        window,
      );
      expect(hourly).toEqual({ 'g4dn.xlarge': new Array(24).fill(0) });
    });
  });
});
