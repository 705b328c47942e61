import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BRIDGED,
  bridge,
  heldAt,
  heldInDay,
  heldSpan,
  NONE,
  OBSERVED,
} from '../../../src/core/metering/index.ts';
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

describe('heldSpan', () => {
  it('leaves out only day steps that are not held and have no held neighbour', () => {
    const cells = fc.array(fc.constantFrom(NONE, NONE, NONE, OBSERVED, BRIDGED), {
      minLength: 3,
      maxLength: 40,
    });
    fc.assert(
      fc.property(cells, fc.nat(), fc.nat(), (values, a, b) => {
        const held = Uint8Array.from(values);
        const dayFirst = 1 + (a % (held.length - 2));
        const dayLast = dayFirst + 1 + (b % (held.length - 1 - dayFirst));
        const { from, to } = heldSpan(held, { dayFirst, dayLast });
        expect(dayFirst <= from && from <= to && to <= dayLast).toBe(true);
        for (let k = dayFirst; k < dayLast; k++) {
          const touched = held[k] !== NONE || held[k - 1] !== NONE || (held[k + 1] ?? NONE) !== NONE;
          if (touched) expect(k >= from && k < to, `step ${k} of [${from}, ${to})`).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('is as narrow as the held steps and their neighbours', () => {
    const held = new Uint8Array(100);
    held[40] = OBSERVED;
    held[41] = BRIDGED;
    expect(heldSpan(held, { dayFirst: 10, dayLast: 90 })).toEqual({ from: 39, to: 43 });
    expect(heldSpan(new Uint8Array(100), { dayFirst: 10, dayLast: 90 })).toEqual({ from: 10, to: 10 });
  });
});
