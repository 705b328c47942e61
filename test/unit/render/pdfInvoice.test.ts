import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvoiceSummary, Summary } from '../../../src/core/types.ts';
import { renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { realisticSummary } from '../../support/summaryFixture.ts';

const hasPoppler = ['pdftotext'].every((tool) => !spawnSync(tool, ['-v']).error);
const dir = mkdtempSync(join(tmpdir(), 'pdf-invoice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pages(summary: Summary): Promise<string[]> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, await renderPdf(summary, null, { language: 'en', baselinePercentile: 50 }));
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
}

const invoice: InvoiceSummary = {
  source: { format: 'focus', description: 's3://acme-billing/exports/focus' },
  coveredUntil: '2026-04-01T00:00:00.000Z',
  coveredUntilByAccount: { '111122223333': '2026-04-01T00:00:00.000Z' },
  daysCovered: 31,
  daysPending: 0,
  invoiceCost: '190000.00',
  chargebackCost: '189500.00',
  difference: '500.00',
  invoicePricedCost: '180000.00',
  outsideChargedCost: '9000.00',
  unchargedOutsideCost: '1000.00',
  pendingInvoiceCost: '0.00',
  catalogPricedCost: '500.00',
  outsideClusters: [
    {
      resourceId: 'i-0d3e0a1b2c3d4e5f6',
      instanceType: 'p4d.24xlarge',
      billingAccountId: '111122223333',
      team: 'ml',
    },
    {
      resourceId: 'i-0f0e0d0c0b0a09087',
      instanceType: 'g5.12xlarge',
      billingAccountId: '111122223333',
      team: null,
    },
  ],
  nodesNotOnInvoice: ['dgx-a100-01'],
};

describe.skipIf(!hasPoppler)('the PDF section on the invoice', () => {
  it('explains on page 2 the invoice against the chargeback and names the instances outside clusters', async () => {
    const withInvoice = await pages({ ...realisticSummary(), invoice });
    const page2 = withInvoice[1]!.replace(/[ \t]+/g, ' ');
    expect(page2).toContain('Reconciliation with the invoice');
    expect(page2).toMatch(/GPU-instance cost on the invoice \$190,000\.00/);
    expect(page2).toMatch(/Difference \(invoice − chargeback\) \+\$500\.00/);
    expect(page2).toMatch(/without a team tag \(not charged\) \$1,000\.00/);
    expect(page2.replace(/\s+/g, ' ')).toContain('i-0f0e0d0c0b0a09087 (g5.12xlarge, untagged)');
    expect(page2).toContain('dgx-a100-01');
  });

  it('has no such page without a billing export', async () => {
    const without = await pages(realisticSummary());
    expect(without.join('')).not.toContain('Reconciliation with the invoice');
  });
});
