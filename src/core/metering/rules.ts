/**
 * The version of the metering rules: what a day's observations meter to. A daily partial records the
 * version it was metered under and is re-metered under any other, so a month never mixes days metered by
 * different rules (a partial is "metered under other settings" when the code's rules changed, too).
 *
 * Bump it with every change that can change a metered day for the same observations and options:
 *   1 — before #13 items 11–12 (pods keyed by uid alone; over-allocation scaled per charge period).
 *   2 — a uid in two namespaces is two pods; a pod is bounded by its node's capacity at each grid interval.
 */
export const METERING_RULES_VERSION = 2;
