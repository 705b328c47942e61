/**
 * The month step loads its days from their stored partials a bounded number at a time (issue #18: at
 * 10,000 GPUs every partial in flight holds ~18 MB of bytes and then of text until V8 collects it), and
 * every day comes back as it was stored.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { loadStoredDays } from '../../../src/app/storedDays.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import type { MeteredDay } from '../../../src/core/types.ts';
import type { BlobStore } from '../../../src/ports.ts';
import type { Simulation } from '../../../src/sim/index.ts';
import { smallClusterSimulation } from '../../support/smallCluster.ts';
import { SMALL_CLUSTER_MONTH, smallClusterContext, tempStores } from '../../support/smallClusterContext.ts';

const MONTH = SMALL_CLUSTER_MONTH;
const freshStore = tempStores('stored-days-');

let sim: Simulation;
beforeAll(() => {
  sim = smallClusterSimulation(MONTH);
});

/** `store`, counting the reads of partials (`usage/…`) in flight at once; `peak` is the most seen. */
function countingReads(store: BlobStore): { store: BlobStore; peak: () => number } {
  let inFlight = 0;
  let peak = 0;
  return {
    store: {
      ...store,
      async get(key) {
        if (!key.startsWith('usage/')) return store.get(key);
        peak = Math.max(peak, ++inFlight);
        try {
          // Every read waits a little, so that reads started together are in flight together.
          await new Promise((resolve) => setTimeout(resolve, 5));
          return await store.get(key);
        } finally {
          inFlight -= 1;
        }
      },
    },
    peak: () => peak,
  };
}

describe('loadStoredDays', () => {
  it('reads 2 partials at once (one parsed while the next is read) and returns every day as stored', async () => {
    const store = await freshStore();
    await runMonthlyReport(smallClusterContext(store, sim), MONTH);
    const period = billingPeriod(MONTH, 'UTC');
    const counted = countingReads(store);
    const { reused, stale } = await loadStoredDays(
      smallClusterContext(counted.store, sim),
      period,
      () => true,
    );

    expect(counted.peak()).toBe(2);
    expect(stale.size).toBe(0);
    expect([...reused.keys()].sort()).toEqual(period.days.map((d) => d.date));
    for (const day of period.days) {
      const stored = JSON.parse(
        Buffer.from((await store.get(`usage/${day.date}.json`))!).toString('utf8'),
      ) as { day: MeteredDay };
      expect(reused.get(day.date)).toEqual(stored.day);
    }
  });

  it('leaves the days `reuse` declines, and days without a partial, to be metered', async () => {
    const store = await freshStore();
    await runMonthlyReport(smallClusterContext(store, sim), MONTH);
    await store.delete(`usage/${MONTH}-03.json`);
    const period = billingPeriod(MONTH, 'UTC');
    const { reused, stale } = await loadStoredDays(
      smallClusterContext(store, sim),
      period,
      (date) => date !== `${MONTH}-05`,
    );
    expect(reused.has(`${MONTH}-05`)).toBe(false);
    expect(stale.get(`${MONTH}-05`)?.day?.day.date).toBe(`${MONTH}-05`);
    expect(stale.has(`${MONTH}-03`)).toBe(true);
    expect(stale.get(`${MONTH}-03`)).toBeUndefined();
    expect(stale.size).toBe(2);
    expect(reused.size).toBe(period.days.length - 2);
  });
});
