import { type InvoiceReconciliationLine, reconcileInvoice } from '../aggregate/invoiceReconciliation.ts';
import { summarizeGpuQuotas } from '../aggregate/gpuQuotas.ts';
import { summarizeIdleHeld } from '../aggregate/idleHeld.ts';
import { buildSummary, type SummaryOptions } from '../aggregate/summarize.ts';
import { allocateMonth } from '../allocation/allocate.ts';
import type { InvoiceCosts } from '../billing/ledger.ts';
import { compareStrings } from '../compare.ts';
import { type PriceCatalog, PriceResolver } from '../pricing/catalog.ts';
import { coveredDates, InvoicePricedResolver } from '../pricing/invoicePrices.ts';
import { type GpusOfType, withInstancesOutsideClusters } from '../pricing/outsideClusters.ts';
import { roundMonth } from '../rounding/roundMonth.ts';
import type {
  BillingPeriod,
  IdleHeldSummary,
  InvoiceSummary,
  MeteredDay,
  PricedRows,
  Summary,
} from '../types.ts';
import { RowSet } from './rowSet.ts';

/**
 * Everything priceMonth needs besides the metered days: plain data, built from the validated config at
 * the edge (src/app/priceOptions.ts).
 */
export interface PriceMonthOptions extends SummaryOptions {
  /** ChargeClass of every row: '' normally, 'Correction' when restating a published month. */
  chargeClass?: '' | 'Correction';
  /**
   * Called after each step ('allocated', 'rounded', 'summarized') with its name, for progress logs and
   * benchmarks (the core reads no clock; the caller may).
   */
  onStage?: (stage: 'allocated' | 'rounded' | 'summarized') => void;
  /** The cloud's cost export of the month, when a billing source is configured (see {@link MonthInvoice}). */
  invoice?: MonthInvoice;
  /** The metering.idleHeld rule the days were metered under, recorded in summary.json `idleHeld.rule`. */
  idleHeld?: IdleHeldSummary['rule'];
}

/** The invoice of a month and what pricing from it needs besides the catalog. */
export interface MonthInvoice {
  costs: InvoiceCosts;
  source: InvoiceSummary['source'];
  /** GPUs of instance types outside the catalog (billing.gpuInstanceTypes): GPU instances outside clusters. */
  gpuInstanceTypes: Readonly<Record<string, { gpus: number; gpuModel: string }>>;
  /** Project of a tagged instance outside every cluster without a project tag. */
  defaultProject: string;
}

/** The priced month: rows in their deterministic order and the summary. */
export interface PricedMonth {
  rows: PricedRows;
  summary: Summary;
  /** With a billing export: reconciliation.csv's lines (per billing account, instance type and day). */
  reconciliation?: InvoiceReconciliationLine[];
}

/**
 * The month stage: prices, allocates, rounds and summarizes a month of metered days, in that order.
 *
 * 1. catalog: a {@link PriceResolver} over the price catalog gives each node and charge period its prices;
 * 2. allocation ({@link allocateMonth}): every pod and node priced exactly, the utilization and idle
 *    policies applied, rows sorted (charge period, team, namespace, pod, uid, component, then cluster,
 *    node, GPU resource);
 * 3. rounding ({@link roundMonth}): money rounded once — the exact capacity cost half-even to the minor
 *    unit, apportioned to teams and then to rows by largest remainder;
 * 4. aggregation ({@link buildSummary}): summary.json's model from the rounded rows.
 *
 * So rows sum to team totals, team totals to the grand total, the grand total equals the rounded capacity
 * cost, and every rounded amount is less than one minor unit from its exact value.
 */
export function priceMonth(days: readonly MeteredDay[], options: PriceMonthOptions): PricedMonth {
  const digits = options.pricing.currency.minorDigits;
  let month = daysInOrder(days, options.period);

  let catalog = new PriceResolver(options.pricing);
  let invoiced: ReturnType<typeof priceFromInvoice> | undefined;
  if (options.invoice) {
    invoiced = priceFromInvoice(month, options.pricing, options.invoice);
    catalog = invoiced.resolver;
    month = invoiced.days;
  }
  const allocation = allocateMonth(month, catalog, {
    ...options.allocation,
    chargeClass: options.chargeClass ?? '',
    digits,
  });
  options.onStage?.('allocated');

  const { rows, store } = allocation;
  const totals = roundMonth(rows, store, allocation.capacityCost, allocation.capacityListCost, digits);
  options.onStage?.('rounded');

  const summary = buildSummary({
    days: month,
    rows,
    store,
    allocatedGpuSecondsByDay: allocation.allocatedGpuSecondsByDay,
    totalUnits: totals.totalUnits,
    listTotalUnits: totals.listTotalUnits,
    digits,
    options,
    resolver: catalog,
    warnings: allocation.warnings,
  });
  summary.idleHeld = summarizeIdleHeld(rows, store, options.idleHeld ?? null);
  summary.gpuQuotas = summarizeGpuQuotas(month);
  if (!invoiced || !options.invoice) {
    options.onStage?.('summarized');
    return { rows: new RowSet(rows, store), summary };
  }
  const { lines, totals: invoiceTotals } = reconcileInvoice(
    month,
    options.invoice.costs,
    invoiced.resolver,
    invoiced.covered,
    invoiced.gpusOf,
    digits,
  );
  summary.invoice = invoiceSummary(options.invoice, month, invoiced, invoiceTotals, lines);
  options.onStage?.('summarized');
  return { rows: new RowSet(rows, store), summary, reconciliation: lines };
}

/**
 * Pricing from the invoice (before allocation): a resolver that prices matched nodes from the export, and
 * the days with the tagged GPU instances outside every cluster appended as pseudo nodes and pods.
 */
function priceFromInvoice(days: MeteredDay[], pricing: PriceCatalog, invoice: MonthInvoice) {
  const resolver = new InvoicePricedResolver(pricing, days, invoice.costs);
  const covered = coveredDates(days, invoice.costs);
  const gpusOf = gpusOfTypes(pricing, invoice.gpuInstanceTypes);
  const outside = withInstancesOutsideClusters(days, invoice.costs, resolver, covered, {
    gpusOf,
    defaultProject: invoice.defaultProject,
  });
  resolver.addCapacity(outside.nodes);
  const chargedOutside = new Set(outside.nodes.map((n) => n.node));
  return { resolver, covered, gpusOf, days: outside.days, chargedOutside };
}

/** GPUs per instance type: the catalog's (global, then any cluster's), then billing.gpuInstanceTypes. */
function gpusOfTypes(
  pricing: PriceCatalog,
  extra: Readonly<Record<string, { gpus: number; gpuModel: string }>>,
): GpusOfType {
  return (instanceType) => {
    if (!instanceType) return null;
    const entry =
      pricing.instanceTypes.get(instanceType) ??
      [...pricing.byCluster.values()].map((c) => c.get(instanceType)).find((e) => e !== undefined) ??
      (Object.hasOwn(extra, instanceType) ? extra[instanceType] : undefined);
    return entry && entry.gpus > 0 ? { gpus: entry.gpus, gpuModel: entry.gpuModel } : null;
  };
}

/** summary.json's `invoice` block. */
function invoiceSummary(
  invoice: MonthInvoice,
  days: readonly MeteredDay[],
  invoiced: { covered: ReadonlySet<string>; chargedOutside: ReadonlySet<string> },
  totals: ReturnType<typeof reconcileInvoice>['totals'],
  lines: readonly InvoiceReconciliationLine[],
): InvoiceSummary {
  const { costs } = invoice;
  const iso = (ms: number) => new Date(ms).toISOString();
  const outsideIds = new Set([...lines.flatMap((l) => l.unchargedInstanceIds), ...invoiced.chargedOutside]);
  const outside = [...costs.instances.values()]
    .filter((i) => outsideIds.has(i.resourceId))
    .map((i) => ({
      resourceId: i.resourceId,
      instanceType: i.instanceType,
      billingAccountId: i.billingAccountId,
      team: invoiced.chargedOutside.has(i.resourceId) ? i.team : null,
    }));
  return {
    source: invoice.source,
    coveredUntil: costs.coveredUntilMs === null ? null : iso(costs.coveredUntilMs),
    coveredUntilByAccount: Object.fromEntries(
      Object.entries(costs.coveredUntilByAccount).map(([account, ms]) => [account, iso(ms)]),
    ),
    daysCovered: days.filter((d) => invoiced.covered.has(d.day.date)).length,
    daysPending: days.filter((d) => !invoiced.covered.has(d.day.date)).length,
    ...totals,
    outsideClusters: outside,
    nodesNotOnInvoice: [...new Set(lines.flatMap((l) => l.nodesNotOnInvoice))].sort(compareStrings),
  };
}

/** The days in time order, each checked to belong to `period` and to be given once. */
function daysInOrder(days: readonly MeteredDay[], period: BillingPeriod): MeteredDay[] {
  const periodDates = new Set(period.days.map((d) => d.date));
  const seen = new Set<string>();
  for (const day of days) {
    if (!periodDates.has(day.day.date))
      throw new RangeError(`day ${day.day.date} is not in billing period ${period.month}`);
    if (seen.has(day.day.date)) throw new RangeError(`day ${day.day.date} was given twice`);
    seen.add(day.day.date);
  }
  return [...days].sort((a, b) => a.day.startMs - b.day.startMs);
}
