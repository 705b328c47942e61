import type { Canvas } from './canvas.ts';
import type { PageContext } from './context.ts';
import { fill } from './templates.ts';
import { sanitizeLabel } from './text.ts';

/**
 * Draws the header (report title, month, DEMO DATA badge) and footer (source, catalog, "Page n of m") on
 * every buffered page. Runs after all content, when the page count is known.
 */
export function drawPageFrames(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const { doc } = canvas;
  const range = doc.bufferedPageRange();
  const pages = range.count;
  const month = fmt.month(summary.period.month);
  const demo = summary.source.kind === 'demo';
  const provisional = summary.provisional
    ? fill(wording.header.provisional, { throughDay: summary.provisional.throughDay })
    : null;
  const headerY = layout.page.headerBaseline;
  const footerY = layout.page.height - layout.page.footerOffset;
  const size = layout.fontSize.header;

  for (let i = 0; i < pages; i++) {
    doc.switchToPage(range.start + i);
    // Header: title on the left, month on the right, the DEMO badge between them.
    canvas.useFont(false, size);
    const monthWidth = canvas.widthOf(month);
    const badgeWidth = demo ? canvas.measure(wording.header.demo, true, size) + 12 : 0;
    // A month to date says so on every page, next to the month.
    const provisionalWidth = provisional ? canvas.measure(provisional, true, size) + 12 : 0;
    const titleWidth =
      canvas.width - monthWidth - badgeWidth - (provisional ? provisionalWidth + 12 : 0) - 24;
    const drawnTitle = canvas.text(ctx.title, canvas.left, headerY, {
      size,
      bold: true,
      color: layout.colors.accent,
      width: titleWidth,
    });
    canvas.text(month, canvas.right - monthWidth - 1, headerY, {
      size,
      color: layout.colors.muted,
      width: monthWidth + 1,
      align: 'right',
    });
    if (demo) drawDemoBadge(canvas, ctx, canvas.left + drawnTitle + 12, headerY, badgeWidth);
    if (provisional) {
      const x = canvas.right - monthWidth - provisionalWidth - 12;
      drawBadge(canvas, ctx, provisional, layout.colors.provisional, x, headerY, provisionalWidth);
    }
    canvas.rule(headerY + size * 1.45 + 4);

    // Footer: source and catalog (or the DEMO notice) on the left, page number on the right.
    canvas.rule(footerY - 5);
    const pageText = fill(wording.header.page, { page: fmt.number(i + 1), pages: fmt.number(pages) });
    const pageWidth = canvas.measure(pageText, false, layout.fontSize.small) + 1;
    canvas.text(pageText, canvas.right - pageWidth, footerY, {
      size: layout.fontSize.small,
      color: layout.colors.muted,
      width: pageWidth,
      align: 'right',
    });
    const left = demo
      ? wording.header.footerDemo
      : fill(wording.header.footerSource, {
          source:
            (wording.method.sourceKinds as Record<string, string>)[summary.source.kind] ??
            summary.source.kind,
          catalog: sanitizeLabel(summary.priceCatalog.version),
          currency: summary.currency.code,
        });
    canvas.text(left, canvas.left, footerY, {
      size: layout.fontSize.small,
      bold: demo,
      color: demo ? layout.colors.demo : layout.colors.muted,
      width: canvas.width - pageWidth - 16,
    });
  }
}

function drawDemoBadge(canvas: Canvas, ctx: PageContext, x: number, y: number, width: number): void {
  drawBadge(canvas, ctx, ctx.wording.header.demo, ctx.layout.colors.demo, x, y, width);
}

/** White bold text on a rounded box of `color`, in the header's size. */
function drawBadge(
  canvas: Canvas,
  ctx: PageContext,
  text: string,
  color: string,
  x: number,
  y: number,
  width: number,
): void {
  const { layout } = ctx;
  const size = layout.fontSize.header;
  const height = size * 1.45 + 2;
  canvas.doc
    .save()
    .roundedRect(x, y - 1, width, height, 2)
    .fillColor(color)
    .fill()
    .restore();
  canvas.text(text, x, y, { size, bold: true, color: '#ffffff', width, align: 'center' });
}

/**
 * The provisional notice of a month to date (summary.json `provisional`), drawn under a page's title:
 * which days it covers, that the final version replaces it, how budgets and the invoice are read. Nothing
 * for a final month.
 */
export function drawProvisionalNotice(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const provisional = summary.provisional;
  if (!provisional) return;
  const w = wording.provisional;
  const parts = [
    fill(w.notice, {
      throughDay: provisional.throughDay,
      days: fmt.number(provisional.daysMetered),
      daysInMonth: fmt.number(provisional.daysInMonth),
      month: fmt.month(summary.period.month),
    }),
  ];
  if (summary.budgets) parts.push(w.budget);
  if (summary.invoice) parts.push(w.invoice);
  canvas.paragraph(parts.join(' '), { size: 10, bold: true, color: layout.colors.provisional, gapAfter: 8 });
}
