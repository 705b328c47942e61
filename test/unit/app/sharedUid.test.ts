/**
 * The same uid in two namespaces (a copied or restored object) is two pods (issue #13, item 11): each is
 * metered on its own time, billed to its own team, and the month warns naming both with their money.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { meterWindow } from '../../../src/core/metering/index.ts';
import { meterOptionsFor } from '../../../src/app/meterOptions.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { dayOf } from '../../../src/core/period.ts';
import { gridForDay } from '../../../src/core/metering/index.ts';
import { readCsvObjects } from '../../support/csv.ts';
import { type FakePod, fakeClusterContext, fakeClusterSource } from '../../support/fakeCluster.ts';
import { decodeWarning } from '../../../src/render/pdf/warnings.ts';

const NODE = { node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 };
const original: FakePod = {
  namespace: 'vision',
  pod: 'train-0',
  uid: '6f1c-shared',
  node: 'gpu-1',
  team: 'vision',
  gpus: 2,
  day: 3,
  fromHour: 0,
  hours: 3,
};
const copy: FakePod = {
  ...original,
  namespace: 'vision-restore',
  team: 'sre',
  gpus: 1,
  fromHour: 10,
  hours: 5,
};

describe('a uid carried by two pods', () => {
  it('meters each pod on its own time and labels', async () => {
    const source = fakeClusterSource([NODE], [original, copy]);
    const config = parseConfig({
      timezone: 'UTC',
      pricing: { instanceTypes: { 'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32 } } },
    });
    const day = dayOf('2026-10-03', 'UTC');
    const scrape = { kubeStateMetricsSeconds: 300, dcgmSeconds: null, source: 'config' as const };
    const metered = meterWindow(
      await source.observe(gridForDay(day, scrape, 3600), scrape),
      meterOptionsFor(config, day),
    );

    expect(metered.pods.map((p) => [p.pod.namespace, p.team, p.heldSeconds, p.gpuSeconds])).toEqual([
      ['vision', 'vision', 3 * 3600, 2 * 3 * 3600],
      ['vision-restore', 'sre', 5 * 3600, 5 * 3600],
    ]);
  });

  describe('through a month', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    it('bills both teams and warns with each pod and its money', async () => {
      const { ctx, cleanup } = await fakeClusterContext(fakeClusterSource([NODE], [original, copy]));
      cleanups.push(cleanup);

      const { summary, keys } = await runMonthlyReport(ctx, '2026-10');

      // 32 USD per instance-hour: 4 USD per GPU-hour.
      const team = (name: string) => summary.byTeam.find((t) => t.key === name)?.directCost;
      expect(team('vision')).toBe('24.00');
      expect(team('sre')).toBe('20.00');
      expect(summary.warnings).toContain(
        'uid 6f1c-shared is carried by 2 pods — a copied or restored object? They are metered and billed apart: ' +
          'vision/train-0 (uid 6f1c-shared) team vision: USD 24.00; vision-restore/train-0 (uid 6f1c-shared) team sre: USD 20.00; ' +
          'together USD 44.00. Check that the copy really ran',
      );
      expect(summary.warnings.filter((w) => decodeWarning(w) === undefined)).toEqual([]);
      const csv = await ctx.store.get('2026-10/chargeback.csv');
      const rows = readCsvObjects(Buffer.from(csv!).toString('utf8')).filter(
        (r) => r.x_PodUid === '6f1c-shared',
      );
      expect(rows.map((r) => [r.x_Namespace, r.x_Team, r.ConsumedQuantity])).toEqual([
        ['vision-restore', 'sre', '5'],
        ['vision', 'vision', '6'],
      ]);
      expect(keys).toContain('2026-10/teams/sre.csv');
    });
  });
});
