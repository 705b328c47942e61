import { z } from 'zod';
import { instanceKeyOf, type InvoiceLine } from '../../core/billing/ledger.ts';
import { exactDecimal } from '../../core/money.ts';
import type { PricingCategory } from '../../core/types.ts';
import type { BillingExportRequest } from '../../ports.ts';

/**
 * One row of a cost export, mapped to an {@link InvoiceLine}: 'skip' for rows the month does not use
 * (another service, another month, an instance without GPUs), 'coverage' for usage rows that only tell
 * how far the export reaches, or the line. Rows that are used are validated with zod; a malformed one
 * throws (the reader adds the file and row).
 */
export type RowVerdict =
  | { kind: 'skip' }
  | { kind: 'coverage'; billingAccountId: string; endMs: number }
  | { kind: 'line'; line: InvoiceLine };

const SKIP: RowVerdict = { kind: 'skip' };

/**
 * FOCUS date/time: ISO 8601 in UTC ending in Z (FOCUS 1.2 specification/attributes/datetime_format.md:
 * "MUST be expressed in UTC ... MUST be expressed in ISO 8601 ... YYYY-MM-DDTHH:mm:ssZ"); fractional
 * seconds are accepted. CUR 2.0 exports write the same shape.
 */
const utcInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'must be an ISO 8601 UTC date-time ending in Z')
  .transform((s) => Date.parse(s));

/** A decimal amount written in the numeric format (FOCUS 1.2 attributes/numeric_format.md): parsed exactly. */
const decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/, 'must be a decimal number')
  .transform((s) => exactDecimal(s));

/** An optional decimal quantity (hours), read as a float: quantities never touch money. */
const quantity = z
  .string()
  .regex(/^(-?\d+(\.\d+)?([eE][+-]?\d+)?)?$/, 'must be a decimal number or empty')
  .optional()
  .transform((s) => (s === undefined || s === '' ? null : Number(s)));

/**
 * The FOCUS columns a used row needs, each with the rule of its column file in the FOCUS 1.2
 * specification (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, tag v1.2, specification/columns/):
 * - BillingAccountId (billingaccountid.md): String, MUST NOT be null;
 * - SubAccountId (subaccountid.md): String, nullable;
 * - ResourceId (resourceid.md): String, nullable — rows without one are no instance's and are skipped;
 * - ChargePeriodStart / ChargePeriodEnd (chargeperiodstart.md, chargeperiodend.md): Date/Time, MUST NOT be null,
 *   the end exclusive;
 * - EffectiveCost (effectivecost.md): Decimal, MUST NOT be null, the amortized cost (commitments spread);
 * - BillingCurrency (billingcurrency.md): ISO 4217, MUST NOT be null;
 * - PricingCategory (pricingcategory.md): "Standard", "Dynamic", "Committed", "Other", nullable;
 * - ConsumedQuantity (consumedquantity.md): Decimal, nullable — for compute, hours;
 * - RegionId (regionid.md): nullable;
 * - Tags (tags.md): a JSON object of key-value pairs (attributes/key_value_format.md), nullable.
 * The instance type is not a FOCUS column: AWS's FOCUS export names it in x_UsageType
 * ("BoxUsage:p4d.24xlarge", "USE1-SpotUsage:g5.xlarge"); absent elsewhere.
 */
const focusRow = z.object({
  BillingAccountId: z.string().min(1, 'MUST NOT be null'),
  SubAccountId: z.string().default(''),
  ResourceId: z.string().min(1),
  ChargePeriodStart: utcInstant,
  ChargePeriodEnd: utcInstant,
  EffectiveCost: decimal,
  BillingCurrency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  PricingCategory: z.enum(['Standard', 'Dynamic', 'Committed', 'Other', '']).default(''),
  ConsumedQuantity: quantity,
  RegionId: z.string().default(''),
  Tags: z.string().default(''),
  x_UsageType: z.string().default(''),
});

/** The FOCUS columns the month reads (a Parquet reader reads only these). */
export const FOCUS_COLUMNS_USED = [...Object.keys(focusRow.shape), 'ChargeCategory'] as const;

/** A FOCUS row (CSV record keyed by header) as the month uses it. */
export function focusVerdict(record: Record<string, string>, request: BillingExportRequest): RowVerdict {
  // FOCUS chargecategory.md: "Usage" rows are consumption; purchases, taxes, credits and adjustments are not an
  // instance's hourly cost (commitment purchases are already amortized into the usage rows' EffectiveCost).
  if (record.ChargeCategory !== 'Usage') return SKIP;
  const endMs = Date.parse(record.ChargePeriodEnd ?? '');
  const startMs = Date.parse(record.ChargePeriodStart ?? '');
  if (!(endMs > request.range.startMs) || !(startMs < request.range.endMs)) return SKIP;
  const resourceId = record.ResourceId ?? '';
  const instanceType = instanceTypeOfUsageType(record.x_UsageType ?? '');
  if (!wanted(resourceId, instanceType, request)) {
    return record.BillingAccountId
      ? { kind: 'coverage', billingAccountId: record.BillingAccountId, endMs }
      : SKIP;
  }
  const row = focusRow.parse(record);
  const tags = parseTags(row.Tags);
  return {
    kind: 'line',
    line: {
      billingAccountId: row.BillingAccountId,
      subAccountId: row.SubAccountId,
      resourceId: row.ResourceId,
      instanceType,
      region: row.RegionId,
      startMs: row.ChargePeriodStart,
      endMs: row.ChargePeriodEnd,
      usageSeconds: usageSecondsOf(row.ConsumedQuantity, row.ChargePeriodStart, row.ChargePeriodEnd),
      effectiveCost: row.EffectiveCost,
      pricingCategory:
        row.PricingCategory === 'Dynamic' || row.PricingCategory === 'Committed'
          ? row.PricingCategory
          : 'Standard',
      team: tagOf(tags, request.tags.team),
      project: tagOf(tags, request.tags.project),
      ...currencyChecked(row.BillingCurrency, request.currency),
    },
  };
}

/**
 * The CUR 2.0 columns a used row needs (AWS Data Exports, "Line item", "Reservation", "Savings Plans",
 * "Product" and "Resource tags" column dictionaries). The amortized cost of an instance-hour depends on
 * the line item type: `Usage` (On-Demand and Spot) its line_item_unblended_cost; `DiscountedUsage` (covered by
 * an RI) reservation_effective_cost; `SavingsPlanCoveredUsage` savings_plan_savings_plan_effective_cost.
 * `SavingsPlanNegation`, fees, RI fees, taxes, credits and refunds are not an instance's hourly cost.
 */
const curRow = z.object({
  bill_payer_account_id: z.string().min(1, 'must not be empty'),
  line_item_usage_account_id: z.string().default(''),
  line_item_resource_id: z.string().min(1),
  line_item_usage_start_date: utcInstant,
  line_item_usage_end_date: utcInstant,
  line_item_usage_amount: quantity,
  line_item_currency_code: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  line_item_usage_type: z.string().default(''),
  product_region_code: z.string().default(''),
  resource_tags: z.string().default(''),
});

const CUR_COST_COLUMN: Readonly<Record<string, string>> = {
  Usage: 'line_item_unblended_cost',
  DiscountedUsage: 'reservation_effective_cost',
  SavingsPlanCoveredUsage: 'savings_plan_savings_plan_effective_cost',
};

/** The CUR 2.0 columns the month reads (a Parquet reader reads only these). */
export const CUR_COLUMNS_USED = [
  ...Object.keys(curRow.shape),
  'line_item_line_item_type',
  'line_item_unblended_cost',
  'reservation_effective_cost',
  'savings_plan_savings_plan_effective_cost',
  'product_instance_type',
  'product',
] as const;

/** A CUR 2.0 row as the month uses it. */
export function curVerdict(record: Record<string, string>, request: BillingExportRequest): RowVerdict {
  const type = record.line_item_line_item_type ?? '';
  const costColumn = CUR_COST_COLUMN[type];
  if (costColumn === undefined) return SKIP;
  const endMs = Date.parse(record.line_item_usage_end_date ?? '');
  const startMs = Date.parse(record.line_item_usage_start_date ?? '');
  if (!(endMs > request.range.startMs) || !(startMs < request.range.endMs)) return SKIP;
  const resourceId = record.line_item_resource_id ?? '';
  const instanceType = curInstanceType(record);
  if (!wanted(resourceId, instanceType, request)) {
    const account = record.bill_payer_account_id;
    return account ? { kind: 'coverage', billingAccountId: account, endMs } : SKIP;
  }
  const row = curRow.parse(record);
  const cost = decimal.parse(record[costColumn] ?? '');
  const tags = parseTags(row.resource_tags);
  const spot = /SpotUsage/.test(row.line_item_usage_type);
  const category: PricingCategory = type === 'Usage' ? (spot ? 'Dynamic' : 'Standard') : 'Committed';
  return {
    kind: 'line',
    line: {
      billingAccountId: row.bill_payer_account_id,
      subAccountId: row.line_item_usage_account_id,
      resourceId: row.line_item_resource_id,
      instanceType,
      region: row.product_region_code,
      startMs: row.line_item_usage_start_date,
      endMs: row.line_item_usage_end_date,
      usageSeconds: usageSecondsOf(
        row.line_item_usage_amount,
        row.line_item_usage_start_date,
        row.line_item_usage_end_date,
      ),
      effectiveCost: cost,
      pricingCategory: category,
      // CUR 2.0 resource_tags keys are user_<tag> for user-defined tags.
      team: tagOf(tags, `user_${request.tags.team}`) ?? tagOf(tags, request.tags.team),
      project: tagOf(tags, `user_${request.tags.project}`) ?? tagOf(tags, request.tags.project),
      ...currencyChecked(row.line_item_currency_code, request.currency),
    },
  };
}

/** The instance type of a CUR 2.0 row: product_instance_type, else the `product` map's instance_type. */
function curInstanceType(record: Record<string, string>): string {
  if (record.product_instance_type) return record.product_instance_type;
  const product = parseTags(record.product ?? '');
  return (
    product.instance_type ??
    product.instanceType ??
    instanceTypeOfUsageType(record.line_item_usage_type ?? '')
  );
}

/** "BoxUsage:p4d.24xlarge", "USE1-SpotUsage:g5.xlarge" -> the instance type; '' for other usage types. */
function instanceTypeOfUsageType(usageType: string): string {
  const m =
    /(?:BoxUsage|SpotUsage|DedicatedUsage|HostBoxUsage|ReservedHostUsage):([a-z0-9-]+\.[a-z0-9-]+)$/.exec(
      usageType,
    );
  return m ? m[1]! : '';
}

function wanted(resourceId: string, instanceType: string, request: BillingExportRequest): boolean {
  if (!resourceId) return false;
  return (
    request.instanceKeys.has(instanceKeyOf(resourceId)) ||
    (instanceType !== '' && request.isGpuInstanceType(instanceType))
  );
}

/** Seconds of use in [start, end): the quantity in hours when given, else the whole period. */
function usageSecondsOf(hours: number | null, startMs: number, endMs: number): number {
  const period = (endMs - startMs) / 1000;
  if (hours === null || !Number.isFinite(hours) || hours < 0) return period;
  return Math.min(period, hours * 3600);
}

/** A JSON object of string values (FOCUS Tags, CUR maps); {} when empty. */
function parseTags(text: string): Record<string, string> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `tags are not a JSON object (FOCUS attributes/key_value_format.md): ${text.slice(0, 60)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('tags are not a JSON object of key-value pairs');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

function tagOf(tags: Record<string, string>, key: string): string | null {
  const value = Object.hasOwn(tags, key) ? tags[key]!.trim() : '';
  return value === '' ? null : value;
}

/** {} when the row's currency is the billing currency; else an error (no invoice amount is converted). */
function currencyChecked(currency: string, expected: string): Record<string, never> {
  if (currency !== expected)
    throw new Error(
      `the row is billed in ${currency}, the chargeback in ${expected} (pricing.currency); invoice amounts are never converted`,
    );
  return {};
}
