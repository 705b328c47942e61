import { compareStrings } from '../compare.ts';
import { addRatio, type Ratio } from '../money.ts';
import type { ChargePeriod, PricingCategory } from '../types.ts';

/**
 * The invoice side of the bill: the cloud's own cost export (FOCUS or AWS CUR 2.0), reduced to what the
 * chargeback needs — the cost of each GPU instance in each charge period of the month — while the export
 * is streamed (a month of a large account is gigabytes; only the lines of the instances that matter are
 * kept, and only as sums per instance and charge period).
 *
 * Amounts are exact: every cost is parsed from its decimal text into a {@link Ratio}, and a line that
 * straddles a charge period boundary (an hourly line across local midnight in a zone with a half-hour
 * offset, or across a price cut) is split in proportion to time, exactly.
 */

/** One usage line of a cost export for one cloud instance and one charge period (an hour), normalized. */
export interface InvoiceLine {
  /** FOCUS BillingAccountId / CUR bill_payer_account_id. */
  billingAccountId: string;
  /** FOCUS SubAccountId / CUR line_item_usage_account_id ('' when the export has none). */
  subAccountId: string;
  /** The resource id as the export spells it (FOCUS ResourceId / CUR line_item_resource_id). */
  resourceId: string;
  /** The instance type ('' when the export does not say). */
  instanceType: string;
  /** FOCUS RegionId / CUR product_region_code ('' when absent). */
  region: string;
  /** [startMs, endMs): the line's charge period (FOCUS ChargePeriodStart/End, CUR line_item_usage_*_date). */
  startMs: number;
  endMs: number;
  /** Seconds the instance ran in the line's period (FOCUS ConsumedQuantity / CUR usage amount, in hours × 3600). */
  usageSeconds: number;
  /** Amortized cost (FOCUS EffectiveCost; CUR: the effective cost of its line type), exactly. */
  effectiveCost: Ratio;
  pricingCategory: PricingCategory;
  /** The value of the configured team / project cost-allocation tags, null when untagged. */
  team: string | null;
  project: string | null;
}

/** An instance's cost within one charge period of the month. */
export interface PeriodCost {
  /** Index into {@link InvoiceCosts.chargePeriods}. */
  period: number;
  cost: Ratio;
  /** Seconds the instance ran in the charge period, per the export. */
  usageSeconds: number;
  /** Cost by pricing category (Spot lines are Dynamic, Savings Plan / RI covered lines Committed). */
  byCategory: Partial<Record<PricingCategory, Ratio>>;
}

/** One cloud instance on the invoice, with its costs per charge period. */
export interface InvoiceInstance {
  /** The normalized key shared with `kube_node_info{provider_id}` (see {@link instanceKeyOf}). */
  key: string;
  resourceId: string;
  billingAccountId: string;
  subAccountId: string;
  instanceType: string;
  region: string;
  team: string | null;
  project: string | null;
  /** In charge period order. */
  periods: PeriodCost[];
}

/** What a month's export says about the GPU instances, ready for pricing and reconciliation. */
export interface InvoiceCosts {
  /** The month's charge periods (its days split at price cuts), which `PeriodCost.period` indexes. */
  chargePeriods: readonly ChargePeriod[];
  /**
   * Until when the export covers the month: the earliest, over billing accounts, of the latest charge
   * period end of any usage line (an account whose export lags holds the month back); null when the export
   * has no line in the month.
   */
  coveredUntilMs: number | null;
  /** Latest charge period end per billing account (for the summary). */
  coveredUntilByAccount: Readonly<Record<string, number>>;
  /** By key, sorted by key. */
  instances: ReadonlyMap<string, InvoiceInstance>;
}

const ZERO: Ratio = { numerator: 0n, denominator: 1n };

/**
 * The key under which a node's provider id and an export's resource id meet:
 * - AWS: `aws:///us-east-1a/i-0abc…` (kube_node_info), `i-0abc…` or an instance ARN
 *   `arn:aws:ec2:…:instance/i-0abc…` (exports) → `aws:i-0abc…`;
 * - Google Cloud: `gce://project/zone/name` and `//compute.googleapis.com/projects/project/zones/zone/instances/name`
 *   → `gce:project/zone/name`;
 * - Azure: `azure:///subscriptions/…/virtualMachines/name` and `/subscriptions/…` → the resource path in
 *   lower case (Azure resource ids are case-insensitive);
 * - anything else: the text itself.
 */
export function instanceKeyOf(id: string): string {
  const text = id.trim();
  const aws = /(?:^|[/:])(i-[0-9a-f]{8,17})$/.exec(text);
  if (aws && (text.startsWith('aws://') || text.startsWith('arn:aws') || text === aws[1]))
    return `aws:${aws[1]}`;
  const gce = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(text);
  if (gce) return `gce:${gce[1]}/${gce[2]}/${gce[3]}`;
  const gcp = /^\/\/compute\.googleapis\.com\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(
    text,
  );
  if (gcp) return `gce:${gcp[1]}/${gcp[2]}/${gcp[3]}`;
  const azure = /^(?:azure:\/\/)?(\/subscriptions\/.+)$/i.exec(text);
  if (azure) return `azure:${azure[1]!.toLowerCase()}`;
  return text;
}

interface MutableInstance extends Omit<InvoiceInstance, 'periods'> {
  periods: Map<number, PeriodCost>;
}

/**
 * Accumulates the lines of an export into {@link InvoiceCosts}, one line at a time (the export is
 * streamed; nothing per line is kept). `noteCoverage` is told the end of every usage line of the export,
 * GPU or not, so that the month's coverage is known.
 */
export class InvoiceLedger {
  readonly #periods: readonly ChargePeriod[];
  readonly #starts: Float64Array;
  readonly #instances = new Map<string, MutableInstance>();
  readonly #coverage = new Map<string, number>();

  /** `chargePeriods`: the month's days split at price cuts, in order, tiling the month. */
  constructor(chargePeriods: readonly ChargePeriod[]) {
    this.#periods = chargePeriods;
    this.#starts = Float64Array.from(chargePeriods, (p) => p.startMs);
  }

  /** Records that the export of `billingAccountId` has usage up to `endMs`. */
  noteCoverage(billingAccountId: string, endMs: number): void {
    if (endMs > (this.#coverage.get(billingAccountId) ?? Number.NEGATIVE_INFINITY))
      this.#coverage.set(billingAccountId, endMs);
  }

  /**
   * Adds a line: its cost is split over the charge periods it overlaps in proportion to time, exactly;
   * the part outside the month is dropped. A line whose instance is already known under another billing
   * account or instance type keeps the first one seen (an instance belongs to one account).
   */
  add(line: InvoiceLine): void {
    if (!(line.endMs > line.startMs))
      throw new RangeError(`a line of ${line.resourceId} ends before it starts`);
    this.noteCoverage(line.billingAccountId, line.endMs);
    const key = instanceKeyOf(line.resourceId);
    let instance = this.#instances.get(key);
    if (!instance) {
      instance = {
        key,
        resourceId: line.resourceId,
        billingAccountId: line.billingAccountId,
        subAccountId: line.subAccountId,
        instanceType: line.instanceType,
        region: line.region,
        team: line.team,
        project: line.project,
        periods: new Map(),
      };
      this.#instances.set(key, instance);
    } else {
      if (!instance.instanceType) instance.instanceType = line.instanceType;
      if (instance.team === null) instance.team = line.team;
      if (instance.project === null) instance.project = line.project;
    }
    const duration = BigInt(line.endMs - line.startMs);
    for (let p = this.#firstPeriod(line.startMs); p < this.#periods.length; p++) {
      const period = this.#periods[p]!;
      if (period.startMs >= line.endMs) break;
      const overlap = Math.min(period.endMs, line.endMs) - Math.max(period.startMs, line.startMs);
      if (overlap <= 0) continue;
      const whole = overlap === line.endMs - line.startMs;
      const share: Ratio = whole
        ? line.effectiveCost
        : {
            numerator: line.effectiveCost.numerator * BigInt(overlap),
            denominator: line.effectiveCost.denominator * duration,
          };
      let cost = instance.periods.get(p);
      if (!cost) {
        cost = { period: p, cost: ZERO, usageSeconds: 0, byCategory: {} };
        instance.periods.set(p, cost);
      }
      cost.cost = addRatio(cost.cost, share);
      cost.usageSeconds += (line.usageSeconds * overlap) / (line.endMs - line.startMs);
      cost.byCategory[line.pricingCategory] = addRatio(cost.byCategory[line.pricingCategory] ?? ZERO, share);
    }
  }

  /** The accumulated costs, instances sorted by key and their periods in order. */
  result(): InvoiceCosts {
    const accounts = [...this.#coverage.keys()].sort(compareStrings);
    const byAccount = Object.fromEntries(accounts.map((a) => [a, this.#coverage.get(a)!]));
    const ends = accounts.map((a) => this.#coverage.get(a)!);
    const instances = new Map<string, InvoiceInstance>();
    for (const key of [...this.#instances.keys()].sort(compareStrings)) {
      const i = this.#instances.get(key)!;
      instances.set(key, { ...i, periods: [...i.periods.values()].sort((a, b) => a.period - b.period) });
    }
    return {
      chargePeriods: this.#periods,
      coveredUntilMs: ends.length === 0 ? null : Math.min(...ends),
      coveredUntilByAccount: byAccount,
      instances,
    };
  }

  /** Index of the last charge period starting at or before `ms` (0 when before the month). */
  #firstPeriod(ms: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
