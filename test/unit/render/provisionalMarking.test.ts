import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import type { Summary } from '../../../src/core/types.ts';
import { renderHtmlReport } from '../../../src/render/html/htmlReport.ts';
import { renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';
import { krwSummary, realisticSummary } from '../../support/summaryFixture.ts';

/**
 * Issue #16, month to date: a provisional version says so on every page of the executive PDF (a header
 * badge) and under page 1's title (which days, that the final replaces it, how budgets are read), in
 * English and Korean, and report.html says so above everything else. A final month carries none of it.
 */

const hasPoppler = !spawnSync('pdftotext', ['-v']).error;
const PROVISIONAL = {
  throughDay: '2026-03-20',
  daysMetered: 20,
  daysInMonth: 31,
  monthEnd: '2026-04-01T00:00:00Z',
};
const provisional = (summary: Summary): Summary => ({ ...summary, provisional: PROVISIONAL });
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe.skipIf(!hasPoppler)('the provisional marking of the executive PDF', () => {
  let dir = '';
  const pagesOf = async (name: string, summary: Summary, language: 'en' | 'ko') => {
    const file = join(dir, `${name}.pdf`);
    writeFileSync(file, await renderPdf(summary, null, { language, baselinePercentile: 50 }));
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdf-provisional-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('badges every page and states the month to date, the final version and the budgets on page 1 (en)', async () => {
    const pages = await pagesOf('en', provisional(realisticSummary()), 'en');
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages) expect(page).toContain('PROVISIONAL · through 2026-03-20');
    expect(flat(pages[0]!)).toContain(
      'Provisional — month to date through 2026-03-20 (20 of 31 days). Every figure covers these days only and will change',
    );
    expect(flat(pages[0]!)).toContain('month-to-date spend is compared with them as it is, not pro-rated');
  });

  it('says the same in Korean', async () => {
    const pages = await pagesOf('ko', provisional(krwSummary()), 'ko');
    for (const page of pages) expect(page).toContain('잠정 · 2026-03-20까지');
    expect(flat(pages[0]!)).toContain('잠정 — 2026-03-20까지의 월 누계입니다(31일 중 20일)');
  });

  it('marks nothing on a final month', async () => {
    const pages = await pagesOf('final', realisticSummary(), 'en');
    expect(pages.join('\n')).not.toMatch(/PROVISIONAL|Provisional|month to date/);
  });
});

describe('the provisional marking of report.html', () => {
  const period = billingPeriod('2026-03', 'UTC');
  const cp = wholeDay(period.days[0]!);
  const pods = [podUsage(cp, { node: 'n', team: 'ml', pod: { pod: 'b', uid: 'b' }, requested: 2 })];
  const { summary, rows } = priceMonth(
    [
      meteredDay(period.days[0]!, pods, [
        nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, pods),
      ]),
    ],
    priceOptions(period, parseConfig({ pricing: { instanceTypes: CATALOG } })),
  );

  it('puts the notice above the page and into its title, in the report language', () => {
    const html = renderHtmlReport(provisional(summary), rows, { language: 'en' });
    expect(html).toMatch(
      /<p id="provisional" role="note"[^>]*>Provisional — month to date through 2026-03-20 \(20 of 31 days\)\./,
    );
    expect(html).toMatch(/<title>[^<]*2026-03 \(provisional, through 2026-03-20\)<\/title>/);
    const ko = renderHtmlReport(provisional(summary), rows, { language: 'ko' });
    expect(ko).toContain('잠정 — 2026-03-20까지의 월 누계입니다(31일 중 20일)');
  });

  it('has no notice on a final month', () => {
    expect(renderHtmlReport(summary, rows, { language: 'en' })).not.toMatch(/provisional/i);
  });
});
