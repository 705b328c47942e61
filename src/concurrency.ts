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
