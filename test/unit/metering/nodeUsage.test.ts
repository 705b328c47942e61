import { describe, expect, it } from 'vitest';
import {
  allocateToNodes,
  capacityByPeriod,
  meterNodeUsage,
  OBSERVED,
  type NodeCapacity,
} from '../../../src/core/metering/index.ts';
import { chargePeriods } from '../../../src/core/period.ts';
import { capacityOf, HOUR, p4dNode, seoulDay, windowOf } from './fixtures.ts';

const day = seoulDay();
const node = p4dNode('east', 'n1');

/** A window with a cut at noon, the node present with `gpus` GPUs for the whole window. */
function setup(gpus = 8) {
  const window = windowOf(day, { chargePeriods: chargePeriods([day], [day.startMs + 12 * HOUR]) });
  const capacity: NodeCapacity = capacityOf(new Uint8Array(window.intervals).fill(OBSERVED), gpus, 7);
  return { window, capacity: new Map([['east\u0000n1', capacity]]) };
}

/** Held from `fromHour` to `toHour` of the day. */
function heldHours(window: ReturnType<typeof windowOf>, fromHour: number, toHour: number): Uint8Array {
  const held = new Uint8Array(window.intervals);
  held.fill(OBSERVED, window.dayFirst + fromHour * 60, window.dayFirst + toHour * 60);
  return held;
}

describe('allocateToNodes', () => {
  it('adds each allocation at its held intervals of the day and per charge period', () => {
    const { window } = setup();
    const held = heldHours(window, 11, 13);
    const allocation = allocateToNodes(
      [
        { nodeId: 'east\u0000n1', gpuEquivalents: 3 / 7, unitsPerStep: 3, held },
        { nodeId: 'east\u0000n1', gpuEquivalents: 1, unitsPerStep: 7, held },
      ],
      window,
    ).get('east\u0000n1')!;
    expect(allocation.allocatedUnits[window.dayFirst + 11 * 60]).toBe(10);
    expect(allocation.allocatedByPeriod).toEqual([10 * HOUR, 10 * HOUR]);
  });
});

describe('capacityByPeriod', () => {
  it('sums capacity and presence per charge period and counts the seconds allocation exceeds capacity', () => {
    const { window, capacity } = setup(1);
    const allocatedUnits = new Float64Array(window.intervals);
    allocatedUnits.fill(14, window.dayFirst, window.dayFirst + 2);
    const totals = capacityByPeriod(capacity.get('east\u0000n1')!, { allocatedUnits }, window);
    expect(totals).toEqual({
      capacity: [7 * 12 * HOUR, 7 * 12 * HOUR],
      presentMs: [12 * HOUR, 12 * HOUR],
      overSeconds: 120,
      // Two minutes over a 1-GPU node by one GPU: its idle is −1 GPU there, all "unallocated".
      idleByReason: {
        unallocated: [7 * 12 * HOUR - 14 * 2 * 60_000, 7 * 12 * HOUR],
        'mig-unpartitioned': [0, 0],
        'not-advertised': [0, 0],
        'unknown-resource': [0, 0],
      },
    });
  });
});

describe('meterNodeUsage', () => {
  it('gives capacity, allocation and idle per charge period, exact in 1/denominator GPU-ms', () => {
    const { window, capacity } = setup();
    const allocation = allocateToNodes(
      [{ nodeId: 'east\u0000n1', gpuEquivalents: 1 / 7, unitsPerStep: 1, held: heldHours(window, 0, 13) }],
      window,
    );
    const rows = meterNodeUsage(new Map([['east\u0000n1', node]]), capacity, allocation, window, new Set());
    const capacity12h = 56 * 12 * HOUR;
    const exact = (allocated: number) => ({
      denominator: 7,
      capacity: capacity12h,
      allocated,
      idle: capacity12h - allocated,
      idleByReason: {
        unallocated: capacity12h - allocated,
        'mig-unpartitioned': 0,
        'not-advertised': 0,
        'unknown-resource': 0,
      },
    });
    expect(rows.map((r) => [r.presentSeconds, r.capacityGpuSeconds, r.exact])).toEqual([
      [12 * 3600, 8 * 12 * 3600, exact(12 * HOUR)],
      [12 * 3600, 8 * 12 * 3600, exact(HOUR)],
    ]);
    expect(rows[0]!.exact!.idle).toBe(55 * 12 * HOUR);
    expect(rows[0]).toMatchObject({ cluster: 'east', node: 'n1', instanceType: 'p4d.24xlarge', gpus: 8 });
  });

  describe('edge cases', () => {
    it('warns when the allocation exceeds the capacity the node reported', () => {
      const { window, capacity } = setup(1);
      const allocation = allocateToNodes(
        [{ nodeId: 'east\u0000n1', gpuEquivalents: 2, unitsPerStep: 14, held: heldHours(window, 0, 1) }],
        window,
      );
      const warnings = new Set<string>();
      const rows = meterNodeUsage(new Map([['east\u0000n1', node]]), capacity, allocation, window, warnings);
      expect([...warnings]).toEqual([
        'node east/n1: allocated GPUs exceed reported capacity for 3600 s on 2026-03-10',
      ]);
      expect(rows[0]!.idleGpuSeconds).toBe(12 * 3600 - 2 * 3600);
    });

    it('gives no row for a charge period without capacity or allocation, and the GPU count from the last sample without a catalog', () => {
      const { window, capacity } = setup();
      const present = capacity.get('east\u0000n1')!.present;
      present.fill(0, window.dayFirst + 12 * 60);
      const uncatalogued = { ...node, catalog: undefined };
      const nodes = new Map([['east\u0000n1', uncatalogued]]);
      const rows = meterNodeUsage(nodes, capacity, new Map(), window, new Set());
      expect(rows.map((r) => [r.chargePeriod.startMs, r.gpus])).toEqual([[day.startMs, 8]]);
    });
  });
});
