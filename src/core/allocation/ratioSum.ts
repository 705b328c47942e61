import { addRatio, type Ratio } from '../money.ts';

/**
 * An exact sum of many ratios that share few denominators (an idle pool's unused allocations and Direct
 * amounts: a node's rate and scale times a utilization's decimal, 10^-k). Adding ratios one by one with
 * different denominators reduces each partial sum by a gcd of ~200-bit integers, and a reduced sum's
 * denominator seldom divides the next term's, so every pod cost a gcd (≈ 2 s of allocation at 10,000
 * GPUs under the sharing policies, issue #18). Here the numerators are summed per denominator (integer
 * additions) and the few partial sums are added into one ratio only when the total is read: the same
 * exact value, whatever the order.
 */
export class RatioSum {
  readonly #byDenominator = new Map<bigint, bigint>();
  #total: Ratio | undefined = ZERO;

  /** Adds `r` (its denominator positive). */
  add(r: Ratio): void {
    if (r.numerator === 0n) return;
    const byDenominator = this.#byDenominator;
    const d = r.denominator;
    const sum = byDenominator.get(d);
    byDenominator.set(d, sum === undefined ? r.numerator : sum + r.numerator);
    this.#total = undefined;
  }

  /** The exact sum of every ratio added (0/1 for none). */
  total(): Ratio {
    if (this.#total === undefined) {
      let total = ZERO;
      for (const [denominator, numerator] of this.#byDenominator)
        total = addRatio(total, { numerator, denominator });
      this.#total = total;
    }
    return this.#total;
  }
}

const ZERO: Ratio = { numerator: 0n, denominator: 1n };
