import { heldSpan, NONE } from './held.ts';
import type { IdleHeldRule } from './options.ts';
import type { StepSamples } from './podUtilization.ts';
import type { WindowGrid } from './window.ts';

export type { IdleHeldRule };

/** The defaults of config `metering.idleHeld`: below 5 % for longer than 15 minutes. */
export const DEFAULT_IDLE_HELD: IdleHeldRule = { utilizationBelow: 0.05, forMs: 15 * 60_000 };

/**
 * Per charge period of the day, the ms a pod held its GPUs in idle runs: maximal runs of consecutive held
 * intervals of the day whose step utilization (the mean of the step's DCGM samples, as the pod's mean
 * utilization uses it) is below the rule's threshold, kept when the run lasts longer than the rule's
 * window; every held ms of a kept run counts (the run from its first idle step, not only the part past
 * the window). A step without a sample is not idle — unknown utilization never counts as waste — and so
 * breaks a run, as does a step the pod did not hold. Runs are cut at the day's edges: utilization is
 * read for the day alone (StepGrid.focus), so a run across midnight counts on a side only when that
 * side alone lasts longer than the window.
 */
export function idleHeldMsByPeriod(
  held: Uint8Array,
  samples: StepSamples | undefined,
  window: Pick<WindowGrid, 'dayFirst' | 'dayLast' | 'slices' | 'periods'>,
  rule: IdleHeldRule,
  span = heldSpan(held, window),
): number[] {
  const idleMs = new Array<number>(window.periods.length).fill(0);
  if (!samples || samples.size === 0) return idleMs;
  let runStart = -1;
  let runMs = 0;
  const close = (end: number) => {
    if (runStart >= 0 && runMs > rule.forMs)
      for (let k = runStart; k < end; k++)
        for (const [p, ms] of window.slices[k - window.dayFirst]!) idleMs[p]! += ms;
    runStart = -1;
    runMs = 0;
  };
  // Only held steps can be idle: the steps around the pod's held span are skipped (heldSpan; the caller's
  // when it has one).
  for (let k = span.from; k < span.to; k++) {
    const mean = held[k] !== NONE ? samples.meanAt(k) : undefined;
    const idle = mean !== undefined && mean < rule.utilizationBelow;
    if (!idle) {
      close(k);
      continue;
    }
    if (runStart < 0) runStart = k;
    for (const [, ms] of window.slices[k - window.dayFirst]!) runMs += ms;
  }
  close(span.to);
  return idleMs;
}
