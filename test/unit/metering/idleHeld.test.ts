import { describe, expect, it } from 'vitest';
import {
  BRIDGED,
  DEFAULT_IDLE_HELD,
  idleHeldMsByPeriod,
  meterWindow,
  OBSERVED,
} from '../../../src/core/metering/index.ts';
import { chargePeriods } from '../../../src/core/period.ts';
import type { MeteredDay } from '../../../src/core/types.ts';
import {
  HOUR,
  MIN,
  optionsFor,
  pointsBetween,
  seoulDay,
  stepSamplesOf,
  windowFor,
  windowOf,
} from './fixtures.ts';

const day = seoulDay();
const rule = { utilizationBelow: 0.05, forMs: 15 * MIN };

/** Held at intervals [from, to) of the window; utilization `u(k)` (undefined = no sample) at every held step. */
function heldWith(
  w: ReturnType<typeof windowOf>,
  from: number,
  to: number,
  u: (k: number) => number | undefined,
) {
  const held = new Uint8Array(w.intervals);
  const sums = new Map<number, [number, number]>();
  for (let k = from; k < to; k++) {
    held[k] = OBSERVED;
    const value = u(k);
    if (value !== undefined) sums.set(k, [value * 2, 2]);
  }
  return { held, samples: stepSamplesOf(sums) };
}

describe('idleHeldMsByPeriod', () => {
  const w = windowOf(day);
  const first = w.dayFirst + 60;

  it('counts every held ms of a run below the threshold that lasts longer than the window', () => {
    const { held, samples } = heldWith(w, first, first + 20, () => 0.01);
    expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([20 * MIN]);
  });

  it('does not count a run that lasts exactly the window (the standard allows 15 idle minutes)', () => {
    const { held, samples } = heldWith(w, first, first + 15, () => 0);
    expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([0]);
  });

  it('does not count a step at or above the threshold, and it breaks the run', () => {
    // 10 idle, one busy (exactly 5 %), 10 idle: two runs of 10 minutes, neither longer than 15.
    const { held, samples } = heldWith(w, first, first + 21, (k) => (k === first + 10 ? 0.05 : 0.04));
    expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([0]);
  });

  it('never counts unknown utilization as idle: a step without a sample breaks the run', () => {
    const { held, samples } = heldWith(w, first, first + 30, (k) => (k === first + 10 ? undefined : 0));
    // 10 idle minutes, one unknown, 19 idle minutes: only the second run counts.
    expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([19 * MIN]);
    expect(idleHeldMsByPeriod(held, undefined, w, rule)).toEqual([0]);
  });

  it('breaks a run where the pod did not hold its GPUs, and counts bridged held steps', () => {
    const { held, samples } = heldWith(w, first, first + 40, () => 0);
    held[first + 20] = 0;
    held[first + 5] = BRIDGED;
    expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([20 * MIN + 19 * MIN]);
  });

  it('splits a run at the charge periods it crosses, and measures it across them', () => {
    const cut = day.startMs + 2 * HOUR;
    const split = windowOf(day, { chargePeriods: chargePeriods([day], [cut]) });
    const cutK = split.dayFirst + 120;
    const { held, samples } = heldWith(split, cutK - 10, cutK + 10, () => 0);
    expect(idleHeldMsByPeriod(held, samples, split, rule)).toEqual([10 * MIN, 10 * MIN]);
  });

  describe('edge cases', () => {
    it('cuts runs at the day: steps of the margin never count', () => {
      const { held, samples } = heldWith(w, w.dayFirst - 30, w.dayFirst + 10, () => 0);
      expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([0]);
    });

    it('counts a run reaching the end of the day', () => {
      const { held, samples } = heldWith(w, w.dayLast - 16, w.dayLast + 30, () => 0);
      expect(idleHeldMsByPeriod(held, samples, w, rule)).toEqual([16 * MIN]);
    });

    it('uses 5 % for longer than 15 minutes by default', () => {
      expect(DEFAULT_IDLE_HELD).toEqual({ utilizationBelow: 0.05, forMs: 15 * MIN });
    });
  });
});

describe('meterWindow: idleHeldSeconds', () => {
  const gpuNode = { name: 'n1', instanceType: 'g5.12xlarge', capacityType: 'on-demand' };
  const rowOf = (m: MeteredDay) => m.pods.find((r) => r.pod.pod === 'a')!;

  it('records on the pod row the seconds held in idle runs, under the configured rule', () => {
    const base = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] }],
      [gpuNode],
    );
    const pts = pointsBetween(base.grid, day.startMs, day.startMs + HOUR);
    // 20 idle minutes (1 %), then 40 busy minutes.
    const obs = {
      ...base,
      utilization: [
        {
          cluster: '',
          namespace: 'ml',
          pod: 'a',
          source: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' as const,
          points: pts.map((t, i) => [t, i < 20 ? 0.01 : 0.9, 1] as [number, number, number]),
        },
      ],
    };
    expect(rowOf(meterWindow(obs, optionsFor(day))).idleHeldSeconds).toBe(20 * 60);
    const stricter = optionsFor(day, { idleHeld: { utilizationBelow: 0.05, forMs: 30 * MIN } });
    expect(rowOf(meterWindow(obs, stricter)).idleHeldSeconds).toBeUndefined();
  });

  it('records nothing for a pod without utilization samples', () => {
    const obs = windowFor(
      day,
      [{ name: 'a', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] }],
      [gpuNode],
    );
    expect(rowOf(meterWindow(obs, optionsFor(day))).idleHeldSeconds).toBeUndefined();
  });
});
