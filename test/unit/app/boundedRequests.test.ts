/**
 * A pod never holds more than its node has (issue #13, item 12): a request of 1e308 GPUs (twice, in two
 * containers) never writes Infinity or NaN into a CSV or null into summary.json, and a pod requesting
 * 10,000 GPUs for two hours pays for the node's GPUs during those two hours, not for the node's idle of
 * the whole day. Bounds apply at each grid interval; the month warns with the money.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { readCsvObjects } from '../../support/csv.ts';
import { type FakePod, fakeClusterContext, fakeClusterSource } from '../../support/fakeCluster.ts';
import { decodeWarning } from '../../../src/render/pdf/warnings.ts';

const NODE = { node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 };
/** 32 USD per instance-hour of 8 GPUs: 4 USD per GPU-hour; a day of the node costs 768 USD. */
const pod = (over: Partial<FakePod>): FakePod => ({
  namespace: 'ml',
  pod: 'train',
  uid: 'uid-train',
  node: 'gpu-1',
  team: 'ml',
  gpus: 1,
  day: 3,
  fromHour: 0,
  hours: 2,
  ...over,
});

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function month(pods: FakePod[]) {
  const { ctx, cleanup } = await fakeClusterContext(fakeClusterSource([NODE], pods));
  cleanups.push(cleanup);
  const result = await runMonthlyReport(ctx, '2026-10');
  const text = async (key: string) => Buffer.from((await ctx.store.get(key))!).toString('utf8');
  return { ...result, text };
}

describe('requests above what the node has', () => {
  it('writes no Infinity, NaN or null for a request of 1e308 GPUs in two containers', async () => {
    const { summary, keys, text } = await month([pod({ gpus: [1e308, 1e308] })]);

    for (const key of keys.filter((k) => k.endsWith('.csv') || k.endsWith('.json'))) {
      const t = await text(key);
      const m = /.{0,200}(Infinity|NaN).{0,100}/s.exec(t);
      expect(m?.[0] ?? '', key).toBe('');
    }
    const json = JSON.parse(await text('2026-10/summary.json')) as { totals: Record<string, unknown> };
    for (const [field, value] of Object.entries(json.totals))
      if (field !== 'utilizationPct') expect(value).not.toBeNull();
    const direct = readCsvObjects(await text('2026-10/chargeback.csv')).filter(
      (r) => r.x_CostComponent === 'Direct',
    );
    expect(direct.map((r) => [r.ConsumedQuantity, r.EffectiveCost, r.x_GpuEquivalents])).toEqual([
      ['16', '64.00', '8'],
    ]);
    expect(summary.totals.cost).toBe('23808.00'); // 31 days × 768
    expect(summary.warnings).toContain(
      'pod ml/train (uid uid-train) on node gpu-1 held more than the node could give (requested 1.7976931348623157e+308 nvidia_com_gpu; 2026-10-03): ' +
        "bounded to the node's capacity at each grid interval, billed 16 GPU-hours, USD 64.00",
    ); // Each warning is a sentence of src/core/warningText.ts, so the PDF prints it in the report's language.
    expect(summary.warnings.filter((w) => decodeWarning(w) === undefined)).toEqual([]);
  });

  it('bills a pod that asked for 10,000 GPUs for two hours the node’s GPUs for two hours, not the day’s idle', async () => {
    const { summary } = await month([pod({ gpus: 10_000 })]);

    const ml = summary.byTeam.find((t) => t.key === 'ml')!;
    expect(ml.cost).toBe('64.00'); // 8 GPUs × 2 h × 4 USD; before: 768.00, the whole day's node
    expect(summary.byTeam.find((t) => t.key === 'platform')!.cost).toBe('23744.00');
    expect(
      summary.warnings.some((w) => w.includes('requested 10000 nvidia_com_gpu') && w.includes('USD 64.00')),
    ).toBe(true);
  });

  it('shares an over-committed node per grid interval, not over the day', async () => {
    // A 4-GPU pod all day, and one that asked for 10,000 GPUs (bounded to 8) from 10:00 to 12:00.
    const { summary } = await month([
      pod({
        namespace: 'search',
        pod: 'serve',
        uid: 'uid-serve',
        team: 'search',
        gpus: 4,
        fromHour: 0,
        hours: 24,
      }),
      pod({ gpus: 10_000, fromHour: 10, hours: 2 }),
    ]);

    const cost = (team: string) => summary.byTeam.find((t) => t.key === team)!.cost;
    // 10:00-12:00: 12 GPUs asked of 8 → 8 × 8/12 = 5.33 and 8 × 4/12 = 2.67 → 5 and 3 by largest remainder.
    expect(cost('ml')).toBe(String((5 * 2 * 4).toFixed(2)));
    expect(cost('search')).toBe(String(((4 * 22 + 3 * 2) * 4).toFixed(2)));
    expect(summary.reconciliation.difference).toBe('0.00');
  });
});
