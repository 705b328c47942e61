import { instanceKeyOf, type InvoiceCosts } from '../billing/ledger.ts';
import { MissingPriceError } from '../../errors.ts';
import { addRatio, compareRatio, exactNumber, formatTrimmed, type Ratio } from '../money.ts';
import type { MeteredDay, NodeUsage, PricingCategory } from '../types.ts';
import { type CostSource, type NodePrice, type PriceCatalog, PriceResolver } from './catalog.ts';

const ZERO: Ratio = { numerator: 0n, denominator: 1n };
const CATEGORIES: readonly PricingCategory[] = ['Standard', 'Dynamic', 'Committed'];

/** The invoice's cost of one instance on one local day, and the GPU-seconds of the nodes it is spread over. */
interface InstanceDay {
  cost: Ratio;
  /** Σ capacityGpuSeconds of the node-periods of the day whose provider id names the instance. */
  capacity: Ratio;
  byCategory: Partial<Record<PricingCategory, Ratio>>;
}

/** `${instanceKey}\u0000${date}` */
function instanceDayKey(key: string, date: string): string {
  return `${key}\u0000${date}`;
}

/**
 * Which days the export covers entirely: a day counts only when the export's coverage reaches its end
 * (a day the export covers in part is priced from the catalog until the export covers it all).
 */
export function coveredDates(days: readonly MeteredDay[], costs: InvoiceCosts): Set<string> {
  const until = costs.coveredUntilMs;
  return new Set(days.filter((d) => until !== null && d.day.endMs <= until).map((d) => d.day.date));
}

/**
 * A price resolver that prices each node from the invoice where it can: a node whose cloud instance
 * (kube_node_info{provider_id}) has lines on a day the export covers entirely pays, per GPU-second, the
 * instance's amortized cost of that day divided by the GPU-seconds of capacity its node(s) had that day.
 * So the node's capacity cost of the day — what its rows add up to, whatever the utilization and idle
 * policies — is exactly the invoice's cost of the instance that day. Everything else is priced from the
 * catalog and says why (see {@link CostSource}). ListCost stays the catalog's On-Demand equivalent (the
 * invoice's own effective cost when the type is in no catalog); the row's PricingCategory is the category
 * that carries most of the instance's cost that day (Spot lines Dynamic, Savings Plan and RI covered lines
 * Committed).
 *
 * A day's cost is spread evenly over the day's GPU-seconds: a Spot price that moves within the day moves the
 * node's day total exactly, and every pod on the node pays the day's mean rate (rows stay one per pod and
 * day; see docs/billing.md).
 */
export class InvoicePricedResolver extends PriceResolver {
  readonly #byInstanceDay = new Map<string, InstanceDay>();
  readonly #covered: ReadonlySet<string>;
  readonly #cache = new Map<string, NodePrice>();
  readonly #withSource = new Map<NodePrice, Map<CostSource, NodePrice>>();

  constructor(pricing: PriceCatalog, days: readonly MeteredDay[], costs: InvoiceCosts) {
    super(pricing);
    this.#covered = coveredDates(days, costs);
    for (const instance of costs.instances.values()) {
      for (const p of instance.periods) {
        const date = costs.chargePeriods[p.period]!.date;
        if (!this.#covered.has(date)) continue;
        const k = instanceDayKey(instance.key, date);
        const entry = this.#byInstanceDay.get(k) ?? { cost: ZERO, capacity: ZERO, byCategory: {} };
        entry.cost = addRatio(entry.cost, p.cost);
        for (const c of CATEGORIES) {
          const part = p.byCategory[c];
          if (part) entry.byCategory[c] = addRatio(entry.byCategory[c] ?? ZERO, part);
        }
        this.#byInstanceDay.set(k, entry);
      }
    }
    for (const day of days) this.addCapacity(day.nodes);
  }

  /**
   * Spreads the invoice over these node-periods too (the constructor adds every metered node; the month
   * stage adds the pseudo nodes of instances outside every cluster, which no metered node matched).
   */
  addCapacity(nodes: readonly NodeUsage[]): void {
    for (const node of nodes) {
      if (node.providerId === undefined) continue;
      const entry = this.#byInstanceDay.get(
        instanceDayKey(instanceKeyOf(node.providerId), node.chargePeriod.date),
      );
      if (entry) entry.capacity = addRatio(entry.capacity, exactNumber(node.capacityGpuSeconds));
    }
  }

  /**
   * Whether the invoice's cost of instance `key` on `date` is carried by the rows of its node(s): the
   * export covers the day and a node of the instance had GPU capacity that day.
   */
  isMatched(key: string, date: string): boolean {
    const entry = this.#byInstanceDay.get(instanceDayKey(key, date));
    return entry !== undefined && entry.capacity.numerator > 0n;
  }

  override priceNode(node: NodeUsage): NodePrice {
    const date = node.chargePeriod.date;
    const entry =
      node.providerId === undefined
        ? undefined
        : this.#byInstanceDay.get(instanceDayKey(instanceKeyOf(node.providerId), date));
    if (!entry || entry.capacity.numerator === 0n) {
      const source: CostSource = this.#covered.has(date)
        ? 'catalog-not-on-invoice'
        : 'catalog-export-pending';
      return this.#sourced(super.priceNode(node), source);
    }
    const key = [
      node.providerId,
      date,
      node.cluster,
      node.instanceType,
      node.capacityType,
      node.gpuModel ?? '',
    ].join('\u0000');
    let price = this.#cache.get(key);
    if (!price) {
      price = this.#invoicePrice(node, entry);
      this.#cache.set(key, price);
    }
    return price;
  }

  #invoicePrice(node: NodeUsage, entry: InstanceDay): NodePrice {
    // rate per GPU-second = cost / capacity (both exact).
    const perGpuSecond: Ratio = {
      numerator: entry.cost.numerator * entry.capacity.denominator,
      denominator: entry.cost.denominator * entry.capacity.numerator,
    };
    let catalog: NodePrice | null = null;
    try {
      catalog = super.priceNode(node);
    } catch (error) {
      if (!(error instanceof MissingPriceError)) throw error;
    }
    let category: PricingCategory = 'Standard';
    let best = ZERO;
    for (const c of CATEGORIES) {
      const part = entry.byCategory[c];
      if (part && compareRatio(part, best) > 0) {
        best = part;
        category = c;
      }
    }
    return {
      instanceType: node.instanceType,
      gpuModel: catalog?.gpuModel ?? node.gpuModel ?? 'unknown',
      catalogGpus: catalog?.catalogGpus ?? null,
      pricingCategory: category,
      fallback: false,
      effectivePerGpuSecond: perGpuSecond,
      listPerGpuSecond: catalog?.listPerGpuSecond ?? perGpuSecond,
      unitPriceText: formatTrimmed(
        { numerator: perGpuSecond.numerator * 3600n, denominator: perGpuSecond.denominator },
        10,
      ),
      costSource: 'invoice',
    };
  }

  #sourced(price: NodePrice, source: CostSource): NodePrice {
    let bySource = this.#withSource.get(price);
    if (!bySource) {
      bySource = new Map();
      this.#withSource.set(price, bySource);
    }
    let sourced = bySource.get(source);
    if (!sourced) {
      sourced = { ...price, costSource: source };
      // Keep ListCost's identity with the effective rate when they were the same (allocation relies on it).
      if (price.listPerGpuSecond === price.effectivePerGpuSecond)
        sourced.listPerGpuSecond = sourced.effectivePerGpuSecond;
      bySource.set(source, sourced);
    }
    return sourced;
  }
}
