import type { InvoiceReconciliationLine } from '../core/aggregate/invoiceReconciliation.ts';
import { csvRecords, neutralizeFormula } from './csv.ts';

/**
 * reconciliation.csv's columns (a contract, see README "The reconciliation CSV"): per billing account,
 * instance type and local day, the GPU-instance cost on the invoice, the cost the chargeback allocated,
 * their difference and what explains it. Money in the billing currency, each figure its exact value
 * rounded half-even to the minor unit.
 */
export const RECONCILIATION_COLUMNS = [
  'Date',
  'BillingAccountId',
  'InstanceType',
  'BillingCurrency',
  'InvoiceCost',
  'ChargebackCost',
  'Difference',
  'InvoicePricedCost',
  'OutsideClustersChargedCost',
  'UnchargedOutsideClustersCost',
  'PendingInvoiceCost',
  'CatalogPricedCost',
  'RoundingDifference',
  'UnchargedInstanceIds',
  'NodesNotOnInvoice',
] as const;

/** reconciliation.csv as text (one line per account, type and day: small enough to render whole). */
export function renderReconciliationCsv(
  lines: readonly InvoiceReconciliationLine[],
  currency: string,
): string {
  const text = (value: string) => neutralizeFormula(value);
  return csvRecords([
    [...RECONCILIATION_COLUMNS],
    ...lines.map((l) => [
      l.date,
      text(l.billingAccountId),
      text(l.instanceType),
      currency,
      l.invoiceCost,
      l.chargebackCost,
      l.difference,
      l.invoicePricedCost,
      l.outsideChargedCost,
      l.unchargedOutsideCost,
      l.pendingInvoiceCost,
      l.catalogPricedCost,
      l.roundingDifference,
      text(l.unchargedInstanceIds.join(' ')),
      text(l.nodesNotOnInvoice.join(' ')),
    ]),
  ]);
}
