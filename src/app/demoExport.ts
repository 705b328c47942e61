import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Config } from '../config/schema.ts';
import { billingPeriod } from '../core/period.ts';
import { simulate } from '../sim/index.ts';
import { type ExportPrices, type OutsideInstance, syntheticExportCsv } from '../sim/invoiceExport.ts';

/** The demo account (AWS account ids are 12 digits). */
export const DEMO_BILLING_ACCOUNT = '111122223333';

/**
 * GPU servers of the demo that no cluster reports: a p4d.24xlarge the `ml-research` team runs by hand all
 * month (tagged team=ml-research: charged to that team), and a g5.12xlarge dev box someone forgot for the
 * first ten days (untagged: not charged, named in the reconciliation).
 */
export function demoOutsideInstances(startMs: number, endMs: number): OutsideInstance[] {
  return [
    {
      resourceId: 'i-0d3e0a1b2c3d4e5f6',
      instanceType: 'p4d.24xlarge',
      team: 'ml-research',
      range: { startMs, endMs },
    },
    {
      resourceId: 'i-0f0e0d0c0b0a09087',
      instanceType: 'g5.12xlarge',
      team: null,
      range: { startMs, endMs: Math.min(endMs, startMs + 10 * 86_400_000) },
    },
  ];
}

/**
 * The demo cluster's synthetic FOCUS export (gzip CSV, one file), generated from the same simulation as
 * the demo's metrics and priced from the demo catalog: what `npm run demo` reconciles against.
 */
export function demoExportFiles(
  config: Config,
  month: string,
  seed: number,
): { name: string; open(): Promise<Readable> }[] {
  const period = billingPeriod(month, config.timezone);
  const prices: ExportPrices = Object.fromEntries(
    Object.entries(config.pricing.instanceTypes).map(([type, e]) => [
      type,
      { onDemand: e.onDemand, spot: e.spot, committed: e.committed },
    ]),
  );
  return [
    {
      name: `focus/data/BILLING_PERIOD=${month}/demo-focus-00001.csv.gz`,
      open: async () => {
        const sim = simulate({ preset: 'demo', month, zone: config.timezone, seed });
        const chunks = syntheticExportCsv([sim], {
          format: 'focus',
          period,
          prices,
          currency: config.pricing.currency,
          billingAccountId: DEMO_BILLING_ACCOUNT,
          subAccountId: '444455556666',
          outside: demoOutsideInstances(period.startMs, period.endMs),
        });
        return Readable.from(chunks).pipe(createGzip());
      },
    },
  ];
}
