/**
 * Largest remainder on fixed-point parts, in place: `out[slot] = floors[slot] + (0 or 1)` for each slot
 * of `slots` (in their given order), so that the results sum to `totalUnits`. Each part's exact amount
 * is `floors[slot]` whole minor units plus `rems[slot]` fine units (10^-15 minor unit, see money.ts). The
 * leftover units go one each to the largest fine remainders, compared exactly; among equal remainders, to
 * the earlier slot in `slots`. Throws if `totalUnits` is below the sum of the floors (the callers prove
 * it never is).
 */
export function apportionParts(
  totalUnits: number,
  floors: ArrayLike<number>,
  rems: ArrayLike<number>,
  slots: ArrayLike<number>,
  out: { [i: number]: number },
): void {
  const n = slots.length;
  let floorSum = 0;
  for (let k = 0; k < n; k++) {
    const slot = slots[k]!;
    out[slot] = floors[slot]!;
    floorSum += floors[slot]!;
  }
  let leftover = totalUnits - floorSum;
  if (leftover === 0) return;
  if (leftover < 0 || n === 0) {
    throw new RangeError(
      `cannot apportion ${totalUnits} minor units over parts whose floors sum to ${floorSum}`,
    );
  }
  if (leftover >= n) {
    // Unreachable when totalUnits is within one unit per part of the exact sum; kept total-preserving.
    const each = Math.floor(leftover / n);
    for (let k = 0; k < n; k++) out[slots[k]!]! += each;
    leftover -= each * n;
    if (leftover === 0) return;
  }
  const sorted = new Float64Array(n);
  for (let k = 0; k < n; k++) sorted[k] = rems[slots[k]!]!;
  sorted.sort();
  const threshold = sorted[n - leftover]!;
  let above = 0;
  for (let k = 0; k < n; k++) if (sorted[k]! > threshold) above++;
  let ties = leftover - above;
  for (let k = 0; k < n; k++) {
    const slot = slots[k]!;
    const rem = rems[slot]!;
    if (rem > threshold) out[slot]! += 1;
    else if (rem === threshold && ties > 0) {
      out[slot]! += 1;
      ties--;
    }
  }
}
