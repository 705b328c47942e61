/**
 * Runs `work` over `items` with at most `limit` in flight and returns the results in item order.
 * After the first failure no new item is started; the items already in flight are awaited, and then
 * the first error is thrown. So nothing keeps running (querying Prometheus, writing to S3) after the
 * caller has seen the failure, for example after a publish has released its lock.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/**
 * Admits work by weight (memory, say) up to `capacity` in flight, first come first served: `acquire(w)`
 * resolves once the weights in flight plus `w` fit, or at once when nothing is in flight (a weight larger
 * than the capacity runs alone rather than never); `release(w)` gives it back. A waiting heavy item holds
 * the lighter ones behind it, so it is never starved.
 */
export class WeightedGate {
  readonly #capacity: number;
  #inFlight = 0;
  #running = 0;
  readonly #waiting: { weight: number; admit: () => void }[] = [];
  /** How many acquisitions had to wait. */
  waited = 0;

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`a gate needs a positive capacity, not ${capacity}`);
    this.#capacity = capacity;
  }

  acquire(weight: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(weight)) {
      this.#take(weight);
      return Promise.resolve();
    }
    this.waited += 1;
    return new Promise((admit) => this.#waiting.push({ weight, admit }));
  }

  release(weight: number): void {
    this.#inFlight -= weight;
    this.#running -= 1;
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.weight)) {
      const next = this.#waiting.shift()!;
      this.#take(next.weight);
      next.admit();
    }
  }

  #fits(weight: number): boolean {
    return this.#running === 0 || this.#inFlight + weight <= this.#capacity;
  }

  #take(weight: number): void {
    this.#inFlight += weight;
    this.#running += 1;
  }
}
