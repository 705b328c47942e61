/**
 * The version of the metering rules: what a day's observations meter to. A daily partial records the
 * version it was metered under and is re-metered under any other, so a month never mixes days metered by
 * different rules (a partial is "metered under other settings" when the code's rules changed, too).
 *
 * Bump it with every change that can change a metered day for the same observations and options:
 *   1 — before #13 items 11–12 (pods keyed by uid alone; over-allocation scaled per charge period).
 *   2 — a uid in two namespaces is two pods; a pod is bounded by its node's capacity at each grid interval.
 *   3 — a pod row records the seconds it held its GPUs while idle (`idleHeldSeconds`, idleHeld.ts).
 *   4 — a pod or namespace whose labels change within the day is billed under the label set seen last in
 *       the day (attribution.ts lastSetOf; before: the set its source happened to list last).
 */
export const METERING_RULES_VERSION = 4;
