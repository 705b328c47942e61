import { describe, expect, it } from 'vitest';
import { BRIDGED, bridge, heldAt, heldInDay, NONE, OBSERVED } from '../../../src/core/metering/index.ts';
import { MIN, pointOf, seoulDay, windowOf } from './fixtures.ts';

describe('bridge', () => {
  it('bridges a gap no longer than the limit, naming the held interval before it', () => {
    const held = Uint8Array.from([OBSERVED, NONE, NONE, OBSERVED]);
    const fills: [number, number][] = [];
    bridge(held, MIN, 2 * MIN, (k, from) => fills.push([k, from]));
    expect([...held]).toEqual([OBSERVED, BRIDGED, BRIDGED, OBSERVED]);
    expect(fills).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  describe('edge cases', () => {
    it('leaves a longer gap, and the ends before the first and after the last point, unheld', () => {
      const held = Uint8Array.from([NONE, OBSERVED, NONE, NONE, NONE, OBSERVED, NONE]);
      bridge(held, MIN, 2 * MIN);
      expect([...held]).toEqual([NONE, OBSERVED, NONE, NONE, NONE, OBSERVED, NONE]);
    });
  });
});

describe('heldAt', () => {
  const day = seoulDay();

  it('holds the intervals of the points and bridges the gaps between them', () => {
    const window = windowOf(day, { maxBridgeSeconds: 120 });
    const held = heldAt([pointOf(window, 10), pointOf(window, 13), pointOf(window, 17)], window);
    expect([...held.subarray(10, 18)]).toEqual([
      OBSERVED,
      BRIDGED,
      BRIDGED,
      OBSERVED,
      NONE,
      NONE,
      NONE,
      OBSERVED,
    ]);
  });

  it('says whether any interval of the day is held', () => {
    const window = windowOf(day);
    expect(heldInDay(heldAt([pointOf(window, 0)], window), window)).toBe(false);
    expect(heldInDay(heldAt([pointOf(window, window.dayFirst)], window), window)).toBe(true);
  });

  describe('edge cases', () => {
    it('ignores, and counts, points off the grid', () => {
      const window = windowOf(day);
      expect(heldAt([day.startMs + 1], window).every((h) => h === NONE)).toBe(true);
      expect(window.misaligned).toBe(1);
    });
  });
});
