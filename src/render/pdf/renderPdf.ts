import { capacityAdvice } from '../../core/advice.ts';
import type { Summary } from '../../core/types.ts';
import { drawAdvicePage } from './advicePage.ts';
import { openReportDocument } from './document.ts';
import { Canvas } from './canvas.ts';
import { drawCapacityPage } from './capacityPage.ts';
import type { PageContext } from './context.ts';
import { createReportFormat } from './format.ts';
import { drawHeadlinePage } from './headlinePage.ts';
import { drawIdleHeldSection } from './idleHeldSection.ts';
import { drawMethodPage } from './methodPage.ts';
import { drawPageFrames } from './pageFrame.ts';
import { buildReportModel } from './reportModel.ts';
import { drawInvoicePage } from './invoicePage.ts';
import { drawRestatementPage } from './restatementPage.ts';
import { drawTeamsPage } from './teamsPage.ts';
import { reportLayout, wordingFor } from './templates.ts';
import { sanitizeLabel } from './text.ts';
import { drawTrendPage } from './trendPage.ts';

/** Options of the executive PDF (from config `report`). */
export interface PdfOptions {
  language: 'en' | 'ko';
  /** Report title; the language's default title when absent. */
  title?: string;
  /** Percentile of hourly demand covered by an On-Demand baseline in the capacity advice (0..100). */
  baselinePercentile: number;
}

/**
 * Renders the month's executive PDF from its Summary (and the previous month's, for comparisons).
 * Deterministic: the same inputs give byte-identical output, because the document dates come from the
 * period and pdfkit derives the file ID from the info dictionary (MD5 of CreationDate and the entries).
 */
export async function renderPdf(
  summary: Summary,
  previous: Summary | null,
  options: PdfOptions,
): Promise<Buffer> {
  const wording = wordingFor(options.language);
  const layout = reportLayout();
  const fmt = createReportFormat(
    wording.locale,
    summary.currency.code,
    summary.currency.minorDigits,
    wording.common.none,
  );
  const title =
    sanitizeLabel(options.title ?? '') ||
    (summary.source.kind === 'demo' ? wording.demoTitle : wording.defaultTitle);
  const documentDate = periodDate(summary);

  const { doc, finished } = await openReportDocument(layout, wording.locale, {
    Title: `${title} · ${fmt.month(summary.period.month)}`,
    Subject: wording.subject,
    Author: 'gpu-chargeback',
    Creator: 'gpu-chargeback',
    Producer: 'gpu-chargeback (pdfkit)',
    Keywords: `${summary.period.month} ${summary.currency.code}${summary.source.kind === 'demo' ? ' DEMO' : ''}`,
    CreationDate: documentDate,
    ModDate: documentDate,
  });

  const canvas = new Canvas(doc, layout, wording, fmt);
  const percentile = Number.isFinite(options.baselinePercentile)
    ? Math.min(100, Math.max(0, options.baselinePercentile))
    : 50;
  const ctx: PageContext = {
    canvas,
    summary,
    model: buildReportModel(summary, previous, capacityAdvice(summary, percentile)),
    language: options.language,
    wording,
    fmt,
    layout,
    title,
    baselinePercentile: percentile,
  };

  canvas.newPage();
  drawHeadlinePage(ctx);
  drawRestatementPage(ctx);
  drawInvoicePage(ctx);
  drawTrendPage(ctx);
  drawTeamsPage(ctx);
  drawCapacityPage(ctx);
  drawAdvicePage(ctx);
  drawIdleHeldSection(ctx);
  drawMethodPage(ctx);
  drawPageFrames(ctx);

  doc.end();
  return finished;
}

/** The document date: the end of the billing period (a fixed instant, so output does not depend on the clock). */
function periodDate(summary: Summary): Date {
  const end = Date.parse(summary.period.end);
  if (Number.isFinite(end)) return new Date(end);
  const start = Date.parse(`${summary.period.month}-01T00:00:00Z`);
  return new Date(Number.isFinite(start) ? start : 0);
}
