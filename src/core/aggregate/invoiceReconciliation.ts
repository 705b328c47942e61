import { instanceKeyOf, type InvoiceCosts } from '../billing/ledger.ts';
import { compareStrings } from '../compare.ts';
import { addRatio, exactDecimal, exactNumber, formatFixed, type Ratio, subtractRatio } from '../money.ts';
import type { InvoicePricedResolver } from '../pricing/invoicePrices.ts';
import { type GpusOfType, OUTSIDE_CLUSTERS } from '../pricing/outsideClusters.ts';
import type { InvoiceSummary, MeteredDay } from '../types.ts';

const ZERO: Ratio = { numerator: 0n, denominator: 1n };

/**
 * One line of reconciliation.csv: per billing account, instance type and local day, the GPU-instance cost
 * on the invoice against the cost the chargeback allocated, and the difference explained. Money is fixed-point
 * text in the billing currency, each amount its exact value rounded half-even to the minor unit.
 *
 * Exactly (before rounding): InvoiceCost = matched + UnchargedOutsideCost + PendingInvoiceCost, and
 * ChargebackCost = InvoicePricedCost + OutsideChargedCost + CatalogPricedCost, where the matched part equals
 * InvoicePricedCost + OutsideChargedCost; so Difference = UnchargedOutsideCost + PendingInvoiceCost −
 * CatalogPricedCost. RoundingDifference is what independent rounding of the columns leaves of that identity
 * (0 or a few minor units).
 */
export interface InvoiceReconciliationLine {
  billingAccountId: string;
  instanceType: string;
  date: string;
  invoiceCost: string;
  chargebackCost: string;
  difference: string;
  /** Chargeback of nodes priced from the invoice: equal to their instances' invoice cost. */
  invoicePricedCost: string;
  /** Chargeback of tagged GPU instances outside every cluster (charged to their tag's team). */
  outsideChargedCost: string;
  /** Invoice cost of untagged GPU instances outside every cluster: not charged. */
  unchargedOutsideCost: string;
  /** Invoice cost on days the export does not cover entirely (their nodes are priced from the catalog). */
  pendingInvoiceCost: string;
  /** Chargeback priced from the catalog: days the export does not cover, nodes it does not know. */
  catalogPricedCost: string;
  roundingDifference: string;
  /** The untagged GPU instances outside every cluster, by resource id. */
  unchargedInstanceIds: string[];
  /** Nodes priced from the catalog because the invoice does not know their instance (cluster/node). */
  nodesNotOnInvoice: string[];
}

/** The month's reconciliation against the invoice, as summary.json's `invoice` block holds it. */
export type InvoiceReconciliationTotals = Pick<
  InvoiceSummary,
  | 'invoiceCost'
  | 'chargebackCost'
  | 'difference'
  | 'invoicePricedCost'
  | 'outsideChargedCost'
  | 'unchargedOutsideCost'
  | 'pendingInvoiceCost'
  | 'catalogPricedCost'
>;

interface Group {
  billingAccountId: string;
  instanceType: string;
  date: string;
  invoice: Ratio;
  invoicePriced: Ratio;
  outsideCharged: Ratio;
  uncharged: Ratio;
  pending: Ratio;
  catalogPriced: Ratio;
  unchargedIds: Set<string>;
  notOnInvoice: Set<string>;
}

/**
 * Reconciles the month's chargeback against the invoice: the node side from every node-period's exact
 * capacity cost (what its rows add up to) by where its price came from, the invoice side from every GPU
 * instance's cost by whether a node carried it. A GPU instance is one whose resource id is a node's
 * provider id, or whose instance type has GPUs (`gpusOf`).
 */
export function reconcileInvoice(
  days: readonly MeteredDay[],
  costs: InvoiceCosts,
  resolver: InvoicePricedResolver,
  covered: ReadonlySet<string>,
  gpusOf: GpusOfType,
  digits: number,
): { lines: InvoiceReconciliationLine[]; totals: InvoiceReconciliationTotals } {
  const groups = new Groups();
  const nodeTypeOfKey = addNodeSide(groups, days, costs, resolver);
  addInvoiceSide(groups, costs, resolver, covered, gpusOf, nodeTypeOfKey);
  const money = (r: Ratio) => formatFixed(r, digits);
  const sorted = groups.sorted();
  return { lines: sorted.map((g) => lineOf(g, money)), totals: totalsOf(sorted, money) };
}

/** The groups of a reconciliation, by billing account, instance type and date. */
class Groups {
  readonly #byId = new Map<string, Group>();

  of(billingAccountId: string, instanceType: string, date: string): Group {
    const id = [billingAccountId, instanceType, date].join('\u0000');
    let group = this.#byId.get(id);
    if (!group) {
      group = {
        billingAccountId,
        instanceType,
        date,
        invoice: ZERO,
        invoicePriced: ZERO,
        outsideCharged: ZERO,
        uncharged: ZERO,
        pending: ZERO,
        catalogPriced: ZERO,
        unchargedIds: new Set(),
        notOnInvoice: new Set(),
      };
      this.#byId.set(id, group);
    }
    return group;
  }

  /** By date, billing account, instance type. */
  sorted(): Group[] {
    return [...this.#byId.values()].sort(
      (a, b) =>
        compareStrings(a.date, b.date) ||
        compareStrings(a.billingAccountId, b.billingAccountId) ||
        compareStrings(a.instanceType, b.instanceType),
    );
  }
}

/**
 * The chargeback side: every node-period's exact capacity cost, by where its price came from. Returns the
 * node instance type of each instance key the nodes carry.
 */
function addNodeSide(
  groups: Groups,
  days: readonly MeteredDay[],
  costs: InvoiceCosts,
  resolver: InvoicePricedResolver,
): Map<string, string> {
  const nodeTypeOfKey = new Map<string, string>();
  for (const day of days) {
    for (const node of day.nodes) {
      const price = resolver.priceNode(node);
      const rate = price.effectivePerGpuSecond;
      const capacity = exactNumber(node.capacityGpuSeconds);
      const cost: Ratio = {
        numerator: capacity.numerator * rate.numerator,
        denominator: capacity.denominator * rate.denominator,
      };
      const key = node.providerId === undefined ? undefined : instanceKeyOf(node.providerId);
      const instance = key === undefined ? undefined : costs.instances.get(key);
      if (key !== undefined && !nodeTypeOfKey.has(key)) nodeTypeOfKey.set(key, node.instanceType);
      const group = groups.of(
        instance?.billingAccountId ?? '',
        instance?.instanceType || node.instanceType,
        node.chargePeriod.date,
      );
      if (price.costSource === 'invoice') {
        if (node.cluster === OUTSIDE_CLUSTERS) group.outsideCharged = addRatio(group.outsideCharged, cost);
        else group.invoicePriced = addRatio(group.invoicePriced, cost);
      } else {
        group.catalogPriced = addRatio(group.catalogPriced, cost);
        if (price.costSource === 'catalog-not-on-invoice')
          group.notOnInvoice.add(`${node.cluster ? `${node.cluster}/` : ''}${node.node}`);
      }
    }
  }
  return nodeTypeOfKey;
}

/** The invoice side: every GPU instance's cost, by whether a node carried it on a covered day. */
function addInvoiceSide(
  groups: Groups,
  costs: InvoiceCosts,
  resolver: InvoicePricedResolver,
  covered: ReadonlySet<string>,
  gpusOf: GpusOfType,
  nodeTypeOfKey: ReadonlyMap<string, string>,
): void {
  for (const instance of costs.instances.values()) {
    const nodeType = nodeTypeOfKey.get(instance.key);
    if (nodeType === undefined && gpusOf(instance.instanceType) === null) continue;
    for (const p of instance.periods) {
      const date = costs.chargePeriods[p.period]!.date;
      const group = groups.of(instance.billingAccountId, instance.instanceType || nodeType || '', date);
      group.invoice = addRatio(group.invoice, p.cost);
      if (!covered.has(date)) group.pending = addRatio(group.pending, p.cost);
      else if (!resolver.isMatched(instance.key, date)) {
        group.uncharged = addRatio(group.uncharged, p.cost);
        group.unchargedIds.add(instance.resourceId);
      }
    }
  }
}

/** One line of reconciliation.csv, each amount rounded once; RoundingDifference what rounding left. */
function lineOf(g: Group, money: (r: Ratio) => string): InvoiceReconciliationLine {
  const chargeback = addRatio(addRatio(g.invoicePriced, g.outsideCharged), g.catalogPriced);
  const invoiceUnits = money(g.invoice);
  const chargebackUnits = money(chargeback);
  const difference = subtractRatio(exactDecimal(invoiceUnits), exactDecimal(chargebackUnits));
  const explained = subtractRatio(
    addRatio(exactDecimal(money(g.uncharged)), exactDecimal(money(g.pending))),
    exactDecimal(money(g.catalogPriced)),
  );
  return {
    billingAccountId: g.billingAccountId,
    instanceType: g.instanceType,
    date: g.date,
    invoiceCost: invoiceUnits,
    chargebackCost: chargebackUnits,
    difference: money(difference),
    invoicePricedCost: money(g.invoicePriced),
    outsideChargedCost: money(g.outsideCharged),
    unchargedOutsideCost: money(g.uncharged),
    pendingInvoiceCost: money(g.pending),
    catalogPricedCost: money(g.catalogPriced),
    roundingDifference: money(subtractRatio(difference, explained)),
    unchargedInstanceIds: [...g.unchargedIds].sort(compareStrings),
    nodesNotOnInvoice: [...g.notOnInvoice].sort(compareStrings),
  };
}

/** The month's totals: each the exact sum over groups, rounded once. */
function totalsOf(groups: readonly Group[], money: (r: Ratio) => string): InvoiceReconciliationTotals {
  const total = (pick: (g: Group) => Ratio) => groups.reduce((sum, g) => addRatio(sum, pick(g)), ZERO);
  const invoice = total((g) => g.invoice);
  const chargeback = total((g) => addRatio(addRatio(g.invoicePriced, g.outsideCharged), g.catalogPriced));
  return {
    invoiceCost: money(invoice),
    chargebackCost: money(chargeback),
    difference: money(subtractRatio(exactDecimal(money(invoice)), exactDecimal(money(chargeback)))),
    invoicePricedCost: money(total((g) => g.invoicePriced)),
    outsideChargedCost: money(total((g) => g.outsideCharged)),
    unchargedOutsideCost: money(total((g) => g.uncharged)),
    pendingInvoiceCost: money(total((g) => g.pending)),
    catalogPricedCost: money(total((g) => g.catalogPriced)),
  };
}
