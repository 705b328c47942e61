import type { PricedRows } from '../core/types.ts';
import { type CellKind, CsvEncoder, csvChunks, type CsvMeta } from './csv.ts';

/**
 * focus.csv: the month's chargeback as a FOCUS 1.2 Cost and Usage dataset (FinOps-Open-Cost-and-Usage-Spec/
 * FOCUS_Spec tag v1.2, specification/), so that it loads into FOCUS-consuming FinOps tools next to the
 * cloud's own FOCUS export. Written only with a billing export (chargeback.csv stays as it is; see README
 * "The chargeback CSV"). One record per chargeback row, in the same order, with the same amounts.
 *
 * How the chargeback maps onto FOCUS (an internal invoice per team):
 * - BillingAccountId / BillingAccountName: the team charged (billingaccountid.md: "the account ... to which
 *   invoices are generated": each team receives its own CSV); SubAccountId: the cluster's cloud account;
 * - InvoiceIssuerName: the platform team that issues the chargeback; ProviderName / PublisherName: the
 *   cloud that made the GPU instance available (AWS, Google Cloud, Microsoft), "On-premises" otherwise;
 * - BilledCost = ContractedCost = EffectiveCost: the amount charged to the team (invoice-based when the
 *   row's x_CostSource is `invoice`); ListCost the On-Demand equivalent;
 * - ConsumedQuantity (GPU-hours held) / ConsumedUnit and PricingQuantity (GPU-hours billed) / PricingUnit
 *   "GPU-Hours" (attributes/unit_format.md: <singular-unit>-<plural-time-units>);
 * - ResourceId: the node's cloud instance (kube_node_info provider_id) or, without one, the node name;
 *   ResourceName the node; ServiceCategory "Compute"; ServiceName "Kubernetes GPU";
 * - Tags: team, project, cluster, namespace and pod as a JSON object (attributes/key_value_format.md);
 * - dates UTC with Z (attributes/datetime_format.md); null as an empty field; custom columns x_ last
 *   (attributes/column_handling.md).
 * FOCUS 1.2 has no allocation columns (split cost allocation columns arrived in 1.3), so the pod, the cost
 * component and the policies are x_ columns.
 */
export const FOCUS_VERSION = '1.2';

export const FOCUS_COLUMNS = [
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
  'ResourceName',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'SkuId',
  'SubAccountId',
  'Tags',
  'x_Cluster',
  'x_CostComponent',
  'x_CostSource',
  'x_GpuModel',
  'x_GpuResource',
  'x_GpuUtilizationPct',
  'x_Namespace',
  'x_Pod',
  'x_PodUid',
  'x_UtilizationPolicy',
  'x_IdlePolicy',
] as const;

const NUMBERS = new Set([
  'BilledCost',
  'ConsumedQuantity',
  'ContractedCost',
  'EffectiveCost',
  'ListCost',
  'PricingQuantity',
  'x_GpuUtilizationPct',
]);
const UNIQUE = new Set(['ChargeDescription', 'Tags', 'x_Pod', 'x_PodUid']);
const KINDS: readonly CellKind[] = FOCUS_COLUMNS.map((c) =>
  NUMBERS.has(c) ? 'number' : UNIQUE.has(c) ? 'unique' : 'text',
);

/** What focus.csv needs besides the chargeback CSV's metadata. */
export interface FocusMeta extends CsvMeta {
  /** The team that issues the chargeback (allocation.idle.platformTeam). */
  issuer: string;
}

/** UTC ISO 8601 with Z, whole seconds when the instant has no fraction (FOCUS attributes/datetime_format.md). */
export function focusDateTime(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
}

/** The cloud of a provider id (kube_node_info provider_id), as FOCUS ProviderName. */
export function providerNameOf(providerId: string): string {
  if (providerId.startsWith('aws:') || /^i-[0-9a-f]+$/.test(providerId)) return 'AWS';
  if (providerId.startsWith('gce:')) return 'Google Cloud';
  if (providerId.startsWith('azure:')) return 'Microsoft';
  return 'On-premises';
}

/** focus.csv as chunks of text (header first), streamed like the chargeback CSV. */
export function focusCsvChunks(rows: PricedRows, meta: FocusMeta): Iterable<string> {
  const periodStart = focusDateTime(meta.period.startMs);
  const periodEnd = focusDateTime(meta.period.endMs);
  const col = {
    chargePeriod: rows.column('chargePeriod'),
    effectiveCost: rows.column('effectiveCost'),
    listCost: rows.column('listCost'),
    pricingCategory: rows.column('pricingCategory'),
    consumed: rows.column('consumedGpuHours'),
    billable: rows.column('billableGpuHours'),
    node: rows.column('node'),
    providerId: rows.column('providerId'),
    instanceType: rows.column('instanceType'),
    chargeClass: rows.column('chargeClass'),
    cluster: rows.column('cluster'),
    team: rows.column('team'),
    project: rows.column('project'),
    namespace: rows.column('namespace'),
    pod: rows.column('pod'),
    podUid: rows.column('podUid'),
    gpuModel: rows.column('gpuModel'),
    gpuResource: rows.column('gpuResource'),
    utilizationPct: rows.column('utilizationPct'),
    component: rows.column('component'),
    costSource: rows.column('costSource'),
  };
  const positions = function* () {
    for (let i = 0; i < rows.length; i++) yield i;
  };
  return csvChunks(
    FOCUS_COLUMNS,
    positions(),
    (i, out) => {
      const period = col.chargePeriod(i);
      const cost = col.effectiveCost(i);
      const cluster = col.cluster(i);
      const account = meta.clusters?.[cluster];
      const node = col.node(i);
      const providerId = col.providerId(i);
      const provider = providerNameOf(providerId);
      const component = col.component(i);
      const pod = col.pod(i);
      const namespace = col.namespace(i);
      const team = col.team(i);
      const tags: Record<string, string> = { team };
      const project = col.project(i);
      if (project) tags.project = project;
      if (cluster) tags.cluster = cluster;
      if (namespace) tags.namespace = namespace;
      if (pod) tags.pod = pod;
      const utilization = col.utilizationPct(i);
      const chargeClass = meta.chargeClass ?? col.chargeClass(i);
      out.push(
        cost,
        team,
        team,
        meta.currency,
        periodEnd,
        periodStart,
        'Usage',
        chargeClass,
        component === 'Idle'
          ? `Idle GPU capacity of node ${node}`
          : `${component} GPU time of ${namespace ? `${namespace}/` : ''}${pod} on node ${node}`,
        'Usage-Based',
        focusDateTime(period.endMs),
        focusDateTime(period.startMs),
        col.consumed(i),
        'GPU-Hours',
        cost,
        cost,
        meta.issuer,
        col.listCost(i),
        col.pricingCategory(i),
        col.billable(i),
        'GPU-Hours',
        provider,
        provider,
        account?.region ?? '',
        providerId || node,
        node,
        'Kubernetes Node',
        'Compute',
        'Kubernetes GPU',
        col.instanceType(i),
        account?.accountId ?? '',
        JSON.stringify(tags),
        cluster,
        component,
        col.costSource(i),
        col.gpuModel(i),
        col.gpuResource(i),
        utilization === null ? '' : String(utilization),
        namespace,
        pod,
        col.podUid(i),
        meta.utilizationPolicy,
        meta.idlePolicy,
      );
    },
    new CsvEncoder(KINDS),
  );
}
