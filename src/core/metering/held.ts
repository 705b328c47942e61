import type { WindowGrid } from './window.ts';

/** Held state of one grid interval: not held, held at a grid point, or held by bridging a gap. */
export const NONE = 0;
export const OBSERVED = 1;
export const BRIDGED = 2;

/**
 * Marks as BRIDGED the NONE intervals between two held intervals when the gap is at most
 * `maxBridgeMs`; `fill(k, from)` is called for each bridged interval with the held index before it.
 */
export function bridge(
  held: Uint8Array,
  stepMs: number,
  maxBridgeMs: number,
  fill?: (k: number, from: number) => void,
): void {
  let last = -1;
  for (let k = 0; k < held.length; k++) {
    if (held[k] !== OBSERVED) continue;
    if (last >= 0 && k - last > 1 && (k - last - 1) * stepMs <= maxBridgeMs) {
      for (let j = last + 1; j < k; j++) {
        held[j] = BRIDGED;
        fill?.(j, last);
      }
    }
    last = k;
  }
}

/** The intervals held at the grid points `tsMs`, with gaps up to the window's maxBridgeMs bridged. */
export function heldAt(tsMs: readonly number[], window: WindowGrid): Uint8Array {
  const held = new Uint8Array(window.intervals);
  for (const t of tsMs) {
    const k = window.indexOf(t);
    if (k !== undefined) held[k] = OBSERVED;
  }
  bridge(held, window.stepMs, window.maxBridgeMs);
  return held;
}

/** True when any interval of the day is held. */
export function heldInDay(held: Uint8Array, window: WindowGrid): boolean {
  const last = Math.min(window.dayLast, held.length);
  for (let k = Math.max(0, window.dayFirst); k < last; k++) if (held[k] !== NONE) return true;
  return false;
}

/**
 * The day's intervals that a held interval can touch, [from, to): from one before the first held interval
 * of the day (or of its neighbour just outside it) to one after the last, clipped to the day; empty
 * (from === to) when nothing in or next to the day is held. Steps outside it are not held and have no held
 * neighbour, so loops over the day may skip them (a pod holds a few hours of a 1,440-step day).
 */
export function heldSpan(
  held: Uint8Array,
  window: Pick<WindowGrid, 'dayFirst' | 'dayLast'>,
): { from: number; to: number } {
  const lo = Math.max(0, window.dayFirst - 1);
  const hi = Math.min(held.length, window.dayLast + 1);
  let first = -1;
  for (let k = lo; k < hi; k++)
    if (held[k] !== NONE) {
      first = k;
      break;
    }
  if (first < 0) return { from: window.dayFirst, to: window.dayFirst };
  let last = first;
  for (let k = hi - 1; k > first; k--)
    if (held[k] !== NONE) {
      last = k;
      break;
    }
  return {
    from: Math.max(window.dayFirst, first - 1),
    to: Math.max(window.dayFirst, Math.min(window.dayLast, last + 2)),
  };
}
