/**
 * Why GPU capacity the company pays for was idle — a contract (nodes.csv columns, summary.json keys,
 * the PDF's method page), in the order they are reported:
 * - `unallocated`: advertised by the device plugin, held by no pod;
 * - `mig-unpartitioned`: compute slices of MIG GPUs that no MIG device covers;
 * - `not-advertised`: physical GPUs the node did not advertise at all (device plugin down, GPUs
 *   managed by a DRA driver and not claimed);
 * - `unknown-resource`: advertised as a GPU-like resource metering cannot interpret.
 */
export const IDLE_REASONS = [
  'unallocated',
  'mig-unpartitioned',
  'not-advertised',
  'unknown-resource',
] as const;
export type IdleReason = (typeof IDLE_REASONS)[number];

/** Idle GPU-seconds (or any amount) per reason. */
export type ByIdleReason<T = number> = Record<IdleReason, T>;

/** A record with `value` for every reason. */
export function byIdleReason<T>(value: (reason: IdleReason) => T): ByIdleReason<T> {
  return Object.fromEntries(IDLE_REASONS.map((r) => [r, value(r)])) as ByIdleReason<T>;
}
