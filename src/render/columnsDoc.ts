import { BILLING_COLUMNS, CHARGEBACK_COLUMNS } from './csv.ts';
import { TEAM_CSV_COLUMNS } from './teamCsv.ts';

/** What each column of a team lead's costs.csv holds (and where it comes from in chargeback.csv). */
const TEAM_COLUMNS: Record<(typeof TEAM_CSV_COLUMNS)[number], string> = {
  Cost: 'What the team pays for this line, in Currency, rounded to the cent (the minor unit); `EffectiveCost`. The lines add up exactly to the total row.',
  Currency: 'ISO 4217 currency of Cost and OnDemandCost; `BillingCurrency`.',
  Pod: 'The pod charged (empty on idle lines of the platform team); `x_Pod`.',
  Namespace: 'Its Kubernetes namespace; `x_Namespace`.',
  Project: 'Its project (pod label, else namespace label, else the default bucket); `x_Project`.',
  CostType:
    "`Direct`: GPU time the pod held. `UnusedAllocation`: the unused part of its allocation (utilization policy). `Idle`: capacity no pod held. `IdleShare`: the team's share of idle capacity (sharing idle policies); `x_CostComponent`.",
  Date: 'The local day of the charge (the configured time zone).',
  GpuHoursHeld:
    'GPU-hours the pod held: time Running × GPUs requested (MIG slices and time-sliced GPUs as fractions of a GPU); `ConsumedQuantity`.',
  GpuHoursBilled:
    'GPU-hours billed after the utilization policy: equal to GpuHoursHeld under the default `allocation` policy, held × utilization (or its floor) otherwise; `x_BillableGpuHours`.',
  Gpus: 'GPU equivalents requested (0.142857 for a 1g MIG slice of an A100, 0.25 for one of four time-slicing replicas); `x_GpuEquivalents`.',
  UtilizationPct:
    'Mean GPU utilization of the pod over the line, 0–100 (empty when unknown); `x_GpuUtilizationPct`.',
  PricePerGpuHour: 'Price per GPU-hour applied: the instance price ÷ its GPUs; `x_UnitPrice`.',
  Pricing:
    '`On-Demand`, `Spot` or `Committed` (reserved, capacity block, savings plan); `PricingCategory` `Standard`, `Dynamic` (= Spot) or `Committed`.',
  InstanceType: 'Cloud instance type of the node (empty for on-prem); `SkuId`.',
  GpuModel: 'GPU model of the node; `x_GpuModel`.',
  GpuResource:
    'The Kubernetes resource requested (`nvidia_com_gpu`, `nvidia_com_mig_1g_5gb`, …); `x_GpuResource`.',
  Node: 'The node; `ResourceId`.',
  Cluster: 'The cluster (empty with a single unnamed cluster); `x_Cluster`.',
  PeriodStart: "Start of the charge period (ISO 8601 with the zone's offset); `ChargePeriodStart`.",
  PeriodEnd: 'End of the charge period, exclusive; `ChargePeriodEnd`.',
  OnDemandCost:
    'What the line would cost at On-Demand list prices; `ListCost`. OnDemandCost − Cost is the saving of Spot or commitments.',
  PodUid: 'Kubernetes uid of the pod (tells apart pods that reuse a name); `x_PodUid`.',
  Correction:
    '`yes` when the month was restated and this version replaces an earlier one; `ChargeClass=Correction`.',
};

/** What each column of chargeback.csv and teams/<team>.csv holds. */
const CHARGEBACK_DOC: Record<(typeof CHARGEBACK_COLUMNS)[number] | (typeof BILLING_COLUMNS)[number], string> =
  {
    BillingPeriodStart: "First instant of the billing month (ISO 8601 with the zone's offset).",
    BillingPeriodEnd: 'First instant after the billing month (exclusive).',
    ChargePeriodStart: "Start of the line's charge period (a local day, split where a price changes).",
    ChargePeriodEnd: 'End of the charge period (exclusive).',
    BillingCurrency: 'ISO 4217 currency of every amount.',
    EffectiveCost:
      "What is charged, rounded to the minor unit; the lines add up to the team totals and the month's capacity cost.",
    ListCost: 'The same GPU time at On-Demand list prices.',
    PricingCategory:
      '`Standard` (On-Demand), `Dynamic` (Spot or other interruptible capacity) or `Committed` (reserved, capacity block).',
    ConsumedQuantity: 'GPU-hours held (time Running × GPU equivalents); idle GPU-hours on `Idle` lines.',
    ConsumedUnit: 'Always `GPU-Hours`.',
    ResourceId: 'The node.',
    SkuId: "The node's instance type.",
    ChargeCategory: 'Always `Usage`.',
    ChargeClass: 'Empty, or `Correction` on every line of a restated month.',
    x_Cluster: 'The cluster.',
    x_Team: 'The team charged (the platform team for idle capacity under the `separate` idle policy).',
    x_Project: 'The project.',
    x_Namespace: 'The namespace.',
    x_Pod: 'The pod.',
    x_PodUid: "The pod's uid.",
    x_GpuModel: 'The GPU model.',
    x_GpuResource: 'The GPU resource requested, as kube-state-metrics names it.',
    x_GpuEquivalents:
      'GPUs requested, in GPU equivalents (MIG slices and time-slicing replicas as fractions).',
    x_GpuUtilizationPct: 'Mean GPU utilization of the pod on the line, 0–100, empty when unknown.',
    x_BillableGpuHours:
      'GPU-hours billed after the utilization policy (= ConsumedQuantity under the default `allocation` policy; ConsumedQuantity × utilization, or its floor, under `utilization` / `floor`).',
    x_UnitPrice: 'Price per GPU-hour applied.',
    x_CostComponent: '`Direct`, `UnusedAllocation`, `Idle` or `IdleShare` (see CostType above).',
    x_DataCoveragePct: 'Share of the day with kube-state-metrics samples.',
    x_UtilizationPolicy: 'allocation.utilization.mode of the run.',
    x_IdlePolicy: 'allocation.idle.mode of the run.',
    x_PriceFallback: '`true` when the instance type had no price and pricing.fallback was used.',
    x_PriceCatalogVersion: "The price catalog's version label.",
    x_Source: 'Where the usage came from (`prometheus`, `partials`, `demo`).',
    SubAccountId: "The cluster's cloud account (config `clusters`).",
    RegionId: "The cluster's region (config `clusters`).",
    x_CostSource:
      'Only with a billing export: `invoice`, `catalog-export-pending` or `catalog-not-on-invoice`.',
    x_ProviderResourceId: "Only with a billing export: the node's cloud instance.",
  };

/** COLUMNS.md, written in every month's folder: every column of the team CSVs and of chargeback.csv. */
export function columnsMarkdown(month: string): string {
  const table = (entries: [string, string][]) =>
    ['| column | meaning |', '|---|---|', ...entries.map(([c, m]) => `| \`${c}\` | ${m} |`)].join('\n');
  return [
    `# Columns of the ${month} chargeback files`,
    '',
    '## teams/<team>/costs.csv — for team leads',
    '',
    "One team's line items, UTF-8 with a byte order mark (spreadsheets open Korean and other non-Latin names " +
      'correctly), most expensive first, and a last row `TOTAL (n line items)` with the sums of Cost, ' +
      'GpuHoursHeld, GpuHoursBilled and OnDemandCost (leave it out when you add the column up yourself). ' +
      'teams/<team>/report.pdf is the same month on one page.',
    '',
    table(TEAM_CSV_COLUMNS.map((c) => [c, TEAM_COLUMNS[c]])),
    '',
    '## chargeback.csv (all teams) and teams/<team>.csv — for finance and tools',
    '',
    "FOCUS-aligned column names (`x_` columns are this tool's own), UTF-8 without a byte order mark, in a " +
      'deterministic order. GpuHoursHeld vs GpuHoursBilled above are `ConsumedQuantity` vs ' +
      '`x_BillableGpuHours` here, and `PricingCategory=Dynamic` is Spot.',
    '',
    table([...CHARGEBACK_COLUMNS, ...BILLING_COLUMNS].map((c) => [c, CHARGEBACK_DOC[c]])),
    '',
  ].join('\n');
}
