import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/core/types.ts';
import { type PdfOptions, renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { realisticSummary } from '../../support/summaryFixture.ts';

const hasPoppler = ['pdftotext'].every((tool) => !spawnSync(tool, ['-v']).error);
const dir = mkdtempSync(join(tmpdir(), 'pdf-by-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The realistic month split over two clusters, 70 % / 30 % of its cost and GPU-hours. */
function twoClusters(): Summary {
  const summary = realisticSummary();
  const [only] = summary.byCluster;
  const cents = Math.round(Number(only!.cost) * 100);
  const east = Math.round(cents * 0.7);
  summary.byCluster = [
    { ...only!, key: 'prod-use1', cost: (east / 100).toFixed(2), gpuHours: only!.gpuHours * 0.7 },
    { ...only!, key: 'prod-euw1', cost: ((cents - east) / 100).toFixed(2), gpuHours: only!.gpuHours * 0.3 },
  ];
  return summary;
}

async function pdfText(summary: Summary, options: PdfOptions): Promise<string> {
  const file = join(dir, `${options.language}-${summary.byCluster.length}.pdf`);
  writeFileSync(file, await renderPdf(summary, null, options));
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

describe.skipIf(!hasPoppler)('the PDF cost by cluster', () => {
  it('lists every cluster with its cost and share of the total when there are several', async () => {
    const summary = twoClusters();
    const text = await pdfText(summary, { language: 'en', baselinePercentile: 50 });
    expect(text).toContain('Cost by cluster');
    const line = (cluster: string) => text.split('\n').find((l) => l.includes(cluster)) ?? '';
    expect(line('prod-use1')).toMatch(/70\.0%/);
    expect(line('prod-euw1')).toMatch(/30\.0%/);
    const euro = Number(summary.byCluster[1]!.cost).toLocaleString('en-US', { minimumFractionDigits: 2 });
    expect(line('prod-euw1')).toContain(euro);
  });

  it('speaks Korean in the Korean report', async () => {
    const text = await pdfText(twoClusters(), { language: 'ko', baselinePercentile: 50 });
    expect(text).toContain('클러스터별 비용');
    expect(text).toContain('prod-euw1');
  });

  it('draws no cluster table for a single cluster', async () => {
    const text = await pdfText(realisticSummary(), { language: 'en', baselinePercentile: 50 });
    expect(text).not.toContain('Cost by cluster');
  });

  it('names the cluster of each instance type on the capacity page when types are listed per cluster', async () => {
    const summary = twoClusters();
    const [first] = summary.byInstanceType;
    summary.byInstanceType = [
      { ...first!, cluster: 'prod-use1' },
      { ...first!, cluster: 'prod-euw1', cost: '1.00' },
      ...summary.byInstanceType.slice(1),
    ];
    const text = await pdfText(summary, { language: 'en', baselinePercentile: 50 });
    expect(text).toContain(`${first!.instanceType} (prod-use1)`);
    expect(text).toContain(`${first!.instanceType} (prod-euw1)`);
  });
});
