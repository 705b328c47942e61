/**
 * The month from the invoice, end to end through runMonthlyReport: the demo cluster's metrics (demo
 * source) and a synthetic cost export of the same instances (src/sim/invoiceExport.ts) in a folder, read by
 * the real export adapter. A late export publishes catalog-priced days flagged as pending; the complete
 * export restates them through the guard with a recorded reason; anything else that moved is still refused.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingExportSource } from '../../../src/adapters/billing/exportSource.ts';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { demoConfig } from '../../../src/app/demoConfig.ts';
import { demoOutsideInstances } from '../../../src/app/demoExport.ts';
import { readManifest } from '../../../src/app/publishMonth.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { instanceKeyOf } from '../../../src/core/billing/ledger.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import type { Summary } from '../../../src/core/types.ts';
import { BillingExportError, RefusedError } from '../../../src/errors.ts';
import type { Logger } from '../../../src/ports.ts';
import { providerIdOf } from '../../../src/sim/cloud.ts';
import { simulate } from '../../../src/sim/index.ts';
import { syntheticExportCsv, type SyntheticExportOptions } from '../../../src/sim/invoiceExport.ts';
import { CHARGEBACK_COLUMNS } from '../../../src/render/csv.ts';
import { readCsvObjects } from '../../support/csv.ts';

const MONTH = '2026-02';
const AFTER_MONTH = Date.parse('2026-03-05T00:00:00Z');
const silent: Logger = { info() {}, warn() {}, error() {}, progress() {} };
const D = Decimal.clone({ precision: 60 });

const root = await mkdtemp(join(tmpdir(), 'invoice-report-'));
afterAll(async () => rm(root, { recursive: true, force: true }));

const baseInput = { ...demoConfig, output: { location: 'unused' } } as ConfigInput;
const zone = parseConfig(baseInput, 'test').timezone;
const period = billingPeriod(MONTH, zone);
const sim = simulate({ preset: 'demo', month: MONTH, zone, seed: 7 });
const prices = Object.fromEntries(
  Object.entries(parseConfig(baseInput, 'test').pricing.instanceTypes).map(([t, e]) => [
    t,
    { onDemand: e.onDemand, spot: e.spot, committed: e.committed },
  ]),
);

/** Writes the synthetic export of the demo cluster to `dir` (gzip CSV) and returns its options. */
async function writeExport(
  dir: string,
  overrides: Partial<SyntheticExportOptions> = {},
): Promise<SyntheticExportOptions> {
  const options: SyntheticExportOptions = {
    format: 'focus',
    period,
    prices,
    currency: 'USD',
    billingAccountId: '111122223333',
    subAccountId: '444455556666',
    outside: demoOutsideInstances(period.startMs, period.endMs),
    ...overrides,
  };
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  await pipeline(
    Readable.from(syntheticExportCsv([sim], options)),
    createGzip(),
    createWriteStream(join(dir, 'data', `export-${options.format}.csv.gz`)),
  );
  return options;
}

function context(
  out: string,
  exportDir: string,
  extra: Partial<ConfigInput> = {},
  format: 'focus' | 'cur2' = 'focus',
): AppContext {
  const config = parseConfig({ ...baseInput, ...extra, billing: { format, location: exportDir } }, 'test');
  return {
    config,
    source: createDemoSource(sim),
    store: createFsStore(out),
    metrics: { publish: async () => {} },
    logger: silent,
    clock: { nowMs: () => AFTER_MONTH },
    billing: createBillingExportSource(config.billing!),
  };
}

const readSummary = async (out: string): Promise<Summary> =>
  JSON.parse(await readFile(join(out, MONTH, 'summary.json'), 'utf8')) as Summary;

/** Σ EffectiveCost of the export's lines of cluster nodes, independently (decimal.js over the CSV text). */
async function clusterInvoiceCost(
  dir: string,
  format: 'focus' | 'cur2',
  endMs = period.endMs,
): Promise<Decimal> {
  const { gunzipSync } = await import('node:zlib');
  const text = gunzipSync(await readFile(join(dir, 'data', `export-${format}.csv.gz`))).toString('utf8');
  const rows = readCsvObjects(text.replace(/\r?\n/g, '\r\n'));
  const clusterIds = new Set(
    sim.nodes
      .map((n) => providerIdOf(n))
      .filter((p): p is string => p !== null)
      .map(instanceKeyOf),
  );
  let sum = new D(0);
  for (const r of rows) {
    if (!clusterIds.has(instanceKeyOf(r.ResourceId ?? ''))) continue;
    if (Date.parse(r.ChargePeriodStart!) < period.startMs || Date.parse(r.ChargePeriodEnd!) > endMs) continue;
    sum = sum.plus(r.EffectiveCost!);
  }
  return sum;
}

describe('a month to date priced from the invoice (issue #16)', () => {
  it('reconciles the invoice for the ended days only: the lines of later days are not in it', async () => {
    const out = join(root, 'out-mtd');
    const exportDir = join(root, 'export-mtd');
    // An export that already has lines for the whole month (an hourly CUR runs ahead of the metering).
    await writeExport(exportDir);
    const tenthEnded = period.days[9]!.endMs;
    const ctx = { ...context(out, exportDir), clock: { nowMs: () => tenthEnded + 3_600_000 } };
    const result = await runMonthlyReport(ctx, MONTH);
    expect(result.provisional).toMatchObject({ throughDay: '2026-02-10', daysMetered: 10, daysInMonth: 28 });
    const summary = await readSummary(out);
    expect(summary.invoice!.daysCovered + summary.invoice!.daysPending).toBe(10);
    expect(summary.invoice!.daysCovered).toBe(10);
    // Exactly the invoice's cluster-node lines of 1–10 February, to the cent.
    expect(summary.invoice!.invoicePricedCost).toBe(
      (await clusterInvoiceCost(exportDir, 'focus', tenthEnded)).toFixed(2),
    );
  }, 120_000);
});

describe('a month to date whose invoice export catches up (issue #16)', () => {
  it('replaces the provisional version when the export now covers days it priced from the catalog', async () => {
    const out = join(root, 'out-mtd-catchup');
    const exportDir = join(root, 'export-mtd-catchup');
    // The invoice is half the catalog (a discount the catalog does not know), so a day the export reaches
    // loses half its cost. Through 10 February with an export that covers 5 days; then through 20
    // February, covered entirely: 6–10 February drop by far more than guard.maxDayUsageDropPct.
    const discounted = Object.fromEntries(
      Object.entries(prices).map(([type, p]) => [
        type,
        {
          onDemand: p.onDemand / 2,
          spot: p.spot === undefined ? undefined : p.spot / 2,
          committed: p.committed === undefined ? undefined : p.committed / 2,
        },
      ]),
    ) as typeof prices;
    await writeExport(exportDir, { prices: discounted, coveredUntilMs: period.days[4]!.endMs + 3_600_000 });
    const at = (day: number) => ({ clock: { nowMs: () => period.days[day - 1]!.endMs + 3_600_000 } });
    const first = await runMonthlyReport({ ...context(out, exportDir), ...at(10) }, MONTH);
    const before = await readSummary(out);
    expect(before.invoice).toMatchObject({ daysCovered: 5, daysPending: 5 });
    await writeExport(exportDir, { prices: discounted, coveredUntilMs: period.days[19]!.endMs + 3_600_000 });
    const second = await runMonthlyReport({ ...context(out, exportDir), ...at(20) }, MONTH);
    expect(second).toMatchObject({ restated: false, replacedProvisional: first.versionId });
    const after = await readSummary(out);
    expect(after.invoice).toMatchObject({ daysCovered: 20, daysPending: 0 });
    const manifest = await readManifest(createFsStore(out), MONTH);
    expect(manifest?.chargeClass).toBe('');
    expect(manifest?.reason).toMatch(/^invoice export now covers 15 more day\(s\) of 2026-02/);
    // Days 6–10 moved from catalog to invoice prices: more than guard.maxDayUsageDropPct less.
    const day6 = (s: Summary) => Number(s.byDay.find((d) => d.date === '2026-02-06')!.cost);
    expect(day6(after)).toBeLessThan(day6(before) * 0.9);
  }, 120_000);
});

describe('a month priced from the invoice', () => {
  const out = join(root, 'out');
  const exportDir = join(root, 'export');
  let late: Summary;
  let lateRows: Record<string, string>[];
  let complete: Summary;

  beforeAll(async () => {
    // The export has caught up with 20 of the month's 28 days.
    await writeExport(exportDir, { coveredUntilMs: period.days[19]!.endMs + 3_600_000 });
    await runMonthlyReport(context(out, exportDir), MONTH, { remeter: true });
    late = await readSummary(out);
    lateRows = readCsvObjects(await readFile(join(out, MONTH, 'chargeback.csv'), 'utf8'));
    await writeExport(exportDir);
    await runMonthlyReport(context(out, exportDir), MONTH);
    complete = await readSummary(out);
  }, 120_000);

  it('prices the days the export does not cover yet from the catalog, flagged on every row', async () => {
    expect(late.invoice!.daysCovered).toBe(20);
    expect(late.invoice!.daysPending).toBe(8);
    expect(late.invoice!.pendingInvoiceCost).not.toBe('0.00');
    const pendingFrom = period.days[20]!.startMs;
    for (const row of lateRows) {
      if (row.x_Cluster === 'dgx' || row.ResourceId === 'dgx-a100-01') continue;
      const pending = Date.parse(row.ChargePeriodStart!) >= pendingFrom;
      expect(row.x_CostSource).toBe(
        pending ? 'catalog-export-pending' : row.x_ProviderResourceId ? 'invoice' : 'catalog-not-on-invoice',
      );
    }
  });

  it('restates the month when the export arrives, through the guard with a recorded reason', async () => {
    const manifest = await readManifest(createFsStore(out), MONTH);
    expect(manifest?.chargeClass).toBe('Correction');
    expect(manifest?.reason).toMatch(/^invoice export now covers 8 more day\(s\) of 2026-02/);
    expect(complete.restatement?.forced).toBe(false);
    expect(complete.restatement?.reason).toBe(manifest?.reason);
    expect(complete.invoice!.daysPending).toBe(0);
  });

  it('makes the cluster nodes cost exactly what the invoice says they cost, to the cent', async () => {
    const expected = (await clusterInvoiceCost(exportDir, 'focus')).toFixed(2);
    expect(complete.invoice!.invoicePricedCost).toBe(expected);
    // The month total: the invoice's cluster nodes, the tagged instance outside the clusters, and the on-prem DGX
    // (not on any invoice, priced from the catalog).
    const total = new D(complete.invoice!.invoicePricedCost)
      .plus(complete.invoice!.outsideChargedCost)
      .plus(complete.invoice!.catalogPricedCost);
    // Each part is rounded on its own: the total is within a cent of each part's rounding.
    expect(new D(complete.totals.cost).minus(total).abs().lte('0.02')).toBe(true);
    expect(complete.invoice!.nodesNotOnInvoice).toEqual(['dgx-a100-01']);
  });

  it('charges a tagged GPU instance outside every cluster to its team and names the untagged one', async () => {
    const rows = readCsvObjects(await readFile(join(out, MONTH, 'chargeback.csv'), 'utf8'));
    const outside = rows.filter((r) => r.x_Cluster === 'outside-kubernetes');
    expect(new Set(outside.map((r) => r.x_Team))).toEqual(new Set(['ml-research']));
    expect(new Set(outside.map((r) => r.x_ProviderResourceId))).toEqual(new Set(['i-0d3e0a1b2c3d4e5f6']));
    const outsideCost = outside.reduce((s, r) => s.plus(r.EffectiveCost!), new D(0));
    // Rows are rounded by the month's one rounding step: each less than a cent from its exact amount.
    expect(
      outsideCost.minus(complete.invoice!.outsideChargedCost).abs().lt(new D('0.01').times(outside.length)),
    ).toBe(true);
    const reconciliation = readCsvObjects(await readFile(join(out, MONTH, 'reconciliation.csv'), 'utf8'));
    const uncharged = reconciliation.filter((r) => r.UnchargedInstanceIds === 'i-0f0e0d0c0b0a09087');
    expect(uncharged).toHaveLength(10);
    // Every line's difference is explained.
    for (const r of reconciliation) {
      const explained = new D(r.UnchargedOutsideClustersCost!)
        .plus(r.PendingInvoiceCost!)
        .minus(r.CatalogPricedCost!);
      expect(new D(r.Difference!).minus(explained).toFixed(2)).toBe(new D(r.RoundingDifference!).toFixed(2));
      expect(new D(r.RoundingDifference!).abs().lte('0.02')).toBe(true);
    }
  });

  it('reads a Spot price that moves within a day: a Spot node-day costs its hours at their own prices', async () => {
    const rows = readCsvObjects(await readFile(join(out, MONTH, 'chargeback.csv'), 'utf8'));
    const spot = rows.find((r) => r.PricingCategory === 'Dynamic' && r.x_CostSource === 'invoice')!;
    const catalogSpotPerGpu = new D(prices[spot.SkuId!]!.spot!).div(
      sim.nodes.find((n) => n.instanceType === spot.SkuId)!.gpus,
    );
    // The day's mean of four moving prices (×1, ×0.94, ×1.06, ×1.12) is 1.03 × the catalog Spot price.
    expect(new D(spot.x_UnitPrice!).div(catalogSpotPerGpu).toDecimalPlaces(4).toString()).toBe('1.03');
  });

  it('prices a Savings Plan covered node at its committed rate and calls it Committed', async () => {
    const rows = readCsvObjects(await readFile(join(out, MONTH, 'chargeback.csv'), 'utf8'));
    expect(rows.some((r) => r.PricingCategory === 'Committed' && r.x_CostSource === 'invoice')).toBe(true);
  });

  it('reads the same invoice from a CUR 2.0 export to the same total', async () => {
    const curDir = join(root, 'cur');
    const curOut = join(root, 'cur-out');
    await writeExport(curDir, { format: 'cur2' });
    await runMonthlyReport(context(curOut, curDir, {}, 'cur2'), MONTH, { remeter: true });
    const cur = await readSummary(curOut);
    expect(cur.totals.cost).toBe(complete.totals.cost);
    expect(cur.invoice!.invoicePricedCost).toBe((await clusterInvoiceCost(exportDir, 'focus')).toFixed(2));
  }, 60_000);

  it('reads the same invoice from a Parquet export (AWS writes costs as doubles, timestamps as timestamps)', async () => {
    const parquetDir = join(root, 'parquet');
    const parquetOut = join(root, 'parquet-out');
    await mkdir(parquetDir, { recursive: true });
    const text = [
      ...syntheticExportCsv([sim], {
        format: 'focus',
        period,
        prices,
        currency: 'USD',
        billingAccountId: '111122223333',
        subAccountId: '444455556666',
        outside: demoOutsideInstances(period.startMs, period.endMs),
      }),
    ].join('');
    const rows = readCsvObjects(text.replace(/\r?\n/g, '\r\n'));
    const columns = Object.keys(rows[0]!);
    const money = new Set([
      'BilledCost',
      'ContractedCost',
      'EffectiveCost',
      'ListCost',
      'ConsumedQuantity',
      'PricingQuantity',
    ]);
    const times = new Set(['ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd']);
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: join(parquetDir, 'part-00001.parquet'),
      rowGroupSize: 5000,
      columnData: columns.map((name) => ({
        name,
        data: rows.map((r) =>
          money.has(name)
            ? r[name] === ''
              ? null
              : Number(r[name])
            : times.has(name)
              ? new Date(r[name]!)
              : r[name] === ''
                ? null
                : r[name],
        ),
        type: money.has(name) ? 'DOUBLE' : times.has(name) ? 'TIMESTAMP' : 'STRING',
      })),
    });
    await runMonthlyReport(context(parquetOut, parquetDir), MONTH, { remeter: true });
    const fromParquet = await readSummary(parquetOut);
    expect(fromParquet.totals.cost).toBe(complete.totals.cost);
    expect(fromParquet.invoice!.invoicePricedCost).toBe(complete.invoice!.invoicePricedCost);
  }, 120_000);

  it('still refuses an invoice restatement when something besides the invoice moved beyond the guard', async () => {
    const guarded = join(root, 'guarded');
    await writeExport(exportDir, { coveredUntilMs: period.days[19]!.endMs });
    await runMonthlyReport(context(guarded, exportDir), MONTH, { remeter: true });
    await writeExport(exportDir);
    // The on-prem DGX's rate (catalog-priced either way) moves tenfold: not the invoice's doing.
    const moved = {
      pricing: { ...baseInput.pricing, gpuModels: { A100: { perGpuHour: 12 } } },
    } as Partial<ConfigInput>;
    await expect(runMonthlyReport(context(guarded, exportDir, moved), MONTH)).rejects.toThrow(RefusedError);
  }, 120_000);
});

describe('a malformed export', () => {
  it('is an error naming the file and the row, never a silent zero', async () => {
    const dir = join(root, 'bad');
    await mkdir(dir, { recursive: true });
    const node = sim.nodes.find((n) => providerIdOf(n)?.startsWith('aws://'))!;
    const id = providerIdOf(node)!.split('/').pop()!;
    await writeFile(
      join(dir, 'part-1.csv'),
      'BillingAccountId,ChargeCategory,ResourceId,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BillingCurrency\n' +
        `111122223333,Usage,${id},2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,1.5,USD\n` +
        `111122223333,Usage,${id},2026-02-01T01:00:00Z,2026-02-01T02:00:00Z,1.5e,USD\n`,
    );
    const source = createBillingExportSource({
      format: 'focus',
      location: dir,
      tags: { team: 'team', project: 'project' },
      gpuInstanceTypes: {},
    });
    const sink = { add() {}, noteCoverage() {} };
    const read = source.read(
      {
        range: period,
        currency: 'USD',
        instanceKeys: new Set([instanceKeyOf(id)]),
        isGpuInstanceType: () => false,
        tags: { team: 'team', project: 'project' },
      },
      sink,
    );
    await expect(read).rejects.toThrow(BillingExportError);
    await expect(read).rejects.toThrow(/part-1\.csv, row 2: EffectiveCost: must be a decimal number/);
  });

  it('refuses a used row in another currency than the bill', async () => {
    const dir = join(root, 'krw');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'a.csv'),
      'BillingAccountId,ChargeCategory,ResourceId,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BillingCurrency\n' +
        '111122223333,Usage,i-0123456789abcdef0,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,1500,KRW\n',
    );
    const source = createBillingExportSource({
      format: 'focus',
      location: dir,
      tags: { team: 'team', project: 'project' },
      gpuInstanceTypes: {},
    });
    await expect(
      source.read(
        {
          range: period,
          currency: 'USD',
          instanceKeys: new Set(['aws:i-0123456789abcdef0']),
          isGpuInstanceType: () => false,
          tags: { team: 'team', project: 'project' },
        },
        { add() {}, noteCoverage() {} },
      ),
    ).rejects.toThrow(/a\.csv, row 1: .*billed in KRW, the chargeback in USD/);
  });
});

describe('a month without a billing source', () => {
  it('writes no reconciliation, no invoice block and exactly the chargeback columns of before', async () => {
    const out = join(root, 'plain');
    const config = parseConfig(baseInput, 'test');
    const ctx: AppContext = {
      config,
      source: createDemoSource(sim),
      store: createFsStore(out),
      metrics: { publish: async () => {} },
      logger: silent,
      clock: { nowMs: () => AFTER_MONTH },
    };
    const result = await runMonthlyReport(ctx, MONTH, { remeter: true });
    expect(result.keys).not.toContain(`${MONTH}/reconciliation.csv`);
    const summary = await readSummary(out);
    expect('invoice' in summary).toBe(false);
    const csv = await readFile(join(out, MONTH, 'chargeback.csv'), 'utf8');
    expect(csv.slice(0, csv.indexOf('\r\n'))).toBe(CHARGEBACK_COLUMNS.join(','));
  }, 60_000);
});
