import type { TableRow } from './canvas.ts';
import type { PageContext } from './context.ts';
import { fill } from './templates.ts';
import { sanitizeLabel } from './text.ts';

/**
 * Only with a billing export: the month against the invoice — the GPU-instance cost on the invoice, what the
 * chargeback allocated, and the difference explained line by line (summary.json `invoice`; per day in
 * reconciliation.csv).
 */
export function drawInvoicePage(ctx: PageContext): void {
  const invoice = ctx.summary.invoice;
  if (!invoice) return;
  const { canvas, wording, fmt, layout } = ctx;
  const w = wording.invoice;
  canvas.newPage();
  canvas.pageTitle(
    w.title,
    fill(w.subtitle, {
      format: invoice.source.format === 'focus' ? 'FOCUS' : 'CUR 2.0',
      source: ctx.summary.source.kind === 'demo' ? w.demoSource : sanitizeLabel(invoice.source.description),
      coveredUntil: invoice.coveredUntil ?? wording.common.none,
    }),
  );
  canvas.paragraph(
    fill(w.days, { covered: String(invoice.daysCovered), pending: String(invoice.daysPending) }),
  );
  canvas.paragraph(fill(w.exact, { invoicePriced: fmt.money(invoice.invoicePricedCost) }), {
    bold: true,
    gapAfter: 10,
  });
  const r = w.rows;
  const rows: TableRow[] = [
    { cells: [r.invoice, fmt.money(invoice.invoiceCost)] },
    { cells: [r.chargeback, fmt.money(invoice.chargebackCost)] },
    { total: true, cells: [r.difference, fmt.signedMoney(invoice.difference)] },
    { cells: [r.invoicePriced, fmt.money(invoice.invoicePricedCost)] },
    { cells: [r.outsideCharged, fmt.money(invoice.outsideChargedCost)] },
    { cells: [r.uncharged, fmt.money(invoice.unchargedOutsideCost)] },
    { cells: [r.pending, fmt.money(invoice.pendingInvoiceCost)] },
    { cells: [r.catalogPriced, fmt.money(invoice.catalogPricedCost)] },
  ];
  canvas.table(
    null,
    [
      { header: w.columns.item, width: 380 },
      { header: w.columns.amount, width: 130, align: 'right' },
    ],
    rows,
    { continuedTitle: w.title },
  );
  if (invoice.outsideClusters.length > 0) {
    const list = invoice.outsideClusters
      .map(
        (o) =>
          `${sanitizeLabel(o.resourceId)} (${sanitizeLabel(o.instanceType)}, ${o.team === null ? w.untagged : sanitizeLabel(o.team)})`,
      )
      .join(', ');
    canvas.paragraph(fill(w.outside, { list }), { color: layout.colors.muted });
  }
  if (invoice.nodesNotOnInvoice.length > 0) {
    const shown = invoice.nodesNotOnInvoice.slice(0, 20).map(sanitizeLabel);
    const more = invoice.nodesNotOnInvoice.length - shown.length;
    canvas.paragraph(fill(w.notOnInvoice, { list: shown.join(', ') + (more > 0 ? ` (+${more})` : '') }), {
      color: layout.colors.muted,
    });
  }
}
