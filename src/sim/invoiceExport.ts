import { stringify } from 'csv-stringify/sync';
import { exactDecimal, formatFixed, type Ratio } from '../core/money.ts';
import type { TimeRange } from '../core/types.ts';
import { providerIdOf } from './cloud.ts';
import type { Simulation } from './model.ts';

/**
 * A synthetic cost export of simulated clusters, in the shapes the clouds deliver, for the demo and the
 * tests: hourly usage lines of every cloud node's instance (the same instances as kube_node_info
 * provider_id), Spot prices that move within a day, a Savings Plan covering part of the On-Demand fleet,
 * GPU instances outside every cluster (tagged with a team, and untagged), and lines of other services that
 * the reader must skip.
 *
 * Shapes, from their sources:
 * - FOCUS 1.2 (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec tag v1.2, specification/columns/*.md): the
 *   mandatory columns (BilledCost, BillingAccountId, BillingAccountName, BillingCurrency, BillingPeriodStart/End,
 *   ChargeCategory, ChargeClass, ChargeDescription, ChargePeriodStart/End, ContractedCost, EffectiveCost,
 *   InvoiceIssuerName, ListCost, PricingQuantity, PricingUnit, ProviderName, PublisherName, ServiceCategory,
 *   ServiceName) and the conditional ones an EC2 line has (CommitmentDiscount*, ConsumedQuantity/Unit,
 *   PricingCategory, RegionId, ResourceId, ResourceType, SkuId, SubAccountId, Tags), date/times in UTC with
 *   a Z (attributes/datetime_format.md), Tags as a JSON object (attributes/key_value_format.md); plus AWS's
 *   x_UsageType ("BoxUsage:p4d.24xlarge", "USE1-SpotUsage:g5.xlarge": AWS Data Exports "FOCUS 1.2 with AWS
 *   columns").
 * - AWS CUR 2.0 (AWS Data Exports table dictionary): bill_payer_account_id, line_item_usage_account_id,
 *   line_item_line_item_type (Usage, SavingsPlanCoveredUsage, SavingsPlanNegation), line_item_usage_start_date /
 *   _end_date, line_item_resource_id (the instance id), line_item_usage_type, line_item_usage_amount,
 *   line_item_unblended_cost, line_item_currency_code, savings_plan_savings_plan_effective_cost,
 *   reservation_effective_cost, product_instance_type, product_region_code, resource_tags (a JSON map,
 *   user-defined tags as user_<key>).
 */

/** Hourly instance prices of the export (per instance-hour, in the billing currency). */
export interface ExportPrices {
  [instanceType: string]: { onDemand: number; spot?: number | undefined; committed?: number | undefined };
}

/** A GPU instance that no cluster reports (a dev box, a Slurm head node...). */
export interface OutsideInstance {
  resourceId: string;
  instanceType: string;
  /** Its `team` tag; null = untagged. */
  team: string | null;
  range: TimeRange;
}

export interface SyntheticExportOptions {
  format: 'focus' | 'cur2';
  /** The billing period (month) of the export. */
  period: TimeRange;
  prices: ExportPrices;
  currency: string;
  billingAccountId: string;
  subAccountId: string;
  /** Lines only up to this instant (an export that has not caught up yet); default: the whole period. */
  coveredUntilMs?: number;
  outside?: readonly OutsideInstance[];
  /** Every `savingsPlanEvery`-th On-Demand instance (by name) is covered by a Savings Plan; 0 = none. Default 2. */
  savingsPlanEvery?: number;
}

const HOUR_MS = 3_600_000;
/** Spot price multipliers per 6-hour block of the UTC day: the Spot price moves four times a day. */
export const SPOT_MOVES = ['1', '0.94', '1.06', '1.12'] as const;
/** A Savings Plan's rate against On-Demand, when the catalog has no committed price. */
const SAVINGS_PLAN_RATE = '0.72';

interface InstanceSpec {
  resourceId: string;
  instanceType: string;
  kind: 'on-demand' | 'spot' | 'savings-plan';
  team: string | null;
  ranges: TimeRange[];
}

/** The export's instances: every cloud node of `sims`, then `outside`. */
function instancesOf(sims: readonly Simulation[], options: SyntheticExportOptions): InstanceSpec[] {
  const every = options.savingsPlanEvery ?? 2;
  const out: InstanceSpec[] = [];
  for (const sim of sims) {
    const nodes = [...sim.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let onDemand = 0;
    for (const node of nodes) {
      const providerId = providerIdOf(node, sim.cluster ?? '');
      if (providerId === null || !providerId.startsWith('aws://')) continue;
      let kind: InstanceSpec['kind'] = node.capacityType === 'spot' ? 'spot' : 'on-demand';
      if (kind === 'on-demand' && every > 0 && onDemand++ % every === 0) kind = 'savings-plan';
      out.push({
        resourceId: providerId.slice(providerId.lastIndexOf('/') + 1),
        instanceType: node.instanceType,
        kind,
        team: null,
        ranges: node.lifetimes,
      });
    }
  }
  for (const o of options.outside ?? [])
    out.push({
      resourceId: o.resourceId,
      instanceType: o.instanceType,
      kind: 'on-demand',
      team: o.team,
      ranges: [o.range],
    });
  return out;
}

/** The hourly price of an instance at hour `hourMs` (exact). */
function hourlyPrice(
  spec: InstanceSpec,
  prices: ExportPrices,
  hourMs: number,
): { price: Ratio; list: Ratio } {
  const entry = prices[spec.instanceType];
  if (!entry) throw new RangeError(`no export price for ${spec.instanceType}`);
  const list = exactDecimal(entry.onDemand);
  if (spec.kind === 'spot') {
    const base = exactDecimal(entry.spot ?? entry.onDemand);
    const move = exactDecimal(SPOT_MOVES[Math.floor(new Date(hourMs).getUTCHours() / 6)]!);
    return {
      price: { numerator: base.numerator * move.numerator, denominator: base.denominator * move.denominator },
      list,
    };
  }
  if (spec.kind === 'savings-plan') {
    if (entry.committed !== undefined) return { price: exactDecimal(entry.committed), list };
    const rate = exactDecimal(SAVINGS_PLAN_RATE);
    return {
      price: { numerator: list.numerator * rate.numerator, denominator: list.denominator * rate.denominator },
      list,
    };
  }
  return { price: list, list };
}

/** One hourly line of an instance, before it is written in a format. */
interface HourLine {
  spec: InstanceSpec;
  startMs: number;
  endMs: number;
  hours: Ratio;
  cost: string;
  listCost: string;
  unitPrice: string;
}

/** Every hourly line of the export, in time then resource order, plus one EBS line per day (skipped by readers). */
function* hourLines(
  sims: readonly Simulation[],
  options: SyntheticExportOptions,
): Iterable<HourLine | { ebs: number }> {
  const specs = instancesOf(sims, options).sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1));
  const until = Math.min(options.coveredUntilMs ?? options.period.endMs, options.period.endMs);
  for (let h = Math.floor(options.period.startMs / HOUR_MS) * HOUR_MS; h < until; h += HOUR_MS) {
    if (h % (24 * HOUR_MS) === 0) yield { ebs: h };
    const end = Math.min(h + HOUR_MS, until);
    for (const spec of specs) {
      let ms = 0;
      for (const r of spec.ranges)
        ms += Math.max(
          0,
          Math.min(end, r.endMs, options.period.endMs) - Math.max(h, r.startMs, options.period.startMs),
        );
      if (ms <= 0) continue;
      const { price, list } = hourlyPrice(spec, options.prices, h);
      const hours: Ratio = { numerator: BigInt(ms), denominator: BigInt(HOUR_MS) };
      const times = (p: Ratio): Ratio => ({
        numerator: p.numerator * hours.numerator,
        denominator: p.denominator * hours.denominator,
      });
      yield {
        spec,
        startMs: h,
        endMs: h + HOUR_MS,
        hours,
        // Exports carry up to 10 decimals.
        cost: formatFixed(times(price), 10),
        listCost: formatFixed(times(list), 10),
        unitPrice: formatFixed(price, 10),
      };
    }
  }
}

const FOCUS_COLUMNS = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'CommitmentDiscountCategory',
  'CommitmentDiscountId',
  'CommitmentDiscountStatus',
  'CommitmentDiscountType',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'PricingCategory',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'RegionId',
  'ResourceId',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'SkuId',
  'SubAccountId',
  'Tags',
  'x_UsageType',
] as const;

const CUR_COLUMNS = [
  'bill_payer_account_id',
  'line_item_usage_account_id',
  'line_item_line_item_type',
  'line_item_usage_start_date',
  'line_item_usage_end_date',
  'line_item_resource_id',
  'line_item_usage_type',
  'line_item_usage_amount',
  'line_item_unblended_cost',
  'line_item_currency_code',
  'savings_plan_savings_plan_effective_cost',
  'reservation_effective_cost',
  'product_instance_type',
  'product_region_code',
  'resource_tags',
] as const;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The export as CSV text chunks (header first; RFC 4180, LF line ends as AWS writes them), about 500 lines
 * per chunk: stream it to a file (gzip it for the "CSV (gzip)" shape).
 */
export function* syntheticExportCsv(
  sims: readonly Simulation[],
  options: SyntheticExportOptions,
): Iterable<string> {
  const columns: readonly string[] = options.format === 'focus' ? FOCUS_COLUMNS : CUR_COLUMNS;
  yield stringify([columns as string[]]);
  let batch: string[][] = [];
  const flush = function* () {
    if (batch.length > 0) yield stringify(batch);
    batch = [];
  };
  for (const line of hourLines(sims, options)) {
    const rows = options.format === 'focus' ? focusRows(line, options) : curRows(line, options);
    batch.push(...rows.map((r) => columns.map((c) => r[c] ?? '')));
    if (batch.length >= 500) yield* flush();
  }
  yield* flush();
}

function focusRows(line: HourLine | { ebs: number }, o: SyntheticExportOptions): Record<string, string>[] {
  const common = {
    BillingAccountId: o.billingAccountId,
    BillingAccountName: 'Demo Payer',
    BillingCurrency: o.currency,
    BillingPeriodStart: iso(o.period.startMs),
    BillingPeriodEnd: iso(o.period.endMs),
    ChargeClass: '',
    ChargeFrequency: 'Usage-Based',
    InvoiceIssuerName: 'Amazon Web Services, Inc.',
    ProviderName: 'AWS',
    PublisherName: 'Amazon Web Services, Inc.',
    RegionId: 'us-east-1',
    SubAccountId: o.subAccountId,
  };
  if ('ebs' in line) {
    return [
      {
        ...common,
        BilledCost: '1.6',
        ChargeCategory: 'Usage',
        ChargeDescription: 'gp3 storage',
        ChargePeriodStart: iso(line.ebs),
        ChargePeriodEnd: iso(line.ebs + 24 * HOUR_MS),
        ConsumedQuantity: '20',
        ConsumedUnit: 'GB-Mo',
        ContractedCost: '1.6',
        EffectiveCost: '1.6',
        ListCost: '1.6',
        PricingCategory: 'Standard',
        PricingQuantity: '20',
        PricingUnit: 'GB-Mo',
        ResourceId: 'vol-0demo0000000000a',
        ResourceType: 'Volume',
        ServiceCategory: 'Storage',
        ServiceName: 'Amazon Elastic Block Store',
        SkuId: 'EBS-GP3',
        x_UsageType: 'EBS:VolumeUsage.gp3',
      },
    ];
  }
  const { spec } = line;
  const spot = spec.kind === 'spot';
  const covered = spec.kind === 'savings-plan';
  const hours = formatFixed(line.hours, 6);
  return [
    {
      ...common,
      // Covered by a Savings Plan: paid through the plan's fee (BilledCost 0), amortized here (EffectiveCost).
      BilledCost: covered ? '0' : line.cost,
      ChargeCategory: 'Usage',
      ChargeDescription: `${spec.instanceType} ${spot ? 'Spot' : 'On-Demand'} instance-hour`,
      ChargePeriodStart: iso(line.startMs),
      ChargePeriodEnd: iso(line.endMs),
      CommitmentDiscountCategory: covered ? 'Spend' : '',
      CommitmentDiscountId: covered
        ? `arn:aws:savingsplans::${o.billingAccountId}:savingsplan/demo-compute-sp`
        : '',
      CommitmentDiscountStatus: covered ? 'Used' : '',
      CommitmentDiscountType: covered ? 'Compute Savings Plan' : '',
      ConsumedQuantity: hours,
      ConsumedUnit: 'Hours',
      ContractedCost: line.cost,
      EffectiveCost: line.cost,
      ListCost: line.listCost,
      PricingCategory: spot ? 'Dynamic' : covered ? 'Committed' : 'Standard',
      PricingQuantity: hours,
      PricingUnit: 'Hours',
      ResourceId: spec.resourceId,
      ResourceType: 'Instance',
      ServiceCategory: 'Compute',
      ServiceName: 'Amazon Elastic Compute Cloud',
      SkuId: `EC2-${spec.instanceType}`,
      Tags: spec.team === null ? '{}' : JSON.stringify({ team: spec.team }),
      x_UsageType: `${spot ? 'USE1-SpotUsage' : 'BoxUsage'}:${spec.instanceType}`,
    },
  ];
}

function curRows(line: HourLine | { ebs: number }, o: SyntheticExportOptions): Record<string, string>[] {
  const common = {
    bill_payer_account_id: o.billingAccountId,
    line_item_usage_account_id: o.subAccountId,
    line_item_currency_code: o.currency,
    product_region_code: 'us-east-1',
  };
  if ('ebs' in line) {
    return [
      {
        ...common,
        line_item_line_item_type: 'Usage',
        line_item_usage_start_date: iso(line.ebs),
        line_item_usage_end_date: iso(line.ebs + 24 * HOUR_MS),
        line_item_resource_id: 'vol-0demo0000000000a',
        line_item_usage_type: 'EBS:VolumeUsage.gp3',
        line_item_usage_amount: '20',
        line_item_unblended_cost: '1.6',
        resource_tags: '{}',
      },
    ];
  }
  const { spec } = line;
  const covered = spec.kind === 'savings-plan';
  const base = {
    ...common,
    line_item_usage_start_date: iso(line.startMs),
    line_item_usage_end_date: iso(line.endMs),
    line_item_resource_id: spec.resourceId,
    line_item_usage_type: `${spec.kind === 'spot' ? 'USE1-SpotUsage' : 'BoxUsage'}:${spec.instanceType}`,
    line_item_usage_amount: formatFixed(line.hours, 6),
    product_instance_type: spec.instanceType,
    resource_tags: spec.team === null ? '{}' : JSON.stringify({ user_team: spec.team }),
  };
  if (!covered) return [{ ...base, line_item_line_item_type: 'Usage', line_item_unblended_cost: line.cost }];
  return [
    {
      ...base,
      line_item_line_item_type: 'SavingsPlanCoveredUsage',
      line_item_unblended_cost: line.listCost,
      savings_plan_savings_plan_effective_cost: line.cost,
    },
    // The plan's negation of the covered On-Demand cost: not an instance's cost (readers skip it).
    {
      ...base,
      line_item_line_item_type: 'SavingsPlanNegation',
      line_item_unblended_cost: `-${line.listCost}`,
    },
  ];
}
